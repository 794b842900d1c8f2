//! To the accounts actor: registration and address verification, which no tenant owns yet.

use certwatch_domain::accounts::{Tenant, User};
use certwatch_store::engine::secrets::KeyHash;

use super::Reply;

pub enum AccountsMsg {
    /// A message sent while handling a request, handled in the request's span.
    Traced(tracing::Span, Box<AccountsMsg>),
    Register {
        email: String,
        password_hash: String,
        organization_name: String,
        reply: Reply<(Tenant, User)>,
    },
    VerifyEmail {
        token: KeyHash,
        reply: Reply<User>,
    },
    /// Sends a fresh verification mail if `email` belongs to an unverified user; answers
    /// the same either way so the API does not reveal which addresses exist.
    ResendVerification {
        email: String,
        reply: Reply<()>,
    },
    /// Mails a one-time link to choose a new password if `email` has an account; answers
    /// the same either way.
    RequestPasswordReset {
        email: String,
        reply: Reply<()>,
    },
    /// Consumes a reset link and sets the new password (already hashed).
    ResetPassword {
        token: KeyHash,
        password_hash: String,
        reply: Reply<User>,
    },
}

impl AccountsMsg {
    /// The message in the current span, if there is one (a request's).
    pub fn in_current_span(self) -> AccountsMsg {
        let span = tracing::Span::current();
        if span.is_none() {
            self
        } else {
            AccountsMsg::Traced(span, Box::new(self))
        }
    }
}
