//! Monitoring: the endpoints whose pages are watched (`endpoints`), their scrape logs
//! (`logs`), discovery (`discovery`), and the health of the scheduler (`health`).

pub mod discovery;
pub mod endpoints;
pub mod health;
pub mod logs;

use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::caller;
use crate::extract::query;
use crate::respond::done;
use crate::state::{State, with_state};
use discovery::{discover_all, discover_one};
use endpoints::{
    create_endpoint, delete_endpoint, get_endpoint, list_endpoints, patch_endpoint, put_endpoint,
    trigger_scrape,
};
use health::health;
use logs::{get_log, list_logs};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let auth = || with_state(state).and(caller(state));
    let trigger = warp::path!("api" / "monitoring" / "endpoints" / Uuid / "trigger_scrape")
        .and(warp::post())
        .and(auth())
        .then(trigger_scrape)
        .map(done);
    let logs = warp::path!("api" / "monitoring" / "logs")
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(list_logs)
        .map(done);
    let log = warp::path!("api" / "monitoring" / "logs" / Uuid)
        .and(warp::get())
        .and(auth())
        .then(get_log)
        .map(done);
    let discover_all = warp::path!("api" / "monitoring" / "discover")
        .and(warp::post())
        .and(auth())
        .then(discover_all)
        .map(done);
    let discover_one = warp::path!("api" / "monitoring" / "discover" / Uuid)
        .and(warp::post())
        .and(auth())
        .then(discover_one)
        .map(done);
    let health = warp::path!("api" / "monitoring" / "health")
        .and(warp::get())
        .and(auth())
        .then(health)
        .map(done);
    trigger
        .or(logs)
        .unify()
        .or(log)
        .unify()
        .or(discover_all)
        .unify()
        .or(discover_one)
        .unify()
        .or(health)
        .unify()
        .or(crud_routes!(
            warp::path!("api" / "monitoring" / "endpoints" / ..),
            state,
            list_endpoints,
            create_endpoint,
            get_endpoint,
            put_endpoint,
            patch_endpoint,
            delete_endpoint
        ))
        .unify()
        .boxed()
}
