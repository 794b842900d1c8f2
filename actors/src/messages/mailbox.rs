//! To the actor of one mail account.

pub enum MailboxMsg {
    /// A timer ran out; stale timers (an older generation) are ignored.
    Due(u64),
    /// Poll now (the API's poll action).
    Poll,
    /// The account changed: read it again and reschedule.
    Reload,
    /// A poll ended; `Err` is the store failing (the actor fails and is started again).
    Polled(Result<PollEnd, String>),
    /// A poll panicked: record the failure, then fail so the tenant restarts us.
    Panicked(String),
}

/// How a poll ended.
#[derive(Debug, Default)]
pub struct PollEnd {
    /// What went wrong, for the account's `last_error` (the poll counts as failed).
    pub error: Option<String>,
    /// The mail it was taking when it failed.
    pub at_uid: Option<u32>,
    /// Mails are left for the next poll.
    pub more: bool,
    /// The account was removed meanwhile.
    pub gone: bool,
}

impl PollEnd {
    pub fn failed(error: impl ToString, at_uid: Option<u32>) -> PollEnd {
        PollEnd {
            error: Some(error.to_string()),
            at_uid,
            ..PollEnd::default()
        }
    }
}
