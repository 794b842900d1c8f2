//! Pages call the typed operations of `routes/` with the session's caller and render the
//! views they return; pages and API therefore cannot disagree on a filter, a rule or a role,
//! and there is one write path. Here: the query a page hands an operation, and how a page
//! writes the values of a view.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::extract::Query;

/// A query for an operation: the page's parameters with some set or replaced.
pub fn query(base: &Query, set: &[(&str, String)]) -> Query {
    let mut pairs: HashMap<String, String> = base.pairs.clone();
    pairs.remove("notice");
    for (k, v) in set {
        pairs.insert(k.to_string(), v.clone());
    }
    Query {
        pairs,
        raw: String::new(),
    }
}

/// A moment as a person reads it: "2026-12-03 06:05" (UTC); "" for none.
pub fn moment(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A day as ISO 8601; "" for none.
pub fn day(on: Option<NaiveDate>) -> String {
    on.map(|d| d.to_string()).unwrap_or_default()
}

/// An optional text; "" for none.
pub fn text(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_people_write_them() {
        let at = "2026-12-03T06:05:59Z".parse().ok();
        assert_eq!(moment(at), "2026-12-03 06:05");
        assert_eq!(moment(None), "");
        assert_eq!(day(NaiveDate::from_ymd_opt(2027, 1, 2)), "2027-01-02");
        assert_eq!(text(&Some("x".into())), "x");
        assert_eq!(text(&None), "");
    }
}
