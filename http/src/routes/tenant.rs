//! The caller's tenant and its settings: `public_listing` opts into the public search;
//! `digest_frequency` and `expiry_windows` shape the expiry digest mailed to admins (and
//! to members who ask for it at `/api/auth/notifications/`).

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::Tenant;
use certwatch_domain::digest::{Frequency, MAX_WINDOW_DAYS, parse_windows};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::auth::signed_in;
use crate::error::ApiError;
use crate::extract::Parsed;
use crate::input::write;
use crate::input::{Input, Write};
use crate::route::{any_of, route};
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct TenantView {
    pub id: Uuid,
    pub name: String,
    /// Whether `GET /api/certificates/search/` may list this tenant's suppliers (default off).
    pub public_listing: bool,
    /// How often the expiry digest is mailed: `daily` (default), `weekly` or `off`.
    #[schema(pattern = "^(daily|weekly|off)$")]
    pub digest_frequency: String,
    /// Days ahead of expiry a certificate is announced in the digest, once per window
    /// (default 30, 7 and 1), largest first.
    pub expiry_windows: Vec<u32>,
    pub created_at: DateTime<Utc>,
}

impl From<Tenant> for TenantView {
    fn from(t: Tenant) -> Self {
        TenantView {
            id: t.id,
            name: t.name,
            public_listing: t.public_listing,
            digest_frequency: t.digest_frequency.as_str().to_string(),
            expiry_windows: t.expiry_windows,
            created_at: t.created_at,
        }
    }
}

/// Request body of the settings update: any of the settings.
#[derive(ToSchema)]
pub struct TenantSettings {
    #[schema(value_type = bool)]
    public_listing: Option<bool>,
    #[schema(value_type = String, pattern = "^(daily|weekly|off)$")]
    digest_frequency: Option<Frequency>,
    /// 1 to 5 numbers of days (the same one twice counts once).
    #[schema(value_type = Vec<WindowDays>, min_items = 1, max_items = 5)]
    expiry_windows: Option<Vec<u32>>,
}

/// Days before expiry a certificate is announced in the digest: an integer from 1 to
/// [`MAX_WINDOW_DAYS`] (the derive cannot bound a bare integer, so the schema is written).
pub struct WindowDays;

impl utoipa::PartialSchema for WindowDays {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_WINDOW_DAYS))
            .into()
    }
}

impl ToSchema for WindowDays {}

impl Write for TenantSettings {
    fn read(input: &mut Input) -> Self {
        let expiry_windows = input.number_list("expiry_windows").and_then(|days| {
            parse_windows(&days)
                .map_err(|e| input.error("expiry_windows", e))
                .ok()
        });
        TenantSettings {
            public_listing: input.boolean("public_listing"),
            digest_frequency: input.required_parsed(
                "digest_frequency",
                Frequency::parse,
                "Must be daily, weekly or off.",
            ),
            expiry_windows,
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(get_tenant, signed_in(state)),
        route!(patch_tenant, signed_in(state), write(true)),
    ])
}

#[utoipa::path(get, path = "/api/auth/tenant/", tag = "auth",
    security(("token" = [])),
    responses((status = 200, description = "The caller's tenant", body = TenantView)))]
pub async fn get_tenant(state: State, caller: Caller) -> Result<TenantView, ApiError> {
    let tenant =
        tables::tenants::get(state.store(), caller.tenant_id)?.ok_or(ApiError::NotFound)?;
    Ok(TenantView::from(tenant))
}

#[utoipa::path(patch, path = "/api/auth/tenant/", tag = "auth",
    request_body = TenantSettings,
    security(("token" = [])),
    responses(
        (status = 200, description = "Updated", body = TenantView),
        (status = 400, description = "Field errors"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn patch_tenant(
    state: State,
    caller: Caller,
    write: Parsed<TenantSettings>,
) -> Result<TenantView, ApiError> {
    caller.require_admin()?;
    let settings = write?;
    let tenant = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::SetTenantSettings {
            public_listing: settings.public_listing,
            digest_frequency: settings.digest_frequency,
            expiry_windows: settings.expiry_windows,
            reply,
        })
        .await?;
    Ok(TenantView::from(tenant))
}
