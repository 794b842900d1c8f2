//! Record encoding: one format byte, then bincode (standard config) of the serde value.
//!
//! The format byte lets a later release change the layout of a record kind and still read
//! what an older release wrote (decode by format, migrate on open).

use serde::{Serialize, de::DeserializeOwned};

use crate::StoreError;

/// Format of every record written by this release.
const RECORD_FORMAT: u8 = 1;

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
        Some((&RECORD_FORMAT, body)) => {
            bincode::serde::decode_from_slice(body, bincode::config::standard())
                .map(|(value, _)| value)
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        }
        Some((format, _)) => Err(StoreError::Corrupt(format!(
            "unknown record format {format}"
        ))),
        None => Err(StoreError::Corrupt("empty record".into())),
    }
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
}
