//! Documents a supplier uploads through the link of a certificate request: they are read
//! like any bulk upload, but their supplier is the request's (or they go to review), a
//! certificate of the requested type renews the one the request was about, its history
//! says the supplier uploaded it, and filing it fulfils the request.

use certwatch_domain::bulk::{Item, Origin};
use certwatch_domain::history::ChangedBy;
use certwatch_domain::requests::{CertificateRequest, RequestStatus};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ops::requests;
use crate::tables::{cert_requests, cert_types, certificates};
use crate::{RegistryError, Store, StoreError, Woke};

/// The request a batch's documents answer, with its type's code.
pub(crate) struct Link {
    pub request: CertificateRequest,
    pub type_code: String,
}

/// How a document is filed: by whom, the certificate it renews (if any), and the
/// document's hash to keep on the certificate.
pub(crate) struct How {
    pub by: ChangedBy,
    pub renews: Option<Uuid>,
    pub document: Option<String>,
}

pub(crate) fn link_of(
    store: &Store,
    tenant: Uuid,
    origin: &Origin,
) -> Result<Option<Link>, StoreError> {
    let Some(request) = origin.request() else {
        return Ok(None);
    };
    let Some(request) = cert_requests::get(store, tenant, request)? else {
        return Ok(None);
    };
    let type_code = cert_types::get(store, tenant, request.certificate_type_id)?
        .map_or_else(String::new, |t| t.code);
    Ok(Some(Link { request, type_code }))
}

/// How an item's document of `type_code` is filed.
pub(crate) fn how(
    store: &Store,
    link: Option<&Link>,
    item: &Item,
    type_code: &str,
) -> Result<How, StoreError> {
    let Some(link) = link else {
        return Ok(How {
            by: ChangedBy::BulkItem(item.id),
            renews: None,
            document: None,
        });
    };
    let r = &link.request;
    // The certificate the request was about, while it is still the supplier's and of the
    // type: the new document renews it instead of adding a second one.
    let renews = match r.basis.certificate {
        Some(id) if type_code == link.type_code => certificates::get(store, r.tenant_id, id)?
            .filter(|c| {
                c.organization_id == r.organization_id
                    && c.certificate_type_id == r.certificate_type_id
            })
            .map(|c| c.id),
        _ => None,
    };
    Ok(How {
        by: ChangedBy::SupplierUpload(r.id),
        renews,
        document: Some(item.sha256.clone()),
    })
}

/// Why a read document cannot fulfil the request: it shows none of the requested type.
pub(crate) fn mismatch(link: &Link, codes: &[&str]) -> Option<String> {
    (!codes.contains(&link.type_code.as_str())).then(|| {
        format!(
            "the request asks for {}, the document shows {}",
            link.type_code,
            if codes.is_empty() {
                "no certificate type".to_string()
            } else {
                codes.join(", ")
            }
        )
    })
}

/// The note a supplier's document carries in the review queue.
pub(crate) fn named(link: &Link, reason: Option<String>) -> Option<String> {
    let by = format!(
        "Uploaded by the supplier through request {}",
        link.request.id
    );
    Some(match reason {
        Some(r) => format!("{by}: {r}"),
        None => format!("{by}."),
    })
}

/// Fulfils the request with `certificate` when it is still open.
pub(crate) fn fulfil(
    store: &Store,
    link: &Link,
    certificate: Uuid,
    now: DateTime<Utc>,
) -> Result<Woke, RegistryError> {
    let r = &link.request;
    match cert_requests::get(store, r.tenant_id, r.id)? {
        Some(current) if current.status == RequestStatus::Open => {
            Ok(requests::fulfil(store, r.tenant_id, r.id, certificate, now)?.woke)
        }
        _ => Ok(Woke::default()),
    }
}
