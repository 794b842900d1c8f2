//! Mail accounts: the mailboxes a tenant's certificates arrive in (admins only), a test of
//! the connection, a poll now, and the mails each mailbox read.

use certwatch_actors::mailbox::imap::{ImapError, Mailbox};
use certwatch_actors::{MailMsg, Reply, TenantMsg};
use certwatch_domain::mail::{
    AfterReading, HandledMail, MAX_FIELD, MAX_HOST, MailAccount, MailAccountPatch, MailOutcome,
    POLL_MINUTES, Security,
};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::crud::{Resource, collection};
use crate::error::ApiError;
use crate::extract::{Query, query};
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

/// The mails of an account the API lists, newest first.
const MAILS_LISTED: usize = 500;
/// How long a test of the connection may take, all steps together.
const TEST_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

/// A mail account as admins see it: never its password.
#[derive(Serialize, ToSchema)]
pub struct MailAccountView {
    pub id: Uuid,
    pub name: String,
    pub host: String,
    pub port: u16,
    /// `tls`, `starttls` or `none`.
    pub security: String,
    pub username: String,
    pub folder: String,
    /// `mark_seen`, `move` or `delete`.
    pub after_reading: String,
    pub move_to: Option<String>,
    pub poll_minutes: u32,
    pub enabled: bool,
    pub last_poll_at: Option<DateTime<Utc>>,
    /// What went wrong at the last poll; null when it went well.
    pub last_error: Option<String>,
    pub messages_read: u64,
    /// Polls that failed in a row: each doubles the wait before the next (up to 6 hours).
    pub failures: u32,
    /// When the mailbox is polled next (unless asked now); null while disabled.
    pub next_poll_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MailAccountView {
    fn of(a: MailAccount, now: DateTime<Utc>) -> MailAccountView {
        MailAccountView {
            next_poll_at: a.enabled.then(|| a.next_poll_at(now)),
            id: a.id,
            name: a.name,
            host: a.host,
            port: a.port,
            security: a.security.as_str().into(),
            username: a.username,
            folder: a.folder,
            after_reading: a.after_reading.as_str().into(),
            move_to: a.move_to,
            poll_minutes: a.poll_minutes,
            enabled: a.enabled,
            last_poll_at: a.last_poll_at,
            last_error: a.last_error,
            messages_read: a.messages_read,
            failures: a.failures,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Request body of mail account writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct MailAccountWrite {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 320)]
    name: Option<String>,
    /// The IMAP server's host name or IP address.
    #[schema(value_type = String, required = true, min_length = 1, max_length = 253)]
    host: Option<String>,
    /// 993 for `tls`, 143 otherwise, unless given.
    #[schema(value_type = Option<u16>, minimum = 1, maximum = 65535)]
    port: Option<i64>,
    /// `tls` (default; also when blank), `starttls`, or `none` where the operator allows
    /// plain text.
    #[schema(value_type = Option<String>, pattern = "^(tls|starttls|none)?$")]
    security: Option<Option<Security>>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 320)]
    username: Option<String>,
    /// Write-only: required when the account is created, kept when not sent.
    #[schema(value_type = Option<String>, max_length = 320, write_only)]
    password: Option<String>,
    /// `INBOX` unless given.
    #[schema(value_type = Option<String>, max_length = 320)]
    folder: Option<Option<String>>,
    /// `mark_seen` (default; also when blank), `move` (to `move_to`) or `delete`.
    #[schema(value_type = Option<String>, pattern = "^(mark_seen|move|delete)?$")]
    after_reading: Option<Option<AfterReading>>,
    #[schema(value_type = Option<String>, max_length = 320)]
    move_to: Option<Option<String>>,
    /// Minutes between polls, 1 to 1440 (default 5).
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 1440)]
    poll_minutes: Option<i64>,
    #[schema(value_type = Option<bool>)]
    enabled: Option<bool>,
}

impl Write for MailAccountWrite {
    fn read(input: &mut Input) -> Self {
        MailAccountWrite {
            name: input.required_text("name", MAX_FIELD),
            host: input.required_text("host", MAX_HOST),
            port: input.optional_whole_number("port", 1, 65_535),
            security: input.optional_parsed(
                "security",
                Security::parse,
                "One of tls, starttls, none.",
            ),
            username: input.required_text("username", MAX_FIELD),
            password: input.secret("password", MAX_FIELD),
            folder: input.optional_text("folder", MAX_FIELD),
            after_reading: input.optional_parsed(
                "after_reading",
                AfterReading::parse,
                "One of mark_seen, move, delete.",
            ),
            move_to: input.optional_text("move_to", MAX_FIELD),
            poll_minutes: input.optional_whole_number(
                "poll_minutes",
                i64::from(POLL_MINUTES.0),
                i64::from(POLL_MINUTES.1),
            ),
            enabled: input.optional_bool("enabled"),
        }
    }
}

impl From<MailAccountWrite> for MailAccountPatch {
    fn from(w: MailAccountWrite) -> MailAccountPatch {
        MailAccountPatch {
            name: w.name,
            host: w.host,
            port: w.port.map(|p| p as u16),
            security: w.security.flatten(),
            username: w.username,
            password: w.password,
            folder: w.folder.flatten(),
            after_reading: w.after_reading.flatten(),
            move_to: w.move_to,
            poll_minutes: w.poll_minutes.map(|m| m as u32),
            enabled: w.enabled,
        }
    }
}

/// Mail accounts as a resource of the collection routes.
pub struct MailAccounts;

impl Resource for MailAccounts {
    type Record = MailAccount;
    type View = MailAccountView;
    type Write = MailAccountWrite;
    type Patch = MailAccountPatch;
    const PATH: &'static str = "/api/mail-accounts/";
    const TAG: &'static str = "mail";
    const NOUN: &'static str = "Mail account";
    const CREATED: &'static str = "Created; its mailbox is polled at once and every poll_minutes (the password is never shown)";
    const DELETED: &'static str =
        "Deleted with the record of the mails it read; the batches they went into stay";

    const ADMIN_ONLY: bool = true;

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<MailAccount>, StoreError> {
        tables::mail_accounts::get(store, tenant, id)
    }

    fn view(_: &State, _: Uuid, a: MailAccount) -> Result<MailAccountView, ApiError> {
        Ok(MailAccountView::of(a, Utc::now()))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: MailAccountPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        MailMsg::EditAccount { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        MailMsg::DeleteAccount { id, reply }.into()
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_mail_accounts, signed_in(state), query()),
        collection!(state, MailAccounts),
        route!(test_mail_account(id), signed_in(state)),
        route!(poll_mail_account(id), signed_in(state)),
        route!(list_mails(id), signed_in(state), query()),
    ])
}

#[utoipa::path(get, path = "/api/mail-accounts/", tag = "mail",
    params(PageParams),
    security(("token" = [])),
    responses((status = 200, description = "Mail accounts, oldest first (never their passwords)", body = Page<MailAccountView>), (status = 403, description = "Not an admin")))]
pub async fn list_mail_accounts(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<MailAccountView>, ApiError> {
    caller.require_admin()?;
    let now = Utc::now();
    let views: Vec<MailAccountView> =
        tables::mail_accounts::of_tenant(state.store(), caller.tenant_id)?
            .into_iter()
            .map(|a| MailAccountView::of(a, now))
            .collect();
    paginate_vec(views, &q, &state.public_url(), MailAccounts::PATH)
}

/// The admin's account `id`, or 404 (also for another tenant's).
fn account_of(state: &State, caller: &Caller, id: Uuid) -> Result<MailAccount, ApiError> {
    caller.require_admin()?;
    tables::mail_accounts::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)
}

/// What the server said to a test of the connection.
#[derive(Serialize, ToSchema)]
pub struct ConnectionTest {
    /// Whether the login and opening the folder worked.
    pub ok: bool,
    /// What happened, in words (the server's refusal, the folder's size).
    pub message: String,
}

#[utoipa::path(post, path = "/api/mail-accounts/{id}/test/", tag = "mail",
    params(("id" = Uuid, Path, description = "The mail account's id")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The connection was tried: connected, logged in and the folder opened (`ok`), or what the server said", body = ConnectionTest),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "Not in this tenant")))]
pub async fn test_mail_account(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<ConnectionTest, ApiError> {
    let account = account_of(&state, &caller, id)?;
    let opened = tokio::time::timeout(TEST_WITHIN, Mailbox::open(&account))
        .await
        .unwrap_or_else(|_| {
            Err(ImapError::Failed(format!(
                "the server did not answer within {} seconds",
                TEST_WITHIN.as_secs()
            )))
        });
    Ok(match opened {
        Ok(mailbox) => {
            let message = format!(
                "Logged in to {} as {}; the folder {} holds {} mails.",
                account.host, account.username, account.folder, mailbox.exists
            );
            mailbox.close().await;
            ConnectionTest { ok: true, message }
        }
        Err(e) => ConnectionTest {
            ok: false,
            message: e.to_string(),
        },
    })
}

/// The answer to "poll now".
#[derive(Serialize, ToSchema)]
pub struct PollQueued {
    pub detail: String,
}

#[utoipa::path(post, path = "/api/mail-accounts/{id}/poll/", tag = "mail",
    params(("id" = Uuid, Path, description = "The mail account's id")),
    security(("token" = [])),
    responses(
        (status = 202, description = "The mailbox is polled now; what it reads shows in `messages_read`, `last_error` and under `/mails/`", body = PollQueued),
        (status = 400, description = "The account is disabled"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "Not in this tenant")))]
pub async fn poll_mail_account(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<PollQueued, ApiError> {
    account_of(&state, &caller, id)?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| MailMsg::Poll { id, reply })
        .await?;
    Ok(PollQueued {
        detail: "The mailbox is polled now.".into(),
    })
}

/// A mail a mailbox read, and what became of it.
#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub uid: u32,
    pub folder: String,
    pub from: Option<String>,
    pub subject: String,
    pub message_id: Option<String>,
    /// `filed` (its files went into `batch_id`), `nothing_to_file` or `refused` (left
    /// on the server; `reason` says why).
    pub outcome: String,
    pub batch_id: Option<Uuid>,
    pub files: u32,
    pub reason: Option<String>,
    /// What was left out of it and why.
    pub notes: Vec<String>,
    pub handled_at: DateTime<Utc>,
}

impl From<HandledMail> for MailView {
    fn from(m: HandledMail) -> MailView {
        let (outcome, batch_id, files, reason) = match m.outcome {
            MailOutcome::Filed { batch, files } => ("filed", Some(batch), files, None),
            MailOutcome::NothingToFile => ("nothing_to_file", None, 0, None),
            MailOutcome::Refused(why) => ("refused", None, 0, Some(why)),
        };
        MailView {
            uid: m.uid,
            folder: m.folder,
            from: m.from,
            subject: m.subject,
            message_id: m.message_id,
            outcome: outcome.into(),
            batch_id,
            files,
            reason,
            notes: m.notes,
            handled_at: m.handled_at,
        }
    }
}

#[utoipa::path(get, path = "/api/mail-accounts/{id}/mails/", tag = "mail",
    params(("id" = Uuid, Path, description = "The mail account's id"), PageParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The mails the mailbox read, newest first (the last 500)", body = Page<MailView>),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "Not in this tenant")))]
pub async fn list_mails(
    id: Uuid,
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<MailView>, ApiError> {
    account_of(&state, &caller, id)?;
    let mut mails = tables::mail_messages::of_account(state.store(), id, MAILS_LISTED)?;
    mails.reverse();
    let views: Vec<MailView> = mails.into_iter().map(MailView::from).collect();
    let path = format!("{}{id}/mails/", MailAccounts::PATH);
    paginate_vec(views, &q, &state.public_url(), &path)
}
