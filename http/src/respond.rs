//! Answers: a handler's result as the response, JSON bodies, and 204s.

use serde::Serialize;
use utoipa::ToSchema;
use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::error::ApiError;

/// Turns a handler's result into the response.
pub(crate) fn done(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

pub(crate) fn json_reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// `{"detail": "..."}`, the answer of actions that create nothing to show.
#[derive(Serialize, ToSchema)]
pub struct Detail {
    pub detail: String,
}

impl Detail {
    pub fn new(detail: &str) -> Detail {
        Detail {
            detail: detail.to_string(),
        }
    }
}
