//! robots.txt, read in a worker: a file of up to half a megabyte of rules is a parser's
//! input like any other a supplier's site serves (texting_robots bounds each rule's
//! pattern; the worker bounds the whole).

use serde::{Deserialize, Serialize};
use texting_robots::Robot;
use url::Url;

/// The product token robots.txt rules are matched against.
pub const AGENT: &str = "CertWatch";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotsReading {
    /// Whether the file could be read as robots.txt at all (an unreadable one allows all).
    pub parsed: bool,
    /// Whether `url` may be fetched.
    pub allowed: bool,
    /// The Crawl-delay asked for, in seconds.
    pub delay_secs: Option<f32>,
}

pub fn read(body: &[u8], url: &Url) -> RobotsReading {
    match Robot::new(AGENT, body) {
        Ok(robot) => RobotsReading {
            parsed: true,
            allowed: robot.allowed(url.as_str()),
            delay_secs: robot.delay,
        },
        Err(_) => RobotsReading {
            parsed: false,
            allowed: true,
            delay_secs: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_for_certwatch_or_everyone() {
        let body = b"User-agent: *\nDisallow: /private\n\nUser-agent: CertWatch\nDisallow: /intern\nCrawl-delay: 2\n";
        let at = |p: &str| read(body, &Url::parse(&format!("https://s.example{p}")).unwrap());
        assert!(!at("/intern/zertifikate").allowed);
        assert!(at("/private").allowed, "the CertWatch group replaces *");
        assert_eq!(at("/").delay_secs, Some(2.0));
        assert!(
            read(
                b"\xff\xfe garbage",
                &Url::parse("https://s.example/").unwrap()
            )
            .allowed
        );
    }
}
