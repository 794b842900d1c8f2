//! The integration API under `/api/v1/`: certificate status by number, for ERP and
//! procurement systems, with a `cw_` key and a per-tenant rate limit.

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::API_KEY_PREFIX;
use certwatch_domain::registry::{CertStatus, Certificate};
use certwatch_store::engine::secrets::key_hash;
use certwatch_store::tables;
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use percent_encoding::percent_decode_str;
use serde::Serialize;
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use crate::error::ApiError;
use crate::rate_limit::Budget;
use crate::respond::json_reply;
use crate::route::route;
use crate::state::{State, with_state};

/// A key's `last_used_at` is written at most this often.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// The seed's response; `last_checked` is absent (not null) for certificates monitoring
/// never checked.
#[derive(Serialize, ToSchema, Debug, PartialEq)]
pub struct CertificateStatus {
    pub cert_number: String,
    /// valid, expired, revoked, pending or suspended (suspended by its certification body,
    /// as a register said: not valid until the register says it is active again).
    pub status: String,
    /// DD.MM.YYYY
    pub valid_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_checked: Option<String>,
}

/// The integration API's view of a certificate on `today`.
pub fn certificate_status(c: &Certificate, today: NaiveDate) -> CertificateStatus {
    let status = match c.status {
        CertStatus::Revoked => "revoked",
        CertStatus::Pending => "pending",
        CertStatus::Suspended => "suspended",
        CertStatus::Expired => "expired",
        CertStatus::Active if c.expiry_date.is_some_and(|d| d < today) => "expired",
        CertStatus::Active => "valid",
    };
    CertificateStatus {
        cert_number: c.certificate_number.clone(),
        status: status.to_string(),
        valid_until: c.expiry_date.map(|d| d.format("%d.%m.%Y").to_string()),
        last_checked: c
            .last_checked
            .map(|t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    route!(
        raw certificate(number),
        with_state(state),
        warp::header::optional::<String>("authorization"),
        warp::header::optional::<String>("x-api-key"),
    )
}

/// The `cw_` key from `Authorization: Bearer cw_…` or `X-API-Key: cw_…`.
pub(crate) fn presented_key(
    authorization: Option<&str>,
    x_api_key: Option<&str>,
) -> Option<String> {
    let bearer = authorization
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    bearer
        .or(x_api_key.map(str::trim))
        .filter(|k| k.starts_with(API_KEY_PREFIX) && k.len() > API_KEY_PREFIX.len())
        .map(String::from)
}

#[utoipa::path(get, path = "/api/v1/certificate/{number}", tag = "integration",
    params(("number" = String, Path, description = "Certificate number, e.g. ISCC-EU-1234 (any case)")),
    security(("cw_key" = [])),
    responses(
        (status = 200, description = "The certificate's current status; headers X-RateLimit-Limit and X-RateLimit-Remaining", body = CertificateStatus),
        (status = 401, description = "API key missing or invalid"),
        (status = 404, description = "No certificate with this number in the key's tenant"),
        (status = 429, description = "Rate limit exceeded; see Retry-After"),
    ))]
pub async fn certificate(
    number: String,
    state: State,
    authorization: Option<String>,
    x_api_key: Option<String>,
) -> Result<Response, ApiError> {
    let limit = state.api_limiter.per_minute;
    let (mut response, remaining) = match lookup(&number, &state, authorization, x_api_key).await {
        Ok((body, remaining)) => (json_reply(StatusCode::OK, &body), Some(remaining)),
        Err((error, remaining)) => (error.into_response(), remaining),
    };
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    if let Some(remaining) = remaining {
        headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }
    Ok(response)
}

/// The answer, with what the tenant has left of its budget (when the key was valid).
async fn lookup(
    number: &str,
    state: &State,
    authorization: Option<String>,
    x_api_key: Option<String>,
) -> Result<(CertificateStatus, u32), (ApiError, Option<u32>)> {
    let unauthorized = || {
        (
            ApiError::Unauthorized("API key missing or invalid.".into()),
            None,
        )
    };
    let key =
        presented_key(authorization.as_deref(), x_api_key.as_deref()).ok_or_else(unauthorized)?;
    let hash = key_hash(&key);
    let api_key = tables::api_keys::get(state.store(), &hash)
        .map_err(|e| (ApiError::from(e), None))?
        .ok_or_else(unauthorized)?;
    let tenant = api_key.tenant_id;
    let budget = state
        .api_limiter
        .check(&tenant.to_string())
        .map_err(|e| (e, None))?;
    let remaining = match budget {
        Budget::Remaining(n) => n,
        Budget::Exhausted { retry_after_secs } => {
            return Err((ApiError::TooManyRequests { retry_after_secs }, Some(0)));
        }
    };
    let now = Utc::now();
    if api_key.last_used_at.is_none_or(|at| now - at > TOUCH_EVERY) {
        state
            .actors
            .tell_tenant(tenant, AccessMsg::TouchApiKey { hash });
    }
    let number = percent_decode_str(number).decode_utf8_lossy();
    let found = tables::certificates::by_number(state.store(), tenant, number.trim())
        .map_err(|e| (ApiError::from(e), Some(remaining)))?;
    let current = certwatch_domain::certificates::current_certificate(&found)
        .ok_or((ApiError::NotFound, Some(remaining)))?;
    Ok((certificate_status(current, now.date_naive()), remaining))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_dates_as_the_integration_api_shows_them() {
        let now: DateTime<Utc> = "2026-02-12T08:30:00Z".parse().unwrap();
        let mut c = Certificate {
            id: uuid::Uuid::new_v4(),
            tenant_id: uuid::Uuid::new_v4(),
            organization_id: uuid::Uuid::new_v4(),
            certificate_type_id: uuid::Uuid::new_v4(),
            certificate_number: "ISCC-EU-1234".into(),
            issuing_body: String::new(),
            scope: String::new(),
            issue_date: None,
            expiry_date: Some("2026-12-31".parse().unwrap()),
            status: CertStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            last_checked: Some(now),
            created_at: now,
            updated_at: now,
        };
        let today = now.date_naive();
        let json = serde_json::to_value(certificate_status(&c, today)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"cert_number": "ISCC-EU-1234", "status": "valid", "valid_until": "31.12.2026", "last_checked": "2026-02-12T08:30:00.000Z"})
        );
        c.last_checked = None;
        let json = serde_json::to_value(certificate_status(&c, today)).unwrap();
        assert!(json.get("last_checked").is_none(), "absent, not null");
        assert_eq!(
            certificate_status(&c, "2027-01-01".parse().unwrap()).status,
            "expired"
        );
        for (status, shown) in [
            (CertStatus::Revoked, "revoked"),
            (CertStatus::Pending, "pending"),
            (CertStatus::Expired, "expired"),
            (CertStatus::Suspended, "suspended"),
        ] {
            c.status = status;
            assert_eq!(certificate_status(&c, today).status, shown);
        }
    }

    #[test]
    fn keys_come_from_either_header() {
        assert_eq!(
            presented_key(Some("Bearer cw_abc"), None).as_deref(),
            Some("cw_abc")
        );
        assert_eq!(
            presented_key(None, Some("cw_abc")).as_deref(),
            Some("cw_abc")
        );
        assert_eq!(presented_key(Some("Token cw_abc"), None), None);
        assert_eq!(presented_key(Some("Bearer abc"), None), None);
        assert_eq!(presented_key(None, Some("cw_")), None);
    }
}
