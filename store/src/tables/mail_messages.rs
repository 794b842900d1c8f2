//! `mail_messages`: account ‖ hash of the folder ‖ UIDVALIDITY ‖ UID → HandledMail, each message of a
//! mailbox recorded once handled. The highest UID handled in a folder of one UIDVALIDITY is
//! where the next poll starts; a new UIDVALIDITY (the folder was made again) starts over,
//! and what was already filed is caught by its SHA-256.

use certwatch_domain::mail::HandledMail;
use uuid::Uuid;

use crate::engine::trees::Tree;
use crate::engine::tx::{Tx, TxResult};
use crate::{Store, StoreError, decode, encode, engine::keys};

pub const TREES: &[Tree] = &[Tree::MailMessages];

/// The key prefix of one folder of one UIDVALIDITY: the folder's name is hashed into a
/// fixed width, so UIDs sort in numeric order after it.
fn prefix(account: Uuid, folder: &str, uid_validity: u32) -> Vec<u8> {
    let mut key = keys::id(account).to_vec();
    key.extend_from_slice(&folder_hash(folder).to_be_bytes());
    key.extend_from_slice(&uid_validity.to_be_bytes());
    key
}

/// FNV-1a of the folder's name: stable across builds and releases.
fn folder_hash(folder: &str) -> u64 {
    folder.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn key(m: &HandledMail) -> Vec<u8> {
    let mut key = prefix(m.account_id, &m.folder, m.uid_validity);
    key.extend_from_slice(&m.uid.to_be_bytes());
    key
}

/// The message of the highest UID handled in `folder` under `uid_validity`.
pub fn last(
    store: &Store,
    account: Uuid,
    folder: &str,
    uid_validity: u32,
) -> Result<Option<HandledMail>, StoreError> {
    store
        .tree(Tree::MailMessages)
        .scan_prefix(prefix(account, folder, uid_validity))
        .next_back()
        .map(|entry| decode(&entry?.1))
        .transpose()
}

/// An account's handled messages, newest UID last, at most `limit` of the latest.
pub fn of_account(
    store: &Store,
    account: Uuid,
    limit: usize,
) -> Result<Vec<HandledMail>, StoreError> {
    let mut out: Vec<HandledMail> = Vec::new();
    for entry in store
        .tree(Tree::MailMessages)
        .scan_prefix(keys::id(account))
    {
        out.push(decode(&entry?.1)?);
    }
    out.sort_by_key(|m| m.handled_at);
    let skip = out.len().saturating_sub(limit);
    Ok(out.split_off(skip))
}

/// The keys of an account's records, for removing them with it.
pub fn keys_of(store: &Store, account: Uuid) -> Result<Vec<Vec<u8>>, StoreError> {
    store
        .tree(Tree::MailMessages)
        .scan_prefix(keys::id(account))
        .keys()
        .map(|k| Ok(k?.to_vec()))
        .collect()
}

pub fn put<E>(tx: &Tx, m: &HandledMail) -> TxResult<(), E> {
    tx.insert(Tree::MailMessages, key(m), encode(m))
}

pub fn remove<E>(tx: &Tx, keys: &[Vec<u8>]) -> TxResult<(), E> {
    for k in keys {
        tx.remove(Tree::MailMessages, k)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_domain::mail::MailOutcome;

    #[tokio::test]
    async fn uids_are_remembered_per_folder_and_uidvalidity() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let account = Uuid::new_v4();
        let mail = |folder: &str, validity: u32, uid: u32| HandledMail {
            account_id: account,
            folder: folder.into(),
            uid_validity: validity,
            uid,
            message_id: None,
            from: None,
            subject: String::new(),
            outcome: MailOutcome::NothingToFile,
            notes: Vec::new(),
            handled_at: chrono::Utc::now(),
        };
        for m in [
            mail("INBOX", 7, 2),
            mail("INBOX", 7, 300),
            mail("INBOX", 7, 41),
            mail("Suppliers", 7, 999),
        ] {
            crate::engine::tx::transact::<_, StoreError>(&store, &[TREES], |tx| put(tx, &m))
                .unwrap();
        }
        let last_uid = |folder: &str, validity: u32| {
            last(&store, account, folder, validity)
                .unwrap()
                .map(|m| m.uid)
        };
        assert_eq!(last_uid("INBOX", 7), Some(300));
        assert_eq!(last_uid("INBOX", 8), None);
        assert_eq!(last_uid("Suppliers", 7), Some(999));
        assert_eq!(of_account(&store, account, 10).unwrap().len(), 4);
        assert_eq!(keys_of(&store, Uuid::new_v4()).unwrap().len(), 0);
    }
}
