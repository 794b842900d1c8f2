//! The domain: records and rules as plain data and functions, with no IO. Everything
//! depends on it; it depends on nothing of ours.

pub mod accounts;
pub mod bulk;
pub mod certificates;
pub mod compliance;
pub mod contacts;
pub mod digest;
pub mod events;
pub mod findings;
pub mod history;
pub mod import;
pub mod mail;
pub mod matching;
pub mod monitoring;
pub mod names;
pub mod passwords;
pub mod reading;
pub mod registers;
pub mod registry;
pub mod requests;
pub mod rules;
pub mod schedule;
#[cfg(test)]
mod testing;
pub mod verification;
pub mod webhooks;
