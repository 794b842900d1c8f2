//! The get / create / replace / update / delete handlers, written once for every resource.
//! A resource says how to read its record, show it, and send a write or a delete to the
//! tenant's actor ([`Resource`]); each resource's documented handlers call these.
//!
//! The order of checks is the same everywhere: the caller (by the `auth::caller` filter),
//! an admin where the resource needs one, 404 for an object that is not the tenant's
//! whatever the body says, then the body's field errors, then the write.

use std::future::Future;

use certwatch_store::{Store, StoreError};
use serde::Serialize;
use uuid::Uuid;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Body;
use crate::input::Write;
use crate::respond::{json_reply, no_content};
use crate::state::State;

pub(crate) trait Resource {
    type Record: Send + 'static;
    type View: Serialize;
    type Write: Write + Send + 'static;

    /// Whether every operation needs an admin of the tenant.
    const ADMIN_ONLY: bool = false;

    /// The tenant's record with this id.
    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Self::Record>, StoreError>;

    /// What a client gets of a record.
    fn view(state: &State, tenant: Uuid, record: Self::Record) -> Result<Self::View, ApiError>;

    /// Sends a create (`id` None) or an edit to the tenant's actor; the stored record.
    fn save(
        state: &State,
        caller: &Caller,
        id: Option<Uuid>,
        write: Self::Write,
    ) -> impl Future<Output = Result<Self::Record, ApiError>> + Send;

    /// Sends a delete to the tenant's actor.
    fn remove(
        state: &State,
        caller: &Caller,
        id: Uuid,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
}

fn allowed<R: Resource>(caller: &Caller) -> Result<(), ApiError> {
    if R::ADMIN_ONLY {
        caller.require_admin()?;
    }
    Ok(())
}

pub(crate) async fn get<R: Resource>(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<Response, ApiError> {
    allowed::<R>(&caller)?;
    let record = R::fetch(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let view = R::view(&state, caller.tenant_id, record)?;
    Ok(json_reply(StatusCode::OK, &view))
}

pub(crate) async fn create<R: Resource>(
    state: State,
    caller: Caller,
    body: Body,
) -> Result<Response, ApiError> {
    allowed::<R>(&caller)?;
    let write = R::Write::parse(body, false)?;
    let record = R::save(&state, &caller, None, write).await?;
    let view = R::view(&state, caller.tenant_id, record)?;
    Ok(json_reply(StatusCode::CREATED, &view))
}

/// A replace (PUT, `partial` false) or an update (PATCH, `partial` true).
pub(crate) async fn edit<R: Resource>(
    id: Uuid,
    state: State,
    caller: Caller,
    body: Body,
    partial: bool,
) -> Result<Response, ApiError> {
    allowed::<R>(&caller)?;
    // Another tenant's (or no) object is 404 whatever the body says.
    R::fetch(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)?;
    let write = R::Write::parse(body, partial)?;
    let record = R::save(&state, &caller, Some(id), write).await?;
    let view = R::view(&state, caller.tenant_id, record)?;
    Ok(json_reply(StatusCode::OK, &view))
}

pub(crate) async fn delete<R: Resource>(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<Response, ApiError> {
    allowed::<R>(&caller)?;
    R::remove(&state, &caller, id).await?;
    Ok(no_content())
}
