//! The tenant's reminder settings: whether and when suppliers are asked for what they owe.

use certwatch_actors::SuppliersMsg;
use certwatch_domain::digest::{MAX_WINDOW_DAYS, parse_windows};
use certwatch_domain::requests::{MAX_EVERY_DAYS, ReminderPatch, ReminderSettings};
use certwatch_store::tables;
use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::extract::Parsed;
use crate::input::{Input, Write, write};
use crate::route::{any_of, route};
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct RemindersView {
    /// Whether the reminder pass opens requests and reminds.
    pub enabled: bool,
    /// Days before expiry a request is opened, then reminded as each is reached, largest
    /// first; the largest is also the window in which a certificate counts as expiring.
    pub days_before: Vec<u32>,
    /// Once due (expired, revoked or missing), a reminder every this many days.
    pub every_days_after_expiry: u32,
}

impl From<ReminderSettings> for RemindersView {
    fn from(s: ReminderSettings) -> Self {
        RemindersView {
            enabled: s.enabled,
            days_before: s.days_before,
            every_days_after_expiry: s.every_days_after_expiry,
        }
    }
}

/// Request body of a change of the reminder settings (every field optional; none may be
/// null).
#[derive(ToSchema)]
pub struct RemindersWrite {
    #[schema(value_type = bool, required = false)]
    enabled: Option<bool>,
    /// 1 to 5 numbers of days, each from 1 to 365 (the same number twice counts once).
    #[schema(value_type = Vec<WindowDays>, inline, required = false, min_items = 1, max_items = 5)]
    days_before: Option<Vec<u32>>,
    #[schema(value_type = u32, required = false, minimum = 1, maximum = 90)]
    every_days_after_expiry: Option<u32>,
}

/// A reminder window in the document: a whole number of days from 1 to
/// [`MAX_WINDOW_DAYS`] (a derived schema cannot bound a list's items).
struct WindowDays;

impl PartialSchema for WindowDays {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(MAX_WINDOW_DAYS))
            .into()
    }
}

impl ToSchema for WindowDays {}

impl Write for RemindersWrite {
    fn read(input: &mut Input) -> Self {
        RemindersWrite {
            enabled: input.boolean("enabled"),
            days_before: input.number_list("days_before").and_then(|d| {
                parse_windows(&d)
                    .map_err(|e| input.error("days_before", e))
                    .ok()
            }),
            every_days_after_expiry: input
                .whole_number("every_days_after_expiry", 1, i64::from(MAX_EVERY_DAYS))
                .map(|d| d as u32),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(get_reminders, signed_in(state)),
        route!(update_reminders, signed_in(state), write(true)),
    ])
}

#[utoipa::path(get, path = "/api/settings/reminders/", tag = "certificate requests",
    security(("token" = [])),
    responses((status = 200, description = "The tenant's reminder settings", body = RemindersView)))]
pub async fn get_reminders(state: State, caller: Caller) -> Result<RemindersView, ApiError> {
    let tenant =
        tables::tenants::get(state.store(), caller.tenant_id)?.ok_or(ApiError::NotFound)?;
    Ok(tenant.reminders.into())
}

#[utoipa::path(patch, path = "/api/settings/reminders/", tag = "certificate requests",
    request_body = RemindersWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "Changed", body = RemindersView),
        (status = 400, description = "Field errors"),
        (status = 403, description = "Only admins change settings")))]
pub async fn update_reminders(
    state: State,
    caller: Caller,
    write: Parsed<RemindersWrite>,
) -> Result<RemindersView, ApiError> {
    caller.require_admin()?;
    let w = write?;
    let patch = ReminderPatch {
        enabled: w.enabled,
        days_before: w.days_before,
        every_days_after_expiry: w.every_days_after_expiry,
    };
    let tenant = state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::SetReminders {
            patch,
            reply,
        })
        .await?;
    Ok(tenant.reminders.into())
}
