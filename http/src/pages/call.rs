//! Pages show what the API answers: a page handler calls the documented handler with the
//! session's caller and renders its JSON. Pages and API therefore cannot disagree on a
//! filter, a rule or a role, and there is one write path.

use std::collections::HashMap;

use http_body_util::BodyExt;
use serde_json::Value;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::error::ApiError;
use crate::extract::Query;

/// The JSON an API handler answered, with its status; its error as it is.
pub async fn json(result: Result<Response, ApiError>) -> Result<(StatusCode, Value), ApiError> {
    let response = result?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| ApiError::Internal(format!("reading an answer: {e}")))?
        .to_bytes();
    if bytes.is_empty() {
        return Ok((status, Value::Null));
    }
    let value = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::Internal(format!("an answer is not JSON: {e}")))?;
    Ok((status, value))
}

/// Just the JSON of a successful answer.
pub async fn value(result: Result<Response, ApiError>) -> Result<Value, ApiError> {
    Ok(json(result).await?.1)
}

/// A query for an API handler: the page's parameters with some set or replaced.
pub fn query(base: &Query, set: &[(&str, String)]) -> Query {
    let mut pairs: HashMap<String, String> = base.pairs.clone();
    pairs.remove("notice");
    for (k, v) in set {
        pairs.insert(k.to_string(), v.clone());
    }
    Query {
        pairs,
        raw: String::new(),
    }
}

/// A text field of a JSON answer ("" when absent or null).
pub fn text<'a>(v: &'a Value, name: &str) -> &'a str {
    v.get(name).and_then(Value::as_str).unwrap_or("")
}

/// The items of a list answer (a page's `results`, or a bare array).
pub fn items(v: &Value) -> &[Value] {
    v.get("results")
        .and_then(Value::as_array)
        .or_else(|| v.as_array())
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// A count field of a JSON answer.
pub fn count(v: &Value, name: &str) -> u64 {
    v.get(name).and_then(Value::as_u64).unwrap_or(0)
}

/// A time field of a JSON answer as a person reads it: "2026-12-03 06:05" (UTC).
pub fn moment(v: &Value, name: &str) -> String {
    let raw = text(v, name);
    match raw.get(..16) {
        Some(minutes) if raw.as_bytes().get(10) == Some(&b'T') => minutes.replacen('T', " ", 1),
        _ => raw.to_string(),
    }
}
