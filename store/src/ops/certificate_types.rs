//! Certificate types of a tenant: `code` unique in the tenant; a type in use stays.

use crate::engine::tx::abort;
use certwatch_domain::registry::{CertificateType, TypePatch, set};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::tables::{cert_types, requirements};
use crate::{RegistryError, Store};

/// Creates (`id` None) or edits a certificate type.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: TypePatch,
    now: DateTime<Utc>,
) -> Result<CertificateType, RegistryError> {
    let mut ty = match id {
        Some(id) => cert_types::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?,
        None => CertificateType::new(tenant, String::new(), String::new(), now),
    };
    set(&mut ty.code, patch.code);
    set(&mut ty.name, patch.name);
    set(&mut ty.description, patch.description);
    if ty.code.is_empty() {
        return Err(RegistryError::field("code", "This field is required."));
    }
    if ty.name.trim().is_empty() {
        return Err(RegistryError::field("name", "This field is required."));
    }
    ty.updated_at = now;
    transact(store, &[cert_types::TREES], |tx| {
        if cert_types::code_owner_in(tx, tenant, &ty.code)?.is_some_and(|owner| owner != ty.id) {
            return abort(RegistryError::field(
                "code",
                "A certificate type with this code already exists.",
            ));
        }
        cert_types::put(tx, &ty)
    })?;
    Ok(ty)
}

/// Deletes a certificate type that no certificate or requirement uses.
pub fn delete(store: &Store, tenant: Uuid, id: Uuid) -> Result<(), RegistryError> {
    let ty = cert_types::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    if store.catalog(tenant)?.read().type_in_use(id) {
        return Err(RegistryError::Refused(format!(
            "Certificates of type {} exist; delete or retype them first.",
            ty.code
        )));
    }
    if requirements::all(store, tenant)?
        .iter()
        .any(|r| r.certificate_type_id == id)
    {
        return Err(RegistryError::Refused(format!(
            "Suppliers are required to hold {}; delete those requirements first.",
            ty.code
        )));
    }
    transact::<_, RegistryError>(store, &[cert_types::TREES], |tx| {
        cert_types::remove(tx, &ty)
    })
}
