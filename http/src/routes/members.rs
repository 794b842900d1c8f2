//! Members of the caller's tenant (admin only). A member's id is their user id.

use certwatch_actors::AccessMsg;
use certwatch_domain::accounts::Membership;
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use super::invitations::parse_role;
use crate::auth::Caller;
use crate::auth::signed_in;
use crate::error::ApiError;
use crate::extract::{Parsed, json};
use crate::extract::{Query, query};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    /// The member's user id.
    pub id: Uuid,
    pub email: String,
    pub role: String,
    pub is_active: bool,
    pub joined_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
pub struct MemberUpdate {
    #[schema(value_type = String, required = true, pattern = "^(admin|member)$")]
    pub role: Option<String>,
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_members, signed_in(state), query()),
        route!(get_member(id), signed_in(state)),
        route!(update_member(id), signed_in(state), json()),
        route!(delete_member(id), signed_in(state)),
    ])
}

fn view(state: &State, m: Membership) -> Result<MemberView, ApiError> {
    let user = tables::users::get(state.store(), m.user_id)?.ok_or(ApiError::NotFound)?;
    Ok(MemberView {
        id: user.id,
        email: user.email,
        role: m.role.as_str().to_string(),
        is_active: user.is_active,
        joined_at: m.created_at,
    })
}

#[utoipa::path(get, path = "/api/auth/members/", tag = "auth",
    params(
        PageParams,
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "Members, oldest first", body = Page<MemberView>),
        (status = 401, description = "No or bad token"),
        (status = 403, description = "Not an admin"),
    ))]
pub async fn list_members(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<MemberView>, ApiError> {
    caller.require_admin()?;
    let mut members = tables::memberships::of_tenant(state.store(), caller.tenant_id)?;
    members.sort_by_key(|m| (m.created_at, m.user_id));
    let views = members
        .into_iter()
        .map(|m| view(&state, m))
        .collect::<Result<Vec<_>, _>>()?;
    let page = paginate_vec(views, &q, &state.public_url(), "/api/auth/members/")?;
    Ok(page)
}

#[utoipa::path(get, path = "/api/auth/members/{id}/", tag = "auth",
    params(("id" = Uuid, Path, description = "The member's user id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), 
        (status = 200, description = "The member", body = MemberView),
        (status = 404, description = "No such member in this tenant"),
    ))]
pub async fn get_member(id: Uuid, state: State, caller: Caller) -> Result<MemberView, ApiError> {
    caller.require_admin()?;
    let m =
        tables::memberships::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    view(&state, m)
}

#[utoipa::path(patch, path = "/api/auth/members/{id}/", tag = "auth",
    params(("id" = Uuid, Path, description = "The member's user id")),
    request_body = MemberUpdate,
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), 
        (status = 200, description = "The updated member", body = MemberView),
        (status = 400, description = "Bad role, or the last admin would be demoted"),
        (status = 404, description = "No such member in this tenant"),
    ))]
pub async fn update_member(
    id: Uuid,
    state: State,
    caller: Caller,
    req: Parsed<MemberUpdate>,
) -> Result<MemberView, ApiError> {
    caller.require_admin()?;
    // Another tenant's (or no) member is 404 whatever the body says.
    tables::memberships::get(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let req = req?;
    let raw = req
        .role
        .ok_or_else(|| ApiError::field("role", "This field is required."))?;
    let role = parse_role(&raw)?;
    let m = state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::SetRole {
            user_id: id,
            role,
            reply,
        })
        .await?;
    view(&state, m)
}

#[utoipa::path(delete, path = "/api/auth/members/{id}/", tag = "auth",
    params(("id" = Uuid, Path, description = "The member's user id")),
    security(("token" = [])),
    responses((status = 403, description = "Not an admin"), 
        (status = 204, description = "Removed, with every token they held in this tenant"),
        (status = 400, description = "The last admin cannot be removed"),
        (status = 404, description = "No such member in this tenant"),
    ))]
pub async fn delete_member(id: Uuid, state: State, caller: Caller) -> Result<(), ApiError> {
    caller.require_admin()?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| AccessMsg::RemoveMember {
            user_id: id,
            reply,
        })
        .await?;
    Ok(())
}
