//! To a tenant's actor, by area: who may act in it (`AccessMsg`), its supplier registry
//! (`RegistryMsg`), webhooks (`WebhooksMsg`), monitored endpoints (`MonitoringMsg`), bulk
//! uploads (`BulkMsg`) and what suppliers owe (`SuppliersMsg`). Each area's enum converts into [`TenantMsg`].

use certwatch_domain::accounts::{ApiKey, Invitation, Membership, Role, Tenant, Token, User};
use certwatch_domain::bulk::{Batch, Confirmation, Item, NewBatch, Read};
use certwatch_domain::compliance::{Requirement, RequirementPatch};
use certwatch_domain::contacts::{Contact, ContactPatch};
use certwatch_domain::digest::Frequency;
use certwatch_domain::events::Event;
use certwatch_domain::mail::{HandledMail, MailAccount, MailAccountPatch};
use certwatch_domain::monitoring::{Endpoint, EndpointPatch, ScrapeReport};
use certwatch_domain::registers::{AccountPatch, Provider, ProviderAccount, RegisterCheck};
use certwatch_domain::registry::{
    CertPatch, Certificate, CertificateType, OrgPatch, Organization, Site, SitePatch, TypePatch,
};
use certwatch_domain::requests::{CertificateRequest, ReminderPatch};
use certwatch_domain::webhooks::{Subscriber, SubscriberPatch, Subscription, SubscriptionPatch};
use certwatch_store::engine::secrets::KeyHash;
use certwatch_store::ops::import::{ImportCounts, ImportRow};
use certwatch_store::ops::invitations::Acceptor;
use certwatch_store::ops::requests::Mailed;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Reply;
use crate::discoveries::DiscoveryRunning;
use crate::registers::Report;

/// Declares `TenantMsg` with one variant per area, and each area's enum as a `TenantMsg`.
macro_rules! areas {
    ($($area:ident($msg:ident)),* $(,)?) => {
        /// A message to a tenant actor, by area; each area's enum converts into it.
        pub enum TenantMsg {
            $($area($msg),)*
            /// A message sent while handling a request: handled in the request's span, so
            /// what the actor logs for it carries the request id.
            Traced(tracing::Span, Box<TenantMsg>),
        }
        $(impl From<$msg> for TenantMsg {
            fn from(msg: $msg) -> TenantMsg {
                TenantMsg::$area(msg)
            }
        })*
    };
}

areas!(
    Access(AccessMsg),
    Registry(RegistryMsg),
    Webhooks(WebhooksMsg),
    Monitoring(MonitoringMsg),
    Bulk(BulkMsg),
    Suppliers(SuppliersMsg),
    Registers(RegistersMsg),
    Mail(MailMsg),
);

impl TenantMsg {
    /// The area a message is for, for logs.
    pub fn area(&self) -> &'static str {
        match self {
            TenantMsg::Access(_) => "access",
            TenantMsg::Registry(_) => "registry",
            TenantMsg::Webhooks(_) => "webhooks",
            TenantMsg::Monitoring(_) => "monitoring",
            TenantMsg::Bulk(_) => "bulk",
            TenantMsg::Suppliers(_) => "suppliers",
            TenantMsg::Registers(_) => "registers",
            TenantMsg::Mail(_) => "mail",
            TenantMsg::Traced(_, msg) => msg.area(),
        }
    }

    /// The message in the current span, if there is one (a request's).
    pub fn in_current_span(self) -> TenantMsg {
        let span = tracing::Span::current();
        if span.is_none() {
            self
        } else {
            TenantMsg::Traced(span, Box::new(self))
        }
    }
}

/// A new credential: the key (shown once) and what is stored about it.
pub type IssuedToken = (String, Token);

pub enum AccessMsg {
    IssueLoginToken {
        user_id: Uuid,
        reply: Reply<IssuedToken>,
    },
    CreateApiToken {
        user_id: Uuid,
        name: String,
        expires_at: Option<DateTime<Utc>>,
        reply: Reply<IssuedToken>,
    },
    /// Replaces the token `current` with a new key of the same name and a fresh 30 days.
    RefreshToken {
        current: KeyHash,
        reply: Reply<IssuedToken>,
    },
    /// Deletes one of `user_id`'s tokens, named by its key or by its id.
    RevokeToken {
        user_id: Uuid,
        key_or_id: String,
        reply: Reply<()>,
    },
    CreateInvitation {
        invited_by: Uuid,
        email: String,
        role: Role,
        reply: Reply<Invitation>,
    },
    /// Takes back a pending invitation.
    RevokeInvitation {
        id: Uuid,
        reply: Reply<()>,
    },
    AcceptInvitation {
        token: KeyHash,
        acceptor: Acceptor,
        reply: Reply<(User, IssuedToken)>,
    },
    SetRole {
        user_id: Uuid,
        role: Role,
        reply: Reply<Membership>,
    },
    RemoveMember {
        user_id: Uuid,
        reply: Reply<()>,
    },
    /// Changes the settings given (`None` leaves one as it is).
    SetTenantSettings {
        public_listing: Option<bool>,
        digest_frequency: Option<Frequency>,
        expiry_windows: Option<Vec<u32>>,
        reply: Reply<Tenant>,
    },
    /// A member's own choice to get the expiry digest.
    SetDigestOptIn {
        user_id: Uuid,
        on: bool,
        reply: Reply<Membership>,
    },
    /// A new `cw_` key: the key (shown once) and its record.
    CreateApiKey {
        name: String,
        reply: Reply<(String, ApiKey)>,
    },
    DeleteApiKey {
        id: Uuid,
        reply: Reply<()>,
    },
    /// Notes that a key was used (no reply; a lost note only makes `last_used_at` older).
    TouchApiKey {
        hash: KeyHash,
    },
}

pub enum RegistryMsg {
    /// Creates (`id` None) or edits an organization.
    EditOrganization {
        id: Option<Uuid>,
        patch: OrgPatch,
        reply: Reply<Organization>,
    },
    /// Deletes an organization with its sites and certificates.
    DeleteOrganization {
        id: Uuid,
        /// Who deleted it: each certificate's history names them.
        user: Uuid,
        reply: Reply<()>,
    },
    EditSite {
        id: Option<Uuid>,
        patch: SitePatch,
        reply: Reply<Site>,
    },
    DeleteSite {
        id: Uuid,
        reply: Reply<()>,
    },
    EditCertificateType {
        id: Option<Uuid>,
        patch: TypePatch,
        reply: Reply<CertificateType>,
    },
    DeleteCertificateType {
        id: Uuid,
        reply: Reply<()>,
    },
    /// A person's edit: `user` is who, for the certificate's history.
    EditCertificate {
        id: Option<Uuid>,
        patch: CertPatch,
        user: Uuid,
        reply: Reply<Certificate>,
    },
    DeleteCertificate {
        id: Uuid,
        user: Uuid,
        reply: Reply<()>,
    },
    /// Marks ACTIVE certificates past their expiry EXPIRED; runs at start and daily.
    SweepExpired,
    /// Sends the expiry digest if one is due; runs at start and every few minutes.
    SendDigest,
    /// Upserts one batch of an import's valid rows.
    ImportBatch {
        rows: Vec<ImportRow>,
        reply: Reply<ImportCounts>,
    },
    /// Records an event that is not part of another write (`import.completed`).
    RecordEvent {
        event: Event,
        reply: Reply<()>,
    },
}

pub enum WebhooksMsg {
    EditSubscriber {
        id: Option<Uuid>,
        patch: SubscriberPatch,
        reply: Reply<Subscriber>,
    },
    DeleteSubscriber {
        id: Uuid,
        reply: Reply<()>,
    },
    RotateSubscriberKey {
        id: Uuid,
        reply: Reply<Subscriber>,
    },
    RotateSubscriberSecret {
        id: Uuid,
        reply: Reply<Subscriber>,
    },
    /// A receiver answered 410 Gone: stop sending to it.
    DeactivateSubscriber {
        id: Uuid,
    },
    EditSubscription {
        id: Option<Uuid>,
        patch: SubscriptionPatch,
        reply: Reply<Subscription>,
    },
    DeleteSubscription {
        id: Uuid,
        reply: Reply<()>,
    },
}

pub enum MonitoringMsg {
    /// Creates (`id` None) or edits a monitored endpoint, and starts, reschedules or stops
    /// its actor to match.
    EditEndpoint {
        id: Option<Uuid>,
        patch: EndpointPatch,
        reply: Reply<Endpoint>,
    },
    DeleteEndpoint {
        id: Uuid,
        reply: Reply<()>,
    },
    /// Queues a scrape of an active endpoint now.
    TriggerScrape {
        id: Uuid,
        reply: Reply<()>,
    },
    /// An endpoint actor's finished attempt, to apply and log; replies with the endpoint
    /// and its next check.
    RecordScrape {
        endpoint: Uuid,
        report: Box<ScrapeReport>,
        reply: Reply<Endpoint>,
    },
    /// Pages a discovery run found for an organization; new ones become endpoints.
    AddDiscovered {
        organization: Uuid,
        urls: Vec<String>,
        running: DiscoveryRunning,
    },
    /// Starts discovery for these organizations (those with a website); replies how many.
    Discover {
        organizations: Vec<Uuid>,
        reply: Reply<usize>,
    },
    /// How many endpoint actors are running.
    CountEndpointActors(Reply<usize>),
}

pub enum BulkMsg {
    /// Stores an uploaded batch with its items (files already stored), then starts it.
    CreateBatch {
        batch: Batch,
        items: Vec<Item>,
        reply: Reply<Batch>,
    },
    /// One bulk item was read: match, decide and file it.
    ItemRead {
        item: Uuid,
        read: Read,
        reply: Reply<()>,
    },
    /// Reading an item starts: the attempt is counted durably first (see
    /// `Store::start_item_attempt`); the reply is the number of attempts.
    ItemStarted {
        item: Uuid,
        reply: Reply<u32>,
    },
    /// Every item of a batch was read.
    BatchDone {
        batch: Uuid,
        reply: Reply<()>,
    },
    ConfirmItem {
        item: Uuid,
        confirmation: Confirmation,
        reply: Reply<Item>,
    },
    SkipItem {
        item: Uuid,
        reply: Reply<Item>,
    },
}

/// What suppliers owe and asking them for it: contacts, requirements, certificate
/// requests, reminder settings, and the periodic reminder pass and compliance refresh.
pub enum SuppliersMsg {
    /// Creates (`id` None) or edits a contact of the organization `org`.
    EditContact {
        org: Uuid,
        id: Option<Uuid>,
        patch: ContactPatch,
        reply: Reply<Contact>,
    },
    DeleteContact {
        org: Uuid,
        id: Uuid,
        reply: Reply<()>,
    },
    EditRequirement {
        id: Option<Uuid>,
        patch: RequirementPatch,
        reply: Reply<Requirement>,
    },
    DeleteRequirement {
        id: Uuid,
        reply: Reply<()>,
    },
    /// Opens a request and mails it (or answers the open one).
    OpenRequest {
        org: Uuid,
        cert_type: Uuid,
        message: String,
        user: Uuid,
        reply: Reply<Mailed>,
    },
    ResendRequest {
        id: Uuid,
        reply: Reply<Mailed>,
    },
    CancelRequest {
        id: Uuid,
        reply: Reply<CertificateRequest>,
    },
    SetReminders {
        patch: ReminderPatch,
        reply: Reply<Tenant>,
    },
    /// The reminder pass; it schedules the next.
    RunReminders,
    /// Announces the suppliers whose compliance changed since it was last looked at.
    RefreshCompliance,
}

/// Asking the registers whether certificates still stand.
pub enum RegistersMsg {
    /// Creates or changes the tenant's account with a register.
    SetAccount {
        provider: Provider,
        patch: AccountPatch,
        reply: Reply<ProviderAccount>,
    },
    RemoveAccount {
        provider: Provider,
        reply: Reply<()>,
    },
    /// Checks a certificate in its register now; answers with the register asked (the
    /// answer lands on the certificate).
    Verify {
        certificate: Uuid,
        reply: Reply<Provider>,
    },
    /// A status a person read in a register without an API.
    RecordManual {
        check: RegisterCheck,
        reply: Reply<RegisterCheck>,
    },
    /// The scheduled pass; it schedules the next.
    Tick,
    /// A pass over what is due and what was asked for now, unless one is running.
    RunChecks,
    /// What the running pass found.
    Report(Report),
    /// The running pass is over.
    PassDone,
}

/// Mail intake: the tenant's mail accounts and what their mailbox actors read.
pub enum MailMsg {
    /// Creates (`id` None) or changes a mail account; its mailbox actor follows.
    EditAccount {
        id: Option<Uuid>,
        patch: MailAccountPatch,
        reply: Reply<MailAccount>,
    },
    DeleteAccount {
        id: Uuid,
        reply: Reply<()>,
    },
    /// Polls the account's mailbox now.
    Poll {
        id: Uuid,
        reply: Reply<()>,
    },
    /// A mail read: recorded (with the batch of its files) before the server is told to
    /// mark, move or delete it. `false` when the account is gone.
    RecordMail {
        handled: Box<HandledMail>,
        batch: Option<Box<NewBatch>>,
        reply: Reply<bool>,
    },
    /// How a poll ended. `None` when the account is gone.
    RecordPoll {
        id: Uuid,
        at: DateTime<Utc>,
        error: Option<String>,
        reply: Reply<Option<MailAccount>>,
    },
}
