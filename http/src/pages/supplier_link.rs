//! The supplier's page of a certificate request: no account, no script, fit for a phone —
//! what is asked for, and a form to upload it. Any link that does not work (wrong, lapsed,
//! closed) gets the same page, 404.

use maud::{Markup, html};
use warp::filters::BoxedFilter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;
use warp::reply::Response;

use super::layout;
use super::reply::PageResult;
use super::session::Session;
use crate::error::ApiError;
use crate::extract::{Client, client_addr};
use crate::route::any_of;
use crate::routes::bulk_upload::MAX_REQUEST_BYTES;
use crate::routes::supplier_link::{self, LinkView};
use crate::state::State;
use crate::upload;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let documents = upload::form(MAX_REQUEST_BYTES, "Choose the certificate to upload.");
    any_of(vec![
        page!(state, GET "supplier" / String => show, client_addr()),
        page!(state, POST "supplier" / String / "documents" => send, client_addr(), documents),
    ])
}

const TITLE: &str = "Certificate request";

/// The page of every link that does not work.
fn closed(session: &Session) -> Response {
    let body = html! {
        p { "This link is closed. The request it belonged to was fulfilled, cancelled or has expired, or the link is not complete." }
        p { "If you still need to send a certificate, ask your contact for a new link." }
    };
    layout::public(session, StatusCode::NOT_FOUND, "Link closed", None, body)
}

/// A page of the link, or the closed page for a link that does not work.
fn or_closed(session: &Session, result: Result<Response, ApiError>) -> PageResult {
    match result {
        Ok(page) => Ok(page),
        Err(ApiError::NotFound) => Ok(closed(session)),
        Err(e) => Err(e.into()),
    }
}

fn asked(link: &LinkView) -> Markup {
    html! {
        p { strong { (link.buyer) } " asks " strong { (link.supplier) } " for a current certificate:" }
        p.lead { (link.certificate_type) }
        @match &link.current {
            Some((number, Some(expiry))) => p { "The certificate on file, " (number) ", expires on " (expiry) "." },
            Some((number, None)) => p { "The certificate on file is " (number) "." },
            None => p { "There is no certificate of this type on file." },
        }
        @if !link.message.is_empty() {
            blockquote { (link.message) }
        }
    }
}

fn upload_form(token: &str) -> Markup {
    html! {
        form method="post" action={ "/supplier/" (token) "/documents/" } enctype="multipart/form-data" {
            div.field {
                label for="files" { "Certificate (PDF or a photo or scan)" }
                input id="files" name="files" type="file" multiple required accept=".pdf,.png,.jpg,.jpeg,.tif,.tiff,.webp,application/pdf,image/*";
            }
            button type="submit" { "Send" }
        }
    }
}

async fn show(token: String, state: State, session: Session, client: Client) -> PageResult {
    let page = supplier_link::view_link(&state, &token, &client).map(|link| {
        let body = html! {
            (asked(&link))
            (upload_form(&token))
            p.hint { "PDF, PNG, JPEG or TIFF, up to 20 MB each. This link works until "
                (link.link_expires_at.format("%Y-%m-%d")) "." }
        };
        layout::public_page(&session, TITLE, body)
    });
    or_closed(&session, page)
}

async fn send(
    token: String,
    state: State,
    session: Session,
    client: Client,
    form: Result<FormData, ApiError>,
) -> PageResult {
    let received = match supplier_link::upload(&state, &token, &client, form).await {
        Ok(received) => received,
        Err(ApiError::Fields(errors)) => {
            let link = supplier_link::view_link(&state, &token, &client);
            return or_closed(
                &session,
                link.map(|link| {
                    let body = html! {
                        div.errors role="alert" {
                            @for message in errors.values().flatten() { p { (message) } }
                        }
                        (asked(&link))
                        (upload_form(&token))
                    };
                    layout::public_again(&session, TITLE, body)
                }),
            );
        }
        Err(e) => return or_closed(&session, Err(e)),
    };
    let body = html! {
        p.notice role="status" { "Thank you: " (received.files) " file(s) received. They are checked and filed; you need not do anything more." }
        @if !received.refused.is_empty() {
            div.errors role="alert" {
                p { "Some files were not taken:" }
                @for why in &received.refused { p { (why) } }
            }
        }
    };
    Ok(layout::public_page(&session, "Received", body))
}
