//! What a store operation can answer besides its result.

use certwatch_domain::rules::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("storage error: {0}")]
    Sled(#[from] sled::Error),
    /// A failure of an engine other than sled (PostgreSQL: the driver or the pool).
    #[error("storage error: {0}")]
    Engine(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    #[error(
        "the data directory was written by a newer CertWatch (schema {found}, this release reads up to {supported})"
    )]
    NewerSchema { found: u32, supported: u32 },
    #[error("the store is shutting down")]
    Closed,
    /// A transaction the engine could not commit for other writes, after trying again.
    #[error("the write conflicted with others; try again")]
    Conflict,
    /// A write for a tenant whose shard this node does not hold (another node owns it).
    #[error("shard {0} is not held by this node")]
    NotOwner(u16),
    /// A write for a shard whose lease this node lost (expired or taken over) since it
    /// last renewed: nothing was committed.
    #[error("this node lost its lease of shard {0}; nothing was written")]
    LeaseLost(u16),
    /// The key file, or a sealed secret that does not open with it.
    #[error("secrets: {0}")]
    Secrets(String),
}

/// A refused write of tenant data (the registry, webhooks, monitoring, bulk upload).
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// A field is refused for what else is stored: taken, dangling, inconsistent.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The request does not fit the state of things (a type still in use, a delivery that
    /// has not failed); the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl RegistryError {
    pub fn field(field: &'static str, message: &str) -> RegistryError {
        RegistryError::Field {
            field,
            message: message.to_string(),
        }
    }
}

impl From<FieldError> for RegistryError {
    fn from(e: FieldError) -> RegistryError {
        RegistryError::Field {
            field: e.field,
            message: e.message,
        }
    }
}

/// A refused write of accounts: users, memberships, tokens, invitations.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("a user with this email already exists")]
    EmailTaken,
    #[error("the token is invalid or expired")]
    InvalidToken,
    #[error("the user is already a member of this tenant")]
    AlreadyMember,
    #[error("the last admin of a tenant cannot be removed or demoted")]
    LastAdmin,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}
