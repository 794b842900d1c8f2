//! One error type for every handler, turned into an HTTP answer in one place.
//!
//! Bodies follow the API's "Error Responses": `{"error": "..."}`, or a map of field name to
//! messages for validation errors.

use std::collections::BTreeMap;
use std::convert::Infallible;

use certwatch_actors::ActorError;
use certwatch_store::AccountError;
use certwatch_store::RegistryError;
use certwatch_store::StoreError;
use serde_json::{Value, json};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Rejection, Reply};

#[derive(Debug, Clone)]
pub enum ApiError {
    BadRequest(String),
    Fields(BTreeMap<String, Vec<String>>),
    Unauthorized(String),
    Forbidden(String),
    NotFound,
    TooManyRequests {
        retry_after_secs: u64,
    },
    Unavailable(String),
    /// Any other status with its message (body too large, length required).
    Status(StatusCode, String),
    /// The store is broken; the details go to the log, not to the client.
    Internal(String),
}

impl ApiError {
    pub fn field(name: &str, message: impl Into<String>) -> ApiError {
        let mut map = BTreeMap::new();
        map.insert(name.to_string(), vec![message.into()]);
        ApiError::Fields(map)
    }

    /// The error another node answered with (`status`, its JSON `body`), as the same error
    /// here: the inverse of [`ApiError::into_response`], so a page shows a refusal made on
    /// the tenant's node as it shows its own.
    pub fn from_answer(status: StatusCode, body: Value, retry_after: Option<u64>) -> ApiError {
        let message = body["error"].as_str().map(str::to_string);
        match (status, message) {
            (StatusCode::TOO_MANY_REQUESTS, _) => ApiError::TooManyRequests {
                retry_after_secs: retry_after.unwrap_or(1),
            },
            (StatusCode::NOT_FOUND, _) => ApiError::NotFound,
            (StatusCode::BAD_REQUEST, None) => serde_json::from_value(body).map_or_else(
                |_| ApiError::Status(status, "Bad request.".into()),
                ApiError::Fields,
            ),
            (StatusCode::BAD_REQUEST, Some(m)) => ApiError::BadRequest(m),
            (StatusCode::UNAUTHORIZED, Some(m)) => ApiError::Unauthorized(m),
            (StatusCode::FORBIDDEN, Some(m)) => ApiError::Forbidden(m),
            (StatusCode::SERVICE_UNAVAILABLE, Some(m)) => ApiError::Unavailable(m),
            (status, m) => ApiError::Status(
                status,
                m.unwrap_or_else(|| "The node serving this account failed.".into()),
            ),
        }
    }

    pub fn into_response(self) -> Response {
        let (status, body) = match self {
            ApiError::BadRequest(msg) => (StatusCode::BAD_REQUEST, json!({ "error": msg })),
            ApiError::Fields(map) => (StatusCode::BAD_REQUEST, json!(map)),
            ApiError::Unauthorized(msg) => (StatusCode::UNAUTHORIZED, json!({ "error": msg })),
            ApiError::Forbidden(msg) => (StatusCode::FORBIDDEN, json!({ "error": msg })),
            ApiError::NotFound => (StatusCode::NOT_FOUND, json!({ "error": "Not found." })),
            ApiError::TooManyRequests { retry_after_secs } => {
                let body = json!({
                    "error": format!("Request was throttled. Expected available in {retry_after_secs} seconds.")
                });
                let mut resp = warp::reply::with_status(
                    warp::reply::json(&body),
                    StatusCode::TOO_MANY_REQUESTS,
                )
                .into_response();
                resp.headers_mut()
                    .insert("retry-after", retry_after_secs.into());
                return resp;
            }
            ApiError::Status(status, msg) => (status, json!({ "error": msg })),
            ApiError::Unavailable(msg) => {
                (StatusCode::SERVICE_UNAVAILABLE, json!({ "error": msg }))
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": "Internal error; the service log has the details." }),
                )
            }
        };
        warp::reply::with_status(warp::reply::json(&body), status).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::EmailTaken => {
                ApiError::field("email", "A user with this email already exists.")
            }
            AccountError::InvalidToken => ApiError::BadRequest("Invalid or expired token.".into()),
            AccountError::AlreadyMember => {
                ApiError::field("email", "This user is already a member of the tenant.")
            }
            AccountError::LastAdmin => ApiError::BadRequest(
                "The last admin of a tenant cannot be removed or demoted.".into(),
            ),
            AccountError::NotFound => ApiError::NotFound,
            AccountError::Store(e) => e.into(),
        }
    }
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        match e {
            RegistryError::Field { field, message } => ApiError::field(field, message),
            RegistryError::Refused(message) => ApiError::BadRequest(message),
            RegistryError::NotFound => ApiError::NotFound,
            RegistryError::Store(e) => e.into(),
        }
    }
}

impl From<ActorError> for ApiError {
    fn from(e: ActorError) -> Self {
        match e {
            ActorError::Account(e) => e.into(),
            ActorError::Registry(e) => e.into(),
            ActorError::Unavailable(msg) => ApiError::Unavailable(msg),
        }
    }
}

/// Collects field errors; `finish` fails with all of them at once.
#[derive(Default)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    /// Records "This field is required." when `value` is missing or blank; returns the
    /// trimmed value otherwise.
    pub fn required(&mut self, field: &str, value: Option<String>) -> String {
        match value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
        {
            Some(v) => v,
            None => {
                self.add(field, "This field is required.");
                String::new()
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Fields(self.0))
        }
    }
}

/// A request refused before its handler (by the authentication filter), answered as the
/// error says.
#[derive(Debug)]
pub struct Refused(pub ApiError);

impl warp::reject::Reject for Refused {}

/// Turns warp's own rejections (no route, wrong method, body too large, bad query string)
/// into the same JSON error shape.
pub async fn recover(rejection: Rejection) -> Result<Response, Infallible> {
    use warp::reject::{
        InvalidHeader, InvalidQuery, LengthRequired, MethodNotAllowed, MissingHeader,
        PayloadTooLarge, UnsupportedMediaType,
    };
    if let Some(Refused(e)) = rejection.find::<Refused>() {
        return Ok(e.clone().into_response());
    }
    let (status, msg) = if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "No such route.".to_string())
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed.".to_string(),
        )
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request body is too large.".to_string(),
        )
    } else if rejection.find::<LengthRequired>().is_some() {
        (
            StatusCode::LENGTH_REQUIRED,
            "A Content-Length header is required.".to_string(),
        )
    } else if rejection.find::<UnsupportedMediaType>().is_some() {
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type.".to_string(),
        )
    } else if rejection.find::<InvalidQuery>().is_some() {
        (
            StatusCode::BAD_REQUEST,
            "The query string is malformed.".to_string(),
        )
    } else if let Some(missing) = rejection.find::<MissingHeader>() {
        (
            StatusCode::BAD_REQUEST,
            format!("The {} header is required.", missing.name()),
        )
    } else if let Some(invalid) = rejection.find::<InvalidHeader>() {
        (
            StatusCode::BAD_REQUEST,
            format!("The {} header is not valid.", invalid.name()),
        )
    } else {
        // Whatever else warp refused says what it is only in its debug text, which is
        // for the log: a client gets a sentence.
        tracing::debug!(?rejection, "request refused");
        (
            StatusCode::BAD_REQUEST,
            "The request could not be read.".to_string(),
        )
    };
    Ok(
        warp::reply::with_status(warp::reply::json(&json!({ "error": msg })), status)
            .into_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A refusal this module knows nothing of, with debug text a client must not see.
    #[derive(Debug)]
    struct InternalDetail {
        _path: std::path::PathBuf,
    }

    impl warp::reject::Reject for InternalDetail {}

    #[tokio::test]
    async fn an_unknown_refusal_is_a_sentence_not_debug_text() {
        let rejection = warp::reject::custom(InternalDetail {
            _path: "/srv/certwatch/secret".into(),
        });
        let response = recover(rejection).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await
            .unwrap()
            .to_bytes();
        let text = String::from_utf8_lossy(&body).to_string();
        assert_eq!(text, r#"{"error":"The request could not be read."}"#);
    }
}
