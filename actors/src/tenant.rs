//! The tenant actor: the one writer of everything inside its tenant (memberships, tokens,
//! invitations; later suppliers and certificates). One owner per tenant means no lost
//! updates without locks, and the "last admin" rule cannot race with itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use certwatch_store::accounts::Tenant;
use certwatch_store::accounts::{
    Acceptor, AccountError, INVITATION_TTL_DAYS, Invitation, InvitationStatus, Membership, Role,
    Token, TokenKind, User, key_prefix,
};
use certwatch_store::api_keys::ApiKey;
use certwatch_store::bulk::{Batch, Confirmation, Item, Read};
use certwatch_store::edits::{CertPatch, OrgPatch, SitePatch, TypePatch};
use certwatch_store::history::ChangedBy;
use certwatch_store::import::{ImportCounts, ImportRow};
use certwatch_store::monitoring::{Endpoint, EndpointPatch, ScrapeReport};
use certwatch_store::registry::{
    Certificate, CertificateType, Event, Organization, RegistryError, Site,
};
use certwatch_store::secrets::{KeyHash, key_hash, new_token_key};
use certwatch_store::webhooks::{Subscriber, SubscriberPatch, Subscription, SubscriptionPatch};
use chrono::{DateTime, Duration, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use uuid::Uuid;

use crate::bulk::{BatchActor, BatchMsg};
use crate::call::{Reply, crash_on_store_error, reply_when_durable, reply_when_durable_then};
use crate::context::{Context, DiscoveryRunning};
use crate::delivery_supervisor::{DeliverySupervisorMsg, tell};
use crate::mail;
use crate::monitoring::endpoint::{EndpointActor, EndpointMsg};
use crate::monitoring::start_discovery;
use crate::spawn::{spawn_or_adopt, take_stopped};

/// A new credential: the key (shown once) and what is stored about it.
pub type IssuedToken = (String, Token);

pub enum TenantMsg {
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
    SetPublicListing {
        on: bool,
        reply: Reply<Tenant>,
    },
    /// Marks ACTIVE certificates past their expiry EXPIRED; runs at start and daily.
    SweepExpired,
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
    /// A new `cw_` key: the key (shown once) and its record.
    CreateApiKey {
        name: String,
        reply: Reply<(String, ApiKey)>,
    },
    DeleteApiKey {
        id: Uuid,
        reply: Reply<()>,
    },
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
    /// Notes that a key was used (no reply; a lost note only makes `last_used_at` older).
    TouchApiKey {
        hash: KeyHash,
    },
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
    /// Stores an uploaded batch with its items (files already stored), then starts it.
    CreateBatch {
        batch: Batch,
        items: Vec<Item>,
        reply: Reply<Batch>,
    },
    /// One bulk item was read: match, decide and file it.
    BulkItemRead {
        item: Uuid,
        read: Read,
        reply: Reply<()>,
    },
    /// Reading an item starts: the attempt is counted durably first (see
    /// `Store::start_item_attempt`); the reply is the number of attempts.
    BulkItemStarted {
        item: Uuid,
        reply: Reply<u32>,
    },
    /// Every item of a batch was read.
    BulkBatchDone {
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

/// Overdue checks started per second after a (re)start, across all tenants.
const CATCH_UP_PER_SECOND: u32 = 50;

pub(crate) struct TenantActor;

pub(crate) struct TenantState {
    ctx: Arc<Context>,
    tenant: Uuid,
    /// The actors of the tenant's active endpoints (children of this actor).
    endpoints: HashMap<Uuid, ActorRef<EndpointMsg>>,
    /// The actors of bulk-upload batches being processed (children of this actor).
    batches: HashMap<Uuid, ActorRef<BatchMsg>>,
}

impl Actor for TenantActor {
    type Msg = TenantMsg;
    type State = TenantState;
    type Arguments = (Arc<Context>, Uuid);

    async fn pre_start(
        &self,
        _myself: ActorRef<TenantMsg>,
        (ctx, tenant): (Arc<Context>, Uuid),
    ) -> Result<TenantState, ActorProcessingErr> {
        Ok(TenantState {
            ctx,
            tenant,
            endpoints: HashMap::new(),
            batches: HashMap::new(),
        })
    }

    async fn post_start(
        &self,
        myself: ActorRef<TenantMsg>,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        myself.cast(TenantMsg::SweepExpired)?;
        // Every active endpoint resumes its schedule; overdue ones are spread out, in the
        // order they fell due, so a restart does not fire them all at once.
        let now = Utc::now();
        let mut active: Vec<Endpoint> = state
            .ctx
            .store
            .endpoints(state.tenant)?
            .into_iter()
            .filter(|e| e.is_active)
            .collect();
        active.sort_by_key(|e| e.next_check_at);
        // Bulk uploads the process stopped in the middle of go on.
        for batch in state.ctx.store.unfinished_batches(state.tenant)? {
            Self::start_batch(&myself, state, batch.id).await;
        }
        for ep in active {
            let delay = if ep.next_check_at.is_none_or(|at| at <= now) {
                let slot = state.ctx.next_catch_up_slot(CATCH_UP_PER_SECOND);
                (slot - Utc::now()).to_std().unwrap_or_default()
            } else {
                StdDuration::ZERO
            };
            self.ensure_endpoint(&myself, state, ep.id, delay).await;
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        myself: ActorRef<TenantMsg>,
        _state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        myself.stop_children(None);
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<TenantMsg>,
        event: SupervisionEvent,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        if let Some((batch, _, failed)) = take_stopped(&mut state.batches, &event, |a| a.get_cell())
        {
            // A completed batch stops cleanly; a failed one starts again from the store.
            if failed && !state.ctx.stopping.load(std::sync::atomic::Ordering::SeqCst) {
                tracing::error!(%batch, ?event, "batch actor failed; restarting it");
                Self::start_batch(&myself, state, batch).await;
            }
            return Ok(());
        }
        let Some((id, _, failed)) = take_stopped(&mut state.endpoints, &event, |a| a.get_cell())
        else {
            return Ok(());
        };
        // A clean stop means the endpoint was paused or deleted; a failure (a panic while
        // parsing a page) restarts only that endpoint's actor, from the store.
        if failed && !state.ctx.stopping.load(std::sync::atomic::Ordering::SeqCst) {
            tracing::error!(endpoint = %id, ?event, "endpoint actor failed; restarting it");
            state
                .ctx
                .restarts
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            self.ensure_endpoint(&myself, state, id, StdDuration::ZERO)
                .await;
        }
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<TenantMsg>,
        msg: TenantMsg,
        state: &mut TenantState,
    ) -> Result<(), ActorProcessingErr> {
        let store = &state.ctx.store.clone();
        let tenant = state.tenant;
        let now = Utc::now();
        match msg {
            TenantMsg::IssueLoginToken { user_id, reply } => {
                let key = new_token_key();
                let token = Token::login(tenant, user_id, &key, now);
                let result = crash_on_store_error(
                    store
                        .insert_token(&key_hash(&key), &token)
                        .map(|_| (key, token)),
                )?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::CreateApiToken {
                user_id,
                name,
                expires_at,
                reply,
            } => {
                let key = new_token_key();
                let token = Token {
                    id: Uuid::new_v4(),
                    tenant_id: tenant,
                    user_id,
                    name,
                    kind: TokenKind::Api,
                    prefix: key_prefix(&key),
                    created_at: now,
                    expires_at,
                };
                let result = crash_on_store_error(
                    store
                        .insert_token(&key_hash(&key), &token)
                        .map(|_| (key, token)),
                )?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::RefreshToken { current, reply } => {
                let result = match store.token(&current)? {
                    Some(old) if old.tenant_id == tenant => {
                        let key = new_token_key();
                        let token = Token {
                            id: Uuid::new_v4(),
                            prefix: key_prefix(&key),
                            created_at: now,
                            expires_at: old.refreshed_expiry(now),
                            ..old
                        };
                        store
                            .replace_token(Some(&current), &key_hash(&key), &token)
                            .map(|_| (key, token))
                    }
                    _ => Err(AccountError::NotFound),
                };
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::RevokeToken {
                user_id,
                key_or_id,
                reply,
            } => {
                let result = match find_own_token(state, user_id, &key_or_id)? {
                    Some(hash) => store.remove_token(&hash).map(|_| ()),
                    None => Err(AccountError::NotFound),
                };
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::CreateInvitation {
                invited_by,
                email,
                role,
                reply,
            } => {
                let key = new_token_key();
                let invitation = Invitation {
                    id: Uuid::new_v4(),
                    tenant_id: tenant,
                    email,
                    role,
                    status: InvitationStatus::Pending,
                    invited_by,
                    created_at: now,
                    expires_at: now + Duration::days(INVITATION_TTL_DAYS),
                };
                let tenant_name = store.tenant(tenant)?.map(|t| t.name).unwrap_or_default();
                let result = crash_on_store_error(
                    store
                        .create_invitation(&invitation, &key_hash(&key))
                        .map(|_| invitation),
                )?;
                let ctx = state.ctx.clone();
                reply_when_durable_then(store, reply, result, move |inv| {
                    ctx.send_mail(mail::invitation(
                        &ctx.config.public_url(),
                        &inv.email,
                        &tenant_name,
                        inv.role.as_str(),
                        &key,
                        inv.expires_at,
                    ));
                });
            }
            TenantMsg::RevokeInvitation { id, reply } => {
                let result = store.revoke_invitation(tenant, id).map(|_| ());
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::AcceptInvitation {
                token,
                acceptor,
                reply,
            } => {
                let key = new_token_key();
                let result = store
                    .accept_invitation(&token, acceptor, &key, now)
                    .and_then(|(inv, user, token)| {
                        // The invitation index is global; this actor only accepts its own.
                        if inv.tenant_id == tenant {
                            Ok((user, (key, token)))
                        } else {
                            Err(AccountError::InvalidToken)
                        }
                    });
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::SetRole {
                user_id,
                role,
                reply,
            } => {
                let result = crash_on_store_error(store.set_role(tenant, user_id, role))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::RemoveMember { user_id, reply } => {
                let result = crash_on_store_error(store.remove_member(tenant, user_id))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::EditOrganization { id, patch, reply } => {
                let before = match id {
                    Some(id) => store.organization(tenant, id)?.map(|o| o.website),
                    None => None,
                };
                let result = crash_on_store_error(store.edit_organization(tenant, id, patch, now))?;
                let ctx = state.ctx.clone();
                // A new website (on a new organization or a changed one) is crawled for
                // certificate pages once the change is durable.
                reply_when_durable_then(store, reply, result, move |org| {
                    if org.website.is_some() && before.as_ref() != Some(&org.website) {
                        start_discovery(&ctx, tenant, org.id);
                    }
                });
            }
            TenantMsg::DeleteOrganization { id, user, reply } => {
                let endpoints = store.endpoints_of(tenant, id)?;
                let result = store
                    .delete_organization(tenant, id, ChangedBy::User(user), now)
                    .map(|_| ());
                let result = crash_on_store_error(result)?;
                if result.is_ok() {
                    for ep in endpoints {
                        Self::stop_endpoint(state, ep);
                    }
                }
                reply_when_durable(store, reply, result);
            }
            TenantMsg::EditSite { id, patch, reply } => {
                let result = crash_on_store_error(store.edit_site(tenant, id, patch, now))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::DeleteSite { id, reply } => {
                let result = store.delete_site(tenant, id).map(|_| ());
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::EditCertificateType { id, patch, reply } => {
                let result =
                    crash_on_store_error(store.edit_certificate_type(tenant, id, patch, now))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::DeleteCertificateType { id, reply } => {
                let result = crash_on_store_error(store.delete_certificate_type(tenant, id))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::EditCertificate {
                id,
                patch,
                user,
                reply,
            } => {
                let by = ChangedBy::User(user);
                let result =
                    crash_on_store_error(store.edit_certificate(tenant, id, patch, by, now))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::DeleteCertificate { id, user, reply } => {
                let result = store
                    .delete_certificate(tenant, id, ChangedBy::User(user), now)
                    .map(|_| ());
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::SetPublicListing { on, reply } => {
                let result = crash_on_store_error(store.set_public_listing(tenant, on))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::SweepExpired => {
                let changed = store.sweep_expired(tenant, now.date_naive(), now);
                match crash_on_store_error(changed)? {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(%tenant, expired = n, "expiry sweep");
                        let store = store.clone();
                        tokio::spawn(async move { store.commit().await });
                    }
                    Err(e) => tracing::error!(%tenant, error = %e, "expiry sweep failed"),
                }
                myself.send_after(until_next_sweep(now), || TenantMsg::SweepExpired);
            }
            TenantMsg::EditSubscriber { id, patch, reply } => {
                let result = crash_on_store_error(store.edit_subscriber(tenant, id, patch, now))?;
                self.reload_subscriber_then_reply(state, result, reply);
            }
            TenantMsg::DeleteSubscriber { id, reply } => {
                let result = crash_on_store_error(store.delete_subscriber(tenant, id, now))?;
                let ctx = state.ctx.clone();
                reply_when_durable_then(store, reply, result, move |_| {
                    tell(
                        &ctx,
                        DeliverySupervisorMsg::Reload {
                            tenant,
                            subscriber: id,
                        },
                    );
                });
            }
            TenantMsg::RotateSubscriberKey { id, reply } => {
                let result = crash_on_store_error(store.rotate_api_key(tenant, id, now))?;
                self.reload_subscriber_then_reply(state, result, reply);
            }
            TenantMsg::RotateSubscriberSecret { id, reply } => {
                let result = crash_on_store_error(store.rotate_signing_secret(tenant, id, now))?;
                self.reload_subscriber_then_reply(state, result, reply);
            }
            TenantMsg::DeactivateSubscriber { id } => {
                let patch = SubscriberPatch {
                    is_active: Some(false),
                    ..Default::default()
                };
                // A store failure fails the actor like any other write; a subscriber deleted
                // meanwhile is simply gone.
                match crash_on_store_error(store.edit_subscriber(tenant, Some(id), patch, now))? {
                    Ok(_) => {
                        tracing::info!(%tenant, subscriber = %id, "receiver answered 410 Gone; subscriber deactivated");
                        let store = store.clone();
                        tokio::spawn(async move { store.commit().await });
                    }
                    Err(e) => tracing::warn!(%id, error = %e, "could not deactivate subscriber"),
                }
            }
            TenantMsg::EditSubscription { id, patch, reply } => {
                let result = crash_on_store_error(store.edit_subscription(tenant, id, patch, now))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::DeleteSubscription { id, reply } => {
                let result = crash_on_store_error(store.delete_subscription(tenant, id))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::CreateApiKey { name, reply } => {
                let created = store.create_api_key(tenant, name, now)?;
                reply_when_durable(store, reply, Ok(created));
            }
            TenantMsg::DeleteApiKey { id, reply } => {
                let result = crash_on_store_error(store.delete_api_key(tenant, id))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::TouchApiKey { hash } => store.touch_api_key(&hash, now)?,
            TenantMsg::ImportBatch { rows, reply } => {
                let mut result = crash_on_store_error(store.import_batch(tenant, &rows, now))?;
                let mut discover = Vec::new();
                if let Ok(counts) = &mut result {
                    discover = std::mem::take(&mut counts.new_with_website);
                    counts.discovery_triggered = discover.len();
                }
                let ctx = state.ctx.clone();
                reply_when_durable_then(store, reply, result, move |_| {
                    for org in discover {
                        start_discovery(&ctx, tenant, org);
                    }
                });
            }
            TenantMsg::RecordEvent { event, reply } => {
                let result = crash_on_store_error(store.record_events(tenant, &[event]))?;
                reply_when_durable(store, reply, result);
            }
            TenantMsg::EditEndpoint { id, patch, reply } => {
                let result =
                    crash_on_store_error(store.edit_endpoint(tenant, id, patch, false, now))?;
                if let Ok(ep) = &result {
                    self.sync_endpoint(&myself, state, ep).await;
                }
                reply_when_durable(&state.ctx.store, reply, result);
            }
            TenantMsg::DeleteEndpoint { id, reply } => {
                let result = crash_on_store_error(store.delete_endpoint(tenant, id))?;
                if result.is_ok() {
                    Self::stop_endpoint(state, id);
                }
                reply_when_durable(&state.ctx.store, reply, result.map(|_| ()));
            }
            TenantMsg::TriggerScrape { id, reply } => {
                let result = match store.endpoint(tenant, id)? {
                    None => Err(RegistryError::NotFound.into()),
                    Some(ep) if !ep.is_active => Err(RegistryError::Refused(
                        "The endpoint is inactive; set is_active to true to scrape it.".into(),
                    )
                    .into()),
                    Some(ep) => match self
                        .ensure_endpoint(&myself, state, ep.id, StdDuration::ZERO)
                        .await
                    {
                        Some(actor) => {
                            let _ = actor.cast(EndpointMsg::Trigger);
                            Ok(())
                        }
                        None => Err(crate::ActorError::Unavailable(
                            "the endpoint's actor could not be started".into(),
                        )),
                    },
                };
                let _ = reply.send(result);
            }
            TenantMsg::RecordScrape {
                endpoint,
                report,
                reply,
            } => {
                let result = store
                    .record_scrape(tenant, endpoint, *report, now)
                    .map(|(ep, _)| ep);
                reply_when_durable(&state.ctx.store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::AddDiscovered {
                organization,
                urls,
                running,
            } => {
                for url in urls {
                    if store.endpoint_by_url(tenant, &url)?.is_some() {
                        continue;
                    }
                    let patch = EndpointPatch {
                        organization_id: Some(organization),
                        url: Some(url),
                        ..Default::default()
                    };
                    // The organization may have been deleted while it was crawled.
                    match crash_on_store_error(store.edit_endpoint(tenant, None, patch, true, now))?
                    {
                        Ok(ep) => self.sync_endpoint(&myself, state, &ep).await,
                        Err(e) => {
                            tracing::info!(%organization, error = %e, "discovered page not added")
                        }
                    }
                }
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = store.commit().await;
                    drop(running);
                });
            }
            TenantMsg::Discover {
                organizations,
                reply,
            } => {
                let mut started = 0;
                for id in organizations {
                    if store
                        .organization(tenant, id)?
                        .is_some_and(|o| o.website.is_some())
                    {
                        start_discovery(&state.ctx, tenant, id);
                        started += 1;
                    }
                }
                let _ = reply.send(Ok(started));
            }
            TenantMsg::CountEndpointActors(reply) => {
                let _ = reply.send(Ok(state.endpoints.len()));
            }
            TenantMsg::CreateBatch {
                batch,
                items,
                reply,
            } => {
                store.create_batch(&batch, &items)?;
                let id = batch.id;
                // Its items are read once they are durable; the actor waits for its Pump.
                reply_when_durable(store, reply, Ok(batch));
                store.commit().await?;
                Self::start_batch(&myself, state, id).await;
            }
            TenantMsg::BulkItemRead { item, read, reply } => {
                let result = store.apply_extraction(tenant, item, read, now).map(|_| ());
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::BulkItemStarted { item, reply } => {
                let result = store.start_item_attempt(tenant, item);
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::BulkBatchDone { batch, reply } => {
                let result = store.finish_batch(tenant, batch, now).map(|_| ());
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::ConfirmItem {
                item,
                confirmation,
                reply,
            } => {
                let result = store.confirm_item(tenant, item, confirmation, now);
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
            TenantMsg::SkipItem { item, reply } => {
                let result = store.skip_item(tenant, item, now);
                reply_when_durable(store, reply, crash_on_store_error(result)?);
            }
        }
        // Writes above may have stored deliveries: once durable, wake their subscribers.
        let wakes = store.take_wakes(tenant);
        if !wakes.is_empty() {
            let (store, ctx) = (store.clone(), state.ctx.clone());
            tokio::spawn(async move {
                if store.commit().await.is_ok() {
                    let subscribers = wakes.into_iter().collect();
                    tell(
                        &ctx,
                        DeliverySupervisorMsg::Wake {
                            tenant,
                            subscribers,
                        },
                    );
                }
            });
        }
        Ok(())
    }
}

impl TenantActor {
    /// The endpoint's actor, started if need be (at least `delay` before its first check);
    /// `None` if the endpoint is gone or paused.
    async fn ensure_endpoint(
        &self,
        myself: &ActorRef<TenantMsg>,
        state: &mut TenantState,
        id: Uuid,
        delay: StdDuration,
    ) -> Option<ActorRef<EndpointMsg>> {
        if let Some(actor) = state.endpoints.get(&id) {
            return Some(actor.clone());
        }
        let name = state.ctx.name(&format!("endpoint:{id}"));
        let args = (state.ctx.clone(), state.tenant, id, delay);
        match spawn_or_adopt(name, EndpointActor, args, myself.get_cell()).await {
            Ok(actor) => {
                state.endpoints.insert(id, actor.clone());
                Some(actor)
            }
            Err(e) => {
                tracing::debug!(endpoint = %id, error = %e, "endpoint actor not started");
                None
            }
        }
    }

    /// Starts (or adopts) the actor that processes a batch.
    async fn start_batch(myself: &ActorRef<TenantMsg>, state: &mut TenantState, batch: Uuid) {
        let name = state.ctx.name(&format!("batch:{batch}"));
        let args = (state.ctx.clone(), state.tenant, batch);
        match spawn_or_adopt(name, BatchActor, args, myself.get_cell()).await {
            Ok(actor) => {
                state.batches.insert(batch, actor);
            }
            Err(e) => tracing::error!(%batch, error = %e, "batch actor did not start"),
        }
    }

    fn stop_endpoint(state: &mut TenantState, id: Uuid) {
        if let Some(actor) = state.endpoints.remove(&id) {
            actor.stop(Some("endpoint deleted or paused".into()));
        }
    }

    /// Makes the endpoint's actor match its record: running and rescheduled when active,
    /// stopped when paused.
    async fn sync_endpoint(
        &self,
        myself: &ActorRef<TenantMsg>,
        state: &mut TenantState,
        ep: &Endpoint,
    ) {
        if !ep.is_active {
            Self::stop_endpoint(state, ep.id);
        } else if let Some(actor) = self
            .ensure_endpoint(myself, state, ep.id, StdDuration::ZERO)
            .await
        {
            let _ = actor.cast(EndpointMsg::Reload);
        }
    }

    /// Replies once the subscriber change is durable, then has its actor read it again.
    fn reload_subscriber_then_reply(
        &self,
        state: &TenantState,
        result: Result<Subscriber, crate::ActorError>,
        reply: Reply<Subscriber>,
    ) {
        let (ctx, tenant) = (state.ctx.clone(), state.tenant);
        reply_when_durable_then(&state.ctx.store, reply, result, move |sub| {
            tell(
                &ctx,
                DeliverySupervisorMsg::Reload {
                    tenant,
                    subscriber: sub.id,
                },
            );
        });
    }
}

/// Time from `now` to the next sweep: five minutes past the next midnight UTC.
fn until_next_sweep(now: DateTime<Utc>) -> std::time::Duration {
    let next = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 5, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now + Duration::days(1));
    (next - now)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(86_400))
}

/// The hash of `user_id`'s token in this tenant named by `key_or_id`: the key itself, or
/// the token's id as the token list shows it.
fn find_own_token(
    state: &TenantState,
    user_id: Uuid,
    key_or_id: &str,
) -> Result<Option<KeyHash>, certwatch_store::StoreError> {
    let store = &state.ctx.store;
    let owned = |t: &Token| t.tenant_id == state.tenant && t.user_id == user_id;
    let by_key = key_hash(key_or_id);
    if store.token(&by_key)?.is_some_and(|t| owned(&t)) {
        return Ok(Some(by_key));
    }
    let Ok(id) = key_or_id.parse::<Uuid>() else {
        return Ok(None);
    };
    store.owned_token_hash(state.tenant, user_id, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_sweep_is_just_after_midnight() {
        let now: DateTime<Utc> = "2026-11-22T17:00:00Z".parse().unwrap();
        assert_eq!(until_next_sweep(now).as_secs(), 7 * 3600 + 5 * 60);
        let late: DateTime<Utc> = "2026-11-22T23:59:00Z".parse().unwrap();
        assert_eq!(until_next_sweep(late).as_secs(), 6 * 60);
    }
}
