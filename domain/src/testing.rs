//! Records the rules' unit tests are written with.

use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use crate::registry::Certificate;

pub fn cert(number: &str, type_id: Uuid, expiry: Option<&str>) -> Certificate {
    let mut c = Certificate::new(Uuid::nil(), Uuid::nil(), type_id, number.into(), Utc::now());
    c.expiry_date = expiry.map(|d| d.parse().unwrap());
    c
}

pub fn day(d: &str) -> NaiveDate {
    d.parse().unwrap()
}
