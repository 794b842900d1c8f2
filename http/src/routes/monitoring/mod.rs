//! Monitoring: the endpoints whose pages are watched (`endpoints`), their scrape logs
//! (`logs`), discovery (`discovery`), and the health of the scheduler (`health`).

pub mod discovery;
pub mod endpoints;
pub mod health;
pub mod logs;

use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::signed_in;
use crate::crud::collection;
use crate::extract::query;
use crate::route::{any_of, route};
use crate::state::State;
use discovery::*;
use endpoints::*;
use health::*;
use logs::*;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_endpoints, signed_in(state), query()),
        collection!(state, Endpoints),
        route!(trigger_scrape(id), signed_in(state)),
        route!(list_logs, signed_in(state), query()),
        route!(get_log(id), signed_in(state)),
        route!(discover_all, signed_in(state)),
        route!(discover_one(organization), signed_in(state)),
        route!(health, signed_in(state)),
    ])
}
