//! Mail intake against a real Dovecot on loopback, started by the test with its own
//! configuration and Maildir, holding messages written by a real mail writer (lettre).

#[path = "../common/mod.rs"]
mod common;
mod imap;
