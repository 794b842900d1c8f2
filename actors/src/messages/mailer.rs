//! To the mailer.

use crate::mail::Mail;

pub enum MailerMsg {
    Send { mail: Mail, attempt: usize },
}
