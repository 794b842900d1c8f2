//! The caller's own notification choices in the tenant: whether they get the expiry
//! digest. Admins always get it; members get it when they ask.

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::{Membership, Role};
use certwatch_store::tables;
use serde::Serialize;
use utoipa::ToSchema;
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
pub struct NotificationsView {
    /// Whether the caller asked for the expiry digest.
    pub expiry_digest: bool,
    /// Whether the digest reaches the caller: admins get it regardless.
    pub receives_digest: bool,
}

impl From<Membership> for NotificationsView {
    fn from(m: Membership) -> Self {
        NotificationsView {
            expiry_digest: m.digest,
            receives_digest: m.digest || m.role == Role::Admin,
        }
    }
}

#[derive(ToSchema)]
pub struct NotificationsWrite {
    #[schema(value_type = bool, required = true)]
    expiry_digest: Option<bool>,
}

impl Write for NotificationsWrite {
    fn read(input: &mut Input) -> Self {
        NotificationsWrite {
            expiry_digest: input.boolean("expiry_digest"),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(get_notifications, signed_in(state)),
        route!(put_notifications, signed_in(state), write(false)),
    ])
}

#[utoipa::path(get, path = "/api/auth/notifications/", tag = "auth",
    security(("token" = [])),
    responses(
        (status = 200, description = "The caller's notification choices", body = NotificationsView),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn get_notifications(
    state: State,
    caller: Caller,
) -> Result<NotificationsView, ApiError> {
    let m = tables::memberships::get(state.store(), caller.tenant_id, caller.user_id)?
        .ok_or(ApiError::NotFound)?;
    Ok(NotificationsView::from(m))
}

#[utoipa::path(put, path = "/api/auth/notifications/", tag = "auth",
    request_body = NotificationsWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "Saved", body = NotificationsView),
        (status = 400, description = "Field errors"),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn put_notifications(
    state: State,
    caller: Caller,
    write: Parsed<NotificationsWrite>,
) -> Result<NotificationsView, ApiError> {
    let on = write?.expiry_digest.unwrap_or_default();
    let m = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::SetDigestOptIn {
            user_id: caller.user_id,
            on,
            reply,
        })
        .await?;
    Ok(NotificationsView::from(m))
}
