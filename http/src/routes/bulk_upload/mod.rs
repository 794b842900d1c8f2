//! Bulk upload: certificate documents in, certificates out, a person only where needed.

mod batches;
mod quality;
pub mod queue;
mod review;
pub(crate) mod views;

pub use batches::*;
pub use quality::*;
pub use review::*;

use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::signed_in;
use crate::extract::query;
use crate::input::write;
use crate::route::{any_of, route};
use crate::state::State;
use crate::upload;

/// Largest upload request (all its files together).
pub(crate) const MAX_REQUEST_BYTES: u64 = 512 << 20;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let form = upload::form(
        MAX_REQUEST_BYTES,
        "Send the documents as multipart/form-data in fields named 'files'.",
    );
    any_of(vec![
        route!(create_batch, signed_in(state), form),
        route!(list_batches, signed_in(state), query()),
        route!(quality_metrics, signed_in(state)),
        route!(raw serve_file(id), signed_in(state)),
        route!(confirm_item(id), signed_in(state), write(false)),
        route!(skip_item(id), signed_in(state)),
        route!(list_items(id), signed_in(state), query()),
        route!(get_batch(id), signed_in(state)),
    ])
}
