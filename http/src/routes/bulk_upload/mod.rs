//! Bulk upload: certificate documents in, certificates out, a person only where needed.

mod batches;
mod quality;
mod review;
pub(crate) mod views;

pub use batches::*;
pub use quality::*;
pub use review::*;

use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::caller;
use crate::extract::{body, query};
use crate::respond::done;
use crate::state::{State, with_state};
use crate::upload;

/// Largest upload request (all its files together).
pub(crate) const MAX_REQUEST_BYTES: u64 = 512 << 20;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let auth = || with_state(state).and(caller(state));
    let form = upload::form(
        MAX_REQUEST_BYTES,
        "Send the documents as multipart/form-data in fields named 'files'.",
    );
    let create = warp::path!("api" / "bulk-upload")
        .and(warp::post())
        .and(auth())
        .and(form)
        .then(batches::create_batch)
        .map(done);
    let list = warp::path!("api" / "bulk-upload")
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(batches::list_batches)
        .map(done);
    let metrics = warp::path!("api" / "bulk-upload" / "quality-metrics")
        .and(warp::get())
        .and(auth())
        .then(quality::quality_metrics)
        .map(done);
    let file = warp::path!("api" / "bulk-upload" / "files" / Uuid)
        .and(warp::get())
        .and(auth())
        .then(review::serve_file)
        .map(done);
    let confirm = warp::path!("api" / "bulk-upload" / "items" / Uuid / "confirm")
        .and(warp::post())
        .and(auth())
        .and(body())
        .then(review::confirm_item)
        .map(done);
    let skip = warp::path!("api" / "bulk-upload" / "items" / Uuid / "skip")
        .and(warp::post())
        .and(auth())
        .then(review::skip_item)
        .map(done);
    let items = warp::path!("api" / "bulk-upload" / Uuid / "items")
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(batches::list_items)
        .map(done);
    let detail = warp::path!("api" / "bulk-upload" / Uuid)
        .and(warp::get())
        .and(auth())
        .then(batches::get_batch)
        .map(done);
    create
        .or(list)
        .unify()
        .or(metrics)
        .unify()
        .or(file)
        .unify()
        .or(confirm)
        .unify()
        .or(skip)
        .unify()
        .or(items)
        .unify()
        .or(detail)
        .unify()
        .boxed()
}
