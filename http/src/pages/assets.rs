//! The stylesheet and the script, embedded in the binary.

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::reply::{Reply, Response};

const APP_CSS: &str = include_str!("../../assets/app.css");
const APP_JS: &str = include_str!("../../assets/app.js");

pub fn routes() -> BoxedFilter<(Response,)> {
    // The path first: a method filter in front would turn every other POST's 404 into 405.
    let css = warp::path!("static" / "app.css")
        .and(warp::get())
        .map(|| asset(APP_CSS, "text/css; charset=utf-8"));
    let js = warp::path!("static" / "app.js")
        .and(warp::get())
        .map(|| asset(APP_JS, "text/javascript; charset=utf-8"));
    css.or(js).unify().boxed()
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(content_type));
    // A restart with a new binary may change them; an hour is enough caching.
    headers.insert(
        "cache-control",
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
