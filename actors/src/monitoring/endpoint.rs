//! One actor per active monitored endpoint, a child of its tenant's actor. It owns the
//! endpoint's timer: it sleeps until the next check is due, scrapes (in a task of its own,
//! so it stays responsive), hands the report to the tenant actor — the one writer, which
//! applies the mentions, the adaptive tier and the log — and sleeps until the next check
//! the tenant actor set.

use certwatch_store::tables;

use std::sync::Arc;
use std::time::Duration;

use certwatch_domain::monitoring::{Endpoint, ScrapeReport};
use certwatch_store::RegistryError;
use chrono::{DateTime, Utc};
use ractor::{Actor, ActorProcessingErr, ActorRef, MessagingErr};
use uuid::Uuid;

use crate::ActorError;
use crate::call;
use crate::context::Context;
use crate::messages::endpoint::EndpointMsg;
use crate::messages::tenant::MonitoringMsg;
use crate::spawn::report_to;
use crate::timer::cast_after;

use super::scrape::scrape;

/// Wait before trying again when the tenant actor could not take a report.
const REPORT_RETRY: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub(crate) struct EndpointActor;

/// How the actor starts: the context, tenant, endpoint, and the least delay before its
/// first check (spreads overdue checks after a restart).
pub(crate) type EndpointArgs = (Arc<Context>, Uuid, Uuid, Duration);

pub(crate) struct EndpointState {
    ctx: Arc<Context>,
    ep: Endpoint,
    generation: u64,
    /// The pending timer. Replaced timers are aborted: a sleeping timer holds the actor's
    /// cell, so a stale one would keep a stopped actor in memory until it ran out.
    timer: Option<tokio::task::JoinHandle<Result<(), MessagingErr<EndpointMsg>>>>,
    scraping: bool,
    /// A trigger arrived during a scrape: scrape again right after.
    again: bool,
}

impl EndpointState {
    /// Sets the timer for the stored next check (at least `min_delay` from now).
    fn schedule(&mut self, myself: &ActorRef<EndpointMsg>, min_delay: Duration) {
        self.generation += 1;
        let generation = self.generation;
        let now = Utc::now();
        let due = self.ep.next_check_at.unwrap_or(now);
        let wait = (due - now).to_std().unwrap_or_default().max(min_delay);
        self.cancel_timer();
        // After a restart every endpoint sets its timer at once (see `timer`).
        self.timer = Some(cast_after(myself, wait, EndpointMsg::Due(generation)));
    }

    fn cancel_timer(&mut self) {
        if let Some(timer) = self.timer.take() {
            timer.abort();
        }
    }

    /// Scrapes in a task of its own; `scheduled_for` is the due time of a timed check.
    fn start_scrape(
        &mut self,
        myself: &ActorRef<EndpointMsg>,
        scheduled_for: Option<DateTime<Utc>>,
    ) {
        self.scraping = true;
        let (ctx, url, me) = (self.ctx.clone(), self.ep.url.clone(), myself.clone());
        let tenant = self.ep.tenant_id;
        report_to(
            me,
            async move { scrape(&ctx, tenant, &url, scheduled_for).await },
            |scraped| match scraped {
                Ok(report) => EndpointMsg::Scraped(Box::new(report)),
                Err(why) => EndpointMsg::Panicked(why),
            },
        );
    }

    /// Hands a report to the tenant actor; `None` when the endpoint is gone.
    async fn record(&self, report: ScrapeReport) -> Result<Option<Endpoint>, ActorError> {
        let endpoint = self.ep.id;
        let outcome = if report.error.is_none() {
            "success"
        } else {
            "failed"
        };
        crate::metrics::SCRAPES.with_label_values(&[outcome]).inc();
        let took = (report.finished_at - report.started_at)
            .num_milliseconds()
            .max(0);
        crate::metrics::SCRAPE_DURATION
            .with_label_values(&[outcome])
            .observe(took as f64 / 1000.0);
        if let Some(due) = report.scheduled_for {
            let late = (report.started_at - due).num_milliseconds().max(0) as f64 / 1000.0;
            crate::metrics::SCRAPE_LATENESS.observe(late);
        }
        match call::ask_tenant(&self.ctx, self.ep.tenant_id, |reply| {
            MonitoringMsg::RecordScrape {
                endpoint,
                report: Box::new(report),
                reply,
            }
        })
        .await
        {
            Ok(ep) => Ok(Some(ep)),
            Err(ActorError::Registry(RegistryError::NotFound)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A report for an attempt that ended in a panic.
fn panic_report(at: DateTime<Utc>, why: &str) -> ScrapeReport {
    ScrapeReport {
        scheduled_for: None,
        started_at: at,
        finished_at: Utc::now(),
        http_status: None,
        bytes: 0,
        error: Some(format!("internal error while reading the page: {why}")),
        mentions: Vec::new(),
        documents: Vec::new(),
    }
}

impl Actor for EndpointActor {
    type Msg = EndpointMsg;
    type State = EndpointState;
    type Arguments = EndpointArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<EndpointMsg>,
        (ctx, tenant, id, min_delay): EndpointArgs,
    ) -> Result<EndpointState, ActorProcessingErr> {
        let ep = tables::endpoints::get(&ctx.store, tenant, id)?
            .filter(|e| e.is_active)
            .ok_or_else(|| format!("endpoint {id} is gone or paused"))?;
        let mut state = EndpointState {
            ctx,
            ep,
            generation: 0,
            timer: None,
            scraping: false,
            again: false,
        };
        state.schedule(&myself, min_delay);
        Ok(state)
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<EndpointMsg>,
        state: &mut EndpointState,
    ) -> Result<(), ActorProcessingErr> {
        state.cancel_timer();
        Ok(())
    }

    async fn handle(
        &self,
        myself: ActorRef<EndpointMsg>,
        msg: EndpointMsg,
        state: &mut EndpointState,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            EndpointMsg::Due(generation) => {
                if generation == state.generation && !state.scraping {
                    let due = state.ep.next_check_at;
                    state.start_scrape(&myself, due);
                }
            }
            EndpointMsg::Trigger => {
                if state.scraping {
                    state.again = true;
                } else {
                    state.start_scrape(&myself, None);
                }
            }
            EndpointMsg::Reload => {
                let (tenant, id) = (state.ep.tenant_id, state.ep.id);
                match tables::endpoints::get(&state.ctx.store, tenant, id)? {
                    Some(ep) if ep.is_active => {
                        state.ep = ep;
                        if !state.scraping {
                            state.schedule(&myself, Duration::ZERO);
                        }
                    }
                    _ => myself.stop(Some("endpoint deleted or paused".into())),
                }
            }
            EndpointMsg::Scraped(report) => {
                state.scraping = false;
                match state.record(*report).await {
                    Ok(Some(ep)) => {
                        state.ep = ep;
                        if std::mem::take(&mut state.again) {
                            state.start_scrape(&myself, None);
                        } else {
                            state.schedule(&myself, Duration::ZERO);
                        }
                    }
                    Ok(None) => myself.stop(Some("endpoint deleted".into())),
                    Err(e) => {
                        tracing::warn!(endpoint = %state.ep.id, error = %e, "scrape not recorded; trying again later");
                        state.schedule(&myself, REPORT_RETRY);
                    }
                }
            }
            EndpointMsg::Panicked(why) => {
                tracing::error!(endpoint = %state.ep.id, url = %state.ep.url, %why, "scrape panicked");
                // Recorded first, so the restarted actor finds the failure and backs off
                // instead of hitting the same page again at once.
                let started = state.ep.next_check_at.unwrap_or_else(Utc::now);
                let _ = state.record(panic_report(started, &why)).await;
                return Err(format!("scrape of {} panicked: {why}", state.ep.url).into());
            }
        }
        Ok(())
    }
}
