//! Certificate requests: opened by a person or the reminder pass, mailed to the supplier's
//! contacts with a link that needs no account, resent, cancelled, fulfilled. A mail round
//! records its mails and the hash of its link's token in the same transaction as the
//! request; the tenant actor sends the mails once that is durable, so a crash loses a
//! round instead of sending it twice.

use certwatch_domain::compliance::Standing;
use certwatch_domain::contacts::{Contact, Language};
use certwatch_domain::events::{Event, EventKind};
use certwatch_domain::requests::{
    Basis, CertificateRequest, MailReason, Opener, RequestStatus, SentMail, Stage, recipients,
    stage,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::engine::secrets::{KeyHash, key_hash, random_key};
use crate::engine::tx::transact;
use crate::ops::{compliance, fan_out};
use crate::tables::{
    cert_requests, cert_types, certificates, contacts, deliveries, events, organizations, tenants,
};
use crate::{RegistryError, Store, StoreError, Woke, Written};

/// A supplier link's token: 32 alphanumeric characters, about 190 bits.
const TOKEN_LEN: usize = 32;

/// One mail of a request, as the mailer composes it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub contact_name: String,
    pub language: Language,
    pub buyer: String,
    pub supplier: String,
    pub certificate_type: String,
    /// The certificate on file that is to be renewed: its number and expiry.
    pub current: Option<(String, Option<NaiveDate>)>,
    pub message: String,
    pub token: String,
    pub reason: MailReason,
}

/// A request with the mails it sends now.
#[derive(Debug)]
pub struct Mailed {
    pub request: CertificateRequest,
    pub mails: Vec<Outgoing>,
    /// False when the request was open already and is answered as it is.
    pub created: bool,
}

/// A request written with the hash of a new link to it, if a round went out.
pub(crate) type Change = (CertificateRequest, Option<KeyHash>);

/// Opens a request for a supplier and a certificate type and mails its contacts; the open
/// one when there is one already (nothing is mailed then).
pub fn open(
    store: &Store,
    tenant: Uuid,
    org: Uuid,
    cert_type: Uuid,
    message: String,
    by: Opener,
    now: DateTime<Utc>,
) -> Result<Written<Mailed>, RegistryError> {
    if organizations::get(store, tenant, org)?.is_none() {
        return Err(RegistryError::field(
            "organization",
            "No such organization.",
        ));
    }
    if cert_types::get(store, tenant, cert_type)?.is_none() {
        return Err(RegistryError::field(
            "certificate_type",
            "No such certificate type.",
        ));
    }
    if let Some(request) = cert_requests::open_for(store, tenant, org, cert_type)? {
        return Ok(Written::quiet(Mailed {
            request,
            mails: Vec::new(),
            created: false,
        }));
    }
    let rules = compliance::rules(store, tenant, now)?;
    let held = store.catalog(tenant)?.read().holdings(org, cert_type);
    let standing = certwatch_domain::compliance::standing(&held, rules.today, rules.warning_days);
    let days_before = tenants::get(store, tenant)?
        .map(|t| t.reminders.days_before)
        .unwrap_or_default();
    let basis = basis_of(&standing, rules.today, &days_before);
    let mut request = new_request(tenant, org, cert_type, message, by, basis, now);
    let contacts = contacts::of_org(store, tenant, org)?;
    let Some((token, mails)) =
        mail_round(store, &mut request, &contacts, MailReason::Created, now)?
    else {
        return Err(RegistryError::field(
            "organization",
            "This supplier has no contact who receives requests; add one first.",
        ));
    };
    let created = event(&request, EventKind::CertificateRequestCreated, now);
    let woke = commit(store, tenant, &[(request.clone(), Some(token))], &[created])?;
    Ok(Written::new(
        Mailed {
            request,
            mails,
            created: true,
        },
        woke,
    ))
}

/// The basis of a request for a requirement's standing: its stage, or "due" when a person
/// asks while it is valid.
pub(crate) fn basis_of(standing: &Standing, today: NaiveDate, days_before: &[u32]) -> Basis {
    Basis {
        certificate: standing.certificate,
        expiry: standing.expiry,
        stage: stage(standing, today, days_before).unwrap_or(Stage::Due),
    }
}

pub(crate) fn new_request(
    tenant: Uuid,
    org: Uuid,
    cert_type: Uuid,
    message: String,
    by: Opener,
    basis: Basis,
    now: DateTime<Utc>,
) -> CertificateRequest {
    CertificateRequest {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        organization_id: org,
        certificate_type_id: cert_type,
        message,
        status: RequestStatus::Open,
        opened_by: by,
        basis,
        mails: Vec::new(),
        fulfilled_by: None,
        created_at: now,
        updated_at: now,
        closed_at: None,
    }
}

/// Mails an open request again to its contacts (those not mailed about it today).
pub fn resend(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Mailed, RegistryError> {
    let mut request = open_request(store, tenant, id)?;
    let contacts = contacts::of_org(store, tenant, request.organization_id)?;
    let Some((token, mails)) = mail_round(store, &mut request, &contacts, MailReason::Resend, now)?
    else {
        return Err(RegistryError::Refused(
            "No contact of this supplier who receives requests is left to mail today.".into(),
        ));
    };
    let _ = commit(store, tenant, &[(request.clone(), Some(token))], &[])?;
    Ok(Mailed {
        request,
        mails,
        created: false,
    })
}

pub fn cancel(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<CertificateRequest, RegistryError> {
    let mut request = open_request(store, tenant, id)?;
    request.close(RequestStatus::Cancelled, now);
    let _ = commit(store, tenant, &[(request.clone(), None)], &[])?;
    Ok(request)
}

/// Marks an open request fulfilled by `certificate`.
pub fn fulfil(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    certificate: Uuid,
    now: DateTime<Utc>,
) -> Result<Written<CertificateRequest>, RegistryError> {
    let mut request = open_request(store, tenant, id)?;
    fulfilled(&mut request, certificate, now);
    let done = event(&request, EventKind::CertificateRequestFulfilled, now);
    let woke = commit(store, tenant, &[(request.clone(), None)], &[done])?;
    Ok(Written::new(request, woke))
}

pub(crate) fn fulfilled(request: &mut CertificateRequest, certificate: Uuid, now: DateTime<Utc>) {
    request.fulfilled_by = Some(certificate);
    request.close(RequestStatus::Fulfilled, now);
}

fn open_request(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
) -> Result<CertificateRequest, RegistryError> {
    let request = cert_requests::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    if request.status != RequestStatus::Open {
        return Err(RegistryError::Refused(format!(
            "This request is {}; only an open request can be changed.",
            request.status.as_str()
        )));
    }
    Ok(request)
}

/// One round of mails of `request` to the contacts not mailed about it today, with a new
/// link; `None` when there is no one to mail.
pub(crate) fn mail_round(
    store: &Store,
    request: &mut CertificateRequest,
    contacts: &[Contact],
    reason: MailReason,
    now: DateTime<Utc>,
) -> Result<Option<(KeyHash, Vec<Outgoing>)>, StoreError> {
    let to = recipients(request, contacts, now.date_naive());
    if to.is_empty() {
        return Ok(None);
    }
    let tenant = request.tenant_id;
    let buyer = tenants::get(store, tenant)?.map_or_else(String::new, |t| t.name);
    let supplier = organizations::get(store, tenant, request.organization_id)?
        .map_or_else(String::new, |o| o.name);
    let certificate_type = cert_types::get(store, tenant, request.certificate_type_id)?
        .map_or_else(String::new, |t| t.name);
    let current = match request.basis.certificate {
        Some(id) => {
            certificates::get(store, tenant, id)?.map(|c| (c.certificate_number, c.expiry_date))
        }
        None => None,
    };
    let token = random_key(TOKEN_LEN);
    let mails = to
        .iter()
        .map(|c| Outgoing {
            to: c.email.clone(),
            contact_name: c.name.clone(),
            language: c.language,
            buyer: buyer.clone(),
            supplier: supplier.clone(),
            certificate_type: certificate_type.clone(),
            current: current.clone(),
            message: request.message.clone(),
            token: token.clone(),
            reason,
        })
        .collect();
    request.record_mails(to.iter().map(|c| SentMail {
        at: now,
        contact: c.id,
        to: c.email.clone(),
        reason,
    }));
    request.updated_at = now;
    Ok(Some((key_hash(&token), mails)))
}

/// The event of a request's opening or fulfilment.
pub(crate) fn event(request: &CertificateRequest, kind: EventKind, now: DateTime<Utc>) -> Event {
    Event::new(
        request.tenant_id,
        Some(request.organization_id),
        kind,
        json!({
            "id": request.id,
            "organization": request.organization_id,
            "certificate_type": request.certificate_type_id,
            "status": request.status.as_str(),
            "certificate": request.fulfilled_by,
        }),
        now,
    )
}

/// Writes requests, their new links and their events in one transaction.
pub(crate) fn commit(
    store: &Store,
    tenant: Uuid,
    changes: &[Change],
    announced: &[Event],
) -> Result<Woke, RegistryError> {
    let fan_out = fan_out::plan(store, tenant, announced)?;
    let keyed = events::keyed(store, announced)?;
    let tables = [cert_requests::TREES, events::TREES, deliveries::TREES];
    transact::<_, RegistryError>(store, &tables, |tx| {
        for (request, token) in changes {
            cert_requests::put(tx, request)?;
            if let Some(token) = token {
                cert_requests::add_token(tx, request, token)?;
            }
        }
        fan_out.put(tx)?;
        events::put(tx, &keyed)
    })?;
    Ok(fan_out.woke())
}
