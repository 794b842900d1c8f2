//! `digest_notices`: tenant ‖ kind ‖ certificate or endpoint → what the digest last said
//! of it; `digest_runs`: tenant → when its last digest went out.

use certwatch_domain::digest::Stage;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, encode, engine::keys, record};

pub const TREES: &[Tree] = &[Tree::DigestNotices, Tree::DigestRuns];

const CERTIFICATE: u8 = 0;
const ENDPOINT: u8 = 1;

/// What a digest said of a certificate: its stage, for the expiry date it had then (a
/// renewed certificate starts over).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announced {
    pub expiry: NaiveDate,
    pub stage: Stage,
}

fn key(tenant: Uuid, kind: u8, id: Uuid) -> Vec<u8> {
    let mut k = keys::id(tenant).to_vec();
    k.push(kind);
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn announced(store: &Store, tenant: Uuid, cert: Uuid) -> Result<Option<Announced>, StoreError> {
    record(
        store.tree(Tree::DigestNotices),
        &key(tenant, CERTIFICATE, cert),
    )
}

pub fn set_announced<E>(tx: &Tx, tenant: Uuid, cert: Uuid, a: &Announced) -> TxResult<(), E> {
    tx.insert(
        Tree::DigestNotices,
        key(tenant, CERTIFICATE, cert),
        encode(a),
    )
}

/// Whether an endpoint's failing streak was reported.
pub fn failing_reported(store: &Store, tenant: Uuid, endpoint: Uuid) -> Result<bool, StoreError> {
    store
        .tree(Tree::DigestNotices)
        .contains_key(key(tenant, ENDPOINT, endpoint))
}

pub fn set_failing_reported<E>(tx: &Tx, tenant: Uuid, endpoint: Uuid, on: bool) -> TxResult<(), E> {
    let k = key(tenant, ENDPOINT, endpoint);
    if on {
        tx.insert(Tree::DigestNotices, k, [])
    } else {
        tx.remove(Tree::DigestNotices, k).map(|_| ())
    }
}

pub fn last_sent(store: &Store, tenant: Uuid) -> Result<Option<DateTime<Utc>>, StoreError> {
    record(store.tree(Tree::DigestRuns), &keys::id(tenant))
}

pub fn set_last_sent<E>(tx: &Tx, tenant: Uuid, at: DateTime<Utc>) -> TxResult<(), E> {
    tx.insert(Tree::DigestRuns, keys::id(tenant), encode(&at))
}
