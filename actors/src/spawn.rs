//! Starting supervised children by name.

use std::collections::HashMap;
use std::hash::Hash;

use ractor::{Actor, ActorCell, ActorRef, SpawnErr, SupervisionEvent};

/// Starts `actor` under `supervisor` with the global `name`; if an actor of that name is
/// still alive (its earlier supervisor failed and was restarted), adopts it instead.
pub(crate) async fn spawn_or_adopt<A: Actor>(
    name: String,
    actor: A,
    args: A::Arguments,
    supervisor: ActorCell,
) -> Result<ActorRef<A::Msg>, SpawnErr> {
    match Actor::spawn_linked(Some(name.clone()), actor, args, supervisor.clone()).await {
        Ok((started, _)) => Ok(started),
        Err(e) => match ractor::registry::where_is(name) {
            Some(cell) => {
                cell.link(supervisor);
                Ok(cell.into())
            }
            None => Err(e),
        },
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
