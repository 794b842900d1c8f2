//! What the actors say to each other: each actor's messages, apart from the actor. Actors
//! that message each other (a tenant and its subscribers' deliveries, a tenant and its
//! endpoints) then depend on these types, never on each other's code.

pub mod accounts;
pub mod batch;
pub mod delivery;
pub mod endpoint;
pub mod mailbox;
pub mod mailer;
pub mod tenant;
pub mod tenant_supervisor;

use certwatch_store::{AccountError, RegistryError};
use ractor::RpcReplyPort;

#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The actor is not running or failed while handling the request.
    #[error("{0}")]
    Unavailable(String),
}

pub type Reply<T> = RpcReplyPort<Result<T, ActorError>>;
