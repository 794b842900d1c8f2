//! The health of a tenant's monitoring: schedules, failures, actors and discovery runs.

use certwatch_store::ops::endpoints;
use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct MonitoringHealth {
    /// "ok", or "degraded" when an active endpoint has no running actor.
    pub status: String,
    pub scheduler_alive: bool,
    pub endpoints: usize,
    pub active: usize,
    /// Active endpoints whose actor is running (their checks are scheduled).
    pub scheduled: usize,
    /// Active endpoints whose next check is due now.
    pub due: usize,
    /// Active endpoints whose last check failed.
    pub failing: usize,
    /// Seconds the most overdue check is late; null when none is due.
    pub oldest_overdue_seconds: Option<i64>,
    pub discoveries_running: usize,
}

#[utoipa::path(get, path = "/api/monitoring/health/", tag = "monitoring",
    security(("token" = [])),
    responses((status = 200, description = "The caller's tenant's monitoring", body = MonitoringHealth)))]
pub async fn health(state: State, caller: Caller) -> Result<MonitoringHealth, ApiError> {
    let counts = endpoints::counts(state.store(), caller.tenant_id, Utc::now())?;
    let (scheduled, discoveries_running, alive) =
        match state.actors.monitoring(caller.tenant_id).await {
            Ok(rt) => (rt.endpoint_actors, rt.discoveries_running, true),
            Err(_) => (0, 0, false),
        };
    let scheduler_alive = alive && scheduled >= counts.active;
    Ok(MonitoringHealth {
        status: if scheduler_alive { "ok" } else { "degraded" }.into(),
        scheduler_alive,
        endpoints: counts.endpoints,
        active: counts.active,
        scheduled,
        due: counts.due,
        failing: counts.failing,
        oldest_overdue_seconds: counts.oldest_overdue_seconds,
        discoveries_running,
    })
}
