//! Request-reply with actors, and replying only after a write is durable.

use std::time::Duration;

use certwatch_store::AccountError;
use certwatch_store::RegistryError;
use certwatch_store::{Store, StoreError};
use ractor::rpc::CallResult;
use ractor::{ActorRef, Message};

use crate::messages::tenant::TenantMsg;

pub use crate::messages::{ActorError, Reply};

/// How long a caller waits for an actor's answer (argon2 and fsync included).
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends a request and waits for its answer.
pub(crate) async fn ask<M: Message, T: Send + 'static>(
    actor: &ActorRef<M>,
    build: impl FnOnce(Reply<T>) -> M,
) -> Result<T, ActorError> {
    match actor.call(build, Some(CALL_TIMEOUT)).await {
        Ok(CallResult::Success(result)) => result,
        Ok(CallResult::Timeout) => Err(ActorError::Unavailable("the request timed out".into())),
        Ok(CallResult::SenderError) => Err(ActorError::Unavailable(
            "the actor failed while handling the request".into(),
        )),
        Err(e) => {
            // ractor's text names its internals: for the log, not for the client.
            tracing::warn!(error = %e, "an actor could not be asked");
            Err(ActorError::Unavailable(
                "the service is restarting a part; try again".into(),
            ))
        }
    }
}

/// Asks the actor of `tenant` (from inside the tree, where [`crate::Actors`] is not at hand).
pub(crate) async fn ask_tenant<T: Send + 'static, M: Into<TenantMsg>>(
    ctx: &crate::context::Context,
    tenant: uuid::Uuid,
    build: impl FnOnce(Reply<T>) -> M,
) -> Result<T, ActorError> {
    match ctx.directory.tenant(tenant) {
        Some(actor) => ask(&actor, |reply| build(reply).into()).await,
        None => Err(ActorError::Unavailable(
            "the tenant actor is not running".into(),
        )),
    }
}

/// Waits for the group commit, timed for `/metrics`.
async fn timed_commit(store: &Store) -> Result<(), StoreError> {
    let started = std::time::Instant::now();
    let committed = store.commit().await;
    crate::metrics::COMMIT_DURATION.observe(started.elapsed().as_secs_f64());
    committed
}

/// Replies with `result` once every write made so far is on disk.
///
/// The wait happens in its own task, so the actor goes on with its next message and
/// concurrent writes share one flush (group commit) instead of paying one fsync each.
pub fn reply_when_durable<T: Send + 'static>(
    store: &Store,
    reply: Reply<T>,
    result: Result<T, ActorError>,
) {
    reply_when_durable_then(store, reply, result, |_| {});
}

/// Like [`reply_when_durable`], and runs `effect` (sending mail, starting an actor) once the
/// write is durable, so nothing announces a write that a crash could still undo.
pub fn reply_when_durable_then<T: Send + 'static>(
    store: &Store,
    reply: Reply<T>,
    result: Result<T, ActorError>,
    effect: impl FnOnce(&T) + Send + 'static,
) {
    let store = store.clone();
    // What the write causes once durable (a mail) stays in the request's span.
    tokio::spawn(tracing::Instrument::in_current_span(async move {
        let result = match result {
            Ok(value) => match timed_commit(&store).await {
                Ok(()) => {
                    effect(&value);
                    Ok(value)
                }
                Err(e) => Err(ActorError::Account(AccountError::Store(e))),
            },
            Err(e) => Err(e),
        };
        let _ = reply.send(result);
    }));
}

/// A write's outcome, answered once it is durable; a store failure fails the actor
/// instead (its supervisor restarts it from the store) and the caller hears the actor
/// failed. The one way an actor answers a write.
pub(crate) fn write<T: Send + 'static, E: DomainError>(
    store: &Store,
    reply: Reply<T>,
    result: Result<T, E>,
) -> Result<(), ractor::ActorProcessingErr> {
    write_then(store, reply, result, |_| {})
}

/// Like [`write`], and runs `effect` once the write is durable (see
/// [`reply_when_durable_then`]).
pub(crate) fn write_then<T: Send + 'static, E: DomainError>(
    store: &Store,
    reply: Reply<T>,
    result: Result<T, E>,
    effect: impl FnOnce(&T) + Send + 'static,
) -> Result<(), ractor::ActorProcessingErr> {
    reply_when_durable_then(store, reply, crash_on_store_error(result)?, effect);
    Ok(())
}

/// Separates errors that mean "the store is broken" (the actor must fail and be restarted)
/// from answers for the caller.
pub(crate) fn crash_on_store_error<T, E: DomainError>(
    result: Result<T, E>,
) -> Result<Result<T, ActorError>, ractor::ActorProcessingErr> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(e) => match e.into_store_error() {
            Ok(store) => Err(Box::new(store)),
            Err(answer) => Ok(Err(answer)),
        },
    }
}

/// A domain operation's error: either the store failed, or an answer for the caller.
pub(crate) trait DomainError {
    fn into_store_error(self) -> Result<StoreError, ActorError>;
}

impl DomainError for StoreError {
    fn into_store_error(self) -> Result<StoreError, ActorError> {
        Ok(self)
    }
}

impl DomainError for AccountError {
    fn into_store_error(self) -> Result<StoreError, ActorError> {
        match self {
            AccountError::Store(e) => Ok(e),
            other => Err(other.into()),
        }
    }
}

impl DomainError for ActorError {
    fn into_store_error(self) -> Result<StoreError, ActorError> {
        match self {
            ActorError::Account(e) => e.into_store_error(),
            ActorError::Registry(e) => e.into_store_error(),
            other => Err(other),
        }
    }
}

impl DomainError for RegistryError {
    fn into_store_error(self) -> Result<StoreError, ActorError> {
        match self {
            RegistryError::Store(e) => Ok(e),
            other => Err(other.into()),
        }
    }
}
