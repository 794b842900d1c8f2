//! The parsers of settings whose values are more than a number or a boolean. Each answers
//! the message an operator reads after the setting's name.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ipnet::IpNet;

use crate::model::LogFormat;

pub(crate) fn listen(raw: &str) -> Result<SocketAddr, String> {
    raw.trim()
        .parse()
        .map_err(|_| format!("'{raw}' is not an address like 127.0.0.1:8080"))
}

/// An http(s) URL without its trailing slash.
pub(crate) fn http_url(raw: &str) -> Result<String, String> {
    let url = raw.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(format!(
            "'{raw}' is not an http(s) URL like https://host.example.com"
        )),
    }
}

pub(crate) fn smtp_url(raw: &str) -> Result<String, String> {
    if raw.starts_with("smtp://") || raw.starts_with("smtps://") {
        Ok(raw.to_string())
    } else {
        Err(format!("'{raw}' must start with smtp:// or smtps://"))
    }
}

/// A PostgreSQL connection URL; sled needs none (its store is in the data directory).
pub(crate) fn store_url(raw: &str) -> Result<String, String> {
    if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "'{raw}' must start with postgres:// (leave it unset for sled in the data directory)"
        ))
    }
}

/// A node's name: what `certwatch cluster status` and the lease rows show.
pub(crate) fn node_id(raw: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !raw.is_empty() && raw.len() <= 64 && raw.chars().all(fits) {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "'{raw}' is not a node name (letters, digits, '.', '_', '-'; at most 64)"
        ))
    }
}

pub(crate) fn mail_from(raw: &str) -> Result<String, String> {
    if raw.contains('@') {
        Ok(raw.to_string())
    } else {
        Err(format!("'{raw}' is not a mail address"))
    }
}

/// A trusted proxy is an address (`10.0.0.1`) or a network (`10.0.0.0/8`).
pub(crate) fn net(raw: &str) -> Result<IpNet, String> {
    raw.parse::<IpNet>()
        .or_else(|_| raw.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("'{raw}' is not an IP address or CIDR network"))
}

/// Comma-separated seconds, at least one, each at most a week.
pub(crate) fn schedule(raw: &str) -> Result<Vec<Duration>, String> {
    let delays = raw
        .split(',')
        .map(|part| {
            part.trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= 7 * 86_400)
                .map(Duration::from_secs)
                .ok_or_else(|| format!("'{part}' is not a number of seconds up to a week"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if delays.is_empty() {
        return Err("needs at least one delay".into());
    }
    Ok(delays)
}

pub(crate) fn metrics_token(raw: &str) -> Result<String, String> {
    if raw.len() < 16 {
        return Err("must be at least 16 characters".into());
    }
    Ok(raw.to_string())
}

pub(crate) fn log_format(raw: &str) -> Result<LogFormat, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "text" => Ok(LogFormat::Text),
        "json" => Ok(LogFormat::Json),
        other => Err(format!("'{other}' is not text or json")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_or_say_why_not() {
        assert_eq!(
            http_url("https://cw.example/").unwrap(),
            "https://cw.example"
        );
        assert!(http_url("ftp://cw.example").is_err());
        assert!(net("10.0.0.0/8").is_ok() && net("10.0.0.1").is_ok());
        assert!(net("10.0.0.0/99").is_err());
        assert_eq!(schedule("0, 5").unwrap().len(), 2);
        assert!(schedule("").is_err());
        assert!(schedule("700000").is_err());
        assert_eq!(log_format(" JSON ").unwrap(), LogFormat::Json);
        assert!(mail_from("nobody").is_err());
        assert!(store_url("postgres://cw@127.0.0.1:5432/cw").is_ok());
        assert!(store_url("sled:./data").is_err());
        assert_eq!(node_id("node-1.eu").as_deref(), Ok("node-1.eu"));
        for bad in ["", "node 1", "ä", &"n".repeat(65)] {
            assert!(node_id(bad).is_err(), "{bad:?}");
        }
    }
}
