//! Mail intake: the IMAP conversation with a tenant's mail server (`imap`).

pub mod imap;
