//! A person's certificate writes (the API): a patch merged into the stored certificate (or
//! a new one) and checked against the rest of the tenant by the tenant's single writer, so
//! two concurrent PATCHes of different fields cannot lose one another. Monitoring and bulk
//! upload file certificates through the same writes.

use certwatch_domain::certificates::{certificate_events, check_dates};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::registry::{CertPatch, Certificate, set};
use certwatch_domain::rules::number_identity;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::tables::{cert_types, certificates, organizations};
use crate::{RegistryError, Store, Written, ops::certificate_writes, ops::expiry};

/// Creates (`id` None) or edits a certificate.
pub fn edit(
    store: &Store,
    tenant: Uuid,
    id: Option<Uuid>,
    patch: CertPatch,
    by: ChangedBy,
    now: DateTime<Utc>,
) -> Result<Written<Certificate>, RegistryError> {
    let old = match id {
        Some(id) => Some(certificates::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?),
        None => None,
    };
    let mut cert = old
        .clone()
        .unwrap_or_else(|| Certificate::new(tenant, Uuid::nil(), Uuid::nil(), String::new(), now));
    set(&mut cert.organization_id, patch.organization_id);
    set(&mut cert.certificate_type_id, patch.certificate_type_id);
    set(&mut cert.certificate_number, patch.certificate_number);
    set(&mut cert.issuing_body, patch.issuing_body);
    set(&mut cert.scope, patch.scope);
    set(&mut cert.issue_date, patch.issue_date);
    set(&mut cert.expiry_date, patch.expiry_date);
    set(&mut cert.status, patch.status);
    set(&mut cert.document_url, patch.document_url);
    set(&mut cert.document_hash, patch.document_hash);
    if organizations::get(store, tenant, cert.organization_id)?.is_none() {
        return Err(RegistryError::field(
            "organization",
            "No such organization.",
        ));
    }
    if cert_types::get(store, tenant, cert.certificate_type_id)?.is_none() {
        return Err(RegistryError::field(
            "certificate_type_id",
            "No such certificate type.",
        ));
    }
    if cert.certificate_number.trim().is_empty() {
        return Err(RegistryError::field(
            "certificate_number",
            "This field is required.",
        ));
    }
    check_dates(cert.issue_date, cert.expiry_date)?;
    check_identity(store, old.as_ref(), &cert)?;
    cert.updated_at = now;
    let list = certificate_events(old.as_ref(), &cert, now);
    let mut woke = certificate_writes::save(store, &cert, old.as_ref(), &list, by)?;
    woke.add(expiry::after_saved(store, old.as_ref(), &cert, now)?);
    Ok(Written::new(cert, woke))
}

/// A certificate is its certification body's number for its type: a new certificate,
/// or one whose number or type changes, may not take the identity of another one of
/// the tenant. (Duplicates written before this rule stay editable; `certwatch doctor`
/// merges them.)
fn check_identity(
    store: &Store,
    old: Option<&Certificate>,
    cert: &Certificate,
) -> Result<(), RegistryError> {
    let same = old.is_some_and(|o| {
        o.certificate_type_id == cert.certificate_type_id
            && number_identity(&o.certificate_number) == number_identity(&cert.certificate_number)
    });
    if same {
        return Ok(());
    }
    if let Some(other) = certificates::holder_of(store, cert)? {
        return Err(RegistryError::Field {
            field: "certificate_number",
            message: format!(
                "A certificate of this type with this number exists already: {}.",
                other.id
            ),
        });
    }
    Ok(())
}

pub fn delete(
    store: &Store,
    tenant: Uuid,
    id: Uuid,
    by: ChangedBy,
    now: DateTime<Utc>,
) -> Result<Written<Certificate>, RegistryError> {
    let cert = certificates::get(store, tenant, id)?.ok_or(RegistryError::NotFound)?;
    let woke = certificate_writes::delete(store, &cert, by, now)?;
    Ok(Written::new(cert, woke))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::secrets::key_hash;
    use crate::ops::accounts::{Registration, register};
    use crate::{ops::certificate_types, ops::expiry, ops::organizations, tables};
    use certwatch_domain::registry::{CertStatus, OrgPatch};

    #[tokio::test]
    async fn patches_merge_check_references_and_sweep() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = Utc::now();
        let reg = Registration {
            tenant_id: uuid::Uuid::new_v4(),
            email: "a@b.de".into(),
            password_hash: "x".into(),
            organization_name: "T".into(),
            verification: key_hash("v"),
        };
        let (tenant, _) = register(&store, reg, now).unwrap();
        let t = tenant.id;
        let iso = tables::cert_types::by_code(&store, t, "ISO_9001")
            .unwrap()
            .unwrap();

        let org = organizations::edit(
            &store,
            t,
            None,
            OrgPatch {
                name: Some("Acme".into()),
                external_id: Some(Some("ORG-1".into())),
                ..Default::default()
            },
            now,
        )
        .unwrap();
        let dup = organizations::edit(
            &store,
            t,
            None,
            OrgPatch {
                name: Some("B".into()),
                external_id: Some(Some("org-1".into())),
                ..Default::default()
            },
            now,
        );
        assert!(matches!(
            dup,
            Err(RegistryError::Field {
                field: "external_id",
                ..
            })
        ));

        let base = CertPatch {
            organization_id: Some(org.id),
            certificate_type_id: Some(iso.id),
            certificate_number: Some("C-1".into()),
            issue_date: Some(Some("2024-01-15".parse().unwrap())),
            expiry_date: Some(Some("2025-01-14".parse().unwrap())),
            ..Default::default()
        };
        let cert = edit(
            &store,
            t,
            None,
            base.clone(),
            ChangedBy::User(Uuid::nil()),
            now,
        )
        .unwrap()
        .value;
        assert_eq!(cert.status, CertStatus::Active);

        // A patch of one date is checked against the stored other date.
        let early = CertPatch {
            expiry_date: Some(Some("2023-01-01".parse().unwrap())),
            ..Default::default()
        };
        assert!(matches!(
            edit(
                &store,
                t,
                Some(cert.id),
                early,
                ChangedBy::User(Uuid::nil()),
                now
            ),
            Err(RegistryError::Field {
                field: "expiry_date",
                ..
            })
        ));
        let foreign = CertPatch {
            organization_id: Some(Uuid::new_v4()),
            ..base
        };
        assert!(matches!(
            edit(&store, t, None, foreign, ChangedBy::User(Uuid::nil()), now),
            Err(RegistryError::Field {
                field: "organization",
                ..
            })
        ));

        assert_eq!(
            expiry::sweep(&store, t, "2025-01-15".parse().unwrap(), now)
                .unwrap()
                .value,
            1
        );
        assert_eq!(
            tables::certificates::get(&store, t, cert.id)
                .unwrap()
                .unwrap()
                .status,
            CertStatus::Expired
        );
        assert_eq!(
            expiry::sweep(&store, t, "2025-01-16".parse().unwrap(), now)
                .unwrap()
                .value,
            0
        );
        let kinds: Vec<String> = tables::events::all(&store, t)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "certificate.created",
                "certificate.updated",
                "certificate.status_changed",
                "certificate.expired"
            ]
        );

        // The type is in use; deleting the organization takes its certificate along.
        assert!(matches!(
            certificate_types::delete(&store, t, iso.id),
            Err(RegistryError::Refused(_))
        ));
        let user = Uuid::new_v4();
        organizations::delete(&store, t, org.id, ChangedBy::User(user), now).unwrap();
        assert!(
            tables::certificates::get(&store, t, cert.id)
                .unwrap()
                .is_none()
        );
        let history = tables::cert_history::of(&store, t, cert.id).unwrap();
        assert_eq!(history[0].action, "deleted");
        assert_eq!(history[0].by, ChangedBy::User(user));
        assert!(
            tables::certificates::by_number(&store, t, "c-1")
                .unwrap()
                .is_empty()
        );
        certificate_types::delete(&store, t, iso.id).unwrap();
    }
}
