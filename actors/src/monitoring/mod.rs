//! Monitoring: endpoint actors that scrape supplier pages on their own schedules, the
//! extraction of certificate facts from pages and documents, and discovery of the pages
//! worth monitoring.

pub(crate) mod discovery;
pub(crate) mod endpoint;
pub mod fetch;
mod read;
mod scrape;

use certwatch_store::tables;

use std::sync::Arc;

use uuid::Uuid;

use crate::context::Context;
use crate::messages::tenant::MonitoringMsg;

/// Starts discovery for an organization in the background; its pages become endpoints
/// through the tenant actor. A crawl lost to a restart is simply not finished: nothing is
/// half-created, and discovery can be started again.
pub(crate) fn start_discovery(ctx: &Arc<Context>, tenant: Uuid, organization: Uuid) {
    let ctx = ctx.clone();
    let running = ctx.discoveries.start(tenant);
    tokio::spawn(async move {
        let result = async {
            let _slot = ctx
                .discovery_slots
                .acquire()
                .await
                .map_err(|e| e.to_string())?;
            let website = tables::organizations::get(&ctx.store, tenant, organization)
                .map_err(|e| e.to_string())?
                .and_then(|o| o.website)
                .ok_or("the organization has no website")?;
            discovery::crawl(&ctx, tenant, &website).await
        }
        .await;
        match result {
            Ok(found) => {
                tracing::info!(%tenant, %organization, pages = found.len(), "discovery finished");
                if let Some(owner) = ctx.directory.tenant(tenant) {
                    let _ = owner.cast(
                        MonitoringMsg::AddDiscovered {
                            organization,
                            urls: found.into_iter().map(|d| d.url).collect(),
                            running,
                        }
                        .into(),
                    );
                }
            }
            Err(e) => tracing::warn!(%tenant, %organization, error = %e, "discovery failed"),
        }
    });
}
