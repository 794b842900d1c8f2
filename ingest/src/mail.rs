//! A mail as intake sees it: who sent it, to whom, its subject and date, and the
//! certificate files attached to it — also inside forwarded messages — each written to a
//! file of its own. Everything in a mail is hostile: the parser is held to a nesting depth
//! and a number of parts, attachments to a count and a size, and what is left out is said,
//! not silently dropped.

use std::path::{Path, PathBuf};

use certwatch_domain::mail::is_certificate_file;
use mail_parser::{Message, MessageParser, MessagePart, MimeHeaders, PartType};
use serde::{Deserialize, Serialize};

/// The bounds one mail is read within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailLimits {
    /// Containers (multiparts, forwarded messages) a part may be nested in.
    pub max_depth: usize,
    /// MIME parts read; the rest of the mail stays unread.
    pub max_parts: usize,
    /// Certificate files taken from one mail.
    pub max_attachments: usize,
    /// Decoded bytes of one attachment.
    pub max_attachment_bytes: u64,
}

impl Default for MailLimits {
    fn default() -> MailLimits {
        MailLimits {
            max_depth: 16,
            max_parts: 2_000,
            max_attachments: 20,
            max_attachment_bytes: 20 << 20,
        }
    }
}

/// The longest header value kept (subject, addresses, message id).
const MAX_HEADER_CHARS: usize = 500;

/// Who sent a mail and what it is about.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub from: Option<String>,
    pub reply_to: Option<String>,
    /// The addresses it was sent to (`To` and `Cc`), for a request's plus-address.
    pub to: Vec<String>,
    pub subject: String,
    /// RFC 3339, as the sender's client dated it.
    pub date: Option<String>,
    pub message_id: Option<String>,
}

/// A certificate file taken from a mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    /// Where the worker wrote its decoded bytes.
    pub path: PathBuf,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailReading {
    pub envelope: Envelope,
    pub attachments: Vec<Attachment>,
    /// What was left out and why ("invoice.docx: not a PDF, PNG, JPEG or TIFF").
    pub skipped: Vec<String>,
}

/// At most `MAX_HEADER_CHARS` of a header value, on one line.
fn header(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_HEADER_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

/// The binary parts of `message` in document order, walking multiparts and forwarded
/// messages no deeper than `max_depth` and counting every part against `budget`; whether
/// something was left unread.
fn binary_parts<'m>(
    message: &'m Message<'m>,
    depth: usize,
    max_depth: usize,
    budget: &mut usize,
    out: &mut Vec<&'m MessagePart<'m>>,
) -> bool {
    // (part id, depth), children pushed in reverse so they come out in order.
    let mut stack = vec![(0usize, depth)];
    let mut cut = false;
    while let Some((id, depth)) = stack.pop() {
        let Some(part) = message.parts.get(id) else {
            continue;
        };
        if *budget == 0 || depth > max_depth {
            cut = true;
            continue;
        }
        *budget -= 1;
        match &part.body {
            PartType::Multipart(children) => {
                stack.extend(children.iter().rev().map(|c| (*c as usize, depth + 1)));
            }
            PartType::Message(nested) => {
                cut |= binary_parts(nested, depth + 1, max_depth, budget, out);
            }
            PartType::Binary(_) | PartType::InlineBinary(_) => out.push(part),
            PartType::Text(_) | PartType::Html(_) => {}
        }
    }
    cut
}

/// Reads `raw` within `limits`, writing each certificate file into `out` (which must
/// exist). A message with no header block at all is refused.
pub fn read(raw: &[u8], limits: &MailLimits, out: &Path) -> Result<MailReading, String> {
    let message = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or_else(|| "Not a mail message: no header fields.".to_string())?;
    let first = |a: Option<&mail_parser::Address<'_>>| {
        a.and_then(|a| a.first())
            .and_then(|m| m.address())
            .map(header)
    };
    let to: Vec<String> = [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|a| a.iter())
        .filter_map(|m| m.address().map(header))
        .take(50)
        .collect();
    let envelope = Envelope {
        from: first(message.from()),
        reply_to: first(message.reply_to()),
        to,
        subject: message.subject().map(header).unwrap_or_default(),
        date: message.date().map(|d| d.to_rfc3339()),
        message_id: message.message_id().map(header),
    };
    let mut reading = MailReading {
        envelope,
        ..MailReading::default()
    };
    let mut found = Vec::new();
    let mut budget = limits.max_parts;
    let cut = binary_parts(&message, 0, limits.max_depth, &mut budget, &mut found);
    for part in found {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_default()
            .to_ascii_lowercase();
        let filename = part.attachment_name().map(header).unwrap_or_default();
        let shown = if filename.is_empty() {
            format!("an unnamed {content_type} part")
        } else {
            filename.clone()
        };
        if !is_certificate_file(&content_type, &filename) {
            // Pictures in a signature or a logo are not worth a line; other files are.
            if !matches!(part.body, PartType::InlineBinary(_)) {
                reading
                    .skipped
                    .push(format!("{shown}: not a PDF, PNG, JPEG or TIFF"));
            }
            continue;
        }
        if reading.attachments.len() >= limits.max_attachments {
            reading.skipped.push(format!(
                "{shown}: more than {} certificate files in one mail",
                limits.max_attachments
            ));
            continue;
        }
        let bytes = part.contents();
        if bytes.len() as u64 > limits.max_attachment_bytes {
            reading.skipped.push(format!(
                "{shown}: larger than {} MB",
                limits.max_attachment_bytes >> 20
            ));
            continue;
        }
        if bytes.is_empty() {
            reading.skipped.push(format!("{shown}: empty"));
            continue;
        }
        let path = out.join(format!("attachment-{}", reading.attachments.len()));
        std::fs::write(&path, bytes).map_err(|e| format!("Cannot write an attachment: {e}"))?;
        reading.attachments.push(Attachment {
            filename: if filename.is_empty() {
                format!("attachment-{}", reading.attachments.len() + 1)
            } else {
                filename
            },
            content_type,
            size: bytes.len() as u64,
            path,
        });
    }
    if cut {
        reading.skipped.push(format!(
            "The rest of the mail: more than {} parts, or nested deeper than {}",
            limits.max_parts, limits.max_depth
        ));
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment as Attach, Message, MultiPart, SinglePart};

    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

    fn builder() -> lettre::message::MessageBuilder {
        Message::builder()
            .from("Anna Muster <qm@muster-metall.example>".parse().unwrap())
            .reply_to("certs+req-abc123@buyer.example".parse().unwrap())
            .to("certificates@buyer.example".parse().unwrap())
            .subject("ISO 9001 Zertifikat / certificate 2027")
            .date_now()
            .message_id(None)
    }

    fn attachment(name: &str, ct: &str, body: &[u8]) -> SinglePart {
        Attach::new(name.to_string()).body(body.to_vec(), ContentType::parse(ct).unwrap())
    }

    fn read_mail(raw: &[u8], limits: &MailLimits) -> (MailReading, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (read(raw, limits, dir.path()).unwrap(), dir)
    }

    #[test]
    fn certificate_files_are_taken_with_who_sent_them_also_from_a_forward() {
        let forwarded = builder()
            .subject("Fwd: certificate")
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("see attached".to_string()))
                    .singlepart(attachment("FSC COC.pdf", "application/pdf", PDF)),
            )
            .unwrap()
            .formatted();
        let mail = builder()
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("Anbei das Zertifikat.".to_string()))
                    .singlepart(attachment("ISO 9001.pdf", "application/pdf", PDF))
                    .singlepart(attachment(
                        "scan.JPG",
                        "application/octet-stream",
                        b"\xff\xd8\xff\xd9",
                    ))
                    .singlepart(attachment("invoice.docx", "application/msword", b"doc"))
                    .singlepart(attachment("forward.eml", "message/rfc822", &forwarded)),
            )
            .unwrap()
            .formatted();
        let (r, _dir) = read_mail(&mail, &MailLimits::default());
        assert_eq!(r.envelope.from.as_deref(), Some("qm@muster-metall.example"));
        assert_eq!(
            r.envelope.reply_to.as_deref(),
            Some("certs+req-abc123@buyer.example")
        );
        assert_eq!(r.envelope.to, ["certificates@buyer.example"]);
        assert_eq!(r.envelope.subject, "ISO 9001 Zertifikat / certificate 2027");
        assert!(r.envelope.date.is_some() && r.envelope.message_id.is_some());
        let names: Vec<_> = r.attachments.iter().map(|a| a.filename.as_str()).collect();
        assert_eq!(names, ["ISO 9001.pdf", "scan.JPG", "FSC COC.pdf"]);
        assert_eq!(std::fs::read(&r.attachments[0].path).unwrap(), PDF);
        assert_eq!(r.attachments[0].size, PDF.len() as u64);
        assert_eq!(r.skipped, ["invoice.docx: not a PDF, PNG, JPEG or TIFF"]);
    }

    #[test]
    fn a_mail_without_attachments_and_bytes_that_are_no_mail() {
        let plain = builder()
            .body("Zertifikat folgt.".to_string())
            .unwrap()
            .formatted();
        let (r, _dir) = read_mail(&plain, &MailLimits::default());
        assert!(r.attachments.is_empty() && r.skipped.is_empty());
        let dir = tempfile::tempdir().unwrap();
        assert!(read(b"", &MailLimits::default(), dir.path()).is_err());
    }

    #[test]
    fn a_thousand_attachments_and_one_too_large_stay_within_bounds() {
        let mut parts = MultiPart::mixed().singlepart(SinglePart::plain("x".to_string()));
        for i in 0..1000 {
            parts = parts.singlepart(attachment(&format!("c{i}.pdf"), "application/pdf", PDF));
        }
        let flood = builder().multipart(parts).unwrap().formatted();
        let limits = MailLimits::default();
        let (r, _dir) = read_mail(&flood, &limits);
        assert_eq!(r.attachments.len(), limits.max_attachments);
        assert_eq!(r.skipped.len(), 1000 - limits.max_attachments);
        assert!(r.skipped[0].contains("more than 20 certificate files"));

        let big = vec![b'%'; 3 << 20];
        let mail = builder()
            .multipart(MultiPart::mixed().singlepart(attachment(
                "big.pdf",
                "application/pdf",
                &big,
            )))
            .unwrap()
            .formatted();
        let small = MailLimits {
            max_attachment_bytes: 2 << 20,
            ..limits
        };
        let (r, dir) = read_mail(&mail, &small);
        assert!(r.attachments.is_empty());
        assert_eq!(r.skipped, ["big.pdf: larger than 2 MB"]);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing written"
        );
    }

    #[test]
    fn nesting_past_the_depth_is_left_unread_and_said() {
        // Forwards of forwards, 200 deep, with a PDF at the bottom.
        let mut mail = builder()
            .multipart(MultiPart::mixed().singlepart(attachment(
                "deep.pdf",
                "application/pdf",
                PDF,
            )))
            .unwrap()
            .formatted();
        for _ in 0..200 {
            mail = builder()
                .multipart(MultiPart::mixed().singlepart(attachment(
                    "fwd.eml",
                    "message/rfc822",
                    &mail,
                )))
                .unwrap()
                .formatted();
        }
        let (r, _dir) = read_mail(&mail, &MailLimits::default());
        assert!(r.attachments.is_empty(), "the PDF is past the depth");
        assert!(!r.skipped.is_empty(), "and that is said: {:?}", r.skipped);
        // Multiparts nested 100,000 deep by boundary alone.
        let mut raw = String::from("From: a@b.example\r\nSubject: bomb\r\n");
        for i in 0..100_000 {
            raw.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
            ));
        }
        let (r, _dir) = read_mail(raw.as_bytes(), &MailLimits::default());
        assert!(r.attachments.is_empty());
        assert_eq!(r.envelope.subject, "bomb");
    }
}
