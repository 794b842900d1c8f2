//! Compliance: the rules a tenant's suppliers are judged by, and announcing each change of
//! a supplier's overall state (`organization.compliance_changed`) once — also a change that
//! only time made, which the tenant actor's periodic pass finds.

use std::collections::HashMap;

use certwatch_domain::events::{Event, EventKind};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out;
use crate::tables::{compliance_states, deliveries, events, requirements, tenants};
use crate::{RegistryError, Store, StoreError, Woke};
use certwatch_domain::compliance::Rules;

/// The tenant's requirements and warning window on `now`'s day.
pub fn rules(store: &Store, tenant: Uuid, now: DateTime<Utc>) -> Result<Rules, StoreError> {
    let warning_days = tenants::get(store, tenant)?
        .map(|t| t.reminders.warning_days())
        .unwrap_or_default();
    Ok(Rules {
        requirements: requirements::all(store, tenant)?,
        warning_days,
        today: now.date_naive(),
    })
}

/// Compares every supplier's state with the one last announced, and announces and records
/// the changes in one transaction. A supplier seen for the first time is recorded without
/// an event: there is no earlier state to change from.
pub fn refresh(store: &Store, tenant: Uuid, now: DateTime<Utc>) -> Result<Woke, RegistryError> {
    let rules = rules(store, tenant, now)?;
    let current = store.catalog(tenant)?.read().org_states(&rules);
    let mut known: HashMap<Uuid, _> = compliance_states::all(store, tenant)?.into_iter().collect();
    let mut changed = Vec::new();
    let mut announced = Vec::new();
    for (org, state) in current {
        match known.remove(&org) {
            Some(old) if old == state => {}
            Some(old) => {
                announced.push(Event::new(
                    tenant,
                    Some(org),
                    EventKind::OrganizationComplianceChanged,
                    json!({
                        "organization": org,
                        "old_state": old.as_str(),
                        "new_state": state.as_str(),
                    }),
                    now,
                ));
                changed.push((org, state));
            }
            None => changed.push((org, state)),
        }
    }
    // What is left belongs to deleted suppliers.
    let gone: Vec<Uuid> = known.into_keys().collect();
    if changed.is_empty() && gone.is_empty() {
        return Ok(Woke::default());
    }
    let fan_out = fan_out::plan(store, tenant, &announced)?;
    let keyed = events::keyed(store, &announced)?;
    let tables = [compliance_states::TREES, events::TREES, deliveries::TREES];
    transact::<_, RegistryError>(store, &tables, |tx| {
        for (org, state) in &changed {
            compliance_states::put(tx, tenant, *org, *state)?;
        }
        for org in &gone {
            compliance_states::remove(tx, tenant, *org)?;
        }
        fan_out.put(tx)?;
        events::put(tx, &keyed)
    })?;
    Ok(fan_out.woke())
}
