//! The HTTP layer: warp filters that authenticate, validate and turn requests into actor
//! messages (writes) or store reads (queries). One module per resource under `routes/`.

mod auth;
mod blocking;
mod crud;
mod error;
mod extract;
mod forward;
mod input;
mod metrics;
mod openapi;
mod pages;
mod pagination;
mod passwords;
mod rate_limit;
mod request_id;
mod respond;
mod route;
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
/// `Allow` which methods the path takes (RFC 9110). On a node of several, a request for a
/// tenant another node runs is sent on to it (`forward`).
pub fn routes(state: State) -> BoxedFilter<(Response,)> {
    served(
        forward::filter(&state)
            .or(everything(&state))
            .unify()
            .boxed(),
        &state,
    )
}

/// What a node's internal listener serves: the same routes, to the other nodes only (a
/// request they sent on; `forward`), never sent on again.
pub fn internal_routes(state: State) -> BoxedFilter<(Response,)> {
    served(
        forward::from_nodes(&state).and(everything(&state)).boxed(),
        &state,
    )
}

/// The API, the metrics, the OpenAPI document and the pages.
fn everything(state: &State) -> BoxedFilter<(Response,)> {
    routes::all(state)
        .or(metrics::route(state))
        .unify()
        .or(openapi::route())
        .unify()
        .or(pages::routes(state))
        .unify()
        .boxed()
}

/// `routes` with warp's rejections answered as JSON errors, the request id, the secure
/// headers and the answer logged.
fn served(api: BoxedFilter<(Response,)>, state: &State) -> BoxedFilter<(Response,)> {
    metrics::register();
    let hsts = state.config.public_url().starts_with("https://");
    request_id::filter()
        .and(warp::path::full())
        .and(api.recover(error::recover).unify())
        .map(
            move |id: String, path: warp::path::FullPath, mut response: Response| {
                if response.status() == StatusCode::METHOD_NOT_ALLOWED
                    && let Some(allow) = openapi::allowed_methods(path.as_str())
                    && let Ok(value) = warp::http::HeaderValue::from_str(&allow)
                {
                    response
                        .headers_mut()
                        .insert(warp::http::header::ALLOW, value);
                }
                if let Ok(value) = warp::http::HeaderValue::from_str(&id) {
                    response.headers_mut().insert(request_id::HEADER, value);
                }
                secure_headers(&mut response, hsts);
                response
            },
        )
        .with(warp::log::custom(answered))
        .with(warp::trace(request_id::span))
        .map(warp::Reply::into_response)
        .boxed()
}

/// Headers every answer carries: no type sniffing (an upload or a JSON body is never run as
/// a page), and, behind https, Strict-Transport-Security so a browser never goes back to
/// plain http.
fn secure_headers(response: &mut Response, hsts: bool) {
    use warp::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    if hsts {
        headers.insert(
            warp::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// Every answer: counted for `/metrics` and logged (in the request's span, with its id).
fn answered(info: warp::log::Info) {
    metrics::observe(&info);
    tracing::info!(
        method = %info.method(),
        path = info.path(),
        status = info.status().as_u16(),
        ms = info.elapsed().as_millis() as u64,
        "answered"
    );
}
