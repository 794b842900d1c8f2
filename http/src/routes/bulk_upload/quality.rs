//! What people corrected across a tenant's batches.

use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct CorrectedField {
    pub field: String,
    pub count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct QualityMetricsView {
    pub total_batches: usize,
    pub total_items: usize,
    pub total_processed: usize,
    pub matched: usize,
    pub needs_review: usize,
    pub failed: usize,
    pub skipped: usize,
    pub pending: usize,
    pub auto_match_rate: f64,
    pub failure_rate: f64,
    /// Fields people corrected on confirm, most corrected first.
    pub most_corrected_fields: Vec<CorrectedField>,
}

#[utoipa::path(get, path = "/api/bulk-upload/quality-metrics/", tag = "bulk-upload",
    security(("token" = [])),
    responses((status = 200, description = "Totals across the tenant's batches", body = QualityMetricsView)))]
pub async fn quality_metrics(state: State, caller: Caller) -> Result<QualityMetricsView, ApiError> {
    let m = certwatch_store::ops::bulk::quality_metrics(state.store(), caller.tenant_id)?;
    let c = &m.counts;
    Ok(QualityMetricsView {
        total_batches: m.batches,
        total_items: c.total,
        total_processed: c.processed,
        matched: c.matched,
        needs_review: c.needs_review,
        failed: c.failed,
        skipped: c.skipped,
        pending: c.pending,
        auto_match_rate: c.auto_match_rate(),
        failure_rate: c.failure_rate(),
        most_corrected_fields: m
            .corrections
            .into_iter()
            .map(|(field, count)| CorrectedField { field, count })
            .collect(),
    })
}
