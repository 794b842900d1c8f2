//! Mail intake: one actor per enabled mail account (`actor`), its polls (`poll`), the IMAP
//! conversation with the tenant's mail server (`imap`), and what a read mail becomes
//! (`intake`).

pub(crate) mod actor;
pub mod imap;
mod intake;
mod poll;
