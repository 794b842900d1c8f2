//! One module per API resource; each exposes `routes(&State)`.

pub mod accounts;
pub mod certificate_types;
pub mod certificates;
pub mod health;
pub mod invitations;
pub mod members;
pub mod organizations;
pub mod tenant;
pub mod tokens;
pub mod webhooks;

use serde::Serialize;
use utoipa::ToSchema;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::State;

pub fn all(state: &State) -> BoxedFilter<(Response,)> {
    health::routes(state)
        .or(accounts::routes(state))
        .unify()
        .or(invitations::routes(state))
        .unify()
        .or(members::routes(state))
        .unify()
        .or(tokens::routes(state))
        .unify()
        .or(tenant::routes(state))
        .unify()
        .or(organizations::routes(state))
        .unify()
        .or(certificate_types::routes(state))
        .unify()
        .or(certificates::routes(state))
        .unify()
        .or(webhooks::routes(state))
        .unify()
        .boxed()
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
