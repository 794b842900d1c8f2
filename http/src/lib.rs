//! The HTTP layer: warp filters that authenticate, validate and turn requests into actor
//! messages (writes) or store reads (queries). One module per resource under `routes/`.

mod auth;
mod error;
mod extract;
mod input;
mod openapi;
mod pagination;
mod rate_limit;
mod routes;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;

use certwatch_actors::Actors;
use certwatch_config::Config;
use certwatch_store::Store;
use serde::Serialize;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

pub use error::ApiError;
use rate_limit::{IpLimiter, TenantLimiter};

/// What every handler can reach.
pub struct AppState {
    pub actors: Actors,
    pub config: Arc<Config>,
    auth_limiter: IpLimiter,
    search_limiter: IpLimiter,
    api_limiter: TenantLimiter,
    /// Certificates sharing an identity when the service started (written before the
    /// identity rule; `certwatch doctor` merges them with the service stopped).
    pub duplicates_at_start: usize,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn new(actors: Actors, config: Arc<Config>, duplicates_at_start: usize) -> State {
        Arc::new(AppState {
            duplicates_at_start,
            auth_limiter: IpLimiter::per_minute(config.auth_rate_per_minute),
            search_limiter: IpLimiter::per_minute(config.public_search_rate_per_minute),
            api_limiter: TenantLimiter::per_minute(config.api_rate_per_minute),
            actors,
            config,
        })
    }

    pub fn store(&self) -> &Store {
        self.actors.store()
    }

    /// The caller behind an `Authorization: Token` header.
    fn caller(&self, authorization: Option<String>) -> Result<auth::Caller, ApiError> {
        auth::authenticate(self.store(), authorization.as_deref())
    }

    /// The caller, who must be an admin of their tenant.
    fn admin(&self, authorization: Option<String>) -> Result<auth::Caller, ApiError> {
        let caller = self.caller(authorization)?;
        caller.require_admin()?;
        Ok(caller)
    }

    pub fn public_url(&self) -> String {
        self.config.public_url()
    }

    /// Counts a request to a throttled auth endpoint against the caller's IP.
    fn throttle(
        &self,
        endpoint: &'static str,
        peer: Option<SocketAddr>,
        forwarded_for: Option<&str>,
    ) -> Result<(), ApiError> {
        let ip = extract::client_ip(&self.config, peer, forwarded_for);
        self.auth_limiter.check(endpoint, ip)
    }

    /// Counts a public certificate search against the caller's IP.
    fn throttle_search(
        &self,
        peer: Option<SocketAddr>,
        forwarded_for: Option<&str>,
    ) -> Result<(), ApiError> {
        let ip = extract::client_ip(&self.config, peer, forwarded_for);
        self.search_limiter.check("certificate-search", ip)
    }
}

/// Every route of the API, with warp's own rejections mapped to JSON errors; a 405 says in
/// `Allow` which methods the path takes (RFC 9110).
pub fn routes(state: State) -> BoxedFilter<(Response,)> {
    warp::path::full()
        .and(
            routes::all(&state)
                .or(openapi::route())
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
        .boxed()
}

fn with_state(
    state: &State,
) -> impl Filter<Extract = (State,), Error = std::convert::Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
}

/// Turns a handler's result into the response.
fn done(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(ApiError::into_response)
}

fn json_reply<T: Serialize>(status: StatusCode, body: &T) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Runs CPU-heavy work (argon2) on the blocking pool, off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))
}
