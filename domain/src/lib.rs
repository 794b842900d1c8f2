//! The domain: records and rules as plain data and functions, with no IO. Everything
//! depends on it; it depends on nothing of ours.

pub mod events;
pub mod import;
pub mod matching;
pub mod names;
pub mod reading;
pub mod rules;
