//! One pass over the registers for one tenant: each provider's planned lookups asked in
//! one round (`StatusProvider::check_all`), each answer turned into the check to record
//! (status, the register's number, what differs from the file, the evidence), reported
//! to the tenant actor, which records it. The pass runs in its own task: a register that
//! is slow to answer never holds the tenant's other writes.

use certwatch_domain::registers::{MAX_EVIDENCE, Provider, RegisterCheck};
use certwatch_domain::verification::{RegisterStatus, mismatches};
use certwatch_store::ops::registers::{Answered, Refusal};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Answer, Fsc, Iaf, RegisterError, Round, StatusProvider, Subject};

/// The registers the operator configured.
#[derive(Default)]
pub struct Registers {
    pub iaf: Option<Iaf>,
    pub fsc: Option<Fsc>,
}

/// A provider made from the operator's URL; an unusable URL (the configuration checked it
/// is http(s)) is logged and leaves the register off.
fn made<P>(made: Result<P, String>) -> Option<P> {
    made.map_err(|e| tracing::error!(error = %e, "a register's API URL is unusable"))
        .ok()
}

impl Registers {
    pub fn new(config: &certwatch_config::Registers) -> Registers {
        Registers {
            iaf: config
                .iaf_api_url
                .as_deref()
                .and_then(|u| made(Iaf::new(u))),
            fsc: config
                .fsc_api_url
                .as_deref()
                .and_then(|u| made(Fsc::new(u))),
        }
    }

    /// Whether the operator configured `provider`'s API.
    pub fn available(&self, provider: Provider) -> bool {
        match provider {
            Provider::IafCertsearch => self.iaf.is_some(),
            Provider::Fsc => self.fsc.is_some(),
            Provider::Manual => false,
        }
    }

    /// The configured provider that checks certificates of this type and number.
    pub fn covering(&self, type_code: &str, number: &str) -> Option<Provider> {
        if self
            .fsc
            .as_ref()
            .is_some_and(|p| p.covers(type_code, number))
        {
            Some(Provider::Fsc)
        } else if self
            .iaf
            .as_ref()
            .is_some_and(|p| p.covers(type_code, number))
        {
            Some(Provider::IafCertsearch)
        } else {
            None
        }
    }

    async fn round(&self, work: &Work) -> Round {
        let subjects: Vec<Subject> = work.jobs.iter().map(|j| j.subject.clone()).collect();
        let no_api = || Round {
            stopped: Some(RegisterError::Failed(
                "the register's API is not configured".into(),
            )),
            ..Round::default()
        };
        match work.provider {
            Provider::IafCertsearch => match &self.iaf {
                Some(p) => p.check_all(&work.key, &subjects, work.credits).await,
                None => no_api(),
            },
            Provider::Fsc => match &self.fsc {
                Some(p) => p.check_all(&work.key, &subjects, work.credits).await,
                None => no_api(),
            },
            Provider::Manual => no_api(),
        }
    }
}

/// One certificate to ask about, with what the file says of it.
#[derive(Debug, Clone)]
pub struct Job {
    pub certificate: Uuid,
    pub organization: Uuid,
    pub subject: Subject,
    pub body_on_file: String,
    pub expiry_on_file: Option<NaiveDate>,
}

/// One provider's lookups for one tenant, with the tenant's key and the credits it may
/// spend.
#[derive(Debug, Clone)]
pub struct Work {
    pub provider: Provider,
    pub key: String,
    pub credits: u32,
    pub jobs: Vec<Job>,
}

/// What a pass tells the tenant actor.
#[derive(Debug)]
pub enum Report {
    Answered(Box<Answered>),
    Refused(Provider, Refusal),
}

/// Runs the pass, reporting each answer and refusal as it comes.
pub async fn run(registers: &Registers, tenant: Uuid, work: Vec<Work>, report: impl Fn(Report)) {
    for w in work {
        let round = registers.round(&w).await;
        let now = Utc::now();
        for (i, answer) in round.answers {
            report(Report::Answered(Box::new(answered(
                tenant, &w, i, answer, now,
            ))));
        }
        for (i, why) in round.failed {
            report(Report::Answered(Box::new(failed(tenant, &w, i, why, now))));
        }
        if round.over_budget > 0 {
            let why = format!(
                "The monthly credit budget is spent: {} certificate(s) wait for next month or a larger budget.",
                round.over_budget
            );
            report(Report::Refused(w.provider, Refusal::Failed(why)));
        }
        if let Some(stop) = round.stopped {
            report(Report::Refused(w.provider, refusal(&stop, now)));
        }
    }
}

/// What a refusal does to the account.
fn refusal(e: &RegisterError, now: DateTime<Utc>) -> Refusal {
    let why = e.to_string();
    match e {
        _ if e.pauses() => Refusal::Paused(why),
        RegisterError::RateLimited(wait) => Refusal::Wait(
            now + chrono::Duration::from_std(*wait).unwrap_or(chrono::Duration::hours(1)),
            why,
        ),
        _ => Refusal::Failed(why),
    }
}

/// The evidence as kept: at most `MAX_EVIDENCE` bytes, cut on a character boundary.
fn kept(mut evidence: String) -> String {
    if evidence.len() > MAX_EVIDENCE {
        let mut end = MAX_EVIDENCE;
        while !evidence.is_char_boundary(end) {
            end -= 1;
        }
        evidence.truncate(end);
    }
    evidence
}

fn answered(tenant: Uuid, w: &Work, i: usize, a: Answer, now: DateTime<Utc>) -> Answered {
    let job = &w.jobs[i];
    let check = RegisterCheck {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        certificate_id: job.certificate,
        provider: w.provider,
        status: a.status,
        raw_status: a
            .entry
            .as_ref()
            .map_or_else(String::new, |e| e.raw_status.clone()),
        checked_at: now,
        register_number: a.entry.as_ref().map(|e| e.number.clone()),
        mismatch: a
            .entry
            .as_ref()
            .map(|e| mismatches(e, &job.body_on_file, job.expiry_on_file))
            .unwrap_or_default(),
        evidence: kept(a.evidence),
        error: None,
        recorded_by: None,
    };
    Answered {
        check,
        entity: a.entity_id.map(|id| (job.organization, id)),
        credits: a.credits,
    }
}

/// A lookup that failed for this certificate: an `unknown` answer with the reason, asked
/// again when doubtful answers are.
fn failed(tenant: Uuid, w: &Work, i: usize, why: String, now: DateTime<Utc>) -> Answered {
    let job = &w.jobs[i];
    Answered {
        check: RegisterCheck {
            id: Uuid::new_v4(),
            tenant_id: tenant,
            certificate_id: job.certificate,
            provider: w.provider,
            status: RegisterStatus::Unknown,
            raw_status: String::new(),
            checked_at: now,
            register_number: None,
            mismatch: Vec::new(),
            evidence: String::new(),
            error: Some(why),
            recorded_by: None,
        },
        entity: None,
        credits: 0,
    }
}
