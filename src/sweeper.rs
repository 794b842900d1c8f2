//! The retention sweep, run on a timer: history past its retention and files nothing
//! points at are removed (see `certwatch_store::ops::retention`).

use std::time::{Duration, Instant, SystemTime};

use certwatch_actors::Actors;
use certwatch_config::Retention;
use certwatch_store::ops::retention::{self, Cutoffs, FILE_GRACE};

/// The first sweep after start waits at most this long, so a server restarted more often
/// than the interval still sweeps.
const FIRST_SWEEP_AFTER: Duration = Duration::from_secs(300);

/// Sweeps on a timer the tenants `actors` runs (on a node of several, those of its shards).
pub async fn run(actors: Actors, cfg: Retention) {
    let start = tokio::time::Instant::now() + cfg.sweep_interval.min(FIRST_SWEEP_AFTER);
    let mut ticks = tokio::time::interval_at(start, cfg.sweep_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let (runs, cfg) = (actors.clone(), cfg.clone());
        let began = Instant::now();
        match tokio::task::spawn_blocking(move || {
            retention::sweep(
                runs.store(),
                cutoffs(&cfg),
                SystemTime::now() - FILE_GRACE,
                |tenant| runs.runs(tenant),
            )
        })
        .await
        {
            Ok(Ok(swept)) => tracing::info!(
                took_ms = began.elapsed().as_millis() as u64,
                scrape_logs = swept.scrape_logs,
                orphan_scrape_logs = swept.orphan_scrape_logs,
                deliveries = swept.deliveries,
                events = swept.events,
                files = swept.files,
                file_bytes = swept.file_bytes,
                derived = swept.derived,
                "retention sweep done"
            ),
            Ok(Err(e)) => tracing::error!(error = %e, "retention sweep failed"),
            Err(e) => tracing::error!(error = %e, "retention sweep failed"),
        }
    }
}

/// What is older than the retention settings, as of now.
fn cutoffs(cfg: &Retention) -> Cutoffs {
    let now = chrono::Utc::now();
    let days = |d: u32| now - chrono::Duration::days(i64::from(d));
    Cutoffs {
        scrape_logs: days(cfg.scrape_log_days),
        deliveries: days(cfg.delivery_days),
        events: days(cfg.event_days),
    }
}
