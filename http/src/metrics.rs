//! `GET /metrics`: the process's Prometheus registry in the text format, for a monitoring
//! system. Answered only to `Authorization: Bearer <CERTWATCH_METRICS_TOKEN>`; without that
//! setting the path does not exist. Request counts and latencies are counted here as every
//! answer leaves; the state of things (queues, store, certificates) is read when scraped.

use std::sync::LazyLock;

use certwatch_ingest::pool::Lane;
use certwatch_store::tables;
use certwatch_store::trees::Tree;
use prometheus::{
    Encoder, HistogramVec, IntCounterVec, IntGaugeVec, TextEncoder, exponential_buckets,
    register_histogram_vec, register_int_counter_vec, register_int_gauge_vec,
};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::blocking::blocking;
use crate::error::ApiError;
use crate::respond::done;
use crate::state::{State, with_state};

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_http_requests_total",
        "HTTP requests answered, by method, route and status",
        &["method", "route", "status"]
    )
    .expect("registered once")
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "certwatch_http_request_duration_seconds",
        "Time to answer an HTTP request, by method and route",
        &["method", "route"],
        exponential_buckets(0.001, 2.5, 12).expect("valid buckets")
    )
    .expect("registered once")
});

/// The state of things, set at each scrape.
static STATE: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "certwatch_state",
        "What the service holds and does now, by what",
        &["what"]
    )
    .expect("registered once")
});

static CERTIFICATES: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "certwatch_certificates",
        "Certificates on file in every tenant, by status",
        &["status"]
    )
    .expect("registered once")
});

static PARSING_RUNNING: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "certwatch_parse_jobs_running",
        "Jobs running in worker processes, by lane (documents: uploads and imports; pages: monitoring)",
        &["lane"]
    )
    .expect("registered once")
});

static PARSING_REFUSED: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "certwatch_parse_jobs_refused",
        "Jobs refused since start, by why: a limit (memory, cpu, time), a crash, or no worker",
        &["reason"]
    )
    .expect("registered once")
});

/// Counts one answer (the wrapper around every route).
pub fn observe(info: &warp::log::Info) {
    let method = info.method().as_str();
    let status = info.status();
    let route = route_of(info.path(), status);
    REQUESTS
        .with_label_values(&[method, &route, status.as_str()])
        .inc();
    LATENCY
        .with_label_values(&[method, &route])
        .observe(info.elapsed().as_secs_f64());
}

/// A request path as a route: ids and keys become `:id`, so the label set stays the
/// routes'. A 404 or 405 is counted as `unmatched` whatever its path, so requests for
/// made-up paths cannot grow it.
fn route_of(path: &str, status: StatusCode) -> String {
    if matches!(
        status,
        StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
    ) {
        return "unmatched".into();
    }
    path.split('/')
        .map(|segment| {
            let id_like = segment.parse::<uuid::Uuid>().is_ok()
                || (segment.len() >= 8 && segment.bytes().any(|b| b.is_ascii_digit()));
            if id_like { ":id" } else { segment }
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub fn route(state: &State) -> BoxedFilter<(Response,)> {
    warp::path!("metrics")
        .and(warp::get())
        .and(with_state(state))
        .and(warp::header::optional::<String>("authorization"))
        .then(metrics)
        .map(done)
        .boxed()
}

async fn metrics(state: State, authorization: Option<String>) -> Result<Response, ApiError> {
    let Some(token) = state.config.metrics_token.clone() else {
        return Err(ApiError::NotFound);
    };
    let presented = authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    if !presented.is_some_and(|p| constant_time_eq(p.as_bytes(), token.as_bytes())) {
        return Err(ApiError::Unauthorized(
            "Metrics need Authorization: Bearer <CERTWATCH_METRICS_TOKEN>.".into(),
        ));
    }
    let st = state.clone();
    blocking(move || read_state(&st)).await??;
    let actors = &state.actors;
    STATE
        .with_label_values(&["actor_restarts"])
        .set(actors.restarts() as i64);
    for (lane, name) in [(Lane::Documents, "documents"), (Lane::Pages, "pages")] {
        PARSING_RUNNING
            .with_label_values(&[name])
            .set(actors.parsing().running(lane) as i64);
    }
    for (reason, n) in actors.parsing().refused() {
        PARSING_REFUSED.with_label_values(&[reason]).set(n as i64);
    }
    let mut body = Vec::new();
    TextEncoder::new()
        .encode(&prometheus::gather(), &mut body)
        .map_err(|e| ApiError::Internal(format!("metrics: {e}")))?;
    Ok(warp::http::Response::builder()
        .status(StatusCode::OK)
        .header("content-type", TextEncoder::new().format_type())
        .body(body.into())
        .expect("a valid response"))
}

/// Sets the gauges read from the store: its size and free space, the queues, the
/// certificates by status.
fn read_state(state: &State) -> Result<(), ApiError> {
    let store = state.store();
    let set = |what: &str, n: u64| STATE.with_label_values(&[what]).set(n as i64);
    set("store_size_bytes", store.size_on_disk()?);
    if let Ok(fs) = rustix::fs::statvfs(store.data_dir()) {
        set("disk_free_bytes", fs.f_bavail * fs.f_frsize);
    }
    set(
        "webhook_deliveries_due",
        store.tree(Tree::DeliveriesDue).len() as u64,
    );
    let now = chrono::Utc::now();
    let (mut due, mut failing) = (0, 0);
    let mut by_status = [0usize; 4];
    for tenant in tables::tenants::ids(store)? {
        let counts = certwatch_store::endpoints::counts(store, tenant, now)?;
        due += counts.due;
        failing += counts.failing;
        let catalog = store.catalog(tenant)?;
        for (i, (_, n)) in catalog.read().count_by_status().iter().enumerate() {
            by_status[i] += n;
        }
    }
    set("endpoints_due", due as u64);
    set("endpoints_failing", failing as u64);
    for (status, n) in certwatch_domain::registry::CertStatus::ALL
        .iter()
        .zip(by_status)
    {
        CERTIFICATES
            .with_label_values(&[status.as_str()])
            .set(n as i64);
    }
    Ok(())
}

/// Compares without leaking through timing how much of the token a guess got right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_keep_their_shape_and_made_up_paths_one_label() {
        let ok = StatusCode::OK;
        assert_eq!(
            route_of(
                "/api/organizations/5f0e0c7e-8e3f-4f57-9d43-8f0d8e0b1a2c/",
                ok
            ),
            "/api/organizations/:id/"
        );
        assert_eq!(
            route_of("/api/v1/certificate/Q2024-0815", ok),
            "/api/v1/certificate/:id"
        );
        assert_eq!(route_of("/api/certificates/", ok), "/api/certificates/");
        assert_eq!(
            route_of("/random/path/", StatusCode::NOT_FOUND),
            "unmatched"
        );
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"secret-token-123", b"secret-token-123"));
        assert!(!constant_time_eq(b"secret-token-123", b"secret-token-124"));
        assert!(!constant_time_eq(b"secret", b"secret-token-123"));
    }
}
