//! The caller's own notification choices in the tenant: whether they get the expiry
//! digest. Admins always get it; members get it when they ask.

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::{Membership, Role};
use certwatch_store::tables;
use serde::Serialize;
use utoipa::ToSchema;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::{Caller, caller};
use crate::error::ApiError;
use crate::extract::{Body, body};
use crate::input::{Input, Write};
use crate::respond::{done, json_reply};
use crate::state::{State, with_state};

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
    let get = warp::path!("api" / "auth" / "notifications")
        .and(warp::get())
        .and(with_state(state))
        .and(caller(state))
        .then(get_notifications)
        .map(done);
    let put = warp::path!("api" / "auth" / "notifications")
        .and(warp::put())
        .and(with_state(state))
        .and(caller(state))
        .and(body())
        .then(put_notifications)
        .map(done);
    get.or(put).unify().boxed()
}

#[utoipa::path(get, path = "/api/auth/notifications/", tag = "auth",
    security(("token" = [])),
    responses(
        (status = 200, description = "The caller's notification choices", body = NotificationsView),
        (status = 401, description = "No or bad token"),
    ))]
pub async fn get_notifications(state: State, caller: Caller) -> Result<Response, ApiError> {
    let m = tables::memberships::get(state.store(), caller.tenant_id, caller.user_id)?
        .ok_or(ApiError::NotFound)?;
    Ok(json_reply(StatusCode::OK, &NotificationsView::from(m)))
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
    body: Body,
) -> Result<Response, ApiError> {
    let on = NotificationsWrite::parse(body, false)?
        .expiry_digest
        .unwrap_or_default();
    let m = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::SetDigestOptIn {
            user_id: caller.user_id,
            on,
            reply,
        })
        .await?;
    Ok(json_reply(StatusCode::OK, &NotificationsView::from(m)))
}
