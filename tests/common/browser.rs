//! A real headless Chromium driven over WebDriver (chromedriver) from the tests. Each
//! browser has its own chromedriver process, port and empty profile; a failing test
//! leaves a screenshot of the page it failed on in `target/browser-failures/`.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::json;

/// Every control has a label, one h1 and no skipped heading level, a language, and
/// nothing wider than the window (so 360 px phones need no sideways scrolling).
const ACCESSIBLE: &str = r#"
const problems = [];
document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach((el) => {
  const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
    || el.closest('label') || el.getAttribute('aria-label');
  if (!labelled) problems.push('no label: ' + el.outerHTML.slice(0, 100));
});
let level = 0;
document.querySelectorAll('h1, h2, h3, h4, h5, h6').forEach((h) => {
  const l = Number(h.tagName[1]);
  if (l > level + 1) problems.push('heading level skipped: ' + h.tagName + ' ' + h.textContent);
  level = l;
});
if (document.querySelectorAll('h1').length !== 1) problems.push('not one h1');
if (!document.documentElement.lang) problems.push('no lang');
const width = document.documentElement.scrollWidth;
if (width > window.innerWidth + 1) problems.push('wider than the window: ' + width + ' > ' + window.innerWidth);
return problems;
"#;

pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh headless Chromium of `width`×`height` CSS pixels.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        // Its own process group: the browser it starts goes with it (see Drop).
        let driver = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver runs (Debian package chromium-driver)");
        let profile = tempfile::tempdir().unwrap();
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) => {
                    assert!(Instant::now() < deadline, "chromedriver did not start: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
        Browser {
            client,
            driver,
            _profile: profile,
        }
    }

    /// Runs `steps`; if they panic, saves a screenshot named `name` first.
    pub async fn run<F: Future<Output = ()>>(&self, name: &str, steps: F) {
        if let Err(panic) = AssertUnwindSafe(steps).catch_unwind().await {
            let dir = target_dir().join("browser-failures");
            std::fs::create_dir_all(&dir).unwrap();
            if let Ok(png) = self.client.screenshot().await {
                let file = dir.join(format!("{name}.png"));
                std::fs::write(&file, png).unwrap();
                eprintln!("screenshot of the failure: {}", file.display());
            }
            std::panic::resume_unwind(panic);
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// The text of the first element matching `css` (found again if the page changed
    /// under it).
    pub async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) => assert!(Instant::now() < deadline, "no text of {css}: {e}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the text of the first element matching `css` contains `needle` (a page
    /// a click loads may not have replaced the one before it yet).
    pub async fn shows(&self, css: &str, needle: &str) {
        self.until_text(css, needle, true).await;
    }

    /// Waits until the text of the first element matching `css` no longer contains
    /// `needle`.
    pub async fn lacks(&self, css: &str, needle: &str) {
        self.until_text(css, needle, false).await;
    }

    async fn until_text(&self, css: &str, needle: &str, present: bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.text(css).await;
            if text.contains(needle) == present {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} with {needle:?} present: {}, expected {present}: {text}",
                !present
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page's main heading is `title`, then checks the page is
    /// accessible by the rules [`ACCESSIBLE`] tests.
    pub async fn heading(&self, title: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let h1 = self.text("h1").await;
            if h1 == title {
                let problems = self.client.execute(ACCESSIBLE, vec![]).await.unwrap();
                let url = self.client.current_url().await.unwrap();
                assert_eq!(problems, json!([]), "accessibility of {url}");
                return;
            }
            let url = self.client.current_url().await.unwrap();
            assert!(
                Instant::now() < deadline,
                "expected the page {title:?}, on {h1:?} at {url}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Saves a screenshot of the page (for the README).
    pub async fn screenshot(&self, file: &Path) {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, self.client.screenshot().await.unwrap()).unwrap();
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    /// A test that failed never closed its session: the whole group goes, Chromium too.
    fn drop(&mut self) {
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-9", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// Where the tests' screenshots go: `target/`.
pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target")
}
