//! The reminder pass of a tenant: for every requirement of every supplier, and every open
//! request, what `requests::plan` says — open a request, remind, fulfil, let a lapsed link
//! expire — carried out in transactions of a bounded size. The mails it returns are sent
//! by the tenant actor once the writes are durable.

use std::collections::HashMap;

use certwatch_domain::compliance::{Standing, standing};
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::requests::{
    Action, CertificateRequest, MailReason, Opener, RequestStatus, Situation, plan,
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ops::compliance;
use crate::ops::requests::{Change, Outgoing, commit, event, fulfilled, mail_round, new_request};
use crate::tables::{cert_requests, certificates, contacts, tenants};
use crate::{RegistryError, Store, Woke, Written};

/// Requests written per transaction.
const CHUNK: usize = 256;

/// What one pass did.
#[derive(Debug, Default)]
pub struct Pass {
    pub mails: Vec<Outgoing>,
    pub opened: usize,
    pub reminded: usize,
    pub fulfilled: usize,
    pub expired: usize,
    /// Requirements that needed a request for a supplier with no contact to ask.
    pub cannot_ask: usize,
}

type Pair = (Uuid, Uuid);

/// Runs the pass for `tenant` at `now`; supplier links last `link_days` after a mail.
pub fn run(
    store: &Store,
    tenant: Uuid,
    now: DateTime<Utc>,
    link_days: u32,
) -> Result<Written<Pass>, RegistryError> {
    let Some(t) = tenants::get(store, tenant)? else {
        return Ok(Written::quiet(Pass::default()));
    };
    let settings = t.reminders;
    let rules = compliance::rules(store, tenant, now)?;
    let (mut open, last_closed) = requests_by_pair(store, tenant)?;
    // Each required pair with its standing, then the open requests nothing requires (a
    // person asked): they can still be fulfilled or expire.
    let mut pairs: Vec<(Pair, Standing, bool)> = Vec::new();
    {
        let catalog = store.catalog(tenant)?;
        let catalog = catalog.read();
        for org in catalog.org_ids() {
            for (req, s) in catalog.compliance(org, &rules).unwrap_or_default() {
                pairs.push(((org, req.certificate_type_id), s, true));
            }
        }
        let required: std::collections::HashSet<Pair> = pairs.iter().map(|p| p.0).collect();
        for pair in open.keys().filter(|p| !required.contains(p)) {
            let held = catalog.holdings(pair.0, pair.1);
            pairs.push((
                *pair,
                standing(&held, rules.today, rules.warning_days),
                false,
            ));
        }
    }
    let mut pass = Pass::default();
    let mut changes: Vec<Change> = Vec::new();
    let mut announced: Vec<Event> = Vec::new();
    let mut woke = Woke::default();
    let mut contacts_of: HashMap<Uuid, Vec<_>> = HashMap::new();
    for (pair, standing, required) in pairs {
        let open_request = open.remove(&pair);
        let renewed = match (&open_request, standing.certificate) {
            (Some(r), Some(cert)) => {
                certificates::get(store, tenant, cert)?.is_some_and(|c| c.updated_at > r.created_at)
            }
            _ => false,
        };
        let situation = Situation {
            standing,
            open: open_request.as_ref(),
            last_closed: last_closed.get(&pair),
            renewed_since_opened: renewed,
        };
        let action = plan(&situation, &settings, now, link_days);
        if matches!(action, Action::Open(_) | Action::Remind(_))
            && !contacts_of.contains_key(&pair.0)
        {
            contacts_of.insert(pair.0, contacts::of_org(store, tenant, pair.0)?);
        }
        let people = contacts_of.get(&pair.0).map_or(&[][..], Vec::as_slice);
        match (action, open_request) {
            (Action::Open(basis), _) if required => {
                let mut r = new_request(
                    tenant,
                    pair.0,
                    pair.1,
                    String::new(),
                    Opener::Reminders,
                    basis,
                    now,
                );
                match mail_round(store, &mut r, people, MailReason::Created, now)? {
                    Some((token, mails)) => {
                        pass.opened += 1;
                        pass.mails.extend(mails);
                        announced.push(event(&r, EventKind::CertificateRequestCreated, now));
                        changes.push((r, Some(token)));
                    }
                    None => pass.cannot_ask += 1,
                }
            }
            (Action::Remind(basis), Some(mut r)) => {
                r.basis = basis;
                if let Some((token, mails)) =
                    mail_round(store, &mut r, people, MailReason::Reminder, now)?
                {
                    pass.reminded += 1;
                    pass.mails.extend(mails);
                    changes.push((r, Some(token)));
                }
            }
            (Action::Fulfil, Some(mut r)) => {
                pass.fulfilled += 1;
                fulfilled(&mut r, standing.certificate.unwrap_or_default(), now);
                announced.push(event(&r, EventKind::CertificateRequestFulfilled, now));
                changes.push((r, None));
            }
            (Action::Expire, Some(mut r)) => {
                pass.expired += 1;
                r.close(RequestStatus::Expired, now);
                changes.push((r, None));
            }
            _ => {}
        }
        if changes.len() >= CHUNK {
            woke.add(commit(store, tenant, &changes, &announced)?);
            changes.clear();
            announced.clear();
        }
    }
    if !changes.is_empty() {
        woke.add(commit(store, tenant, &changes, &announced)?);
    }
    Ok(Written::new(pass, woke))
}

type ByPair = HashMap<Pair, CertificateRequest>;

/// The tenant's open request and latest closed request of each supplier and type.
fn requests_by_pair(store: &Store, tenant: Uuid) -> Result<(ByPair, ByPair), RegistryError> {
    let mut open = HashMap::new();
    let mut closed: HashMap<Pair, CertificateRequest> = HashMap::new();
    for r in cert_requests::all(store, tenant)? {
        let pair = (r.organization_id, r.certificate_type_id);
        if r.status == RequestStatus::Open {
            open.insert(pair, r);
        } else if closed.get(&pair).is_none_or(|c| c.closed_at < r.closed_at) {
            closed.insert(pair, r);
        }
    }
    Ok((open, closed))
}

#[cfg(test)]
mod tests;
