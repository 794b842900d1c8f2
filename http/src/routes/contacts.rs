//! The contacts of an organization: whom certificate requests are mailed to, in which
//! language.

use certwatch_actors::SuppliersMsg;
use certwatch_domain::accounts::normalize_email;
use certwatch_domain::contacts::{Contact, ContactPatch, Language};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::{Caller, signed_in};
use crate::error::ApiError;
use crate::extract::{Parsed, Query, query};
use crate::input::{Input, Write, write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

const MAX_NAME: usize = 200;

#[derive(Serialize, ToSchema)]
pub struct ContactView {
    pub id: Uuid,
    pub organization: Uuid,
    pub name: String,
    pub email: String,
    /// en, de or fr: the language of the mails this contact gets.
    pub language: &'static str,
    pub receives_requests: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        ContactView {
            id: c.id,
            organization: c.organization_id,
            name: c.name,
            email: c.email,
            language: c.language.as_str(),
            receives_requests: c.receives_requests,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// Request body of contact writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct ContactWrite {
    #[schema(value_type = Option<String>, max_length = 200)]
    name: Option<String>,
    #[schema(value_type = String, required = true, format = "email")]
    email: Option<String>,
    /// en (default), de or fr.
    #[schema(value_type = Option<String>, pattern = "^(en|de|fr)$")]
    language: Option<Option<Language>>,
    /// Whether requests and reminders are mailed to this contact (default true).
    #[schema(value_type = Option<bool>)]
    receives_requests: Option<bool>,
}

impl Write for ContactWrite {
    fn read(input: &mut Input) -> Self {
        ContactWrite {
            name: input.text("name", MAX_NAME),
            email: input.required_parsed("email", normalize_email, "Enter a valid email address."),
            language: input.optional_parsed("language", Language::parse, "One of en, de, fr."),
            receives_requests: input.optional_bool("receives_requests"),
        }
    }
}

impl From<ContactWrite> for ContactPatch {
    fn from(w: ContactWrite) -> ContactPatch {
        ContactPatch {
            name: w.name,
            email: w.email,
            language: w.language.flatten(),
            receives_requests: w.receives_requests,
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_contacts(org), signed_in(state), query()),
        route!(create_contact(org), signed_in(state), write(false)),
        route!(get_contact(org, id), signed_in(state)),
        route!(update_contact(org, id), signed_in(state), write(true)),
        route!(delete_contact(org, id), signed_in(state)),
    ])
}

/// The tenant's organization `org`, or 404.
fn organization(state: &State, caller: &Caller, org: Uuid) -> Result<(), ApiError> {
    tables::organizations::get(state.store(), caller.tenant_id, org)?
        .map(|_| ())
        .ok_or(ApiError::NotFound)
}

/// The contact `id` of the tenant's organization `org`, or 404.
fn contact(state: &State, caller: &Caller, org: Uuid, id: Uuid) -> Result<Contact, ApiError> {
    tables::contacts::get(state.store(), caller.tenant_id, id)?
        .filter(|c| c.organization_id == org)
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(get, path = "/api/organizations/{id}/contacts/", tag = "contacts",
    params(("id" = Uuid, Path, description = "The organization"), PageParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "The organization's contacts, oldest first", body = Page<ContactView>),
        (status = 404, description = "No such organization in this tenant")))]
pub async fn list_contacts(
    org: Uuid,
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<ContactView>, ApiError> {
    organization(&state, &caller, org)?;
    let views = tables::contacts::of_org(state.store(), caller.tenant_id, org)?
        .into_iter()
        .map(ContactView::from)
        .collect();
    let path = format!("/api/organizations/{org}/contacts/");
    paginate_vec(views, &q, &state.public_url(), &path)
}

#[utoipa::path(post, path = "/api/organizations/{id}/contacts/", tag = "contacts",
    params(("id" = Uuid, Path, description = "The organization")),
    request_body = ContactWrite,
    security(("token" = [])),
    responses(
        (status = 201, description = "Created", body = ContactView),
        (status = 400, description = "Field errors (an invalid or repeated email)"),
        (status = 404, description = "No such organization in this tenant")))]
pub async fn create_contact(
    org: Uuid,
    state: State,
    caller: Caller,
    write: Parsed<ContactWrite>,
) -> Result<ContactView, ApiError> {
    organization(&state, &caller, org)?;
    save(&state, &caller, org, None, write?).await
}

async fn save(
    state: &State,
    caller: &Caller,
    org: Uuid,
    id: Option<Uuid>,
    write: ContactWrite,
) -> Result<ContactView, ApiError> {
    let patch = write.into();
    let contact = state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::EditContact {
            org,
            id,
            patch,
            reply,
        })
        .await?;
    Ok(contact.into())
}

#[utoipa::path(get, path = "/api/organizations/{id}/contacts/{contact_id}/", tag = "contacts",
    params(
        ("id" = Uuid, Path, description = "The organization"),
        ("contact_id" = Uuid, Path, description = "The contact"),
    ),
    security(("token" = [])),
    responses(
        (status = 200, description = "The contact", body = ContactView),
        (status = 404, description = "No such contact of this organization")))]
pub async fn get_contact(
    org: Uuid,
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<ContactView, ApiError> {
    Ok(contact(&state, &caller, org, id)?.into())
}

#[utoipa::path(patch, path = "/api/organizations/{id}/contacts/{contact_id}/", tag = "contacts",
    params(
        ("id" = Uuid, Path, description = "The organization"),
        ("contact_id" = Uuid, Path, description = "The contact"),
    ),
    request_body = ContactWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "Updated", body = ContactView),
        (status = 400, description = "Field errors"),
        (status = 404, description = "No such contact of this organization")))]
pub async fn update_contact(
    org: Uuid,
    id: Uuid,
    state: State,
    caller: Caller,
    write: Parsed<ContactWrite>,
) -> Result<ContactView, ApiError> {
    contact(&state, &caller, org, id)?;
    save(&state, &caller, org, Some(id), write?).await
}

#[utoipa::path(delete, path = "/api/organizations/{id}/contacts/{contact_id}/", tag = "contacts",
    params(
        ("id" = Uuid, Path, description = "The organization"),
        ("contact_id" = Uuid, Path, description = "The contact"),
    ),
    security(("token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such contact of this organization")))]
pub async fn delete_contact(
    org: Uuid,
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<(), ApiError> {
    contact(&state, &caller, org, id)?;
    Ok(state
        .actors
        .tenant(caller.tenant_id, |reply| SuppliersMsg::DeleteContact {
            org,
            id,
            reply,
        })
        .await?)
}
