//! What every handler can reach: the actors (and through them the store), the settings,
//! and the rate limiters; and who is calling.

use std::sync::Arc;

use certwatch_actors::Actors;
use certwatch_config::Config;
use certwatch_store::Store;
use warp::Filter;

use crate::error::ApiError;
use crate::extract::Client;
use crate::rate_limit::{IpLimiter, Limiter, TenantLimiter};
use certwatch_store::engine::secrets::KeyHash;

/// Requests one supplier link may take per minute: a person uploading a few files, with
/// room for reloads.
const LINK_REQUESTS_PER_MINUTE: u32 = 30;

/// What every handler can reach.
pub struct AppState {
    pub actors: Actors,
    pub config: Arc<Config>,
    auth_limiter: IpLimiter,
    search_limiter: IpLimiter,
    /// Requests per supplier link (by its token's hash).
    link_limiter: Limiter<KeyHash>,
    pub(crate) api_limiter: TenantLimiter,
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
            link_limiter: Limiter::per_minute(LINK_REQUESTS_PER_MINUTE),
            api_limiter: TenantLimiter::per_minute(config.api_rate_per_minute),
            actors,
            config,
        })
    }

    pub fn store(&self) -> &Store {
        self.actors.store()
    }

    pub fn public_url(&self) -> String {
        self.config.public_url()
    }

    /// Counts a request to a throttled auth endpoint against the caller's IP.
    pub(crate) fn throttle(&self, endpoint: &'static str, client: &Client) -> Result<(), ApiError> {
        self.auth_limiter.check(endpoint, client.ip(&self.config))
    }

    /// Counts a request of a supplier link against its token and the caller's IP.
    pub(crate) fn throttle_link(&self, token: &KeyHash, client: &Client) -> Result<(), ApiError> {
        self.auth_limiter
            .check("supplier-link", client.ip(&self.config))?;
        self.link_limiter.check_key(token)
    }

    /// Counts a public certificate search against the caller's IP.
    pub(crate) fn throttle_search(&self, client: &Client) -> Result<(), ApiError> {
        self.search_limiter
            .check("certificate-search", client.ip(&self.config))
    }
}

pub(crate) fn with_state(
    state: &State,
) -> impl Filter<Extract = (State,), Error = std::convert::Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
}
