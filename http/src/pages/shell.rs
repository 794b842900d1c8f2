//! The HTML document around every page: head (stylesheet, script), and the bare page
//! that error pages and the signed-out pages use.

use maud::{DOCTYPE, Markup, html};
use warp::Reply;
use warp::http::StatusCode;
use warp::reply::Response;

pub fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · CertWatch" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/app.js" defer {}
        }
    }
}

pub fn html(status: StatusCode, markup: Markup) -> Response {
    let mut response = warp::reply::html(markup.into_string()).into_response();
    *response.status_mut() = status;
    response
}

/// A minimal page: error pages and the pages of signing in.
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.narrow {
                header.top { a.brand href="/" { "CertWatch" } }
                main id="main" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}
