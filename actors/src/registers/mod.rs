//! The registers a certificate's status is asked of: IAF CertSearch (accredited
//! management-system certificates) and FSC (chain-of-custody licences), each behind a
//! [`StatusProvider`]. A provider sends a register only what identifies the certificate —
//! the company's name, country and identifiers, the certificate or licence number — with
//! the tenant's own key, to the base URL the operator configured, and answers in
//! `domain::verification`'s vocabulary with the register's raw response kept as evidence.
//! What a provider cannot do (its key refused, its credits spent, its rate exceeded) is a
//! [`RegisterError`] the caller acts on: pause the provider, or wait as long as the
//! register asks.

mod fsc;
mod iaf;
mod pass;

use std::time::Duration;

use certwatch_domain::verification::{RegisterEntry, RegisterStatus};

pub use fsc::Fsc;
pub use iaf::{Entity, IDS_PER_REQUEST, Iaf};
pub use pass::{Job, Registers, Report, Work, run};

/// The most of a register's response that is read (and kept as evidence); a longer one is
/// refused, not cut into JSON that does not parse.
const MAX_RESPONSE: usize = 512 * 1024;
/// How long one request to a register may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// The bounds a register's `Retry-After` is held to: at least a second, so a `0` is no
/// busy loop; at most an hour, so a register cannot park the checks for days.
const RETRY_AFTER: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(3600));
/// How long to wait after a 429 that says nothing.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Lookups that may fail in a row before a round stops: a register that is down costs a
/// pass a few timeouts, not one per certificate.
pub(super) const FAILURES_IN_A_ROW: usize = 3;

/// What identifies a certificate and its holder to a register.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Subject {
    pub company_name: String,
    /// ISO 3166 alpha-2, as the supplier's record has it.
    pub country: String,
    pub vat: Option<String>,
    pub certificate_number: String,
    /// The register's id of the holder, found by an earlier lookup (IAF's `ce_id`).
    pub entity_id: Option<String>,
}

/// A register's answer about one certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: RegisterStatus,
    /// The register's entry for the certificate; `None` when it has none.
    pub entry: Option<RegisterEntry>,
    /// The register's id of the holder, to look it up again by id (free) next time.
    pub entity_id: Option<String>,
    /// Lookups the register charges for, spent on this answer.
    pub credits: u32,
    /// The register's response, as it sent it.
    pub evidence: String,
}

/// Why a register gave no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegisterError {
    #[error("the register refused the API key")]
    Unauthorized,
    #[error("the register account has no credits left")]
    OutOfCredit,
    #[error("the register asks to wait {0:?}")]
    RateLimited(Duration),
    #[error("{0}")]
    Failed(String),
}

impl RegisterError {
    /// Whether the provider must stop for the tenant until an admin acts (a new key, more
    /// credits), rather than try again later.
    pub fn pauses(&self) -> bool {
        matches!(
            self,
            RegisterError::Unauthorized | RegisterError::OutOfCredit
        )
    }
}

/// A register that can say whether a certificate stands.
pub trait StatusProvider: Send + Sync {
    /// The provider's name in the API (`iaf_certsearch`, `fsc`).
    fn name(&self) -> &'static str;

    /// Whether the register holds certificates of this type and number.
    fn covers(&self, type_code: &str, number: &str) -> bool;

    /// Asks the register about `subject` with the tenant's `key`.
    fn check(
        &self,
        key: &str,
        subject: &Subject,
    ) -> impl std::future::Future<Output = Result<Answer, RegisterError>> + Send;

    /// Asks about each of `subjects`, spending at most `credits`; stops at the first
    /// refusal that is the account's, not the certificate's. One lookup each unless the
    /// register can do better.
    fn check_all(
        &self,
        key: &str,
        subjects: &[Subject],
        credits: u32,
    ) -> impl std::future::Future<Output = Round> + Send {
        async move {
            let mut round = Round::default();
            let (mut left, mut streak) = (credits, Streak::default());
            for (i, subject) in subjects.iter().enumerate() {
                if left == 0 {
                    round.over_budget = subjects.len() - i;
                    break;
                }
                match self.check(key, subject).await {
                    Ok(answer) => {
                        streak.answered();
                        left = left.saturating_sub(answer.credits);
                        round.answers.push((i, answer));
                    }
                    Err(RegisterError::Failed(why)) => {
                        round.failed.push((i, why.clone()));
                        if let Some(stop) = streak.failed(&why) {
                            round.stopped = Some(stop);
                            break;
                        }
                    }
                    Err(stop) => {
                        round.stopped = Some(stop);
                        break;
                    }
                }
            }
            round
        }
    }
}

/// Lookups of a round that failed in a row: the round stops at [`FAILURES_IN_A_ROW`].
#[derive(Default)]
pub(super) struct Streak(usize);

impl Streak {
    pub fn answered(&mut self) {
        self.0 = 0;
    }

    /// Counts a failed lookup; why the round stops, once too many failed in a row.
    pub fn failed(&mut self, last: &str) -> Option<RegisterError> {
        self.0 += 1;
        (self.0 == FAILURES_IN_A_ROW).then(|| {
            RegisterError::Failed(format!(
                "{FAILURES_IN_A_ROW} lookups failed in a row (last: {last}); the rest wait for the next pass"
            ))
        })
    }
}

/// What came of asking a register about several certificates, by their place in the
/// list asked: answers, failures of one certificate's lookup, the refusal that stopped the
/// round (the rest were not asked), and how many were left for want of credits.
#[derive(Debug, Default)]
pub struct Round {
    pub answers: Vec<(usize, Answer)>,
    pub failed: Vec<(usize, String)>,
    pub stopped: Option<RegisterError>,
    pub over_budget: usize,
}

/// The client registers are asked with: their base URLs are the operator's, so they may be
/// on a private network (a proxy); nothing but those URLs is ever requested with it.
fn client() -> reqwest::Client {
    crate::outbound::client(true, TIMEOUT, 0)
}

/// A register's `Retry-After` in seconds, held to [`RETRY_AFTER`].
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RETRY_AFTER)
        .clamp(RETRY_AFTER.0, RETRY_AFTER.1)
}

/// A response's status and body, the body read up to [`MAX_RESPONSE`]; 429 becomes
/// [`RegisterError::RateLimited`].
async fn read(
    sent: Result<reqwest::Response, reqwest::Error>,
) -> Result<(u16, String), RegisterError> {
    let mut resp = sent.map_err(|e| RegisterError::Failed(crate::outbound::error_chain(&e)))?;
    let status = resp.status().as_u16();
    if status == 429 {
        return Err(RegisterError::RateLimited(retry_after(resp.headers())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| RegisterError::Failed(crate::outbound::error_chain(&e)))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_RESPONSE {
            return Err(RegisterError::Failed(format!(
                "the register's response is longer than {} KiB",
                MAX_RESPONSE / 1024
            )));
        }
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `base` joined with `path` segments, each escaped: a number or id never changes which
/// resource is asked ("../", "?").
fn url(base: &reqwest::Url, segments: &[&str]) -> Result<reqwest::Url, RegisterError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| RegisterError::Failed("the register's base URL cannot take a path".into()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}
