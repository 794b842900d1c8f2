//! Starting supervised children, and finding which one a supervision event is about.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::{Duration, Instant};

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

/// The child a supervision event reports stopped, taken out of `children` (keyed by what
/// the child owns), and whether it failed rather than stopped cleanly. `None` for other
/// events and for children not in the map (already removed when they were told to stop).
pub(crate) fn take_stopped<K: Copy + Eq + Hash, V>(
    children: &mut HashMap<K, V>,
    event: &SupervisionEvent,
    cell_of: impl Fn(&V) -> ActorCell,
) -> Option<(K, V, bool)> {
    let (cell, failed) = match event {
        SupervisionEvent::ActorFailed(cell, _) => (cell, true),
        SupervisionEvent::ActorTerminated(cell, _, _) => (cell, false),
        _ => return None,
    };
    let key = *children
        .iter()
        .find(|(_, v)| cell_of(v).get_id() == cell.get_id())?
        .0;
    let value = children.remove(&key)?;
    Some((key, value, failed))
}
