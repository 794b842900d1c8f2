//! A private Dovecot on loopback for mail tests: its own configuration, users and Maildir
//! in a temporary directory, plain-text IMAP on a free port (tests only; the service's
//! accounts say `security: none`, which the test server allows). Messages are delivered
//! as Dovecot's own delivery agent does it: a file in the user's `Maildir/new/`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The uid and gid mail is stored as: not root, as Dovecot requires.
const MAIL_UID: u32 = 65534;

pub struct Dovecot {
    dir: tempfile::TempDir,
    pub port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Dovecot {
    /// Starts Dovecot with `users` (address, password).
    pub fn start(users: &[(&str, &str)]) -> Dovecot {
        let dir = tempfile::Builder::new()
            .prefix("dovecot")
            .tempdir()
            .unwrap();
        let d = dir.path();
        // Dovecot's unprivileged processes must reach the configuration and the mail.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        let passwd: String = users
            .iter()
            .map(|(user, pass)| format!("{user}:{{PLAIN}}{pass}\n"))
            .collect();
        std::fs::write(d.join("passwd"), passwd).unwrap();
        for (user, _) in users {
            Dovecot::maildir(d, user);
        }
        let port = free_port();
        let dp = d.display();
        let config = format!(
            "base_dir = {dp}/run\nstate_dir = {dp}/state\nlog_path = {dp}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\n\
             auth_mechanisms = plain login\ndefault_login_user = dovenull\n\
             default_internal_user = dovecot\nmail_location = maildir:{dp}/mail/%u\n\
             first_valid_uid = 1\n\
             passdb {{\n  driver = passwd-file\n  args = {dp}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={MAIL_UID} gid={MAIL_UID} home={dp}/mail/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(d.join("dovecot.conf"), config).unwrap();
        // It daemonizes: its output goes to files, not to pipes it would hold open.
        let out = std::fs::File::create(d.join("start.txt")).unwrap();
        let status = Command::new("dovecot")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .status()
            .expect("dovecot is installed (dovecot-imapd)");
        assert!(
            status.success(),
            "dovecot did not start: {}",
            Dovecot::log_of(d)
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "dovecot is not listening");
            std::thread::sleep(Duration::from_millis(20));
        }
        Dovecot { dir, port }
    }

    fn log_of(d: &Path) -> String {
        std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default()
    }

    pub fn log(&self) -> String {
        Dovecot::log_of(self.dir.path())
    }

    /// A user's Maildir, made and given to the mail uid.
    fn maildir(d: &Path, user: &str) -> PathBuf {
        let root = d.join("mail").join(user);
        Dovecot::make_maildir(&root);
        root
    }

    /// `new/`, `cur/` and `tmp/` under `root`, given to the mail uid.
    fn make_maildir(root: &Path) {
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        let chown = |p: &Path| std::os::unix::fs::chown(p, Some(MAIL_UID), Some(MAIL_UID)).unwrap();
        chown(root);
        for sub in ["new", "cur", "tmp"] {
            chown(&root.join(sub));
        }
    }

    /// Delivers `raw` into `user`'s INBOX, unseen.
    pub fn deliver(&self, user: &str, raw: &[u8]) {
        let root = self.dir.path().join("mail").join(user);
        // Dovecot gives new mails their UIDs in the order of their names: the time first.
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let name = format!(
            "{}.M{:09}P{}_{}.certwatch-test",
            now.as_secs(),
            now.subsec_nanos(),
            std::process::id(),
            uuid::Uuid::new_v4().simple(),
        );
        // Written in tmp/ and renamed into new/, so Dovecot never sees half a message.
        let tmp = root.join("tmp").join(&name);
        std::fs::write(&tmp, raw).unwrap();
        std::os::unix::fs::chown(&tmp, Some(MAIL_UID), Some(MAIL_UID)).unwrap();
        std::fs::rename(&tmp, root.join("new").join(&name)).unwrap();
    }

    /// How many messages of `user`'s INBOX are flagged seen (Maildir's `S` flag).
    pub fn seen(&self, user: &str) -> usize {
        let cur = self.dir.path().join("mail").join(user).join("cur");
        std::fs::read_dir(cur).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| {
                    e.file_name()
                        .to_string_lossy()
                        .rsplit_once(":2,")
                        .is_some_and(|(_, flags)| flags.contains('S'))
                })
                .count()
        })
    }

    /// Makes the folder `name` of `user` (Maildir++: `.name` beside the INBOX).
    pub fn folder(&self, user: &str, name: &str) {
        Dovecot::make_maildir(
            &self
                .dir
                .path()
                .join("mail")
                .join(user)
                .join(format!(".{name}")),
        );
    }

    /// How many messages the folder `name` of `user` holds.
    pub fn count_in(&self, user: &str, name: &str) -> usize {
        let root = self
            .dir
            .path()
            .join("mail")
            .join(user)
            .join(format!(".{name}"));
        ["new", "cur"]
            .iter()
            .map(|s| std::fs::read_dir(root.join(s)).map_or(0, |d| d.count()))
            .sum()
    }

    /// How many messages `user`'s INBOX holds (new and current).
    pub fn count(&self, user: &str) -> usize {
        let root = self.dir.path().join("mail").join(user);
        ["new", "cur"]
            .iter()
            .map(|s| std::fs::read_dir(root.join(s)).map_or(0, |d| d.count()))
            .sum()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let pid = std::fs::read_to_string(self.dir.path().join("run/master.pid"));
        if let Ok(pid) = pid {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}
