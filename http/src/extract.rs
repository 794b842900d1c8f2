//! Pieces of a request every handler needs: the JSON body, the query string, the caller's
//! IP address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use certwatch_config::Config;
use serde::de::DeserializeOwned;
use warp::http::StatusCode;
use warp::{Filter, Rejection};

use crate::error::ApiError;

/// Largest JSON body accepted (file uploads have their own limits).
pub const MAX_JSON_BODY: u64 = 1 << 20;

/// A request body, or why it could not be read.
pub type Body = Result<Bytes, ApiError>;

/// The raw body of a JSON request. It never rejects: once path and method have matched, a
/// body that is too large must be answered 413 by this route, not make warp try others.
pub fn body() -> impl Filter<Extract = (Body,), Error = std::convert::Infallible> + Clone {
    warp::body::content_length_limit(MAX_JSON_BODY)
        .and(warp::body::bytes())
        .map(Ok)
        .or_else(|rejection: Rejection| async move {
            let status = if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
                StatusCode::PAYLOAD_TOO_LARGE
            } else if rejection.find::<warp::reject::LengthRequired>().is_some() {
                StatusCode::LENGTH_REQUIRED
            } else {
                StatusCode::BAD_REQUEST
            };
            let reason = status.canonical_reason().unwrap_or("Bad request");
            Ok::<_, std::convert::Infallible>(
                (Err(ApiError::Status(status, format!("{reason}."))),),
            )
        })
}

/// A request's typed input, or why it could not be read. An operation reports the failure
/// after its own checks (who may call it, whether the object is the tenant's), as the API
/// always has: another tenant's object is a 404 whatever the body says.
pub type Parsed<T> = Result<T, ApiError>;

/// The JSON body read into `T`.
pub fn json<T: DeserializeOwned + Send>()
-> impl Filter<Extract = (Parsed<T>,), Error = std::convert::Infallible> + Clone {
    body().map(parse_json)
}

/// Parses a JSON body; malformed JSON and wrong types are a 400 naming the problem.
pub fn parse_json<T: DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let body = body?;
    if body.is_empty() {
        return Err(ApiError::BadRequest("A JSON body is required.".into()));
    }
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))
}

/// The decoded query string, keeping the raw form for building `next`/`previous` links.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub pairs: HashMap<String, String>,
    pub raw: String,
}

impl Query {
    /// A free-text parameter (`search`, `country`, …); empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A parameter that takes an id, a number or a choice: absent is `None`, but present
    /// and empty (`?organization=`) is a 400 naming it, like any other malformed value.
    pub fn strict(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.pairs.get(name).map(String::as_str) {
            Some(v) if v.trim().is_empty() => {
                Err(ApiError::field(name, "This parameter may not be empty."))
            }
            other => Ok(other),
        }
    }

    /// A parameter parsed by `parse`; present but empty or unparsable is a 400 naming it.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        message: &str,
    ) -> Result<Option<T>, ApiError> {
        self.strict(name)?
            .map(|v| parse(v).ok_or_else(|| ApiError::field(name, message)))
            .transpose()
    }

    pub fn uuid(&self, name: &str) -> Result<Option<uuid::Uuid>, ApiError> {
        self.parsed(name, |v| v.parse().ok(), "Must be a valid UUID.")
    }

    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        self.parsed(
            name,
            certwatch_domain::rules::date,
            "Use a date like 2027-01-14.",
        )
    }

    /// `ordering`: one of `keys`, optionally prefixed with `-` for descending.
    pub fn ordering<K: Copy>(&self, keys: &[(&str, K)]) -> Result<Option<(K, bool)>, ApiError> {
        let Some(raw) = self.strict("ordering")? else {
            return Ok(None);
        };
        let (name, desc) = match raw.strip_prefix('-') {
            Some(name) => (name, true),
            None => (raw, false),
        };
        keys.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, key)| Some((*key, desc)))
            .ok_or_else(|| {
                let allowed: Vec<&str> = keys.iter().map(|(k, _)| *k).collect();
                ApiError::field(
                    "ordering",
                    format!("Order by one of: {}.", allowed.join(", ")),
                )
            })
    }
}

pub fn query() -> impl Filter<Extract = (Query,), Error = Rejection> + Clone {
    warp::query::<HashMap<String, String>>()
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .map(|pairs, raw| Query { pairs, raw })
}

/// The caller's address: the peer, or — when the peer is a trusted proxy — the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_ip(config: &Config, peer: Option<SocketAddr>, forwarded_for: Option<&str>) -> IpAddr {
    let peer_ip = peer
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !config.is_trusted_proxy(peer_ip) {
        return peer_ip;
    }
    let Some(header) = forwarded_for else {
        return peer_ip;
    };
    let hops: Vec<IpAddr> = header
        .split(',')
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !config.is_trusted_proxy(**ip))
        .or(hops.first())
        .copied()
        .unwrap_or(peer_ip)
}

/// Where a request comes from: the peer, and its `X-Forwarded-For` (believed only from a
/// trusted proxy, see [`client_ip`]).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub peer: Option<SocketAddr>,
    pub forwarded_for: Option<String>,
}

impl Client {
    /// The address rate limits count against.
    pub fn ip(&self, config: &Config) -> IpAddr {
        client_ip(config, self.peer, self.forwarded_for.as_deref())
    }
}

/// The peer and its `X-Forwarded-For`: every line of that header, in order, as one list
/// (a proxy chain may send one line per hop; reading only the first would let a client's
/// own line decide its address).
pub fn client_addr() -> impl Filter<Extract = (Client,), Error = std::convert::Infallible> + Clone {
    warp::addr::remote()
        .and(warp::header::headers_cloned())
        .map(|peer, headers: warp::http::HeaderMap| {
            let lines: Vec<&str> = headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            Client {
                peer,
                forwarded_for: (!lines.is_empty()).then(|| lines.join(",")),
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(proxies: &str) -> Config {
        Config::load_with(None, |n| {
            (n == "CERTWATCH_TRUSTED_PROXIES").then(|| proxies.to_string())
        })
        .unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let untrusted = config("");
        assert_eq!(
            client_ip(&untrusted, Some(peer), Some("1.2.3.4")),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
        let trusted = config("10.0.0.0/8");
        assert_eq!(
            client_ip(&trusted, Some(peer), Some("1.2.3.4, 10.0.0.9")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        // A client cannot spoof by prepending: the rightmost untrusted hop wins.
        assert_eq!(
            client_ip(&trusted, Some(peer), Some("9.9.9.9, 1.2.3.4")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            client_ip(&trusted, Some(peer), None),
            "10.0.0.5".parse::<IpAddr>().unwrap()
        );
    }

    #[tokio::test]
    async fn every_forwarded_for_line_is_read() {
        let filter = client_addr();
        let client = warp::test::request()
            .header("x-forwarded-for", "9.9.9.9")
            .header("x-forwarded-for", "1.2.3.4, 10.0.0.9")
            .filter(&filter)
            .await
            .unwrap();
        let client = Client {
            peer: Some("10.0.0.5:4000".parse().unwrap()),
            ..client
        };
        // The client's own first line does not decide: the proxies' last entry does.
        assert_eq!(
            client.ip(&config("10.0.0.0/8")),
            "1.2.3.4".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn json_errors_are_bad_requests() {
        #[derive(serde::Deserialize, Debug)]
        struct B {
            #[allow(dead_code)]
            n: u32,
        }
        for body in ["", "{", "{\"n\": \"x\"}", "[]"] {
            let err = parse_json::<B>(Ok(Bytes::from(body))).unwrap_err();
            assert!(matches!(err, ApiError::BadRequest(_)), "{body}");
        }
    }
}
