//! Contacts, tags, requirements and compliance.

use super::*;

#[tokio::test]
async fn requirements_by_tag_and_supplier_give_each_supplier_its_state() {
    let s = Server::start(&[]);
    let b = Buyer::signup(&s, "qa@buyer.example", "Buyer").await;
    let (iso, iatf) = (b.type_id("ISO_9001").await, b.type_id("IATF_16949").await);
    let foundry = b.org("Gießerei Nord GmbH", &["Castings", "eu"]).await;
    let paint = b.org("Lackwerk Süd GmbH", &[]).await;
    // Nothing required: valid.
    assert_eq!(b.compliance(&foundry).await["state"], "valid");

    b.require(&iso, json!({"all": true})).await;
    b.require(&iatf, json!({"tag": "castings"})).await;
    let c = b.compliance(&foundry).await;
    assert_eq!(c["state"], "missing");
    assert_eq!(c["requirements"].as_array().unwrap().len(), 2);
    assert_eq!(c["can_be_asked"], false);
    assert_eq!(
        b.compliance(&paint).await["requirements"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    b.cert(&foundry, &iso, "Q-100", &days(400)).await;
    let iatf_cert = b.cert(&foundry, &iatf, "T-100", &days(40)).await;
    let c = b.compliance(&foundry).await;
    assert_eq!(c["state"], "expiring", "{c}");
    let iatf_row = c["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["certificate_type"]["id"] == iatf.as_str())
        .unwrap()
        .clone();
    assert_eq!(iatf_row["certificate"], iatf_cert.as_str());
    assert_eq!(iatf_row["expiry_date"], days(40).as_str());

    // Lists filter by tag and by compliance; the organization shows both.
    let tagged = b.get("/api/organizations/?tag=castings").await;
    assert_eq!(tagged.body["count"], 1);
    assert_eq!(tagged.body["results"][0]["tags"], json!(["castings", "eu"]));
    let missing = b.get("/api/organizations/?compliance=missing").await;
    assert_eq!(missing.body["count"], 1);
    assert_eq!(missing.body["results"][0]["id"], paint.as_str());
    assert_eq!(missing.body["results"][0]["compliance"], "missing");
    let bad = b.get("/api/organizations/?compliance=fine").await;
    assert_eq!(bad.status, 400, "{:?}", bad.body);
    let counts = b.get("/api/organizations/compliance/").await;
    assert_eq!(counts.body["expiring"], 1, "{:?}", counts.body);
    assert_eq!(counts.body["missing"], 1);
    assert_eq!(counts.body["cannot_be_asked"], 2);

    // One supplier's own requirement.
    let fsc = b.type_id("ISO_14001").await;
    let own = b.require(&fsc, json!({"organization": paint})).await;
    assert_eq!(
        b.compliance(&paint).await["requirements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        b.compliance(&foundry).await["requirements"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let list = b.get("/api/requirements/").await;
    assert_eq!(list.body["count"], 3);
    let r = s
        .delete(&format!("/api/requirements/{own}/"), Some(&b.key))
        .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn bad_contacts_and_requirements_are_refused_and_other_tenants_are_404() {
    let s = Server::start(&[]);
    let b = Buyer::signup(&s, "qa@buyer.example", "Buyer").await;
    let other = Buyer::signup(&s, "qa@other.example", "Other").await;
    let org = b.org("Gießerei Nord GmbH", &[]).await;
    let path = format!("/api/organizations/{org}/contacts/");
    let r = b.post(&path, json!({"email": "not an address"})).await;
    assert_eq!(r.status, 400);
    assert!(r.body["email"].is_array(), "{:?}", r.body);
    let r = b
        .post(&path, json!({"email": "qm@nord.example", "language": "xx"}))
        .await;
    assert!(r.body["language"].is_array(), "{:?}", r.body);
    let contact = b.contact(&org, "QM@Nord.example", "de").await;
    let r = b.post(&path, json!({"email": "qm@nord.example"})).await;
    assert_eq!(r.status, 400, "a second contact with the same address");
    let item = format!("{path}{contact}/");
    let got = b.get(&item).await;
    assert_eq!(got.body["email"], "qm@nord.example");
    assert_eq!(got.body["language"], "de");
    let r = s
        .patch(&item, Some(&b.key), json!({"receives_requests": false}))
        .await;
    assert_eq!(r.body["receives_requests"], false, "{:?}", r.body);
    // Another tenant sees none of it.
    assert_eq!(other.get(&item).await.status, 404);
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(
        other
            .post(&path, json!({"email": "x@y.example"}))
            .await
            .status,
        404
    );
    assert_eq!(
        other
            .get(&format!("/api/organizations/{org}/compliance/"))
            .await
            .status,
        404
    );
    assert_eq!(s.delete(&item, Some(&other.key)).await.status, 404);

    let iso = b.type_id("ISO_9001").await;
    let bad = [
        json!({"certificate_type": iso, "applies_to": {"all": false}}),
        json!({"certificate_type": iso, "applies_to": {"tag": "a;b"}}),
        json!({"certificate_type": iso, "applies_to": {"all": true, "tag": "x"}}),
        json!({"certificate_type": iso, "applies_to": {"organization": other.org("Theirs", &[]).await}}),
        json!({"certificate_type": other.type_id("ISO_9001").await, "applies_to": {"all": true}}),
        json!({"certificate_type": iso}),
    ];
    for body in bad {
        let r = b.post("/api/requirements/", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.body);
    }
    let req = b.require(&iso, json!({"all": true})).await;
    let r = b
        .post(
            "/api/requirements/",
            json!({"certificate_type": iso, "applies_to": {"all": true}}),
        )
        .await;
    assert_eq!(r.status, 400, "the same requirement twice");
    assert_eq!(
        other.get(&format!("/api/requirements/{req}/")).await.status,
        404
    );
    assert_eq!(b.get("/api/requirements/").await.body["count"], 1);
    // A required type cannot be deleted.
    let r = s
        .delete(&format!("/api/certificates/types/{iso}/"), Some(&b.key))
        .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
}
