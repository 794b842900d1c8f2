//! Monitored endpoints: their records, their actors (children of the tenant actor, one per
//! active endpoint), the scrapes they report and the pages discovery finds.

use std::time::Duration as StdDuration;

use certwatch_domain::monitoring::{Endpoint, EndpointPatch};
use certwatch_store::RegistryError;
use certwatch_store::{ops::endpoints, ops::scrapes, tables};
use chrono::{DateTime, Utc};
use ractor::{ActorProcessingErr, ActorRef};
use uuid::Uuid;

use super::state::{TenantState, write_woken};
use crate::call::{crash_on_store_error, write};
use crate::discoveries::DiscoveryRunning;
use crate::messages::ActorError;
use crate::messages::endpoint::EndpointMsg;
use crate::messages::tenant::{MonitoringMsg, TenantMsg};
use crate::monitoring::endpoint::EndpointActor;
use crate::monitoring::start_discovery;
use crate::spawn::ensure_child;

pub(super) async fn handle(
    myself: &ActorRef<TenantMsg>,
    msg: MonitoringMsg,
    state: &mut TenantState,
    now: DateTime<Utc>,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    match msg {
        MonitoringMsg::EditEndpoint { id, patch, reply } => {
            let result =
                crash_on_store_error(endpoints::edit(store, tenant, id, patch, false, now))?;
            if let Ok(ep) = &result {
                sync_endpoint(myself, state, ep).await;
            }
            write(store, reply, result)
        }
        MonitoringMsg::DeleteEndpoint { id, reply } => {
            let result = crash_on_store_error(endpoints::delete(store, tenant, id))?;
            if result.is_ok() {
                stop_endpoint(state, id);
            }
            write(store, reply, result.map(|_| ()))
        }
        MonitoringMsg::TriggerScrape { id, reply } => {
            let result = trigger_scrape(myself, state, id).await?;
            let _ = reply.send(result);
            Ok(())
        }
        MonitoringMsg::RecordScrape {
            endpoint,
            report,
            reply,
        } => {
            let result = scrapes::record(store, tenant, endpoint, *report, now);
            write_woken(state, reply, result.map(|w| w.map(|(ep, _)| ep)))
        }
        MonitoringMsg::AddDiscovered {
            organization,
            urls,
            running,
        } => add_discovered(myself, state, organization, urls, now, running).await,
        MonitoringMsg::Discover {
            organizations,
            reply,
        } => {
            let mut started = 0;
            for id in organizations {
                if tables::organizations::get(store, tenant, id)?
                    .is_some_and(|o| o.website.is_some())
                {
                    start_discovery(&state.ctx, tenant, id);
                    started += 1;
                }
            }
            let _ = reply.send(Ok(started));
            Ok(())
        }
        MonitoringMsg::CountEndpointActors(reply) => {
            let _ = reply.send(Ok(state.endpoints.len()));
            Ok(())
        }
    }
}

/// Starts a check of the endpoint now, through its actor.
async fn trigger_scrape(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    id: Uuid,
) -> Result<Result<(), ActorError>, ActorProcessingErr> {
    let Some(ep) = tables::endpoints::get(&state.ctx.store, state.tenant, id)? else {
        return Ok(Err(RegistryError::NotFound.into()));
    };
    if !ep.is_active {
        return Ok(Err(RegistryError::Refused(
            "The endpoint is inactive; set is_active to true to scrape it.".into(),
        )
        .into()));
    }
    Ok(
        match ensure_endpoint(myself, state, ep.id, StdDuration::ZERO).await {
            Some(actor) => {
                let _ = actor.cast(EndpointMsg::Trigger);
                Ok(())
            }
            None => Err(ActorError::Unavailable(
                "the endpoint's actor could not be started".into(),
            )),
        },
    )
}

/// Adds the pages discovery found on an organization's website as endpoints (those not
/// monitored yet), then lets the crawl end (`running`) once they are durable.
async fn add_discovered(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    organization: Uuid,
    urls: Vec<String>,
    now: DateTime<Utc>,
    running: DiscoveryRunning,
) -> Result<(), ActorProcessingErr> {
    let store = &state.ctx.store.clone();
    let tenant = state.tenant;
    for url in urls {
        if tables::endpoints::by_url(store, tenant, &url)?.is_some() {
            continue;
        }
        let patch = EndpointPatch {
            organization_id: Some(organization),
            url: Some(url),
            ..Default::default()
        };
        // The organization may have been deleted while it was crawled.
        match crash_on_store_error(endpoints::edit(store, tenant, None, patch, true, now))? {
            Ok(ep) => sync_endpoint(myself, state, &ep).await,
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
    Ok(())
}

/// The endpoint's actor, started if need be (at least `delay` before its first check);
/// `None` if the endpoint is gone or paused.
pub(super) async fn ensure_endpoint(
    myself: &ActorRef<TenantMsg>,
    state: &mut TenantState,
    id: Uuid,
    delay: StdDuration,
) -> Option<ActorRef<EndpointMsg>> {
    let name = state.ctx.name(&format!("endpoint:{id}"));
    let args = (state.ctx.clone(), state.tenant, id, delay);
    let supervisor = myself.get_cell();
    ensure_child(
        &mut state.endpoints,
        id,
        name,
        EndpointActor,
        args,
        supervisor,
    )
    .await
}

pub(super) fn stop_endpoint(state: &mut TenantState, id: Uuid) {
    if let Some(actor) = state.endpoints.remove(&id) {
        actor.stop(Some("endpoint deleted or paused".into()));
    }
}

/// Makes the endpoint's actor match its record: running and rescheduled when active,
/// stopped when paused.
async fn sync_endpoint(myself: &ActorRef<TenantMsg>, state: &mut TenantState, ep: &Endpoint) {
    if !ep.is_active {
        stop_endpoint(state, ep.id);
    } else if let Some(actor) = ensure_endpoint(myself, state, ep.id, StdDuration::ZERO).await {
        let _ = actor.cast(EndpointMsg::Reload);
    }
}
