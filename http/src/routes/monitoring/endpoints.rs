//! Monitored endpoints: the pages watched for an organization, and scrapes on demand.

use certwatch_actors::MonitoringMsg;
use certwatch_actors::{Reply, TenantMsg};
use std::collections::HashMap;

use certwatch_domain::monitoring::{Endpoint, EndpointPatch};
use certwatch_domain::registry::Change;
use certwatch_domain::rules;
use certwatch_domain::schedule::{MAX_FREQUENCY, MIN_FREQUENCY};
use certwatch_store::{Store, StoreError, tables};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::logs::ScrapeLogView;
use crate::auth::Caller;
use crate::crud::Resource;
use crate::error::ApiError;
use crate::extract::Query;
use crate::input::{Input, Write};
use crate::pagination::{Page, PageParams, PageRequest, paginate_vec};
use crate::routes::compliance::rules;
use crate::routes::organizations::{OrganizationView, organization_view};
use crate::state::State;

/// Scrape logs shown on an endpoint's detail.
const RECENT_LOGS: usize = 5;

#[derive(Serialize, ToSchema)]
pub struct EndpointView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub organization_name: String,
    pub url: String,
    /// `HH:MM:SS` or `D HH:MM:SS`; set by the adaptive tiers after every scrape.
    pub check_frequency: String,
    pub is_active: bool,
    /// Created by discovery rather than by a person.
    pub discovered: bool,
    pub last_checked: Option<DateTime<Utc>>,
    pub next_check_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// On the detail only: the organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<OrganizationView>,
    /// On the detail only: the last 5 scrape logs, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recent_scrape_logs: Option<Vec<ScrapeLogView>>,
}

/// Request body of endpoint writes (all fields optional on PATCH).
#[derive(ToSchema)]
pub struct EndpointWrite {
    #[schema(value_type = Uuid, required = true)]
    organization_id: Change<Uuid>,
    /// An http(s) URL.
    #[schema(value_type = String, required = true, format = "uri", max_length = 2000)]
    url: Change<String>,
    /// `HH:MM:SS`, `D HH:MM:SS` or seconds; 1 minute to 30 days.
    #[schema(value_type = Option<String>)]
    check_frequency: Change<u64>,
    #[schema(value_type = Option<bool>)]
    is_active: Change<bool>,
}

impl Write for EndpointWrite {
    fn read(input: &mut Input) -> Self {
        EndpointWrite {
            organization_id: input.required_uuid("organization_id"),
            url: input.required_parsed("url", rules::http_url, rules::URL_MESSAGE),
            check_frequency: input
                .optional_parsed(
                    "check_frequency",
                    |raw| {
                        rules::duration(raw).filter(|s| {
                            (MIN_FREQUENCY.as_secs()..=MAX_FREQUENCY.as_secs()).contains(s)
                        })
                    },
                    "Use HH:MM:SS (or D HH:MM:SS) between 00:01:00 and 30 00:00:00.",
                )
                .flatten(),
            is_active: input.optional_bool("is_active"),
        }
    }
}

fn endpoint_view(
    state: &State,
    ep: Endpoint,
    org_name: String,
    detail: bool,
) -> Result<EndpointView, ApiError> {
    let (organization, recent_scrape_logs) = if detail {
        let org = match tables::organizations::get(state.store(), ep.tenant_id, ep.organization_id)?
        {
            Some(org) => Some(organization_view(
                state,
                org,
                false,
                &rules(state, ep.tenant_id)?,
            )?),
            None => None,
        };
        let (logs, _) =
            tables::scrape_logs::page(state.store(), ep.tenant_id, Some(ep.id), 0, RECENT_LOGS)?;
        (
            org,
            Some(logs.into_iter().map(ScrapeLogView::from).collect()),
        )
    } else {
        (None, None)
    };
    Ok(EndpointView {
        id: ep.id,
        organization_id: ep.organization_id,
        organization_name: org_name,
        url: ep.url,
        check_frequency: rules::format_duration(ep.check_frequency),
        is_active: ep.is_active,
        discovered: ep.discovered,
        last_checked: ep.last_checked,
        next_check_at: ep.next_check_at,
        consecutive_failures: ep.consecutive_failures,
        last_error: ep.last_error,
        created_at: ep.created_at,
        updated_at: ep.updated_at,
        organization,
        recent_scrape_logs,
    })
}

fn detail(state: &State, ep: Endpoint) -> Result<EndpointView, ApiError> {
    let name = tables::organizations::get(state.store(), ep.tenant_id, ep.organization_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    endpoint_view(state, ep, name, true)
}

impl From<EndpointWrite> for EndpointPatch {
    fn from(w: EndpointWrite) -> EndpointPatch {
        EndpointPatch {
            organization_id: w.organization_id,
            url: w.url,
            check_frequency: w.check_frequency,
            is_active: w.is_active,
        }
    }
}

/// Monitored endpoints as a resource of the six collection routes.
pub struct Endpoints;

impl Resource for Endpoints {
    type Record = Endpoint;
    type View = EndpointView;
    type Write = EndpointWrite;
    type Patch = EndpointPatch;
    const PATH: &'static str = "/api/monitoring/endpoints/";
    const TAG: &'static str = "monitoring";
    const NOUN: &'static str = "Endpoint";
    const CREATED: &'static str = "Created; its first check starts right away";
    const DELETED: &'static str = "Deleted; its actor stops (its scrape logs stay)";

    fn fetch(store: &Store, tenant: Uuid, id: Uuid) -> Result<Option<Endpoint>, StoreError> {
        tables::endpoints::get(store, tenant, id)
    }

    fn view(state: &State, _: Uuid, ep: Endpoint) -> Result<EndpointView, ApiError> {
        detail(state, ep)
    }

    fn outbound_url(write: &Self::Write) -> Option<(&str, &'static str)> {
        Some((write.url.as_deref()?, "be monitored"))
    }

    fn edit(
        _: &Caller,
        id: Option<Uuid>,
        patch: EndpointPatch,
        reply: Reply<Self::Record>,
    ) -> TenantMsg {
        MonitoringMsg::EditEndpoint { id, patch, reply }.into()
    }

    fn delete(_: &Caller, id: Uuid, reply: Reply<()>) -> TenantMsg {
        MonitoringMsg::DeleteEndpoint { id, reply }.into()
    }
}

#[utoipa::path(get, path = "/api/monitoring/endpoints/", tag = "monitoring",
    params(
        ("organization" = Option<Uuid>, Query, description = "Only this organization's endpoints"),
        ("is_active" = Option<bool>, Query, description = "true or false"),
        ("failing" = Option<bool>, Query, description = "true: only endpoints whose last check failed; false: only the others"),
        ("search" = Option<String>, Query, description = "Part of the URL or the organization's name, any case"),
        ("ordering" = Option<String>, Query, description = "url, last_checked, created_at or is_active; '-' for descending", pattern = "^-?(url|last_checked|created_at|is_active)$"),
        PageParams,
    ),
    security(("token" = [])),
    responses((status = 200, description = "Endpoints, oldest first unless ordered", body = Page<EndpointView>)))]
pub async fn list_endpoints(
    state: State,
    caller: Caller,
    q: Query,
) -> Result<Page<EndpointView>, ApiError> {
    let tenant = caller.tenant_id;
    let organization = q.uuid("organization")?;
    let flag = |v: &str| match v {
        "true" | "True" | "1" => Some(true),
        "false" | "False" | "0" => Some(false),
        _ => None,
    };
    let is_active = q.parsed("is_active", flag, "Use true or false.")?;
    let failing = q.parsed("failing", flag, "Use true or false.")?;
    #[derive(Clone, Copy)]
    enum Order {
        Url,
        LastChecked,
        CreatedAt,
        IsActive,
    }
    let order = q.ordering(&[
        ("url", Order::Url),
        ("last_checked", Order::LastChecked),
        ("created_at", Order::CreatedAt),
        ("is_active", Order::IsActive),
    ])?;
    let search = q.get("search").map(|s| s.trim().to_lowercase());
    PageRequest::from_query(&q)?;
    let mut names: HashMap<Uuid, String> = HashMap::new();
    let mut rows: Vec<(Endpoint, String)> = Vec::new();
    for ep in tables::endpoints::all(state.store(), tenant)? {
        if organization.is_some_and(|o| o != ep.organization_id)
            || is_active.is_some_and(|a| a != ep.is_active)
            || failing.is_some_and(|f| f != (ep.consecutive_failures > 0))
        {
            continue;
        }
        let name = match names.get(&ep.organization_id) {
            Some(n) => n.clone(),
            None => {
                let n = tables::organizations::get(state.store(), tenant, ep.organization_id)?
                    .map(|o| o.name)
                    .unwrap_or_default();
                names.insert(ep.organization_id, n.clone());
                n
            }
        };
        if let Some(s) = &search
            && !ep.url.to_lowercase().contains(s)
            && !name.to_lowercase().contains(s)
        {
            continue;
        }
        rows.push((ep, name));
    }
    if let Some((key, desc)) = order {
        rows.sort_by(|(a, _), (b, _)| {
            let ord = match key {
                Order::Url => a.url.cmp(&b.url),
                Order::LastChecked => a.last_checked.cmp(&b.last_checked),
                Order::CreatedAt => a.created_at.cmp(&b.created_at),
                Order::IsActive => a.is_active.cmp(&b.is_active),
            };
            if desc { ord.reverse() } else { ord }
        });
    }
    let views = rows
        .into_iter()
        .map(|(ep, name)| endpoint_view(&state, ep, name, false))
        .collect::<Result<Vec<_>, _>>()?;
    paginate_vec(views, &q, &state.public_url(), "/api/monitoring/endpoints/")
}

#[utoipa::path(post, path = "/api/monitoring/endpoints/{id}/trigger_scrape/", tag = "monitoring",
    params(("id" = Uuid, Path, description = "Endpoint id")),
    security(("token" = [])),
    responses(
        (status = 202, description = "A scrape is queued", body = crate::respond::Detail),
        (status = 400, description = "The endpoint is inactive"),
        (status = 404, description = "Not in this tenant"),
    ))]
pub async fn trigger_scrape(
    id: Uuid,
    state: State,
    caller: Caller,
) -> Result<crate::respond::Detail, ApiError> {
    state
        .actors
        .tenant(caller.tenant_id, |reply| MonitoringMsg::TriggerScrape {
            id,
            reply,
        })
        .await?;
    Ok(crate::respond::Detail::new("Scrape queued."))
}
