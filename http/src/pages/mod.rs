//! The web app: pages for the people who keep certificates current, served by the same
//! binary under `/` (the API stays under `/api/`). Server-rendered HTML (maud), a small
//! script for what HTML alone cannot do (upload progress, live batch progress, review
//! shortcuts), both embedded in the binary.
//!
//! A page handler reads the session (`session`), calls the typed operations of `routes/`
//! with the session's caller and renders the views they return (`call` has the few helpers
//! for that); writes go through the same operations, so pages have no rules, checks or
//! write path of their own.

/// A page's route: its method and path (as `warp::path!` takes them), its handler, and the
/// filters that give the handler its arguments after the state and the session.
macro_rules! page {
    (@method GET) => {
        warp::get()
    };
    (@method POST) => {
        warp::post()
    };
    ($state:expr, $method:ident $($path:tt)/+ => $handler:expr $(, $filter:expr)* $(,)?) => {{
        use warp::Filter as _;
        warp::path!($($path)/+)
            .and(page!(@method $method))
            .and(crate::state::with_state($state))
            .and(crate::pages::session::session($state))
            $(.and($filter))*
            .then($handler)
            .map(crate::pages::reply::done)
            .boxed()
    }};
}

mod account;
mod admin;
mod assets;
mod bulk;
mod call;
mod certificates;
mod dashboard;
mod export;
mod form;
mod imports;
mod keys;
mod layout;
mod lists;
mod mailboxes;
mod monitored;
mod passwords;
mod registers;
mod reply;
mod requests;
mod requirements;
pub(crate) mod session;
mod shell;
mod supplier_link;
mod supplier_owes;
mod suppliers;
mod webhooks;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::reply::Response;

use crate::state::State;

/// No inline script or style, nothing from another origin; documents under review are
/// framed from this origin only.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'self'; frame-src 'self'; frame-ancestors 'self'; \
    form-action 'self'; base-uri 'none'";

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    assets::routes()
        .or(account::routes(state))
        .unify()
        .or(passwords::routes(state))
        .unify()
        .or(dashboard::routes(state))
        .unify()
        .or(suppliers::routes(state))
        .unify()
        .or(certificates::routes(state))
        .unify()
        .or(imports::routes(state))
        .unify()
        .or(bulk::routes(state))
        .unify()
        .or(admin::routes(state))
        .unify()
        .or(keys::routes(state))
        .unify()
        .or(registers::routes(state))
        .unify()
        .or(mailboxes::routes(state))
        .unify()
        .or(monitored::routes(state))
        .unify()
        .or(webhooks::routes(state))
        .unify()
        .or(supplier_link::routes(state))
        .unify()
        .or(requests::routes(state))
        .unify()
        .or(supplier_owes::routes(state))
        .unify()
        .or(requirements::routes(state))
        .unify()
        .map(secure)
        .boxed()
}

/// The headers every page carries.
fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = |headers: &mut warp::http::HeaderMap, name: &'static str, value: &'static str| {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "SAMEORIGIN");
    set(headers, "cache-control", "no-store");
    response
}
