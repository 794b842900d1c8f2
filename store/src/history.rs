//! A certificate's history, written in the same transaction as the change itself.

use certwatch_domain::history::HistoryEntry;
use uuid::Uuid;

use crate::{Store, StoreError, keys, scan};

/// `tenant ‖ certificate ‖ sequence`: a certificate's entries in the order written.
pub(crate) fn history_key(tenant: Uuid, cert: Uuid, seq: u64) -> Vec<u8> {
    let mut k = keys::pair(tenant, cert).to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

impl Store {
    /// A certificate's history, newest first.
    pub fn certificate_history(
        &self,
        tenant: Uuid,
        cert: Uuid,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut entries: Vec<HistoryEntry> =
            scan(&self.trees().cert_history, &keys::pair(tenant, cert))?;
        entries.reverse();
        Ok(entries)
    }
}
