//! `GET /api/health/` (public): up or down. The details (version, store, actors, OCR, the
//! node of several that answered) are
//! for the operator's monitoring only, answered to the metrics token
//! (`Authorization: Bearer <CERTWATCH_METRICS_TOKEN>`): an anonymous visitor learns nothing
//! about the release, the data's size or the number of tenants.

use serde::Serialize;
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::holds_metrics_token;
use crate::error::ApiError;
use crate::respond::json_reply;
use crate::route::route;
use crate::state::{State, with_state};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// "ok", or "degraded" (answered with 503) when a part is down.
    pub status: String,
    /// The rest only with the metrics token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actors: Option<ActorsHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocr: Option<OcrHealth>,
    /// On a node of several sharing a PostgreSQL store: which node answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeHealth>,
}

/// A node of several: it is ready while its leases are current (a lease round succeeded
/// within a lease's length); one that is not answers 503, so a load balancer stops
/// sending it requests.
#[derive(Serialize, ToSchema)]
pub struct NodeHealth {
    pub id: String,
    pub ready: bool,
    /// Shards of tenants it runs.
    pub shards: usize,
    /// Seconds since its last lease round succeeded.
    pub renewed_secs_ago: Option<f64>,
}

/// OCR of scans in bulk uploads: without the `tesseract` program, images and PDFs without a
/// text layer go to review. Its absence does not make the service degraded.
#[derive(Serialize, ToSchema)]
pub struct OcrHealth {
    pub available: bool,
}

#[derive(Serialize, ToSchema)]
pub struct StoreHealth {
    pub ok: bool,
    pub schema_version: Option<u32>,
    pub size_on_disk_bytes: Option<u64>,
    /// Certificates that shared a type and number with another one when the service
    /// started (from before the identity rule): `certwatch doctor --merge` folds them.
    pub duplicate_certificates: usize,
    pub error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActorsHealth {
    pub ok: bool,
    pub root: bool,
    pub mailer: bool,
    pub accounts: bool,
    pub delivery_supervisor: bool,
    pub tenant_supervisor: bool,
    pub tenants_running: usize,
    /// Actors restarted by their supervisor since the service started.
    pub restarts: u64,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    route!(raw health, with_state(state), warp::header::optional::<String>("authorization"))
}

#[utoipa::path(get, path = "/api/health/", tag = "health",
    responses(
        (status = 200, description = "Everything is running", body = Health),
        (status = 503, description = "A part is down", body = Health),
    ))]
pub async fn health(state: State, authorization: Option<String>) -> Result<Response, ApiError> {
    let store = state.store();
    let (schema_version, size, error) = match (store.schema_version(), store.size_on_disk()) {
        (Ok(v), Ok(size)) => (Some(v), Some(size), None),
        (Err(e), _) | (_, Err(e)) => (None, None, Some(e.to_string())),
    };
    let store_health = StoreHealth {
        ok: error.is_none(),
        schema_version,
        size_on_disk_bytes: size,
        duplicate_certificates: state.duplicates_at_start,
        error,
    };
    let a = state.actors.health().await;
    let actors = ActorsHealth {
        ok: a.ok(),
        root: a.root,
        mailer: a.mailer,
        accounts: a.accounts,
        delivery_supervisor: a.delivery_supervisor,
        tenant_supervisor: a.tenant_supervisor,
        tenants_running: a.tenants_running,
        restarts: a.restarts,
    };
    let node = state.actors.node().map(|n| NodeHealth {
        id: n.id.clone(),
        ready: n.ready(),
        shards: state.actors.shards_held().unwrap_or(0),
        renewed_secs_ago: n.since_renewed().map(|d| d.as_secs_f64()),
    });
    let ok = store_health.ok && actors.ok && node.as_ref().is_none_or(|n| n.ready);
    if !ok {
        // Said in the log, so a monitor's 503 can be explained afterwards.
        tracing::warn!(
            store_error = ?store_health.error,
            actors_ok = actors.ok,
            mailer = actors.mailer,
            accounts = actors.accounts,
            delivery_supervisor = actors.delivery_supervisor,
            tenant_supervisor = actors.tenant_supervisor,
            node_ready = ?node.as_ref().map(|n| n.ready),
            "health: degraded"
        );
    }
    let status = if ok { "ok" } else { "degraded" }.to_string();
    let body = if holds_metrics_token(&state, authorization.as_deref()) {
        Health {
            status,
            version: Some(env!("CARGO_PKG_VERSION").to_string()),
            store: Some(store_health),
            actors: Some(actors),
            ocr: Some(OcrHealth {
                available: state.actors.ocr_available(),
            }),
            node,
        }
    } else {
        Health {
            status,
            version: None,
            store: None,
            actors: None,
            ocr: None,
            node: None,
        }
    };
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(json_reply(status, &body))
}
