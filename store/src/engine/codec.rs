//! Record encoding: one format byte, then bincode (standard config) of the serde value.
//!
//! The format byte lets a later release change the layout of a record kind and still read
//! what an older release wrote (decode by format, migrate on open).
//!
//! Format 1 is every record up to schema 2. Format 2 changed the layout of bulk items only
//! (schema 3 rewrites them when the store is opened). Format 3 changed the layout of
//! tenants and memberships only (schema 4 rewrites them); every other kind reads the same
//! in all three. Format 4 changed the layout of tenants, organizations and bulk batches
//! (schema 5).

use serde::{Serialize, de::DeserializeOwned};

use crate::StoreError;

/// Format of every record written by this release.
pub(crate) const RECORD_FORMAT: u8 = 4;
/// The first format, which migrations read with the old layouts.
pub(crate) const LEGACY_FORMAT: u8 = 1;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![RECORD_FORMAT];
    // Encoding plain structs of strings, numbers and uuids into a Vec cannot fail.
    let body = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .expect("record types always encode");
    out.extend_from_slice(&body);
    out
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&(1..=RECORD_FORMAT), body)) => body_of(body),
        Some((format, _)) => Err(StoreError::Corrupt(format!(
            "unknown record format {format}"
        ))),
        None => Err(StoreError::Corrupt("empty record".into())),
    }
}

fn body_of<T: DeserializeOwned>(body: &[u8]) -> Result<T, StoreError> {
    bincode::serde::decode_from_slice(body, bincode::config::standard())
        .map(|(value, _)| value)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A record's format byte.
pub(crate) fn format_of(bytes: &[u8]) -> Option<u8> {
    bytes.first().copied()
}

/// Decodes a record of an older format into its old layout (`T`).
pub(crate) fn decode_legacy<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StoreError> {
    match bytes.split_first() {
        Some((&format, body)) if format < RECORD_FORMAT => body_of(body),
        _ => Err(StoreError::Corrupt(
            "not a record of an older format".into(),
        )),
    }
}

/// A record as an older release wrote it in `format`, for migration tests.
#[cfg(test)]
pub(crate) fn encode_as<T: Serialize>(value: &T, format: u8) -> Vec<u8> {
    let mut out = encode(value);
    out[0] = format;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Sample {
        name: String,
        id: uuid::Uuid,
        at: chrono::DateTime<chrono::Utc>,
        n: Option<u32>,
    }

    #[test]
    fn round_trips_and_rejects_garbage() {
        let v = Sample {
            name: "TÜV".into(),
            id: uuid::Uuid::new_v4(),
            at: chrono::Utc::now(),
            n: Some(7),
        };
        let bytes = encode(&v);
        assert_eq!(bytes[0], RECORD_FORMAT);
        assert_eq!(decode::<Sample>(&bytes).unwrap(), v);
        assert!(matches!(decode::<Sample>(&[]), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            decode::<Sample>(&[9, 1, 2]),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(
            decode::<Sample>(&[1, 200]),
            Err(StoreError::Corrupt(_))
        ));
    }

    /// `Sample` after a release renamed two of its fields.
    #[derive(Debug, PartialEq, Deserialize)]
    struct Renamed {
        legal_name: String,
        id: uuid::Uuid,
        created_at: chrono::DateTime<chrono::Utc>,
        n: Option<u32>,
    }

    /// Records hold their fields by position, not by name: a renamed field needs no
    /// migration (an added or removed one does — a new format and a `migrations` step).
    /// Were the encoding ever to carry names, this fails first.
    #[test]
    fn a_renamed_field_reads_the_record_as_written() {
        let v = Sample {
            name: "Nordic Steel AB".into(),
            id: uuid::Uuid::new_v4(),
            at: chrono::Utc::now(),
            n: None,
        };
        let read: Renamed = decode(&encode(&v)).unwrap();
        assert_eq!(
            read,
            Renamed {
                legal_name: v.name,
                id: v.id,
                created_at: v.at,
                n: None,
            }
        );
    }
}
