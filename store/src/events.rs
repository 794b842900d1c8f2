//! Recording events that belong to no other write (`import.completed`,
//! `bulk_upload.completed`, `certificate.expiring`), with their deliveries.

use certwatch_domain::events::Event;
use uuid::Uuid;

use crate::fan_out::{self, Woke};
use crate::tables::{deliveries, events};
use crate::tx::transact;
use crate::{RegistryError, Store};

pub fn record(store: &Store, tenant: Uuid, list: &[Event]) -> Result<Woke, RegistryError> {
    let fan_out = fan_out::plan(store, tenant, list)?;
    let keyed = events::keyed(store, list)?;
    transact::<_, RegistryError>(store, &[events::TREES, deliveries::TREES], |tx| {
        fan_out.put(tx)?;
        events::put(tx, &keyed)
    })?;
    Ok(fan_out.woke())
}
