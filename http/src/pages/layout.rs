//! The page chrome: head, navigation, tenant switcher, sign-out, and the notice a write
//! leaves for the page it redirects to. Styles and script are files under `/static/`
//! (the Content-Security-Policy allows no inline script or style).

use maud::{DOCTYPE, Markup, html};
use warp::http::StatusCode;
use warp::reply::Response;

use super::form::csrf_field;
use super::session::{Session, Viewer};
use super::shell::{bare, head, html as page_html};
use crate::extract::Query;

/// The sections of the navigation; a page names its own so the link is marked current.
#[derive(Clone, Copy, PartialEq)]
pub enum Section {
    Dashboard,
    Suppliers,
    Certificates,
    Import,
    BulkUpload,
    Review,
    Requests,
    Admin,
}

const SECTIONS: &[(Section, &str, &str, bool)] = &[
    (Section::Dashboard, "/", "Dashboard", false),
    (Section::Suppliers, "/suppliers/", "Suppliers", false),
    (
        Section::Certificates,
        "/certificates/",
        "Certificates",
        false,
    ),
    (Section::Import, "/import/", "Import", false),
    (Section::BulkUpload, "/bulk-upload/", "Bulk upload", false),
    (Section::Review, "/review/", "Review", false),
    (Section::Requests, "/requests/", "Requests", false),
    (Section::Admin, "/admin/", "Admin", true),
];

/// What a redirect after a write may ask the next page to say. Codes, not text, so a
/// link cannot make the site say something it never said.
const NOTICES: &[(&str, &str)] = &[
    ("signed-out", "You are signed out."),
    (
        "password-changed",
        "Your password is changed. Sign in with the new one.",
    ),
    (
        "reset-sent",
        "If the address has an account, a link to choose a new password is on its way. It works once, within an hour.",
    ),
    (
        "registered",
        "Check your mail: the link in it confirms your address.",
    ),
    ("invited", "The invitation is sent."),
    ("revoked", "Revoked."),
    ("saved", "Saved."),
    ("deleted", "Deleted."),
    ("confirmed", "Filed. Here is the next document to review."),
    ("skipped", "Skipped. Here is the next document to review."),
    ("retried", "The delivery is queued again."),
    ("triggered", "A check is on its way."),
    (
        "verifying",
        "The register is asked; its answer appears here in a moment (reload the page).",
    ),
    ("recorded", "The register's answer is recorded."),
    (
        "polling",
        "The mailbox is read now; the mails appear here in a moment (reload the page).",
    ),
    ("asked", "The request is mailed to the supplier's contacts."),
    ("resent", "The request is mailed again."),
    (
        "cancelled",
        "The request is cancelled; its link no longer works.",
    ),
];

pub fn notice(q: &Query) -> Option<&'static str> {
    let code = q.get("notice")?;
    NOTICES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, text)| *text)
}

/// A page for a signed-in person.
pub fn page(
    session: &Session,
    viewer: &Viewer,
    section: Section,
    title: &str,
    notice: Option<&str>,
    body: Markup,
) -> Response {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href="/" { "CertWatch" }
                    nav aria-label="Main" {
                        ul {
                            @for (s, href, label, admin_only) in SECTIONS {
                                @if !admin_only || viewer.is_admin() {
                                    li {
                                        @if *s == section {
                                            a href=(href) aria-current="page" { (label) }
                                        } @else {
                                            a href=(href) { (label) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    div.account {
                        @if viewer.tenants.len() > 1 {
                            form.switch method="post" action="/switch-tenant/" {
                                (csrf_field(session))
                                label for="tenant-switch" { "Organization" }
                                select id="tenant-switch" name="tenant_id" {
                                    @for (id, name) in &viewer.tenants {
                                        option value=(id) selected[*id == viewer.caller.tenant_id] { (name) }
                                    }
                                }
                                button type="submit" { "Switch" }
                            }
                        } @else {
                            span.tenant { (viewer.tenant_name) }
                        }
                        span.email { (viewer.email) }
                        form method="post" action="/signout/" {
                            (csrf_field(session))
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" {
                    h1 { (title) }
                    @if let Some(text) = notice {
                        p.notice role="status" { (text) }
                    }
                    (body)
                }
            }
        }
    };
    let mut response = page_html(StatusCode::OK, markup);
    session.set_cookies(&mut response);
    response
}

/// A page for someone not signed in (sign in, register, invitations, password resets).
/// A page open to everyone, as asked for.
pub fn public_page(session: &Session, title: &str, body: Markup) -> Response {
    public(session, StatusCode::OK, title, None, body)
}

/// A form open to everyone, sent back with what was wrong in it.
pub fn public_again(session: &Session, title: &str, body: Markup) -> Response {
    public(session, StatusCode::BAD_REQUEST, title, None, body)
}

pub fn public(
    session: &Session,
    status: StatusCode,
    title: &str,
    notice: Option<&str>,
    body: Markup,
) -> Response {
    let body = html! {
        @if let Some(text) = notice {
            p.notice role="status" { (text) }
        }
        (body)
    };
    let mut response = page_html(status, bare(title, body));
    session.set_cookies(&mut response);
    response
}
