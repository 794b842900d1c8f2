//! A supplier's contacts: created, edited and deleted by people through the API.

use certwatch_domain::contacts::{Contact, ContactPatch};
use certwatch_domain::registry::set;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{contacts, organizations};
use crate::{RegistryError, Store};

/// At most this many contacts per supplier.
pub const MAX_PER_ORGANIZATION: usize = 50;

/// Creates (`id` None) or edits a contact of the organization `org`.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    org: Uuid,
    id: Option<Uuid>,
    patch: ContactPatch,
    now: DateTime<Utc>,
) -> Result<Contact, RegistryError> {
    if organizations::get(store, tenant, org)?.is_none() {
        return Err(RegistryError::NotFound);
    }
    let existing = contacts::of_org(store, tenant, org)?;
    let mut contact = match id {
        Some(id) => existing
            .iter()
            .find(|c| c.id == id)
            .cloned()
            .ok_or(RegistryError::NotFound)?,
        None if existing.len() >= MAX_PER_ORGANIZATION => {
            return Err(RegistryError::Refused(format!(
                "A supplier has at most {MAX_PER_ORGANIZATION} contacts."
            )));
        }
        None => Contact::new(tenant, org, now),
    };
    set(&mut contact.name, patch.name);
    set(&mut contact.email, patch.email);
    set(&mut contact.language, patch.language);
    set(&mut contact.receives_requests, patch.receives_requests);
    if contact.email.is_empty() {
        return Err(RegistryError::field("email", "This field is required."));
    }
    if existing
        .iter()
        .any(|c| c.id != contact.id && c.email == contact.email)
    {
        return Err(RegistryError::field(
            "email",
            "This supplier has a contact with this address already.",
        ));
    }
    contact.updated_at = now;
    transact::<_, RegistryError>(store, &[contacts::TREES], |tx| contacts::put(tx, &contact))?;
    Ok(contact)
}

pub fn delete(store: &Store, tenant: Uuid, org: Uuid, id: Uuid) -> Result<(), RegistryError> {
    let contact = contacts::get(store, tenant, id)?
        .filter(|c| c.organization_id == org)
        .ok_or(RegistryError::NotFound)?;
    transact::<_, RegistryError>(store, &[contacts::TREES], |tx| {
        contacts::remove(tx, &contact)
    })
}
