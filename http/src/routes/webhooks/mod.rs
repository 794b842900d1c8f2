//! Webhooks: subscribers (receivers), subscriptions (which events go where), and the
//! delivery audit log, each in its own module. Admin only: subscribers carry the secrets
//! receivers trust.

pub mod deliveries;
pub mod subscribers;
pub mod subscriptions;

use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::signed_in;
use crate::crud::collection;
use crate::extract::query;
use crate::route::{any_of, route};
use crate::state::State;
use deliveries::*;
use subscribers::*;
use subscriptions::*;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_subscribers, signed_in(state), query()),
        collection!(state, Subscribers),
        route!(rotate_key(id), signed_in(state)),
        route!(rotate_secret(id), signed_in(state)),
        route!(list_subscriptions, signed_in(state), query()),
        collection!(state, Subscriptions),
        route!(list_deliveries, signed_in(state), query()),
        route!(get_delivery(id), signed_in(state)),
        route!(retry_delivery(id), signed_in(state)),
    ])
}
