//! The supplier link of a certificate request: what a supplier without an account sees of
//! the request, and its upload, which goes through the same intake as bulk upload with the
//! supplier known. A token is good while its request is open and for the link's lifetime
//! after the request's last mail; any other token — wrong, lapsed, closed, another
//! tenant's — is the same 404.

use certwatch_domain::bulk::Origin;
use certwatch_domain::requests::CertificateRequest;
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::tables;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use warp::filters::multipart::FormData;

use crate::error::ApiError;
use crate::extract::Client;
use crate::state::State;

/// The longest token looked up; the service's are 32 characters.
const MAX_TOKEN: usize = 64;

/// What a supplier sees of a request.
pub struct LinkView {
    pub buyer: String,
    pub supplier: String,
    pub certificate_type: String,
    /// The certificate on file that is to be renewed: its number and expiry.
    pub current: Option<(String, Option<NaiveDate>)>,
    pub message: String,
    pub link_expires_at: DateTime<Utc>,
}

/// What an upload through the link did: files received, and those refused with why.
pub struct Received {
    pub files: usize,
    pub refused: Vec<String>,
}

/// The open request a token links to, counted against the token and the caller's address.
fn open_request(
    state: &State,
    token: &str,
    client: &Client,
) -> Result<CertificateRequest, ApiError> {
    let hash = key_hash(token);
    state.throttle_link(&hash, client)?;
    if token.is_empty()
        || token.len() > MAX_TOKEN
        || !token.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(ApiError::NotFound);
    }
    tables::cert_requests::by_token(state.store(), &hash)?
        .filter(|r| r.link_open(Utc::now(), state.config.supplier_link_days))
        .ok_or(ApiError::NotFound)
}

pub fn view_link(state: &State, token: &str, client: &Client) -> Result<LinkView, ApiError> {
    let r = open_request(state, token, client)?;
    let (store, tenant) = (state.store(), r.tenant_id);
    let current = match r.basis.certificate {
        Some(id) => tables::certificates::get(store, tenant, id)?
            .map(|c| (c.certificate_number, c.expiry_date)),
        None => None,
    };
    Ok(LinkView {
        buyer: tables::tenants::get(store, tenant)?.map_or_else(String::new, |t| t.name),
        supplier: tables::organizations::get(store, tenant, r.organization_id)?
            .map_or_else(String::new, |o| o.name),
        certificate_type: tables::cert_types::get(store, tenant, r.certificate_type_id)?
            .map_or_else(String::new, |t| t.name),
        current,
        link_expires_at: r.last_mail_at()
            + Duration::days(i64::from(state.config.supplier_link_days)),
        message: r.message,
    })
}

/// Takes a supplier's files (field `files`) into a batch for the request's supplier.
pub async fn upload(
    state: &State,
    token: &str,
    client: &Client,
    form: Result<FormData, ApiError>,
) -> Result<Received, ApiError> {
    let r = open_request(state, token, client)?;
    let origin = Origin::SupplierLink {
        request: r.id,
        organization: r.organization_id,
    };
    let (batch, items) =
        crate::routes::bulk_upload::intake(state, r.tenant_id, form?, origin).await?;
    Ok(Received {
        files: items.len(),
        refused: batch.file_errors,
    })
}
