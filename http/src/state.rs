//! What every handler can reach: the actors (and through them the store), the settings,
//! and the rate limiters; and who is calling.

use std::sync::Arc;

use certwatch_actors::Actors;
use certwatch_config::Config;
use certwatch_store::Store;
use warp::Filter;

use crate::error::ApiError;
use crate::extract::Client;
use crate::rate_limit::{self, Limiter};
use certwatch_store::engine::secrets::{KeyHash, hex};

/// Requests one supplier link may take per minute: a person uploading a few files, with
/// room for reloads.
const LINK_REQUESTS_PER_MINUTE: u32 = 30;

/// What every handler can reach.
pub struct AppState {
    pub actors: Actors,
    pub config: Arc<Config>,
    /// Per endpoint and client address.
    auth_limiter: Limiter,
    /// Per client address.
    search_limiter: Limiter,
    /// Requests per supplier link (by its token's hash).
    link_limiter: Limiter,
    /// The integration API's, per tenant.
    pub(crate) api_limiter: Limiter,
    /// Certificates sharing an identity when the service started (written before the
    /// identity rule; `certwatch doctor` merges them with the service stopped).
    pub duplicates_at_start: usize,
}

pub type State = Arc<AppState>;

impl AppState {
    pub fn new(actors: Actors, config: Arc<Config>, duplicates_at_start: usize) -> State {
        let store = actors.store();
        rate_limit::forget_full_budgets(store);
        Arc::new(AppState {
            duplicates_at_start,
            auth_limiter: Limiter::per_minute("auth", config.auth_rate_per_minute, store),
            search_limiter: Limiter::per_minute(
                "search",
                config.public_search_rate_per_minute,
                store,
            ),
            link_limiter: Limiter::per_minute("link", LINK_REQUESTS_PER_MINUTE, store),
            api_limiter: Limiter::per_minute("api", config.api_rate_per_minute, store),
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
        self.auth_limiter
            .take_for(endpoint, client.ip(&self.config))
    }

    /// Counts a request of a supplier link against its token and the caller's IP.
    pub(crate) fn throttle_link(&self, token: &KeyHash, client: &Client) -> Result<(), ApiError> {
        self.auth_limiter
            .take_for("supplier-link", client.ip(&self.config))?;
        self.link_limiter.take(&hex(token))
    }

    /// Counts a public certificate search against the caller's IP.
    pub(crate) fn throttle_search(&self, client: &Client) -> Result<(), ApiError> {
        self.search_limiter
            .take_for("certificate-search", client.ip(&self.config))
    }
}

pub(crate) fn with_state(
    state: &State,
) -> impl Filter<Extract = (State,), Error = std::convert::Infallible> + Clone + use<> {
    let state = state.clone();
    warp::any().map(move || state.clone())
}
