//! `/api/status-providers/`: the registers certificates are checked in, and the tenant's
//! account with each (admins only): its API key (write-only, shown as its last four
//! characters), whether checks run, the monthly credit budget, and why checks paused.

use certwatch_actors::RegistersMsg;
use certwatch_domain::registers::{
    AccountPatch, MANUAL_LOOKUPS, MAX_KEY_CHARS, MAX_MONTHLY_BUDGET, Provider, ProviderAccount,
};
use certwatch_store::tables;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::Caller;
use crate::auth::signed_in;
use crate::error::ApiError;
use crate::extract::Parsed;
use crate::extract::{Query, query};
use crate::input::write;
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, paginate_vec};
use crate::route::{any_of, route};
use crate::state::State;

#[derive(Serialize, ToSchema, Clone)]
pub struct LookupPage {
    pub name: String,
    pub url: String,
}

#[derive(Serialize, ToSchema, Clone)]
pub struct StatusProviderView {
    /// `iaf_certsearch`, `fsc` or `manual`.
    pub provider: String,
    pub name: String,
    /// Whether this server can ask the register: the operator set its API URL
    /// (`CERTWATCH_IAF_API_URL`, `CERTWATCH_FSC_API_URL`). Always true for `manual`.
    pub available: bool,
    /// Whether this organization saved an API key for it.
    pub configured: bool,
    pub enabled: bool,
    /// The key's last four characters; the key itself is never shown again.
    pub api_key_hint: Option<String>,
    /// Credits a month the checks may spend (IAF CertSearch charges one per company
    /// matched); null for registers that charge nothing.
    pub monthly_credit_budget: Option<u32>,
    pub credits_spent_this_month: Option<u32>,
    /// Checks stopped until an admin saves the provider again: the register refused the
    /// key or the account's credits are spent.
    pub paused: bool,
    pub paused_reason: Option<String>,
    /// The register asked to wait until then (429).
    pub retry_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// For `manual`: the registers without an API, where a person looks a certificate up.
    pub lookup_pages: Vec<LookupPage>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl StatusProviderView {
    pub(crate) fn of(
        provider: Provider,
        account: Option<&ProviderAccount>,
        available: bool,
        now: DateTime<Utc>,
    ) -> StatusProviderView {
        let credits = provider.charges_credits();
        StatusProviderView {
            provider: provider.as_str().into(),
            name: provider.title().into(),
            available,
            configured: account.is_some(),
            enabled: account.is_some_and(|a| a.enabled) || !provider.has_api(),
            api_key_hint: account.map(ProviderAccount::key_hint),
            monthly_credit_budget: account.filter(|_| credits).map(|a| a.budget.monthly),
            credits_spent_this_month: account.filter(|_| credits).map(|a| a.budget.spent_in(now)),
            paused: account.is_some_and(|a| a.paused.is_some()),
            paused_reason: account.and_then(|a| a.paused.clone()),
            retry_at: account.and_then(|a| a.retry_at.filter(|t| *t > now)),
            last_error: account.and_then(|a| a.last_error.clone()),
            lookup_pages: if provider.has_api() {
                Vec::new()
            } else {
                MANUAL_LOOKUPS
                    .iter()
                    .map(|(name, url)| LookupPage {
                        name: (*name).into(),
                        url: (*url).into(),
                    })
                    .collect()
            },
            updated_at: account.map(|a| a.updated_at),
        }
    }
}

/// Request body of `PUT /api/status-providers/{provider}/`; every field may be left out
/// (the key only once one is saved).
#[derive(ToSchema)]
pub struct StatusProviderWrite {
    /// The organization's own key for the register; required the first time, kept when
    /// left out or blank.
    #[schema(value_type = Option<String>, max_length = 512)]
    api_key: Option<Option<String>>,
    /// Whether the register is asked (default true).
    #[schema(value_type = Option<bool>)]
    enabled: Option<bool>,
    /// Credits a month the checks may spend (IAF CertSearch); default 0.
    #[schema(value_type = Option<u32>, minimum = 0, maximum = 1000000)]
    monthly_credit_budget: Option<i64>,
}

impl Write for StatusProviderWrite {
    fn read(input: &mut Input) -> Self {
        StatusProviderWrite {
            api_key: input.optional_text("api_key", MAX_KEY_CHARS),
            enabled: input.optional_bool("enabled"),
            monthly_credit_budget: input.optional_whole_number(
                "monthly_credit_budget",
                0,
                i64::from(MAX_MONTHLY_BUDGET),
            ),
        }
    }
}

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    any_of(vec![
        route!(list_status_providers, signed_in(state), query()),
        route!(set_status_provider(provider), signed_in(state), write(true)),
        route!(delete_status_provider(provider), signed_in(state)),
    ])
}

/// Whether the operator configured `provider`'s API.
pub(crate) fn available(state: &State, provider: Provider) -> bool {
    let r = &state.config.registers;
    match provider {
        Provider::IafCertsearch => r.iaf_api_url.is_some(),
        Provider::Fsc => r.fsc_api_url.is_some(),
        Provider::Manual => true,
    }
}

/// Every provider with the tenant's account, as the list and the pages show them.
pub(crate) fn providers(
    state: &State,
    caller: &Caller,
) -> Result<Vec<StatusProviderView>, ApiError> {
    let accounts = tables::register_accounts::of_tenant(state.store(), caller.tenant_id)?;
    let now = Utc::now();
    Ok(Provider::ALL
        .into_iter()
        .map(|p| {
            let account = accounts.iter().find(|a| a.provider == p);
            StatusProviderView::of(p, account, available(state, p), now)
        })
        .collect())
}

#[utoipa::path(get, path = "/api/status-providers/", tag = "registers",
    params(PageParams),
    security(("token" = [])),
    responses((status = 200, description = "The registers, with this organization's account with each (never its key)", body = Page<StatusProviderView>), (status = 403, description = "Not an admin")))]
pub async fn list_status_providers(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<StatusProviderView>, ApiError> {
    caller.require_admin()?;
    let views = providers(&state, &caller)?;
    paginate_vec(views, &q, &state.public_url(), "/api/status-providers/")
}

/// The provider a path names, if it is one with an API.
fn with_api(raw: &str) -> Result<Provider, ApiError> {
    Provider::parse(raw)
        .filter(|p| p.has_api())
        .ok_or(ApiError::NotFound)
}

#[utoipa::path(put, path = "/api/status-providers/{provider}/", tag = "registers",
    params(("provider" = String, Path, description = "iaf_certsearch or fsc")),
    request_body = StatusProviderWrite,
    security(("token" = [])),
    responses(
        (status = 200, description = "Saved; a pause is lifted and the certificates that are due are checked", body = StatusProviderView),
        (status = 400, description = "Field errors (a key is required the first time)"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No such provider with an API")))]
pub async fn set_status_provider(
    provider: String,
    state: State,
    caller: Caller,
    write: Parsed<StatusProviderWrite>,
) -> Result<StatusProviderView, ApiError> {
    caller.require_admin()?;
    let provider = with_api(&provider)?;
    let w = write?;
    let patch = AccountPatch {
        api_key: w.api_key.flatten(),
        enabled: w.enabled,
        monthly_credit_budget: w.monthly_credit_budget.map(|b| b as u32),
    };
    let account = state
        .actors
        .tenant(caller.tenant_id, |reply| RegistersMsg::SetAccount {
            provider,
            patch,
            reply,
        })
        .await?;
    Ok(StatusProviderView::of(
        provider,
        Some(&account),
        available(&state, provider),
        Utc::now(),
    ))
}

#[utoipa::path(delete, path = "/api/status-providers/{provider}/", tag = "registers",
    params(("provider" = String, Path, description = "iaf_certsearch or fsc")),
    security(("token" = [])),
    responses(
        (status = 204, description = "The key and settings are removed; checks already made stay with the certificates"),
        (status = 403, description = "Not an admin"),
        (status = 404, description = "No account with this provider")))]
pub async fn delete_status_provider(
    provider: String,
    state: State,
    caller: Caller,
) -> Result<(), ApiError> {
    caller.require_admin()?;
    let provider = with_api(&provider)?;
    state
        .actors
        .tenant(caller.tenant_id, |reply| RegistersMsg::RemoveAccount {
            provider,
            reply,
        })
        .await?;
    Ok(())
}
