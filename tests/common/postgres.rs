//! A PostgreSQL of the test's own, for the store's PostgreSQL engine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A PostgreSQL of the test's own: initdb in a temporary directory, started on a free
/// loopback port, stopped when dropped. The distribution's binaries run as the `postgres`
/// user when the test runs as root (PostgreSQL refuses to run as root).
pub struct PrivatePostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub url: String,
}

fn bin_dir() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .map(|v| v.join("bin"))
        .expect("PostgreSQL is installed (.ci/run installs postgresql)")
}

fn as_postgres(bin: &Path, program: &str) -> Command {
    let root = rustix::process::geteuid().is_root();
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    };
    c.stdout(std::process::Stdio::null());
    c
}

impl PrivatePostgres {
    pub fn start() -> PrivatePostgres {
        let dir = tempfile::tempdir().unwrap();
        if rustix::process::geteuid().is_root() {
            let owned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(owned.success());
        }
        let bin = bin_dir();
        let data = dir.path().join("data");
        let made = as_postgres(&bin, "initdb")
            .args(["-A", "trust", "-U", "certwatch", "--no-sync", "-D"])
            .arg(&data)
            .status()
            .unwrap();
        assert!(made.success(), "initdb");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            dir.path().display()
        );
        let started = as_postgres(&bin, "pg_ctl")
            .args(["-w", "-t", "120", "-o", &options, "-l"])
            .arg(dir.path().join("log"))
            .arg("-D")
            .arg(&data)
            .arg("start")
            .status()
            .unwrap();
        assert!(started.success(), "pg_ctl start");
        PrivatePostgres {
            url: format!("postgres://certwatch@127.0.0.1:{port}/postgres"),
            dir,
            bin,
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin, "pg_ctl")
            .args(["-m", "immediate", "-D"])
            .arg(self.dir.path().join("data"))
            .arg("stop")
            .status();
    }
}

/// Makes the database `name` on the server `admin` (a URL) names: its URL.
pub fn create_database(admin: &str, name: &str) -> String {
    let made = client("psql")
        .arg(admin)
        .args(["-q", "-c", &format!("CREATE DATABASE {name}")])
        .status()
        .expect("psql runs");
    assert!(made.success(), "CREATE DATABASE {name}");
    let (base, _) = admin.rsplit_once('/').expect("a database URL");
    format!("{base}/{name}")
}

/// One of PostgreSQL's client programs (psql, pg_dump, pg_restore).
pub fn client(program: &str) -> Command {
    Command::new(bin_dir().join(program))
}

/// The database a test server keeps its records in when the suite runs on PostgreSQL:
/// `CERTWATCH_TEST_POSTGRES` names a server (`.ci/run` starts one with `.ci/on-postgres`)
/// and each test server gets a database of its own there. `None`: the suite runs on sled.
pub fn database_for_a_server() -> Option<String> {
    let admin = std::env::var("CERTWATCH_TEST_POSTGRES").ok()?;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    Some(create_database(&admin, &name))
}
