//! One module per API resource; each exposes `routes(&State)`.

pub mod accounts;
pub mod api_keys;
pub mod bulk_upload;
pub mod certificate_history;
pub mod certificate_requests;
pub mod certificate_search;
pub mod certificate_types;
pub mod certificates;
pub mod compliance;
pub mod contacts;
pub mod health;
pub mod imports;
pub mod invitations;
pub mod mail_accounts;
pub mod members;
pub mod monitoring;
pub mod notifications;
pub mod organizations;
pub mod password_reset;
pub mod reminders;
pub mod requirements;
pub mod sites;
pub mod status_providers;
pub mod supplier_link;
pub mod tenant;
pub mod tokens;
pub mod v1;
pub mod verifications;
pub mod webhooks;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::state::State;

pub fn all(state: &State) -> BoxedFilter<(Response,)> {
    health::routes(state)
        .or(accounts::routes(state))
        .unify()
        .or(password_reset::routes(state))
        .unify()
        .or(invitations::routes(state))
        .unify()
        .or(members::routes(state))
        .unify()
        .or(tokens::routes(state))
        .unify()
        .or(tenant::routes(state))
        .unify()
        .or(notifications::routes(state))
        .unify()
        // Sites and compliance first: `/api/organizations/sites/` and
        // `/api/organizations/compliance/` are not organization ids.
        .or(sites::routes(state))
        .unify()
        .or(compliance::routes(state))
        .unify()
        .or(organizations::routes(state))
        .unify()
        .or(contacts::routes(state))
        .unify()
        .or(requirements::routes(state))
        .unify()
        .or(certificate_requests::routes(state))
        .unify()
        .or(reminders::routes(state))
        .unify()
        .or(certificate_types::routes(state))
        .unify()
        .or(certificate_search::routes(state))
        .unify()
        .or(certificates::routes(state))
        .unify()
        .or(certificate_history::routes(state))
        .unify()
        .or(verifications::routes(state))
        .unify()
        .or(status_providers::routes(state))
        .unify()
        .or(mail_accounts::routes(state))
        .unify()
        .or(webhooks::routes(state))
        .unify()
        .or(api_keys::routes(state))
        .unify()
        .or(v1::routes(state))
        .unify()
        .or(imports::routes(state))
        .unify()
        .or(monitoring::routes(state))
        .unify()
        .or(bulk_upload::routes(state))
        .unify()
        .boxed()
}
