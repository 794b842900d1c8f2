//! `compliance_states`: tenant ‖ organization → the organization's overall compliance state
//! as last announced, so a change (also one only time made) is announced once.

use certwatch_domain::compliance::State;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys};

pub const TREES: &[Tree] = &[Tree::ComplianceStates];

/// Every organization's last announced state.
pub fn all(store: &Store, tenant: Uuid) -> Result<Vec<(Uuid, State)>, StoreError> {
    let mut out = Vec::new();
    for entry in store
        .tree(Tree::ComplianceStates)
        .scan_prefix(keys::id(tenant))
    {
        let (key, value) = entry?;
        let org = keys::uuid_at(&key, 16)
            .ok_or_else(|| StoreError::Corrupt("compliance state key".into()))?;
        out.push((org, decode(&value)?));
    }
    Ok(out)
}

pub fn put<E>(tx: &Tx, tenant: Uuid, org: Uuid, state: State) -> TxResult<(), E> {
    tx.insert(
        Tree::ComplianceStates,
        keys::pair(tenant, org),
        encode(&state),
    )?;
    Ok(())
}

pub fn remove<E>(tx: &Tx, tenant: Uuid, org: Uuid) -> TxResult<(), E> {
    tx.remove(Tree::ComplianceStates, keys::pair(tenant, org))?;
    Ok(())
}
