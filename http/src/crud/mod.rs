//! The get / create / replace / update / delete operations, written once for every resource,
//! with their routes and their OpenAPI entries. A resource declares its path, its name, how
//! to read its record, show it, and the tenant actor's messages that write and delete it
//! ([`Resource`]); the five routes and their documentation come from that one declaration.
//!
//! The routes are here, their entries in the document in `document`.
//!
//! The order of checks is the same everywhere: the caller (by the `auth::caller` filter),
//! an admin where the resource needs one, 404 for an object that is not the tenant's
//! whatever the body says, then the body's field errors, then the write.

mod document;

use certwatch_actors::{Reply, TenantMsg, outbound};
use certwatch_store::{Store, StoreError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::extract::{Body, Parsed, body};
use crate::input::Write;
use crate::route::{Template, answer, path, path_param};
use crate::state::State;

pub(crate) trait Resource: 'static {
    type Record: Send + 'static;
    type View: Serialize + ToSchema + Send;
    type Write: Write + ToSchema + Into<Self::Patch> + Send + 'static;
    /// What the tenant's actor applies.
    type Patch: Send + 'static;

    /// The collection's path (`/api/organizations/sites/`); an item is `{id}/` under it.
    const PATH: &'static str;
    /// The document's tag for its operations.
    const TAG: &'static str;
    /// What one is called (`Site`), in the document.
    const NOUN: &'static str;
    /// What a create answers, in the document.
    const CREATED: &'static str = "Created";
    /// What a delete answers, in the document (`Deleted with its sites`).
    const DELETED: &'static str = "Deleted";
    /// Why a delete may be refused (400), in the document.
    const DELETE_REFUSED: Option<&'static str> = None;

    /// Whether every operation needs an admin of the tenant.
    const ADMIN_ONLY: bool = false;

    /// The tenant's record with this id.
    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Self::Record>, StoreError>;

    /// What a client gets of a record.
    fn view(state: &State, tenant: Uuid, record: Self::Record) -> Result<Self::View, ApiError>;

    /// A URL of the write that the service will reach out to, and what for ("be
    /// monitored"): it must lead to an address the service may reach.
    fn outbound_url(_: &Self::Write) -> Option<(&str, &'static str)> {
        None
    }

    /// The tenant actor's message that creates (`id` None) or edits a record.
    fn edit(
        caller: &Caller,
        id: Option<Uuid>,
        patch: Self::Patch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg;

    /// The tenant actor's message that deletes one.
    fn delete(caller: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg;
}

/// Sends a create (`id` None) or an edit to the tenant's actor; the stored record.
async fn save<R: Resource>(
    state: &State,
    caller: &Caller,
    id: Option<Uuid>,
    write: R::Write,
) -> Result<R::Record, ApiError> {
    if let Some((url, purpose)) = R::outbound_url(&write) {
        outbound::check_url_resolved(url, state.config.allow_private_targets)
            .await
            .map_err(|e| ApiError::field("url", format!("This URL cannot {purpose}: {e}.")))?;
    }
    let patch = write.into();
    Ok(state
        .actors
        .tenant(caller.tenant_id, |reply| R::edit(caller, id, patch, reply))
        .await?)
}

fn allowed<R: Resource>(caller: &Caller) -> Result<(), ApiError> {
    if R::ADMIN_ONLY {
        caller.require_admin()?;
    }
    Ok(())
}

/// The tenant's record, or 404 (also for another tenant's).
fn existing<R: Resource>(state: &State, caller: &Caller, id: Uuid) -> Result<R::Record, ApiError> {
    allowed::<R>(caller)?;
    R::fetch(state.store(), caller.tenant_id, id)?.ok_or(ApiError::NotFound)
}

pub(crate) async fn get<R: Resource>(
    state: &State,
    caller: &Caller,
    id: Uuid,
) -> Result<R::View, ApiError> {
    let record = existing::<R>(state, caller, id)?;
    R::view(state, caller.tenant_id, record)
}

pub(crate) async fn create<R: Resource>(
    state: &State,
    caller: &Caller,
    write: R::Write,
) -> Result<R::View, ApiError> {
    allowed::<R>(caller)?;
    let record = save::<R>(state, caller, None, write).await?;
    R::view(state, caller.tenant_id, record)
}

/// A replace or an update of the tenant's record `id`. Another tenant's (or no) object is
/// 404 whatever the write says, so the write is opened after that check.
pub(crate) async fn edit<R: Resource>(
    state: &State,
    caller: &Caller,
    id: Uuid,
    write: Parsed<R::Write>,
) -> Result<R::View, ApiError> {
    existing::<R>(state, caller, id)?;
    let record = save::<R>(state, caller, Some(id), write?).await?;
    R::view(state, caller.tenant_id, record)
}

pub(crate) async fn delete<R: Resource>(
    state: &State,
    caller: &Caller,
    id: Uuid,
) -> Result<(), ApiError> {
    allowed::<R>(caller)?;
    Ok(state
        .actors
        .tenant(caller.tenant_id, |reply| R::delete(caller, id, reply))
        .await?)
}

pub(crate) use document::document;

fn item_path<R: Resource>() -> String {
    format!("{}{{id}}/", R::PATH)
}

/// Requests of `method` to one of the resource's items; its id.
fn item<R: Resource>(method: BoxedFilter<()>) -> BoxedFilter<(Uuid,)> {
    path_param::<Uuid>(Template::parse(&item_path::<R>()))
        .and(method)
        .boxed()
}

/// The five routes of the resource's declaration (the list is the resource's own operation).
pub(crate) fn routes<R: Resource>(state: &State) -> BoxedFilter<(Response,)> {
    let create = path(Template::parse(R::PATH))
        .and(warp::post())
        .and(signed_in(state))
        .and(body())
        .then(|state: State, caller: Caller, body: Body| async move {
            let write = R::Write::parse(body, false)?;
            create::<R>(&state, &caller, write).await
        })
        .map(|result| answer(StatusCode::CREATED, result));
    let get = item::<R>(warp::get().boxed())
        .and(signed_in(state))
        .then(|id, state: State, caller: Caller| async move { get::<R>(&state, &caller, id).await })
        .map(|result| answer(StatusCode::OK, result));
    let edit = |partial: bool, method: BoxedFilter<()>| {
        item::<R>(method)
            .and(signed_in(state))
            .and(body())
            .then(
                move |id, state: State, caller: Caller, body: Body| async move {
                    edit::<R>(&state, &caller, id, R::Write::parse(body, partial)).await
                },
            )
            .map(|result| answer(StatusCode::OK, result))
    };
    let delete =
        item::<R>(warp::delete().boxed())
            .and(signed_in(state))
            .then(|id, state: State, caller: Caller| async move {
                delete::<R>(&state, &caller, id).await
            })
            .map(|result| answer(StatusCode::NO_CONTENT, result));
    create
        .or(get)
        .unify()
        .or(edit(false, warp::put().boxed()))
        .unify()
        .or(edit(true, warp::patch().boxed()))
        .unify()
        .or(delete)
        .unify()
        .boxed()
}

/// The five item routes of a collection resource (`crud::Resource`), and their entry in the
/// document.
macro_rules! collection {
    ($state:expr, $resource:ty) => {{
        #[linkme::distributed_slice(crate::route::DOCUMENTED)]
        static ENTRY: crate::route::Entry = $crate::crud::document::<$resource>;
        $crate::crud::routes::<$resource>($state)
    }};
}
pub(crate) use collection;
