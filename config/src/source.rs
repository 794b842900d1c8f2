//! Where a setting's value comes from: the environment, else the TOML file, else its
//! declared default — and the typed readers every setting goes through, each error naming
//! the setting's environment variable.

use std::path::Path;

use crate::error::ConfigError;
use crate::settings::{ALL, Setting};

pub(crate) struct Source<'a> {
    file: toml::Table,
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Source<'a> {
    /// Reads the file, if any; a key no setting has is an error, so a typo does not fall
    /// back to a default silently.
    pub(crate) fn new(
        file: Option<&Path>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> Result<Source<'a>, ConfigError> {
        let file = match file {
            Some(path) => read_file(path)?,
            None => toml::Table::new(),
        };
        Ok(Source { file, env })
    }

    /// The value as given: the environment's (even empty), else the file's, else the
    /// default (`None` when the default is unset).
    fn raw(&self, s: &Setting) -> Result<Option<String>, ConfigError> {
        if let Some(value) = (self.env)(s.env) {
            return Ok(Some(value));
        }
        if let Some(value) = self.file.get(s.key).filter(|_| !s.key.is_empty()) {
            return file_value(value).map(Some).ok_or_else(|| {
                ConfigError::new(s.env, format!("`{}` in the file is not a value", s.key))
            });
        }
        Ok((!s.default.is_empty()).then(|| s.default.to_string()))
    }

    /// The value trimmed; empty counts as unset.
    pub(crate) fn text(&self, s: &Setting) -> Result<Option<String>, ConfigError> {
        Ok(self
            .raw(s)?
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()))
    }

    /// The value (unset or empty: the default, which every setting read this way has)
    /// through `parse`, whose message is prefixed with the setting.
    pub(crate) fn parsed<T>(
        &self,
        s: &Setting,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let raw = self.raw(s)?.unwrap_or_default();
        parse(&raw).map_err(|message| ConfigError::new(s.env, message))
    }

    /// An optional value through `parse`; unset or empty is `None`.
    pub(crate) fn optional<T>(
        &self,
        s: &Setting,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        self.text(s)?
            .map(|v| parse(&v).map_err(|message| ConfigError::new(s.env, message)))
            .transpose()
    }

    /// A whole number from `min` to `max`; `otherwise` when unset and the setting declares
    /// no default (a default computed at start, like the number of cores).
    pub(crate) fn number(
        &self,
        s: &Setting,
        min: u64,
        max: u64,
        otherwise: Option<u64>,
    ) -> Result<u64, ConfigError> {
        let value = match (self.text(s)?, otherwise) {
            (Some(raw), _) => raw
                .parse::<u64>()
                .map_err(|_| ConfigError::new(s.env, format!("'{raw}' is not a whole number")))?,
            (None, Some(computed)) => computed,
            (None, None) => {
                return Err(ConfigError::new(s.env, "needs a value"));
            }
        };
        if !(min..=max).contains(&value) {
            return Err(ConfigError::new(
                s.env,
                format!("must be from {min} to {max}"),
            ));
        }
        Ok(value)
    }

    /// true/false (also 1/0, yes/no, on/off; empty is false).
    pub(crate) fn boolean(&self, s: &Setting) -> Result<bool, ConfigError> {
        self.parsed(s, |raw| match raw.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err(format!("'{raw}' is not a boolean (true/false)")),
        })
    }

    /// A comma-separated list (a TOML array in the file), each item through `parse`.
    pub(crate) fn list<T>(
        &self,
        s: &Setting,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, ConfigError> {
        self.raw(s)?
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| parse(item).map_err(|message| ConfigError::new(s.env, message)))
            .collect()
    }
}

/// A file value as the environment would give it: text, a number, a boolean, or an array
/// of those joined by commas.
fn file_value(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(n) => Some(n.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .map(file_value)
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(",")),
        _ => None,
    }
}

fn read_file(path: &Path) -> Result<toml::Table, ConfigError> {
    let setting = format!("config file {}", path.display());
    let text =
        std::fs::read_to_string(path).map_err(|e| ConfigError::new(&setting, e.to_string()))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| ConfigError::new(&setting, e.message().to_string()))?;
    if let Some(unknown) = table
        .keys()
        .find(|k| !ALL.iter().any(|s| !s.key.is_empty() && s.key == k.as_str()))
    {
        return Err(ConfigError::new(
            &setting,
            format!("unknown key `{unknown}`"),
        ));
    }
    Ok(table)
}
