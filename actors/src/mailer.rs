//! The mailer actor: turns [`Mail`] into RFC 5322 messages and sends them through lettre,
//! either as `.eml` files in `<data dir>/outbox/` or over SMTP when `CERTWATCH_SMTP_URL` is
//! set. A failed SMTP send is retried a few times with growing delays.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::MultiPart;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use ractor::{Actor, ActorProcessingErr, ActorRef};
use tracing::Instrument;

use crate::context::Context;
use crate::mail::Mail;
use crate::messages::mailer::MailerMsg;

/// Delays before the 2nd, 3rd and 4th attempt of a failed send.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(30),
    Duration::from_secs(300),
];

enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub(crate) struct Mailer;

pub(crate) struct MailerState {
    ctx: Arc<Context>,
    transport: Transport,
}

impl Actor for Mailer {
    type Msg = MailerMsg;
    type State = MailerState;
    type Arguments = Arc<Context>;

    async fn pre_start(
        &self,
        _myself: ActorRef<MailerMsg>,
        ctx: Arc<Context>,
    ) -> Result<MailerState, ActorProcessingErr> {
        let transport = match &ctx.config.smtp_url {
            Some(url) => {
                Transport::Smtp(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build())
            }
            None => {
                let dir = ctx.config.data_dir.join("outbox");
                certwatch_store::engine::private::create_private_dir(&dir)?;
                Transport::Outbox(AsyncFileTransport::new(dir))
            }
        };
        Ok(MailerState { ctx, transport })
    }

    async fn handle(
        &self,
        myself: ActorRef<MailerMsg>,
        msg: MailerMsg,
        state: &mut MailerState,
    ) -> Result<(), ActorProcessingErr> {
        let MailerMsg::Send {
            mail,
            attempt,
            span,
        } = msg;
        send(myself, state, mail, attempt, span.clone())
            .instrument(span)
            .await;
        Ok(())
    }
}

async fn send(
    myself: ActorRef<MailerMsg>,
    state: &MailerState,
    mail: Mail,
    attempt: usize,
    span: tracing::Span,
) {
    let message = match build_message(&state.ctx.config.mail_from, &mail) {
        Ok(m) => m,
        Err(e) => {
            // An address the API accepted but lettre does not: nothing a retry fixes.
            tracing::error!(to = %mail.to, error = %e, "mail not sendable; dropped");
            crate::metrics::MAILS.with_label_values(&["failed"]).inc();
            return;
        }
    };
    let sent = match &state.transport {
        Transport::Outbox(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
    };
    let outcome = match (&sent, RETRY_DELAYS.get(attempt)) {
        (Ok(()), _) => "sent",
        (Err(_), Some(_)) => "retry",
        (Err(_), None) => "failed",
    };
    crate::metrics::MAILS.with_label_values(&[outcome]).inc();
    match sent {
        Ok(()) => tracing::info!(to = %mail.to, subject = %mail.subject, "mail sent"),
        Err(error) => match RETRY_DELAYS.get(attempt) {
            Some(delay) => {
                tracing::warn!(to = %mail.to, %error, ?delay, "mail send failed; will retry");
                myself.send_after(*delay, move || MailerMsg::Send {
                    mail,
                    attempt: attempt + 1,
                    span,
                });
            }
            None => tracing::error!(to = %mail.to, %error, "mail send failed; giving up"),
        },
    }
}

fn build_message(from: &str, mail: &Mail) -> Result<Message, Box<dyn std::error::Error>> {
    let mut builder = Message::builder()
        .from(from.parse()?)
        .to(mail.to.parse()?)
        .subject(mail.subject.clone());
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(reply_to.parse()?);
    }
    Ok(match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.body.clone(),
            html.clone(),
        ))?,
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?,
    })
}
