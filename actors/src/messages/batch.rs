//! To the actor that reads one bulk-upload batch.

use certwatch_domain::bulk::Read;
use uuid::Uuid;

pub(crate) enum BatchMsg {
    /// Start reading files while there is room.
    Pump,
    /// A file was read.
    Read { item: Uuid, read: Read },
}
