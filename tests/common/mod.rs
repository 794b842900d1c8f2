//! Test harness: runs the real `certwatch serve` binary on a loopback port with its own
//! data directory, talks HTTP to it, and reads the mail it writes into its outbox.

#![allow(dead_code)] // each test binary uses a different part of the harness

mod api;
pub mod browser;
pub mod imap;
pub mod pdf;
pub mod postgres;
pub mod procs;
pub mod receiver;
pub mod register;
pub mod site;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "securePassword123";
/// The metrics token every test server has unless a test gives its own (or "" for none):
/// `/metrics` and the health details answer to it.
pub const METRICS_TOKEN: &str = "metrics-token-for-tests";

pub struct Server {
    child: Option<Child>,
    pub base: String,
    pub data_dir: PathBuf,
    env: Vec<(String, String)>,
    /// Where the server's stderr (its log) goes; the test's own stderr when `None`.
    log: Option<PathBuf>,
    _tmp: Option<tempfile::TempDir>,
    pub http: reqwest::Client,
}

/// An HTTP answer: status, headers and the JSON body (Null when there is none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Server {
    /// Starts a server with a fresh data directory. The auth rate limit is raised so tests
    /// can log in often; tests of the limit pass their own value.
    pub fn start(env: &[(&str, &str)]) -> Server {
        Server::start_prepared(env, |_| {})
    }

    /// [`Server::start`] with the server's log written to `log` (appended across restarts).
    pub fn start_logging_to(env: &[(&str, &str)], log: &Path) -> Server {
        let mut server = Server::configured(env, |_| {});
        server.log = Some(log.to_path_buf());
        server.spawn();
        server
    }

    /// Starts a server on a data directory `prepare` fills first (a fixture).
    pub fn start_prepared(env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Server {
        let mut server = Server::configured(env, prepare);
        server.spawn();
        server
    }

    /// [`Server::start_prepared`] with its store in sled in the data directory whatever
    /// engine the suite runs on: for what only sled has (the service's own backups).
    pub fn start_on_sled(env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Server {
        let mut server = Server::configured_on(env, prepare, None);
        server.spawn();
        server
    }

    /// A server not started yet, on a fresh data directory `prepare` fills first, with its
    /// store where the suite runs (see [`postgres::database_for_a_server`]) unless `env`
    /// names one.
    fn configured(env: &[(&str, &str)], prepare: impl FnOnce(&Path)) -> Server {
        let database = if env.iter().any(|(k, _)| *k == "CERTWATCH_STORE") {
            None
        } else {
            postgres::database_for_a_server()
        };
        Server::configured_on(env, prepare, database)
    }

    /// [`Server::configured`] with its store in `database` (`None`: as `env` says).
    fn configured_on(
        env: &[(&str, &str)],
        prepare: impl FnOnce(&Path),
        database: Option<String>,
    ) -> Server {
        let tmp = tempfile::tempdir().unwrap();
        let data_dir = tmp.path().join("data");
        prepare(&data_dir);
        if let Some(database) = &database
            && data_dir.join("store").is_dir()
        {
            // A fixture is a sled store (a previous release's data directory): on
            // PostgreSQL the server starts on it moved there, as an operator moves one.
            let moved = Command::new(env!("CARGO_BIN_EXE_certwatch"))
                .arg("migrate-store")
                .arg(format!("--from=sled:{}", data_dir.display()))
                .arg(format!("--to={database}"))
                .env("CERTWATCH_LOG", "warn")
                .output()
                .unwrap();
            assert!(moved.status.success(), "migrate-store: {moved:?}");
        }
        let mut env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !env
            .iter()
            .any(|(k, _)| k == "CERTWATCH_AUTH_RATE_PER_MINUTE")
        {
            env.push(("CERTWATCH_AUTH_RATE_PER_MINUTE".into(), "10000".into()));
        }
        if !env.iter().any(|(k, _)| k == "CERTWATCH_METRICS_TOKEN") {
            env.push(("CERTWATCH_METRICS_TOKEN".into(), METRICS_TOKEN.into()));
        }
        if let Some(database) = database {
            env.push(("CERTWATCH_STORE".into(), database));
        }
        Server {
            child: None,
            base: String::new(),
            data_dir,
            env,
            log: None,
            _tmp: Some(tmp),
            http: reqwest::Client::new(),
        }
    }

    /// A handle on a server started some other way (in-process), for its HTTP helpers.
    pub fn attach(base: &str, data_dir: &Path) -> Server {
        Server {
            child: None,
            base: base.to_string(),
            data_dir: data_dir.to_path_buf(),
            env: Vec::new(),
            log: None,
            _tmp: None,
            http: reqwest::Client::new(),
        }
    }

    fn spawn(&mut self) {
        let stderr = match &self.log {
            Some(path) => Stdio::from(
                std::fs::File::options()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap(),
            ),
            None => Stdio::inherit(),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_certwatch"));
        // The permissive umask a shell usually has: what the server writes must be private
        // whatever it was started with.
        // SAFETY: umask is async-signal-safe and touches nothing of the parent's.
        unsafe {
            command.pre_exec(|| {
                rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o022));
                Ok(())
            });
        }
        let mut child = command
            .arg("serve")
            .env("CERTWATCH_LISTEN", "127.0.0.1:0")
            .env("CERTWATCH_DATA_DIR", &self.data_dir)
            .env("CERTWATCH_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the certwatch binary starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        // With a log file, what the server prints on stdout goes there too, so a test sees
        // every line it writes.
        let mut copy = self.log.as_ref().map(|path| {
            std::fs::File::options()
                .create(true)
                .append(true)
                .open(path)
                .unwrap()
        });
        let mut keep = move |line: &str| {
            if let Some(file) = copy.as_mut() {
                use std::io::Write;
                let _ = writeln!(file, "{line}");
            }
        };
        let addr = loop {
            let Some(line) = lines.next() else {
                panic!(
                    "the server exited before printing its address; processes holding its store: {:?}",
                    procs::holding(&self.data_dir.join("store").join("db"))
                );
            };
            let line = line.unwrap();
            keep(&line);
            // Plain, or with JSON logs a JSON object whose message says it.
            let message = match serde_json::from_str::<Value>(&line) {
                Ok(object) => object["fields"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                Err(_) => line,
            };
            if let Some(url) = message.strip_prefix("CertWatch listening on ") {
                break url.to_string();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                keep(&line);
            }
        });
        self.base = addr;
        self.child = Some(child);
    }

    /// `certwatch` as an operator runs it beside this server: on its data directory and
    /// its store.
    pub fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_certwatch"));
        command
            .env("CERTWATCH_DATA_DIR", &self.data_dir)
            .env("CERTWATCH_LOG", "warn");
        for (key, value) in &self.env {
            if key == "CERTWATCH_STORE" {
                command.env(key, value);
            }
        }
        command
    }

    /// SIGKILL: no shutdown code runs at all.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// SIGTERM, then waits for the process to end.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("server is running");
        let pid = child.id().to_string();
        let ok = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts the binary again on the same data directory after a clean stop.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "stop the server first");
        self.spawn();
    }

    /// Starts the binary again on the same data directory.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `probe` until it yields a value; fails naming `what` after 10 seconds.
pub async fn eventually<T>(what: &str, probe: impl AsyncFnMut() -> Option<T>) -> T {
    eventually_within(Duration::from_secs(10), what, probe).await
}

/// [`eventually`] with a deadline of its own, for work that takes longer by nature
/// (reading hostile files up to their limits on a busy machine).
pub async fn eventually_within<T>(
    within: Duration,
    what: &str,
    mut probe: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes)))
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// The CSRF value a page's forms carry (the `csrf` field).
pub fn csrf_field(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no csrf field in {html}"))
        .to_string()
}

/// A server started in this process, for tests that reach into its store or its actors:
/// a loopback port, `dir` as its data directory, the tests' rate limit and metrics token,
/// workers from the real binary (this executable is the test), and `more` settings; with a
/// [`Server`] attached to it for the HTTP helpers.
pub async fn in_process(dir: &Path, more: &[(&str, &str)]) -> (certwatch::RunningServer, Server) {
    let data = dir.to_str().unwrap().to_string();
    let database = postgres::database_for_a_server();
    let config = certwatch_config::Config::load_with(None, |name| match name {
        "CERTWATCH_LISTEN" => Some("127.0.0.1:0".into()),
        "CERTWATCH_STORE" if database.is_some() => database.clone(),
        "CERTWATCH_DATA_DIR" => Some(data.clone()),
        "CERTWATCH_AUTH_RATE_PER_MINUTE" => Some("10000".into()),
        "CERTWATCH_METRICS_TOKEN" => Some(METRICS_TOKEN.into()),
        "CERTWATCH_WORKER_PROGRAM" => Some(env!("CARGO_BIN_EXE_certwatch").into()),
        _ => more
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string()),
    })
    .unwrap();
    let server = certwatch::start(config).await.unwrap();
    let handle = Server::attach(&format!("http://{}", server.addr), dir);
    (server, handle)
}

/// Copies the directory `from` (a fixture) to `to`, made if missing.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every byte of every file under `dir`, for looking for what must not be there in clear.
pub fn files_under(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            all.extend(files_under(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            all.extend(bytes);
        }
    }
    all
}

pub fn read_mails(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .map(|raw| decode_quoted_printable(&raw))
        .collect()
}

/// Undoes quoted-printable (soft line breaks and `=XX` escapes), as a mail client would.
fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
