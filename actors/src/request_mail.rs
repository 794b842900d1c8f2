//! The mails of certificate requests, in the contact's language: what the buyer asks for,
//! the certificate on file, the buyer's message, and the supplier link. The link's token
//! also stands alone on a short line (see `mail`).

use certwatch_domain::contacts::Language;
use certwatch_domain::mail::{referenced_subject, reply_address};
use certwatch_domain::requests::MailReason;
use certwatch_store::ops::requests::Outgoing;

use crate::mail::Mail;

/// The words of a request mail in one language.
struct Words {
    subject: &'static str,
    reminder: &'static str,
    hello: &'static str,
    asks: &'static str,
    current: &'static str,
    expires: &'static str,
    none_on_file: &'static str,
    upload: &'static str,
    valid: &'static str,
    token: &'static str,
    message: &'static str,
}

fn words(language: Language) -> Words {
    match language {
        Language::En => Words {
            subject: "Certificate request",
            reminder: "Reminder",
            hello: "Hello",
            asks: "asks you for a current certificate",
            current: "The certificate on file",
            expires: "expires",
            none_on_file: "There is no certificate of this type on file.",
            upload: "Please upload the new certificate (PDF or a scan) on this page; no account is needed:",
            valid: "The link works for {days} days after this mail, until the certificate is received.",
            token: "Link code",
            message: "Message",
        },
        Language::De => Words {
            subject: "Zertifikatsanfrage",
            reminder: "Erinnerung",
            hello: "Guten Tag",
            asks: "bittet Sie um ein aktuelles Zertifikat",
            current: "Das vorliegende Zertifikat",
            expires: "läuft ab am",
            none_on_file: "Ein Zertifikat dieser Art liegt nicht vor.",
            upload: "Bitte laden Sie das neue Zertifikat (PDF oder Scan) auf dieser Seite hoch; ein Konto ist nicht nötig:",
            valid: "Der Link gilt {days} Tage nach dieser Mail, bis das Zertifikat eingegangen ist.",
            token: "Link-Code",
            message: "Nachricht",
        },
        Language::Fr => Words {
            subject: "Demande de certificat",
            reminder: "Rappel",
            hello: "Bonjour",
            asks: "vous demande un certificat en cours de validité",
            current: "Le certificat enregistré",
            expires: "expire le",
            none_on_file: "Aucun certificat de ce type n'est enregistré.",
            upload: "Merci de déposer le nouveau certificat (PDF ou scan) sur cette page ; aucun compte n'est nécessaire :",
            valid: "Le lien reste valable {days} jours après ce message, jusqu'à réception du certificat.",
            token: "Code du lien",
            message: "Message",
        },
    }
}

/// The page a supplier uploads on.
pub fn supplier_link(public_url: &str, token: &str) -> String {
    format!("{public_url}/supplier/{token}/")
}

/// The mail of a request round. Its subject carries the request's reference, and when
/// the tenant reads `mailbox`, replies go to its plus-address with the reference: a reply
/// with the certificate attached fulfils the request like an upload on the link.
pub fn compose(public_url: &str, o: &Outgoing, link_days: u32, mailbox: Option<&str>) -> Mail {
    let w = words(o.language);
    let mut subject = format!("{}: {} – {}", w.subject, o.certificate_type, o.buyer);
    if o.reason == MailReason::Reminder {
        subject = format!("{}: {subject}", w.reminder);
    }
    let subject = referenced_subject(&subject, &o.token);
    let greeting = if o.contact_name.trim().is_empty() {
        format!("{},", w.hello)
    } else {
        format!("{} {},", w.hello, o.contact_name.trim())
    };
    let on_file = match &o.current {
        Some((number, Some(expiry))) => format!("{} {number} {} {expiry}.", w.current, w.expires),
        Some((number, None)) => format!("{} {number}.", w.current),
        None => w.none_on_file.to_string(),
    };
    let message = if o.message.trim().is_empty() {
        String::new()
    } else {
        format!("{}:\n{}\n\n", w.message, o.message.trim())
    };
    Mail {
        to: o.to.clone(),
        subject,
        body: format!(
            "{greeting}\n\n\
             {} {} ({}): {}.\n\
             {on_file}\n\n\
             {message}\
             {}\n\n\
             {}\n\n\
             {}: {}\n\n\
             {}\n",
            o.buyer,
            w.asks,
            o.supplier,
            o.certificate_type,
            w.upload,
            supplier_link(public_url, &o.token),
            w.token,
            o.token,
            w.valid.replace("{days}", &link_days.to_string()),
        ),
        html: None,
        reply_to: mailbox.and_then(|m| reply_address(m, &o.token)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(language: Language, reason: MailReason) -> Outgoing {
        Outgoing {
            to: "qm@giesserei.example".into(),
            contact_name: "Frau Berg".into(),
            language,
            buyer: "Nordic Buyer AB".into(),
            supplier: "Gießerei Nord GmbH".into(),
            certificate_type: "ISO 9001".into(),
            current: Some(("Q-123".into(), "2027-01-31".parse().ok())),
            message: "Bitte bis Monatsende.".into(),
            token: "TOKEN123".into(),
            reason,
        }
    }

    #[test]
    fn a_request_is_written_in_the_contacts_language_with_its_link() {
        let m = compose(
            "https://cw.example",
            &outgoing(Language::De, MailReason::Created),
            30,
            None,
        );
        assert_eq!(m.to, "qm@giesserei.example");
        assert!(m.subject.ends_with(" [ref:TOKEN123]"), "{}", m.subject);
        assert_eq!(
            m.reply_to, None,
            "no mailbox read: replies go to the sender"
        );
        assert!(m.subject.starts_with("Zertifikatsanfrage: ISO 9001"));
        assert!(m.body.contains("Guten Tag Frau Berg,"));
        assert!(m.body.contains("Q-123 läuft ab am 2027-01-31"));
        assert!(m.body.contains("https://cw.example/supplier/TOKEN123/"));
        assert!(m.body.contains("Bitte bis Monatsende."));
        assert!(m.body.contains("30 Tage"));
        let en = compose(
            "http://h",
            &outgoing(Language::En, MailReason::Reminder),
            30,
            Some("certs@buyer.example"),
        );
        assert!(en.subject.starts_with("Reminder: Certificate request"));
        assert_eq!(en.reply_to.as_deref(), Some("certs+TOKEN123@buyer.example"));
        let fr = compose(
            "http://h",
            &outgoing(Language::Fr, MailReason::Resend),
            30,
            None,
        );
        assert!(fr.body.starts_with("Bonjour Frau Berg,"));
    }
}
