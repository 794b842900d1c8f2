//! Certificate requests: opened by a person or the reminder pass, mailed, resent,
//! cancelled; nothing mailed twice across a restart.

use super::*;
use common::eventually;
use common::receiver::subscribed;

/// Mails in the outbox to `to`.
fn mails_to(s: &Server, to: &str) -> Vec<String> {
    common::read_mails(&s.outbox())
        .into_iter()
        .filter(|m| m.contains(&format!("To: {to}")))
        .collect()
}

#[tokio::test]
async fn a_person_asks_resends_and_cancels_and_one_request_stays_open_per_type() {
    let s = Server::start(&[]);
    let b = Buyer::signup(&s, "qa@buyer.example", "Nordic Buyer").await;
    let other = Buyer::signup(&s, "qa@other.example", "Other").await;
    let iso = b.type_id("ISO_9001").await;
    let org = b.org("Gießerei Nord GmbH", &[]).await;
    let ask =
        json!({"organization": org, "certificate_type": iso, "message": "Bitte bis Freitag."});
    // Nobody to ask yet.
    let r = b.post("/api/certificate-requests/", ask.clone()).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert!(r.body["organization"].is_array(), "{:?}", r.body);

    b.contact(&org, "qm@nord.example", "de").await;
    b.contact(&org, "ceo@nord.example", "en").await;
    let r = b.post("/api/certificate-requests/", ask.clone()).await;
    assert_eq!(r.status, 201, "{:?}", r.body);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["status"], "open");
    assert_eq!(r.body["mails"].as_array().unwrap().len(), 2);
    let again = b.post("/api/certificate-requests/", ask.clone()).await;
    assert_eq!(
        (again.status.as_u16(), again.body["id"].as_str()),
        (200, Some(id.as_str()))
    );

    let german = eventually("the German request mail", async || {
        mails_to(&s, "qm@nord.example").into_iter().next()
    })
    .await;
    assert!(german.contains("Zertifikatsanfrage"), "{german}");
    assert!(german.contains("Bitte bis Freitag."));
    assert!(german.contains("/supplier/"));
    let english = eventually("the English request mail", async || {
        mails_to(&s, "ceo@nord.example").into_iter().next()
    })
    .await;
    assert!(english.contains("Certificate request"), "{english}");

    // Both were mailed today: a resend has no one left.
    let item = format!("/api/certificate-requests/{id}/");
    let r = b.post(&format!("{item}resend/"), json!({})).await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    // A new contact is mailed by a resend.
    b.contact(&org, "new@nord.example", "fr").await;
    let r = b.post(&format!("{item}resend/"), json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let history = b.get(&item).await.body;
    let reasons: Vec<&str> = history["mails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["created", "created", "resend"]);
    eventually("the French mail", async || {
        mails_to(&s, "new@nord.example").into_iter().next()
    })
    .await;

    let list = b
        .get(&format!(
            "/api/certificate-requests/?status=open&organization={org}"
        ))
        .await;
    assert_eq!(list.body["count"], 1, "{:?}", list.body);
    assert_eq!(other.get(&item).await.status, 404);
    assert_eq!(
        other
            .post(&format!("{item}cancel/"), json!({}))
            .await
            .status,
        404
    );
    assert_eq!(
        b.get("/api/certificate-requests/?status=nope").await.status,
        400
    );

    let r = b.post(&format!("{item}cancel/"), json!({})).await;
    assert_eq!(r.body["status"], "cancelled", "{:?}", r.body);
    assert_eq!(
        b.post(&format!("{item}cancel/"), json!({})).await.status,
        400
    );
    // Cancelled: a new one may be opened.
    assert_eq!(b.post("/api/certificate-requests/", ask).await.status, 201);
}

/// The value of a counter in `/metrics`.
async fn counter(s: &Server, name: &str) -> u64 {
    s.metrics()
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_reminder_pass_asks_once_fulfils_and_sends_nothing_twice_across_a_restart() {
    let mut s = Server::start(&[
        ("CERTWATCH_REMINDER_INTERVAL", "1"),
        ("CERTWATCH_ALLOW_PRIVATE_TARGETS", "true"),
    ]);
    let b = Buyer::signup(&s, "qa@buyer.example", "Nordic Buyer").await;
    let rx = subscribed(
        &s,
        &b.key,
        json!([
            "certificate_request.created",
            "certificate_request.fulfilled",
            "organization.compliance_changed"
        ]),
    )
    .await;
    let iso = b.type_id("ISO_9001").await;
    let org = b.org("Gießerei Nord GmbH", &["castings"]).await;
    b.contact(&org, "qm@nord.example", "de").await;
    b.require(&iso, json!({"tag": "castings"})).await;
    // Missing: the pass asks.
    let mail = eventually("the reminder pass's request mail", async || {
        mails_to(&s, "qm@nord.example").into_iter().next()
    })
    .await;
    assert!(
        mail.contains("Ein Zertifikat dieser Art liegt nicht vor."),
        "{mail}"
    );
    let list = b.get("/api/certificate-requests/").await.body;
    assert_eq!(list["count"], 1);
    assert_eq!(list["results"][0]["opened_by"], Value::Null);

    // A certificate on file: valid, and the request is fulfilled by it.
    let cert = b.cert(&org, &iso, "Q-200", &days(400)).await;
    let events = rx.wait_for(3).await;
    let of = |t: &str| events.iter().find(|e| e.body["type"] == t).cloned();
    assert!(of("certificate_request.created").is_some());
    let changed = of("organization.compliance_changed").expect("compliance_changed delivered");
    assert_eq!(changed.body["data"]["old_state"], "missing");
    assert_eq!(changed.body["data"]["new_state"], "valid");
    let fulfilled = of("certificate_request.fulfilled").expect("fulfilled delivered");
    assert_eq!(fulfilled.body["data"]["certificate"], cert.as_str());

    // Passes keep running every second, across a restart: still the one mail.
    s.restart();
    eventually("three passes after the restart", async || {
        (counter(&s, "certwatch_reminder_passes_total").await >= 3).then_some(())
    })
    .await;
    assert_eq!(mails_to(&s, "qm@nord.example").len(), 1);
    let (key, _) = s.login("qa@buyer.example", common::PASSWORD).await;
    let list = s
        .get("/api/certificate-requests/?status=fulfilled", Some(&key))
        .await;
    assert_eq!(list.body["count"], 1);
}
