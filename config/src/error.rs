//! A value the configuration could not use.

/// A configuration value that could not be used, with the setting it belongs to.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub(crate) fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            message: message.into(),
        }
    }
}
