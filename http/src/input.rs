//! Reading a JSON object field by field, for create (POST), replace (PUT) and partial update
//! (PATCH) alike. Each reader returns the field's change — `None` when the field is to stay
//! as it is — and records a field error for a wrong type or value, so one answer lists every
//! problem of the request.

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{ApiError, FieldErrors};
use crate::extract::{Body, Parsed, body, parse_json};
use warp::Filter;

const REQUIRED: &str = "This field is required.";
const NOT_NULL: &str = "This field may not be null.";

/// A request body: read field by field from a JSON object (see [`Input`]) into the struct
/// whose `ToSchema` is the body's schema in the OpenAPI document, so the two cannot differ:
/// a field the handler reads is a field of the struct, and the struct is the schema.
pub trait Write: Sized {
    fn read(input: &mut Input) -> Self;

    /// The body of a create or replace (`partial` false) or of a PATCH (`partial` true).
    fn parse(body: Body, partial: bool) -> Result<Self, ApiError> {
        match parse_json::<Value>(body)? {
            Value::Object(fields) => Self::from_fields(fields, partial),
            _ => Err(ApiError::BadRequest(
                "The body must be a JSON object.".into(),
            )),
        }
    }

    /// The fields of a body already read (a page's form), checked exactly as a body is.
    fn from_fields(fields: Map<String, Value>, partial: bool) -> Result<Self, ApiError> {
        let mut input = Input::new(fields, partial)?;
        let write = Self::read(&mut input);
        input.finish()?;
        Ok(write)
    }
}

/// The JSON body read field by field into `W` (see [`Write`]); a PATCH's (`partial`) keeps
/// what it does not name.
pub fn write<W: Write + Send>(
    partial: bool,
) -> impl Filter<Extract = (Parsed<W>,), Error = std::convert::Infallible> + Clone {
    body().map(move |body| W::parse(body, partial))
}

/// A JSON number without a fraction, as an integer.
fn whole(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
            .map(|f| f as i64)
    })
}

pub struct Input {
    map: Map<String, Value>,
    /// PATCH: absent fields stay. POST/PUT: absent fields are empty (and required ones fail).
    partial: bool,
    errors: FieldErrors,
}

impl Input {
    fn new(map: Map<String, Value>, partial: bool) -> Result<Input, ApiError> {
        if partial && map.is_empty() {
            return Err(ApiError::BadRequest(
                "Send at least one field to change.".into(),
            ));
        }
        Ok(Input {
            map,
            partial,
            errors: FieldErrors::default(),
        })
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    /// `None`: leave as is; `Some(None)`: absent/null/blank; `Some(Some(text))`: trimmed text.
    fn raw(&mut self, name: &str) -> Option<Option<String>> {
        match self.map.get(name) {
            None if self.partial => None,
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                Some((!s.is_empty()).then(|| s.to_string()))
            }
            Some(_) => {
                self.error(name, "Must be a string.");
                None
            }
        }
    }

    fn check_len(&mut self, name: &str, value: &str, max: usize) -> bool {
        let ok = value.chars().count() <= max;
        if !ok {
            self.error(
                name,
                format!("Ensure this field has no more than {max} characters."),
            );
        }
        ok
    }

    /// Records `message` for `name` and reads nothing.
    fn refuse<T>(&mut self, name: &str, message: &str) -> Option<T> {
        self.error(name, message);
        None
    }

    /// Free text that may be empty.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.raw(name)?.unwrap_or_default();
        self.check_len(name, &value, max).then_some(value)
    }

    /// Text that must not be empty.
    pub fn required_text(&mut self, name: &str, max: usize) -> Option<String> {
        match self.raw(name)? {
            Some(v) => self.check_len(name, &v, max).then_some(v),
            None => {
                self.error(name, REQUIRED);
                None
            }
        }
    }

    /// A secret (a password) as typed — spaces are part of it — or `None` when absent,
    /// null or empty: a write-only field that is kept unless a new one is sent.
    pub fn secret(&mut self, name: &str, max: usize) -> Option<String> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => {
                let s = s.clone();
                self.check_len(name, &s, max).then_some(s)
            }
            Some(_) => self.refuse(name, "Must be a string."),
        }
    }

    /// Optional text; null or blank clears it.
    pub fn optional_text(&mut self, name: &str, max: usize) -> Option<Option<String>> {
        match self.raw(name)? {
            Some(v) => self.check_len(name, &v, max).then_some(Some(v)),
            None => Some(None),
        }
    }

    /// Optional value in a format `parse` accepts (a date, a URL, a country code, …).
    pub fn optional_parsed<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        message: &str,
    ) -> Option<Option<T>> {
        match self.raw(name)? {
            Some(v) => match parse(&v) {
                Some(t) => Some(Some(t)),
                None => {
                    self.error(name, message);
                    None
                }
            },
            None => Some(None),
        }
    }

    /// Required value in a format `parse` accepts.
    pub fn required_parsed<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Option<T>,
        message: &str,
    ) -> Option<T> {
        match self.optional_parsed(name, parse, message)? {
            Some(v) => Some(v),
            None => {
                self.error(name, REQUIRED);
                None
            }
        }
    }

    pub fn required_uuid(&mut self, name: &str) -> Option<Uuid> {
        self.required_parsed(name, |s| s.parse().ok(), "Must be a valid UUID.")
    }

    /// An optional boolean: absent stays (PATCH) or is left to the default (POST/PUT).
    pub fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                self.error(name, "Must be true or false.");
                None
            }
        }
    }

    /// A required list of strings.
    pub fn string_list(&mut self, name: &str) -> Option<Vec<String>> {
        match self.map.get(name) {
            None if self.partial => None,
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => Some(
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(|s| s.trim().to_string()))
                    .collect(),
            ),
            None => self.refuse(name, REQUIRED),
            // Null is a value, and one these fields cannot take: "required" would tell a
            // client that sent it the wrong thing.
            Some(Value::Null) => self.refuse(name, NOT_NULL),
            Some(_) => {
                self.error(name, "Must be a list of strings.");
                None
            }
        }
    }

    /// An optional list of strings: absent or null is none (a PATCH keeps it).
    pub fn optional_list(&mut self, name: &str) -> Option<Vec<String>> {
        match self.map.get(name) {
            None if self.partial => None,
            None | Some(Value::Null) => Some(Vec::new()),
            Some(_) => self.string_list(name),
        }
    }

    /// A required list of whole numbers.
    pub fn number_list(&mut self, name: &str) -> Option<Vec<i64>> {
        match self.map.get(name) {
            None if self.partial => None,
            // JSON Schema counts 7.0 as an integer too.
            Some(Value::Array(items)) if items.iter().all(|v| whole(v).is_some()) => {
                Some(items.iter().filter_map(whole).collect())
            }
            None => self.refuse(name, REQUIRED),
            // Null is a value, and one these fields cannot take: "required" would tell a
            // client that sent it the wrong thing.
            Some(Value::Null) => self.refuse(name, NOT_NULL),
            Some(_) => {
                self.error(name, "Must be a list of whole numbers.");
                None
            }
        }
    }

    /// A required whole number from `min` to `max`.
    pub fn whole_number(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        match self.map.get(name) {
            None if self.partial => None,
            Some(v) if whole(v).is_some_and(|n| (min..=max).contains(&n)) => whole(v),
            None => self.refuse(name, REQUIRED),
            // Null is a value, and one these fields cannot take: "required" would tell a
            // client that sent it the wrong thing.
            Some(Value::Null) => self.refuse(name, NOT_NULL),
            Some(_) => {
                self.error(name, format!("Must be a whole number from {min} to {max}."));
                None
            }
        }
    }

    /// An optional whole number from `min` to `max`: absent or null is `None`.
    pub fn optional_whole_number(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(v) if whole(v).is_some_and(|n| (min..=max).contains(&n)) => whole(v),
            Some(_) => {
                self.error(name, format!("Must be a whole number from {min} to {max}."));
                None
            }
        }
    }

    /// A required JSON object, for the caller to read.
    pub fn object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.map.get(name) {
            None if self.partial => None,
            Some(Value::Object(fields)) => Some(fields.clone()),
            None => self.refuse(name, REQUIRED),
            // Null is a value, and one these fields cannot take: "required" would tell a
            // client that sent it the wrong thing.
            Some(Value::Null) => self.refuse(name, NOT_NULL),
            Some(_) => {
                self.error(name, "Must be an object.");
                None
            }
        }
    }

    pub fn boolean(&mut self, name: &str) -> Option<bool> {
        match self.map.get(name) {
            None if self.partial => None,
            Some(Value::Bool(b)) => Some(*b),
            None => self.refuse(name, REQUIRED),
            // Null is a value, and one these fields cannot take: "required" would tell a
            // client that sent it the wrong thing.
            Some(Value::Null) => self.refuse(name, NOT_NULL),
            Some(_) => {
                self.error(name, "Must be true or false.");
                None
            }
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        self.errors.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str, partial: bool) -> Input {
        let Ok(Value::Object(fields)) = serde_json::from_str(json) else {
            panic!("not an object: {json}")
        };
        Input::new(fields, partial).unwrap()
    }

    #[test]
    fn absent_null_and_values_per_mode() {
        let mut put = input(r#"{"name": " Acme ", "website": null, "n": 5}"#, false);
        assert_eq!(put.required_text("name", 10), Some("Acme".into()));
        assert_eq!(put.optional_text("website", 10), Some(None));
        assert_eq!(
            put.optional_text("vat", 10),
            Some(None),
            "absent clears on PUT"
        );
        assert_eq!(put.required_text("n", 10), None);
        assert_eq!(put.required_text("missing", 10), None);
        let Err(ApiError::Fields(errors)) = put.finish() else {
            panic!()
        };
        assert_eq!(errors["n"], vec!["Must be a string."]);
        assert_eq!(errors["missing"], vec![REQUIRED]);

        let mut patch = input(
            r#"{"website": "https://a.de", "issue_date": "2024-13-01"}"#,
            true,
        );
        assert_eq!(
            patch.required_text("name", 10),
            None,
            "absent stays on PATCH"
        );
        assert_eq!(
            patch.optional_text("website", 100),
            Some(Some("https://a.de".into()))
        );
        assert_eq!(
            patch.optional_parsed("issue_date", certwatch_domain::rules::date, "bad"),
            None
        );
        assert!(patch.finish().is_err());

        assert!(
            Input::new(Map::new(), true).is_err(),
            "a PATCH changes something"
        );
    }

    #[test]
    fn null_is_refused_as_null_not_as_missing() {
        let mut patch = input(r#"{"every": null, "on": null}"#, true);
        assert_eq!(patch.whole_number("every", 1, 90), None);
        assert_eq!(patch.boolean("on"), None);
        assert_eq!(patch.whole_number("absent", 1, 90), None);
        let Err(ApiError::Fields(errors)) = patch.finish() else {
            panic!()
        };
        assert_eq!(errors["every"], vec![NOT_NULL]);
        assert_eq!(errors["on"], vec![NOT_NULL]);
        assert!(!errors.contains_key("absent"), "absent stays on PATCH");
    }
}
