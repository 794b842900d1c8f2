//! `GET /metrics`: the process's Prometheus registry in the text format, for a monitoring
//! system. Answered only to `Authorization: Bearer <CERTWATCH_METRICS_TOKEN>`; without that
//! setting the path does not exist. Request counts and latencies are counted here as every
//! answer leaves; the state of things (queues, store, certificates) is read when scraped.

use std::sync::LazyLock;

use certwatch_domain::registers::Provider;
use certwatch_domain::registry::CertStatus;
use certwatch_ingest::pool::JobError;
use certwatch_ingest::pool::Lane;
use certwatch_store::engine::trees::Tree;
use certwatch_store::tables;
use prometheus::{
    Encoder, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, TextEncoder,
    exponential_buckets, register_histogram_vec, register_int_counter, register_int_counter_vec,
    register_int_gauge, register_int_gauge_vec,
};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::holds_metrics_token;
use crate::blocking::blocking;
use crate::error::ApiError;
use crate::openapi;
use crate::respond::done;
use crate::state::{State, with_state};

static REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_http_requests_total",
        "HTTP requests answered, by method, route template and status",
        &["method", "route", "status"]
    )
    .expect("registered once")
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register_histogram_vec!(
        "certwatch_http_request_duration_seconds",
        "Time to answer an HTTP request, by method and route template",
        &["method", "route"],
        exponential_buckets(0.001, 2.5, 12).expect("valid buckets")
    )
    .expect("registered once")
});

/// A gauge of one quantity, set at each scrape.
fn gauge(name: &str, help: &str) -> IntGauge {
    register_int_gauge!(name, help).expect("registered once")
}

static STORE_SIZE: LazyLock<IntGauge> =
    LazyLock::new(|| gauge("certwatch_store_size_bytes", "Size of the store on disk"));
static DISK_FREE: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_data_dir_free_bytes",
        "Free space on the file system of the data directory",
    )
});
static DELIVERIES_DUE: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_webhook_deliveries_due",
        "Webhook deliveries waiting for their next attempt",
    )
});
static ENDPOINTS_DUE: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_endpoints_due",
        "Monitored pages whose check is due now",
    )
});
static ENDPOINTS_FAILING: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_endpoints_failing",
        "Monitored pages whose last check failed",
    )
});
static TENANTS: LazyLock<IntGauge> =
    LazyLock::new(|| gauge("certwatch_tenants", "Organizations using the service"));

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

static PARSING_REFUSED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register_int_counter_vec!(
        "certwatch_parse_jobs_refused_total",
        "Jobs refused, by why: a limit (memory, cpu, time), a crash, or no worker",
        &["reason"]
    )
    .expect("registered once")
});

/// Tenants whose checks with a register are paused (key refused, credits spent).
static REGISTERS_PAUSED: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    register_int_gauge_vec!(
        "certwatch_register_providers_paused",
        "Tenants whose checks with a register are paused until an admin acts (key refused, credits spent), by provider",
        &["provider"]
    )
    .expect("registered once")
});

/// Mail accounts whose last poll failed (a login refused, a server down): they back off.
static MAILBOXES_FAILING: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_mailboxes_failing",
        "Enabled mail accounts whose last poll failed (login refused, server unreachable or erring); each waits longer before the next",
    )
});

/// On a node of several: how many shards it holds, whether it is ready, and how long ago
/// its last lease round succeeded (what `/api/health/` says, for a monitoring system).
static NODE_SHARDS: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_node_shards",
        "Shards of tenants this node holds leases on (a node of several)",
    )
});
static NODE_READY: LazyLock<IntGauge> = LazyLock::new(|| {
    gauge(
        "certwatch_node_ready",
        "1 while this node's leases are current, else 0 (a node of several)",
    )
});
static NODE_RENEWED: LazyLock<prometheus::Gauge> = LazyLock::new(|| {
    prometheus::register_gauge!(
        "certwatch_node_lease_renewed_seconds_ago",
        "Seconds since this node's last successful lease round (a node of several)"
    )
    .expect("registered once")
});

static RESTARTS: LazyLock<IntCounter> = LazyLock::new(|| {
    register_int_counter!(
        "certwatch_actor_restarts_total",
        "Actors restarted by their supervisor after a failure"
    )
    .expect("registered once")
});

/// Makes every family, so the first scrape already shows them all: the actors' counters,
/// this layer's, and the process's (memory, CPU, open files, threads).
pub(crate) fn register() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        certwatch_actors::metrics::register();
        for family in [
            &STORE_SIZE,
            &DISK_FREE,
            &DELIVERIES_DUE,
            &ENDPOINTS_DUE,
            &ENDPOINTS_FAILING,
            &TENANTS,
        ] {
            LazyLock::force(family);
        }
        for status in CertStatus::ALL {
            CERTIFICATES.with_label_values(&[status.as_str()]);
        }
        for provider in Provider::ALL.into_iter().filter(|p| p.has_api()) {
            REGISTERS_PAUSED.with_label_values(&[provider.as_str()]);
        }
        for lane in LANES.map(|(_, name)| name) {
            PARSING_RUNNING.with_label_values(&[lane]);
        }
        for reason in JobError::KINDS {
            PARSING_REFUSED.with_label_values(&[reason]);
        }
        LazyLock::force(&RESTARTS);
        LazyLock::force(&MAILBOXES_FAILING);
        LazyLock::force(&REQUESTS);
        LazyLock::force(&LATENCY);
        // Linux only, like the service; a second registration (tests starting several
        // servers in one process) is refused and harmless.
        let _ = prometheus::register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
    });
}

const LANES: [(Lane, &str); 2] = [(Lane::Documents, "documents"), (Lane::Pages, "pages")];

/// Counts one answer (the wrapper around every route).
pub fn observe(info: &warp::log::Info) {
    let method = method_label(info.method());
    let status = info.status();
    let route = route_label(info.path(), status);
    REQUESTS
        .with_label_values(&[method, &route, status.as_str()])
        .inc();
    LATENCY
        .with_label_values(&[method, &route])
        .observe(info.elapsed().as_secs_f64());
}

/// The methods the service answers; anything else a client makes up is `other`.
fn method_label(method: &warp::http::Method) -> &'static str {
    use warp::http::Method;
    [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
    ]
    .into_iter()
    .find(|(known, _)| known == method)
    .map_or("other", |(_, name)| name)
}

/// A template with its parameters as `:name` (`/api/organizations/:id/`): braces inside a
/// label value trip simple exposition parsers.
fn colon_params(template: &str) -> String {
    template
        .split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => format!(":{name}"),
                None => segment.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// How many route labels the pages may add; past it they are counted as `other`, so no
/// traffic can grow the exposition without bound.
const MAX_PAGE_ROUTES: usize = 200;

/// A request path as a route template, a bounded set of labels:
/// - an API path: its template in the OpenAPI document (`/api/organizations/{id}/`, as
///   `/api/organizations/:id/`), or
///   `unmatched` when it has none;
/// - a page: its path with ids as `:id` (page routes have no free-text segments), or
///   `unmatched` for a 404 or 405; at most [`MAX_PAGE_ROUTES`] of them, then `other`.
fn route_label(path: &str, status: StatusCode) -> String {
    if let Some(template) = openapi::template_of(path) {
        return colon_params(template);
    }
    if path.starts_with("/api/")
        || matches!(
            status,
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
        )
    {
        return "unmatched".into();
    }
    let shape = path
        .split('/')
        .map(|segment| {
            if segment.parse::<uuid::Uuid>().is_ok() {
                ":id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    static PAGES: LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        LazyLock::new(Default::default);
    let mut pages = PAGES.lock().unwrap_or_else(|e| e.into_inner());
    if pages.contains(&shape) || pages.len() < MAX_PAGE_ROUTES {
        pages.insert(shape.clone());
        shape
    } else {
        "other".into()
    }
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
    if state.config.metrics_token.is_none() {
        return Err(ApiError::NotFound);
    }
    if !holds_metrics_token(&state, authorization.as_deref()) {
        return Err(ApiError::Unauthorized(
            "Metrics need Authorization: Bearer <CERTWATCH_METRICS_TOKEN>.".into(),
        ));
    }
    let st = state.clone();
    blocking(move || read_state(&st)).await??;
    let actors = &state.actors;
    if let Some(node) = actors.node() {
        NODE_SHARDS.set(actors.shards_held().unwrap_or(0) as i64);
        NODE_READY.set(i64::from(node.ready()));
        NODE_RENEWED.set(node.since_renewed().map_or(-1.0, |d| d.as_secs_f64()));
    }
    mirror(&RESTARTS, actors.restarts());
    for (lane, name) in LANES {
        PARSING_RUNNING
            .with_label_values(&[name])
            .set(actors.parsing().running(lane) as i64);
    }
    for (reason, n) in actors.parsing().refused() {
        mirror(&PARSING_REFUSED.with_label_values(&[reason]), n);
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

/// Brings a counter up to a count kept elsewhere since start (the pool's refusals, the
/// supervisors' restarts), which only ever grows. One scrape at a time, so two never add
/// the same difference.
fn mirror(counter: &IntCounter, count: u64) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    counter.inc_by(count.saturating_sub(counter.get()));
}

/// Sets the gauges read from the store: its size and free space, the queues, the
/// certificates by status. What belongs to tenants counts the tenants this node runs: all
/// of them on the only node, its shards' on a node of several — so each node's figures are
/// its own, the cluster's are their sum, and no node builds the catalogs of tenants it
/// does not run.
fn read_state(state: &State) -> Result<(), ApiError> {
    let store = state.store();
    let runs = |tenant: &uuid::Uuid| state.actors.runs(*tenant);
    STORE_SIZE.set(store.size_on_disk()? as i64);
    if let Ok(fs) = rustix::fs::statvfs(store.data_dir()) {
        DISK_FREE.set((fs.f_bavail * fs.f_frsize) as i64);
    }
    let mut deliveries_due = 0;
    for entry in store.tree(Tree::DeliveriesDue).iter().values() {
        let tenant = certwatch_store::engine::keys::uuid_at(&entry?, 0);
        deliveries_due += usize::from(tenant.is_some_and(|t| runs(&t)));
    }
    DELIVERIES_DUE.set(deliveries_due as i64);
    let now = chrono::Utc::now();
    let (mut due, mut failing) = (0, 0);
    let mut by_status = [0usize; CertStatus::ALL.len()];
    let tenants: Vec<uuid::Uuid> = tables::tenants::ids(store)?
        .into_iter()
        .filter(runs)
        .collect();
    TENANTS.set(tenants.len() as i64);
    for tenant in tenants {
        let counts = certwatch_store::ops::endpoints::counts(store, tenant, now)?;
        due += counts.due;
        failing += counts.failing;
        let catalog = store.catalog(tenant)?;
        for (i, (_, n)) in catalog.read().count_by_status().iter().enumerate() {
            by_status[i] += n;
        }
    }
    ENDPOINTS_DUE.set(due as i64);
    ENDPOINTS_FAILING.set(failing as i64);
    for (status, n) in CertStatus::ALL.iter().zip(by_status) {
        CERTIFICATES
            .with_label_values(&[status.as_str()])
            .set(n as i64);
    }
    let paused = tables::register_accounts::paused(store)?;
    for provider in Provider::ALL.into_iter().filter(|p| p.has_api()) {
        let paused = paused
            .iter()
            .filter(|(tenant, p)| *p == provider && runs(tenant))
            .count();
        REGISTERS_PAUSED
            .with_label_values(&[provider.as_str()])
            .set(paused as i64);
    }
    let failing = tables::mail_accounts::all(store)?
        .iter()
        .filter(|a| a.enabled && a.failures > 0 && runs(&a.tenant_id))
        .count();
    MAILBOXES_FAILING.set(failing as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_their_templates_and_made_up_paths_a_bounded_few() {
        let ok = StatusCode::OK;
        assert_eq!(
            route_label(
                "/api/organizations/5f0e0c7e-8e3f-4f57-9d43-8f0d8e0b1a2c/",
                ok
            ),
            "/api/organizations/:id/"
        );
        // Free text in a path (a certificate number) is the template's parameter, whatever
        // the answer.
        for status in [StatusCode::OK, StatusCode::UNAUTHORIZED] {
            assert_eq!(
                route_label("/api/v1/certificate/anything-at-all", status),
                "/api/v1/certificate/:number"
            );
        }
        assert_eq!(route_label("/api/certificates/", ok), "/api/certificates/");
        assert_eq!(
            route_label("/api/no/such/thing/", StatusCode::UNAUTHORIZED),
            "unmatched"
        );
        assert_eq!(
            route_label("/random/path/", StatusCode::NOT_FOUND),
            "unmatched"
        );
        assert_eq!(
            route_label("/suppliers/5f0e0c7e-8e3f-4f57-9d43-8f0d8e0b1a2c", ok),
            "/suppliers/:id"
        );
        let made_up: std::collections::HashSet<String> = (0..2 * MAX_PAGE_ROUTES)
            .map(|i| route_label(&format!("/made-up-{i}"), StatusCode::SEE_OTHER))
            .collect();
        assert!(made_up.len() <= MAX_PAGE_ROUTES + 1, "{}", made_up.len());
        assert!(made_up.contains("other"));
    }

    #[test]
    fn made_up_methods_are_one_label() {
        let odd = warp::http::Method::from_bytes(b"FROBNICATE").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(method_label(&warp::http::Method::PATCH), "PATCH");
    }
}
