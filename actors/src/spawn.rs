//! Starting supervised children, finding which one a supervision event is about, and
//! running an actor's long work in a task of its own that reports back even if it panics.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

use certwatch_store::{RegistryError, StoreError};
use ractor::{Actor, ActorCell, ActorRef, SpawnErr, SupervisionEvent};

/// How long starting a child waits for its name to be free.
const NAME_WAIT: Duration = Duration::from_secs(10);
/// How often it looks again meanwhile.
const NAME_POLL: Duration = Duration::from_millis(20);

/// Starts `actor` under `supervisor` with the instance-unique `name`. The actor that last
/// had the name may still hold it for a moment: one that was just told to stop (an
/// endpoint paused and resumed at once), or one killed with its failed supervisor (ractor
/// kills a failed actor's children, asynchronously). Starting waits until that one is gone,
/// so every child is started fresh by its supervisor and nobody looks a name up.
pub(crate) async fn spawn_child<A>(
    name: String,
    actor: A,
    args: A::Arguments,
    supervisor: ActorCell,
) -> Result<ActorRef<A::Msg>, SpawnErr>
where
    A: Actor + Clone,
    A::Arguments: Clone,
{
    let deadline = Instant::now() + NAME_WAIT;
    loop {
        let started = Actor::spawn_linked(
            Some(name.clone()),
            actor.clone(),
            args.clone(),
            supervisor.clone(),
        )
        .await;
        match started {
            Err(SpawnErr::ActorAlreadyRegistered(_)) if Instant::now() < deadline => {
                tokio::time::sleep(NAME_POLL).await;
            }
            other => return other.map(|(actor, _)| actor),
        }
    }
}

/// The child of `children` under `key`, started under `supervisor` as `name` (see
/// [`spawn_child`]) when there is none yet; `None` when it would not start (what it owns
/// is gone or switched off).
pub(crate) async fn ensure_child<K, A>(
    children: &mut HashMap<K, ActorRef<A::Msg>>,
    key: K,
    name: String,
    actor: A,
    args: A::Arguments,
    supervisor: ActorCell,
) -> Option<ActorRef<A::Msg>>
where
    K: Eq + Hash + std::fmt::Display,
    A: Actor + Clone,
    A::Arguments: Clone,
{
    if let Some(child) = children.get(&key) {
        return Some(child.clone());
    }
    match spawn_child(name, actor, args, supervisor).await {
        Ok(child) => {
            children.insert(key, child.clone());
            Some(child)
        }
        Err(e) => {
            tracing::debug!(%key, error = %e, "child actor not started");
            None
        }
    }
}

/// Runs `work` in a task of its own (the actor stays responsive meanwhile) and sends `me`
/// what `report` makes of its result — or of the panic's text, when it panicked.
pub(crate) fn report_to<M, T>(
    me: ActorRef<M>,
    work: impl Future<Output = T> + Send + 'static,
    report: impl FnOnce(Result<T, String>) -> M + Send + 'static,
) where
    M: ractor::Message,
    T: Send + 'static,
{
    tokio::spawn(async move {
        let result = match tokio::spawn(work).await {
            Ok(value) => Ok(value),
            Err(e) if e.is_panic() => Err(panic_text(e.into_panic())),
            Err(e) => Err(e.to_string()),
        };
        let _ = me.cast(report(result));
    });
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}

/// How a child actor ended, as its supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ending {
    /// Stopped as told, or done.
    Clean,
    /// Failed: an error or a panic, as it said.
    Failed(String),
    /// Its write was refused because this node lost the lease of its tenant's shard since
    /// the last lease round: the next round says whether the node holds the shard still.
    LeaseLost,
    /// Its write was refused because the last lease round left the shard to another node,
    /// which runs the tenant now.
    NotOwner,
}

impl Ending {
    /// The child a supervision event is about, and how it ended; `None` for other events.
    pub(crate) fn of(event: &SupervisionEvent) -> Option<(&ActorCell, Ending)> {
        match event {
            SupervisionEvent::ActorFailed(cell, err) => Some((cell, Ending::of_failure(&**err))),
            SupervisionEvent::ActorTerminated(cell, _, _) => Some((cell, Ending::Clean)),
            _ => None,
        }
    }

    /// A failure's error, or any error it was caused by, may be the fence's refusal.
    fn of_failure(err: &(dyn std::error::Error + 'static)) -> Ending {
        let fenced = |store: &StoreError| match store {
            StoreError::LeaseLost(_) => Some(Ending::LeaseLost),
            StoreError::NotOwner(_) => Some(Ending::NotOwner),
            _ => None,
        };
        std::iter::successors(Some(err), |e| e.source())
            .find_map(|e| {
                e.downcast_ref::<StoreError>().and_then(fenced).or_else(|| {
                    match e.downcast_ref::<RegistryError>() {
                        Some(RegistryError::Store(store)) => fenced(store),
                        _ => None,
                    }
                })
            })
            .unwrap_or_else(|| Ending::Failed(err.to_string()))
    }
}

/// The child a supervision event reports stopped, taken out of `children` (keyed by what
/// the child owns), and how it ended. `None` for other events and for children not in
/// the map (already removed when they were told to stop).
pub(crate) fn take_stopped<K: Copy + Eq + Hash, V>(
    children: &mut HashMap<K, V>,
    event: &SupervisionEvent,
    cell_of: impl Fn(&V) -> ActorCell,
) -> Option<(K, V, Ending)> {
    let (cell, ending) = Ending::of(event)?;
    let key = *children
        .iter()
        .find(|(_, v)| cell_of(v).get_id() == cell.get_id())?
        .0;
    let value = children.remove(&key)?;
    Some((key, value, ending))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_the_fence_caused_is_told_apart_from_other_failures() {
        let of = |err: ractor::ActorProcessingErr| Ending::of_failure(&*err);
        assert_eq!(of(Box::new(StoreError::LeaseLost(3))), Ending::LeaseLost);
        assert_eq!(of(Box::new(StoreError::NotOwner(3))), Ending::NotOwner);
        assert_eq!(
            of(Box::new(RegistryError::Store(StoreError::NotOwner(3)))),
            Ending::NotOwner,
            "inside a refused write of tenant data"
        );
        assert_eq!(
            of(Box::new(StoreError::Conflict)),
            Ending::Failed(StoreError::Conflict.to_string())
        );
        assert_eq!(
            of("a panic while parsing".into()),
            Ending::Failed("a panic while parsing".into())
        );
    }
}
