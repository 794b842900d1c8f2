//! Certificate requests: asking a supplier for a certificate by mail, with a link to upload
//! it without an account; their mail history, resending and cancelling.

use certwatch_actors::SuppliersMsg;
use certwatch_domain::requests::{
    CertificateRequest, MAX_MESSAGE, Opener, RequestStatus, SentMail,
};
use certwatch_store::tables;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::extract::{Parsed, Query, json, query};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::respond::json_reply;
use crate::route::{any_of, route};
use crate::state::State;

const PATH: &str = "/api/certificate-requests/";

#[derive(Serialize, ToSchema)]
pub struct MailView {
    pub at: DateTime<Utc>,
    pub to: String,
    /// created, reminder or resend.
    pub reason: &'static str,
}

impl From<SentMail> for MailView {
    fn from(m: SentMail) -> Self {
        MailView {
            at: m.at,
            to: m.to,
            reason: m.reason.as_str(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CertificateRequestView {
    pub id: Uuid,
    pub organization: Uuid,
    pub certificate_type: Uuid,
    pub message: String,
    /// open, fulfilled, cancelled or expired.
    pub status: &'static str,
    /// The user who opened it; null when the reminder pass did.
    pub opened_by: Option<Uuid>,
    /// The certificate the supplier's document filed or renewed.
    pub fulfilled_by: Option<Uuid>,
    pub last_mail_at: DateTime<Utc>,
    /// Until when the supplier link works, while the request is open.
    pub link_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// Every mail of the request, oldest first (on the detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mails: Option<Vec<MailView>>,
}

pub(crate) fn request_view(
    state: &State,
    r: CertificateRequest,
    with_mails: bool,
) -> CertificateRequestView {
    let link_days = i64::from(state.config.supplier_link_days);
    CertificateRequestView {
        id: r.id,
        organization: r.organization_id,
        certificate_type: r.certificate_type_id,
        status: r.status.as_str(),
        opened_by: match r.opened_by {
            Opener::User(id) => Some(id),
            Opener::Reminders => None,
        },
        fulfilled_by: r.fulfilled_by,
        last_mail_at: r.last_mail_at(),
        link_expires_at: (r.status == RequestStatus::Open)
            .then(|| r.last_mail_at() + Duration::days(link_days)),
        created_at: r.created_at,
        updated_at: r.updated_at,
        closed_at: r.closed_at,
        mails: with_mails.then(|| r.mails.into_iter().map(MailView::from).collect()),
        message: r.message,
    }
}

/// Request body of a new request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestWrite {
    pub organization: Uuid,
    pub certificate_type: Uuid,
    /// Added to the mail; at most 4000 characters.
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub message: String,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_requests, signed_in(state), query()),
        route!(raw create_request, signed_in(state), json()),
        route!(get_request(id), signed_in(state)),
        route!(cancel_request(id), signed_in(state)),
        route!(resend_request(id), signed_in(state)),
    ])
}

#[utoipa::path(get, path = "/api/certificate-requests/", tag = "certificate requests",
    params(
        ("status" = Option<String>, Query, description = "Only requests in this status", pattern = "^(open|fulfilled|cancelled|expired)$"),
        ("organization" = Option<Uuid>, Query, description = "Only this organization's requests"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Requests, newest first", body = Page<CertificateRequestView>)))]
pub async fn list_requests(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<CertificateRequestView>, ApiError> {
    let status = q.parsed(
        "status",
        RequestStatus::parse,
        "One of open, fulfilled, cancelled, expired.",
    )?;
    let org = q.uuid("organization")?;
    let mut all: Vec<CertificateRequest> =
        tables::cert_requests::all(state.store(), caller.tenant_id)?
            .into_iter()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .filter(|r| org.is_none_or(|o| r.organization_id == o))
            .collect();
    all.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.id)));
    let views = all
        .into_iter()
        .map(|r| request_view(&state, r, false))
        .collect();
    paginate_vec(views, &q, &state.public_url(), PATH)
}

/// Opens a request (and mails it), or answers the open one for the same supplier and type;
/// whether it was opened now.
pub async fn open_request(
    state: &State,
    caller: &Caller,
    write: RequestWrite,
) -> Result<(CertificateRequestView, bool), ApiError> {
    if write.message.chars().count() > MAX_MESSAGE {
        return Err(ApiError::field(
            "message",
            format!("Ensure this field has no more than {MAX_MESSAGE} characters."),
        ));
    }
    let mailed = state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::OpenRequest {
            org: write.organization,
            cert_type: write.certificate_type,
            message: write.message.trim().to_string(),
            user: caller.user_id,
            reply,
        })
        .await?;
    Ok((request_view(state, mailed.request, true), mailed.created))
}

#[utoipa::path(post, path = "/api/certificate-requests/", tag = "certificate requests",
    request_body = RequestWrite,
    security(("token" = [])),
    responses(
        (status = 201, description = "Opened, and mailed to each contact of the supplier who receives requests", body = CertificateRequestView),
        (status = 200, description = "A request for this supplier and type is open already: that one", body = CertificateRequestView),
        (status = 400, description = "Field errors: an unknown organization or type, a supplier without a contact who receives requests")))]
pub async fn create_request(
    state: State,
    caller: Caller,
    write: Parsed<RequestWrite>,
) -> Result<Response, ApiError> {
    let (view, created) = open_request(&state, &caller, write?).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_reply(status, &view))
}

fn existing(state: &State, caller: &Caller, id: Uuid) -> Result<CertificateRequest, ApiError> {
    tables::cert_requests::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/certificate-requests/{id}/", tag = "certificate requests",
    params(("id" = Uuid, Path, description = "The request")),
    security(("token" = [])),
    responses(
        (status = 200, description = "The request with its mail history", body = CertificateRequestView),
        (status = 404, description = "No such request in this tenant")))]
pub async fn get_request(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<CertificateRequestView, ApiError> {
    Ok(request_view(&state, existing(&state, &caller, id)?, true))
}

#[utoipa::path(post, path = "/api/certificate-requests/{id}/cancel/", tag = "certificate requests",
    params(("id" = Uuid, Path, description = "The request")),
    security(("token" = [])),
    responses(
        (status = 200, description = "Cancelled: its link stops working", body = CertificateRequestView),
        (status = 400, description = "The request is not open"),
        (status = 404, description = "No such request in this tenant")))]
pub async fn cancel_request(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<CertificateRequestView, ApiError> {
    existing(&state, &caller, id)?;
    let r = state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::CancelRequest {
            id,
            reply,
        })
        .await?;
    Ok(request_view(&state, r, true))
}

#[utoipa::path(post, path = "/api/certificate-requests/{id}/resend/", tag = "certificate requests",
    params(("id" = Uuid, Path, description = "The request")),
    security(("token" = [])),
    responses(
        (status = 200, description = "Mailed again to the contacts not mailed about it today, with a fresh link", body = CertificateRequestView),
        (status = 400, description = "The request is not open, or every contact was mailed about it today"),
        (status = 404, description = "No such request in this tenant")))]
pub async fn resend_request(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<CertificateRequestView, ApiError> {
    existing(&state, &caller, id)?;
    let mailed = state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::ResendRequest {
            id,
            reply,
        })
        .await?;
    Ok(request_view(&state, mailed.request, true))
}
