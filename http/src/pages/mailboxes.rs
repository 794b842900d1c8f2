//! Mailboxes, for admins: each mail account with its last poll, its last error, the mails
//! it read and what became of each; adding one, changing it (the password kept unless a
//! new one is typed), testing the connection, polling now, removing it. The batches of
//! the mails' files are on the bulk-upload pages, which name the mail.

use maud::{Markup, html};
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::admin::{act, button};
use super::call;
use super::form::{Errors, Form, csrf_field, error_summary, field_errors, form, input, select};
use super::layout::{self, Section, notice};
use super::reply::PageResult;
use super::session::Session;
use crate::crud;
use crate::extract::{Query, query};
use crate::route::any_of;
use crate::routes::mail_accounts::{
    self, MailAccountView, MailAccountWrite, MailAccounts, MailView,
};
use crate::state::State;

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        page!(state, GET "admin" / "mail" => overview, query()),
        page!(state, POST "admin" / "mail" => create, form()),
        page!(state, GET "admin" / "mail" / Uuid => account, query()),
        page!(state, POST "admin" / "mail" / Uuid => save, form()),
        page!(state, POST "admin" / "mail" / Uuid / "test" => test, form()),
        page!(state, POST "admin" / "mail" / Uuid / "poll" => poll, form()),
        page!(state, POST "admin" / "mail" / Uuid / "delete" => delete, form()),
    ])
}

const BACK: &str = "/admin/mail/";

/// The fields of the account form, as the API names them.
const FIELDS: [&str; 11] = [
    "name",
    "host",
    "port",
    "security",
    "username",
    "password",
    "folder",
    "after_reading",
    "move_to",
    "poll_minutes",
    "enabled",
];

fn options(values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| (v.to_string(), v.replace('_', " ")))
        .collect()
}

/// The form of an account: empty for a new one, or the account's values (never its
/// password: a blank one keeps it).
fn account_form(
    session: &Session,
    action: &str,
    account: Option<&MailAccountView>,
    form: &Form,
    errors: &Errors,
) -> Markup {
    let value = |name: &str, stored: Option<String>| form.text(name).or(stored).unwrap_or_default();
    let a = account;
    html! {
        form method="post" action=(action) {
            (csrf_field(session))
            (error_summary(errors, &FIELDS))
            (input("Name", "name", "text", &value("name", a.map(|a| a.name.clone())), errors))
            (input("IMAP server", "host", "text", &value("host", a.map(|a| a.host.clone())), errors))
            (select("Security", "security", &options(&["tls", "starttls", "none"]),
                &value("security", a.map(|a| a.security.clone())), errors))
            (input("Port (993 for tls, 143 otherwise, when blank)", "port", "number",
                &value("port", a.map(|a| a.port.to_string())), errors))
            (input("User name", "username", "text", &value("username", a.map(|a| a.username.clone())), errors))
            (input(if a.is_some() { "Password (blank keeps the saved one)" } else { "Password" },
                "password", "password", "", errors))
            (input("Folder", "folder", "text", &value("folder", a.map(|a| a.folder.clone())), errors))
            (select("After reading a mail", "after_reading", &options(&["mark_seen", "move", "delete"]),
                &value("after_reading", a.map(|a| a.after_reading.clone())), errors))
            (input("Move to folder", "move_to", "text", &value("move_to", a.and_then(|a| a.move_to.clone())), errors))
            (input("Minutes between polls", "poll_minutes", "number",
                &value("poll_minutes", a.map(|a| a.poll_minutes.to_string())), errors))
            (select("Read this mailbox", "enabled", &options(&["true", "false"]),
                &value("enabled", a.map(|a| a.enabled.to_string())), errors))
            button type="submit" { @if a.is_some() { "Save" } @else { "Add the mailbox" } }
        }
    }
}

/// The form as the API's write: numbers and the switch as JSON values, the password only
/// when typed, a blank folder to move to cleared.
fn write(form: &Form) -> crate::extract::Parsed<MailAccountWrite> {
    use crate::input::Write;
    use serde_json::{Map, Value};
    let mut fields = Map::new();
    for name in FIELDS {
        let Some(text) = form.text(name) else {
            if name == "move_to" {
                fields.insert(name.into(), Value::Null);
            }
            continue;
        };
        let value = match name {
            "port" | "poll_minutes" => text.parse::<i64>().map_or(Value::String(text), Value::from),
            "enabled" => Value::Bool(text == "true"),
            // A password is kept as typed.
            "password" => Value::String(form.get(name).to_string()),
            _ => Value::String(text),
        };
        fields.insert(name.into(), value);
    }
    MailAccountWrite::from_fields(fields, false)
}

fn state_of(a: &MailAccountView) -> Markup {
    html! {
        dl.facts {
            dt { "Server" } dd { (a.username) " at " (a.host) ":" (a.port) " (" (a.security) "), folder " (a.folder) }
            dt { "Mails read" } dd { (a.messages_read) }
            dt { "Last poll" } dd { (call::moment(a.last_poll_at)) }
            dt { "Next poll" } dd { @if a.enabled { (call::moment(a.next_poll_at)) } @else { "off" } }
        }
        @if let Some(e) = &a.last_error {
            p.notice.bad role="status" {
                "The last poll failed"
                @if a.failures > 1 { " (" (a.failures) " in a row; each waits longer)" }
                ": " (e)
            }
        }
    }
}

async fn page(
    state: &State,
    session: &Session,
    q: &Query,
    form: &Form,
    errors: &Errors,
) -> PageResult {
    let viewer = session.viewer(state, BACK)?;
    let all = call::query(&Query::default(), &[("page_size", "500".into())]);
    let accounts =
        mail_accounts::list_mail_accounts(state.clone(), viewer.caller.clone(), all).await?;
    let body = html! {
        p { "Suppliers send certificates by mail. CertWatch reads these mailboxes over IMAP, takes every PDF, PNG, JPEG or TIFF attached (also in forwarded mails) and files it like an upload, in a batch named after the mail. A reply to a certificate request fulfils it." }
        @for a in &accounts.results {
            section.card {
                h2 { a href={ (BACK) (a.id) "/" } { (a.name) } }
                (state_of(a))
                div.actions {
                    (button(session, &format!("{BACK}{}/test/", a.id), "Test the connection", false))
                    @if a.enabled { (button(session, &format!("{BACK}{}/poll/", a.id), "Poll now", false)) }
                }
            }
        }
        h2 { "Add a mailbox" }
        (account_form(session, BACK, None, form, errors))
    };
    Ok(layout::page(
        session,
        &viewer,
        Section::Admin,
        "Mailboxes",
        notice(q),
        body,
    ))
}

async fn overview(state: State, session: Session, q: Query) -> PageResult {
    page(&state, &session, &q, &Form::default(), &Errors::new()).await
}

async fn create(state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, BACK)?;
    session.check_csrf(Some(form.get("csrf")))?;
    let created = match write(&form) {
        Ok(w) => crud::create::<MailAccounts>(&state, &viewer.caller, w).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(a) => Ok(super::reply::redirect(&format!(
            "{BACK}{}/?notice=saved",
            a.id
        ))),
        Err(e) => {
            page(
                &state,
                &session,
                &Query::default(),
                &form,
                &field_errors(e)?,
            )
            .await
        }
    }
}

fn mail_row(m: &MailView) -> Markup {
    html! {
        tr {
            td { (call::moment(Some(m.handled_at))) }
            td { (call::text(&m.from)) }
            td { (m.subject) }
            td {
                @match m.outcome.as_str() {
                    "filed" => {
                        a href={ "/bulk-upload/" (m.batch_id.map(|b| b.to_string()).unwrap_or_default()) "/" } {
                            (m.files) @if m.files == 1 { " file" } @else { " files" } " filed"
                        }
                    }
                    "refused" => { "Not read: " (call::text(&m.reason)) }
                    _ => { "Nothing to file" }
                }
                @for note in &m.notes { br; small { (note) } }
            }
        }
    }
}

async fn account_page(
    id: Uuid,
    state: &State,
    session: &Session,
    q: &Query,
    form: &Form,
    errors: &Errors,
    tested: Option<(bool, String)>,
) -> PageResult {
    let here = format!("{BACK}{id}/");
    let viewer = session.viewer(state, &here)?;
    let account = crud::get::<MailAccounts>(state, &viewer.caller, id).await?;
    let recent = call::query(&Query::default(), &[("page_size", "50".into())]);
    let mails = mail_accounts::list_mails(id, state.clone(), viewer.caller.clone(), recent).await?;
    let body = html! {
        p { a href=(BACK) { "All mailboxes" } }
        @if let Some((ok, message)) = &tested {
            p.notice.bad[!ok] role="status" { (message) }
        }
        (state_of(&account))
        div.actions {
            (button(session, &format!("{here}test/"), "Test the connection", false))
            @if account.enabled { (button(session, &format!("{here}poll/"), "Poll now", false)) }
        }
        h2 { "Mails read" }
        @if mails.results.is_empty() {
            p { "None yet." }
        } @else {
            table {
                thead { tr { th { "Read" } th { "From" } th { "Subject" } th { "What became of it" } } }
                tbody { @for m in &mails.results { (mail_row(m)) } }
            }
        }
        h2 { "Settings" }
        (account_form(session, &here, Some(&account), form, errors))
        h2 { "Remove" }
        p { "The record of the mails it read goes with it; the batches of their files stay." }
        (button(session, &format!("{here}delete/"), "Remove this mailbox", true))
    };
    Ok(layout::page(
        session,
        &viewer,
        Section::Admin,
        &account.name,
        notice(q),
        body,
    ))
}

async fn account(id: Uuid, state: State, session: Session, q: Query) -> PageResult {
    account_page(
        id,
        &state,
        &session,
        &q,
        &Form::default(),
        &Errors::new(),
        None,
    )
    .await
}

async fn save(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, BACK)?;
    session.check_csrf(Some(form.get("csrf")))?;
    match crud::edit::<MailAccounts>(&state, &viewer.caller, id, write(&form)).await {
        Ok(_) => Ok(super::reply::redirect(&format!("{BACK}{id}/?notice=saved"))),
        Err(e) => {
            let errors = field_errors(e)?;
            account_page(
                id,
                &state,
                &session,
                &Query::default(),
                &form,
                &errors,
                None,
            )
            .await
        }
    }
}

async fn test(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    let viewer = session.viewer(&state, BACK)?;
    session.check_csrf(Some(form.get("csrf")))?;
    let t = mail_accounts::test_mail_account(id, state.clone(), viewer.caller).await?;
    let empty = Form::default();
    account_page(
        id,
        &state,
        &session,
        &Query::default(),
        &empty,
        &Errors::new(),
        Some((t.ok, t.message)),
    )
    .await
}

async fn poll(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(
        state,
        session,
        &form,
        &format!("{BACK}{id}/"),
        "polling",
        |s, c| mail_accounts::poll_mail_account(id, s, c),
    )
    .await
}

async fn delete(id: Uuid, state: State, session: Session, form: Form) -> PageResult {
    act(state, session, &form, BACK, "deleted", |s, c| async move {
        crud::delete::<MailAccounts>(&s, &c, id).await
    })
    .await
}
