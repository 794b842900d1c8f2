//! Recording events that belong to no other write (`import.completed`,
//! `bulk_upload.completed`, `certificate.expiring`), with their deliveries.

use certwatch_domain::events::{Event, EventKind};
use uuid::Uuid;

use crate::engine::tx::transact;
use crate::ops::fan_out::{self, Woke};
use crate::tables::{deliveries, events, import_runs};
use crate::{RegistryError, Store};

pub fn record(store: &Store, tenant: Uuid, list: &[Event]) -> Result<Woke, RegistryError> {
    let fan_out = fan_out::plan(store, tenant, list)?;
    let keyed = events::keyed(store, list)?;
    // Imports are also listed on their own, so the last ones are found without a walk
    // through every event.
    let imports: Vec<Event> = list
        .iter()
        .filter(|e| e.kind == EventKind::ImportCompleted.as_str())
        .cloned()
        .collect();
    let imports = import_runs::keyed(store, &imports)?;
    let tables = [events::TREES, deliveries::TREES, import_runs::TREES];
    transact::<_, RegistryError>(store, &tables, |tx| {
        fan_out.put(tx)?;
        import_runs::put(tx, &imports)?;
        events::put(tx, &keyed)
    })?;
    Ok(fan_out.woke())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::import_runs;
    use chrono::Utc;
    use serde_json::json;

    #[tokio::test]
    async fn the_last_imports_are_listed_apart_from_other_events() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let (tenant, other) = (Uuid::new_v4(), Uuid::new_v4());
        let event =
            |tenant, kind, n: usize| Event::new(tenant, None, kind, json!({ "n": n }), Utc::now());
        for n in 0..3 {
            let _woke = record(
                &store,
                tenant,
                &[event(tenant, EventKind::ImportCompleted, n)],
            )
            .unwrap();
            let _woke = record(
                &store,
                tenant,
                &[event(tenant, EventKind::BulkUploadCompleted, n)],
            )
            .unwrap();
        }
        let _woke = record(
            &store,
            other,
            &[event(other, EventKind::ImportCompleted, 9)],
        )
        .unwrap();
        let last = import_runs::latest(&store, tenant, 2).unwrap();
        let data: Vec<&str> = last.iter().map(|e| e.data.as_str()).collect();
        assert_eq!(data, [r#"{"n":2}"#, r#"{"n":1}"#]);
        assert_eq!(crate::tables::events::all(&store, tenant).unwrap().len(), 6);
    }
}
