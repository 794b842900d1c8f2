//! To the mailer.

use crate::mail::Mail;

pub enum MailerMsg {
    /// `span`: where the mail was asked for (a request's span carries its id).
    Send {
        mail: Mail,
        attempt: usize,
        span: tracing::Span,
    },
}
