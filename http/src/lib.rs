//! The HTTP layer: warp filters that authenticate, validate and turn requests into actor
//! messages (writes) or store reads (queries). One module per resource under `routes/`.

mod auth;
mod blocking;
mod crud;
mod error;
mod extract;
mod input;
mod metrics;
mod openapi;
mod pages;
mod pagination;
mod passwords;
mod rate_limit;
mod respond;
mod routes;
mod state;
mod upload;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

pub use error::ApiError;
pub use state::{AppState, State};

/// Every route of the API, with warp's own rejections mapped to JSON errors; a 405 says in
/// `Allow` which methods the path takes (RFC 9110).
pub fn routes(state: State) -> BoxedFilter<(Response,)> {
    warp::path::full()
        .and(
            routes::all(&state)
                .or(metrics::route(&state))
                .unify()
                .or(openapi::route())
                .unify()
                .or(pages::routes(&state))
                .unify()
                .recover(error::recover)
                .unify(),
        )
        .map(|path: warp::path::FullPath, mut response: Response| {
            if response.status() == StatusCode::METHOD_NOT_ALLOWED
                && let Some(allow) = openapi::allowed_methods(path.as_str())
                && let Ok(value) = warp::http::HeaderValue::from_str(&allow)
            {
                response
                    .headers_mut()
                    .insert(warp::http::header::ALLOW, value);
            }
            response
        })
        .with(warp::log::custom(metrics::observe))
        .map(warp::Reply::into_response)
        .boxed()
}
