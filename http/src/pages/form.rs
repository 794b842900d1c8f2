//! Forms: reading a posted form into an operation's typed write (read field by field as the
//! API reads a body, so pages and API validate the same way), and the inputs with their
//! labels and errors.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use maud::{Markup, html};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use warp::Filter;

use super::session::Session;
use crate::error::ApiError;
use crate::extract::Parsed;
use crate::input::Write;

/// Largest form accepted (files go through the multipart uploads instead).
const MAX_FORM_BYTES: u64 = 256 << 10;

/// Field name → messages, as the API answers them.
pub type Errors = BTreeMap<String, Vec<String>>;

/// A posted form: its fields, the first value of each name.
#[derive(Debug, Default)]
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(String::as_str).unwrap_or("")
    }

    /// The fields named, read into the operation's write exactly as the API reads a body:
    /// an empty field is absent, or null when it is in `nullable` (clearing the value).
    pub fn write<W: Write>(&self, names: &[&str], nullable: &[&str]) -> Parsed<W> {
        let mut fields = Map::new();
        for name in names {
            let value = self.get(name).trim();
            if !value.is_empty() {
                fields.insert(name.to_string(), Value::String(value.to_string()));
            } else if nullable.contains(name) {
                fields.insert(name.to_string(), Value::Null);
            }
        }
        W::from_fields(fields, false)
    }

    /// The fields named, read into the operation's request as the API reads its JSON body
    /// (an empty field is absent).
    pub fn request<T: DeserializeOwned>(&self, names: &[&str]) -> Parsed<T> {
        let fields: Map<String, Value> = names
            .iter()
            .filter_map(|name| Some((name.to_string(), Value::String(self.text(name)?))))
            .collect();
        serde_json::from_value(Value::Object(fields))
            .map_err(|e| ApiError::BadRequest(format!("Invalid form: {e}")))
    }

    /// A comma-separated field as a JSON list: numbers as numbers, anything else as typed,
    /// for the API to name the field.
    pub fn numbers(&self, name: &str) -> Value {
        Value::Array(
            self.get(name)
                .split(',')
                .map(str::trim)
                .filter(|w| !w.is_empty())
                .map(|w| {
                    w.parse::<i64>()
                        .map_or_else(|_| Value::String(w.into()), Value::from)
                })
                .collect(),
        )
    }

    /// A field as text, or None when it is empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let value = self.get(name).trim();
        (!value.is_empty()).then(|| value.to_string())
    }
}

/// The posted form; a body that is not a form (or too large) reads as an empty form,
/// which then fails its CSRF check like any forged post.
pub fn form() -> impl Filter<Extract = (Form,), Error = Infallible> + Clone {
    warp::body::content_length_limit(MAX_FORM_BYTES)
        .and(warp::body::form::<Vec<(String, String)>>())
        .map(|pairs: Vec<(String, String)>| {
            let mut fields = HashMap::new();
            for (k, v) in pairs {
                fields.entry(k).or_insert(v);
            }
            Form(fields)
        })
        .or(warp::any().map(Form::default))
        .unify()
}

/// Field errors of an API answer, or the error itself when it is not about fields.
pub fn field_errors(e: ApiError) -> Result<Errors, ApiError> {
    match e {
        ApiError::Fields(map) => Ok(map),
        ApiError::BadRequest(message) => Ok(BTreeMap::from([("".to_string(), vec![message])])),
        other => Err(other),
    }
}

pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A one-question form: `name` answered No or Yes (`false` / `true`), posted to `action`.
pub fn yes_no_form(
    session: &Session,
    action: &str,
    name: &str,
    question: &str,
    yes: bool,
) -> Markup {
    html! {
        form.actions method="post" action=(action) {
            (csrf_field(session))
            label for=(name) { (question) }
            select id=(name) name=(name) {
                option value="false" selected[!yes] { "No" }
                option value="true" selected[yes] { "Yes" }
            }
            button type="submit" { "Save" }
        }
    }
}

/// Errors not tied to a field of the form (the API's `error`, or a field the form lacks).
pub fn error_summary(errors: &Errors, fields: &[&str]) -> Markup {
    let loose: Vec<&String> = errors
        .iter()
        .filter(|(k, _)| !fields.contains(&k.as_str()))
        .flat_map(|(_, v)| v)
        .collect();
    html! {
        @if !loose.is_empty() {
            div.errors role="alert" {
                @for message in loose { p { (message) } }
            }
        }
    }
}

/// A labelled input with its errors.
pub fn input(label: &str, name: &str, kind: &str, value: &str, errors: &Errors) -> Markup {
    field(label, name, errors, |described| {
        html! {
            input id=(name) name=(name) type=(kind) value=(value)
                aria-invalid=[errors.contains_key(name).then_some("true")]
                aria-describedby=[described];
        }
    })
}

/// A labelled required input with its errors.
pub fn required(label: &str, name: &str, kind: &str, value: &str, errors: &Errors) -> Markup {
    field(label, name, errors, |described| {
        html! {
            input id=(name) name=(name) type=(kind) value=(value) required
                aria-invalid=[errors.contains_key(name).then_some("true")]
                aria-describedby=[described];
        }
    })
}

/// A labelled select of (value, text) options with its errors.
pub fn select(
    label: &str,
    name: &str,
    options: &[(String, String)],
    selected: &str,
    errors: &Errors,
) -> Markup {
    field(label, name, errors, |described| {
        html! {
            select id=(name) name=(name) aria-describedby=[described] {
                @for (value, text) in options {
                    option value=(value) selected[value == selected] { (text) }
                }
            }
        }
    })
}

fn field(
    label: &str,
    name: &str,
    errors: &Errors,
    control: impl FnOnce(Option<String>) -> Markup,
) -> Markup {
    let messages = errors.get(name);
    let described = messages.map(|_| format!("{name}-error"));
    html! {
        div.field {
            label for=(name) { (label) }
            (control(described.clone()))
            @if let (Some(messages), Some(id)) = (messages, described) {
                p.error id=(id) { (messages.join(" ")) }
            }
        }
    }
}
