//! Scrapes: certificates filed from pages and PDFs, the adaptive tiers, failures, whose certificate a page gives.

use super::*;

#[tokio::test]
async fn a_scrape_files_certificates_from_the_page_and_its_pdf_and_notices_a_changed_pdf() {
    let site = Site::start().await;
    let (e9001, e14001) = (in_days(400), in_days(500));
    site.serve("/de/zertifikate", Resource::html(&zertifikate_page(e9001)));
    site.serve(
        "/docs/iso14001.pdf",
        Resource::pdf(iso14001_pdf("DE-UM-2024-77", "15.01.2024", e14001)),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let rx = t
        .receiver(json!([
            "certificate.created",
            "certificate.document_changed"
        ]))
        .await;
    let org = t.org("Muster Metall GmbH", None).await;
    let ep = t.endpoint(&org, &site.url("/de/zertifikate")).await;
    let ep_id = ep["id"].as_str().unwrap();
    assert_eq!(ep["organization"]["name"], "Muster Metall GmbH");

    let logs = t.logs(ep_id, 1).await;
    let log = &logs[0];
    assert_eq!(log["status"], "SUCCESS", "{log}");
    assert_eq!(log["http_status"], 200);
    assert!(log["bytes"].as_u64().unwrap() > 100);
    assert_eq!(log["documents"][0]["url"], site.url("/docs/iso14001.pdf"));
    assert_eq!(log["documents"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(log["changes"].as_array().unwrap().len(), 2, "{log}");

    let certs = t.certificates(&org).await;
    assert_eq!(certs.len(), 2, "{certs:?}");
    let (c9001, c14001) = (&certs[0], &certs[1]);
    assert_eq!(c9001["certificate_number"], "12 100 45678 TMS");
    assert_eq!(c9001["expiry_date"], e9001.to_string());
    assert_eq!(c9001["issuing_body"], "TÜV SÜD");
    assert_eq!(c9001["source_url"], site.url("/de/zertifikate"));
    assert_eq!(c14001["certificate_number"], "DE-UM-2024-77");
    assert_eq!(c14001["issue_date"], "2024-01-15");
    assert_eq!(c14001["expiry_date"], e14001.to_string());
    assert_eq!(c14001["issuing_body"], "DEKRA");
    assert_eq!(c14001["scope"], "Machining of precision parts");
    assert_eq!(c14001["document_url"], site.url("/docs/iso14001.pdf"));
    let first_hash = c14001["document_hash"].as_str().unwrap().to_string();
    assert_eq!(first_hash, log["documents"][0]["sha256"].as_str().unwrap());

    // The same content again changes nothing.
    assert_eq!(t.trigger(ep_id).await.status, 202);
    let logs = t.logs(ep_id, 2).await;
    assert_eq!(logs[0]["changes"], json!([]), "{}", logs[0]);

    // A renewed PDF: new hash, new expiry — one change, announced.
    let renewed = in_days(900);
    site.serve(
        "/docs/iso14001.pdf",
        Resource::pdf(iso14001_pdf("DE-UM-2024-77", "15.01.2024", renewed)),
    );
    assert_eq!(t.trigger(ep_id).await.status, 202);
    let logs = t.logs(ep_id, 3).await;
    let change = &logs[0]["changes"][0];
    assert_eq!(change["certificate_number"], "DE-UM-2024-77");
    assert_eq!(change["action"], "updated");
    assert_eq!(change["fields"], json!(["expiry_date", "document_hash"]));
    let certs = t.certificates(&org).await;
    assert_eq!(certs[1]["expiry_date"], renewed.to_string());
    assert_ne!(certs[1]["document_hash"], first_hash.as_str());

    let got = rx.wait_for(3).await;
    let types: Vec<&str> = got
        .iter()
        .map(|r| r.body["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types
            .iter()
            .filter(|t| **t == "certificate.created")
            .count(),
        2
    );
    let changed = got
        .iter()
        .find(|r| r.body["type"] == "certificate.document_changed")
        .expect("document_changed delivered");
    assert_eq!(
        changed.body["data"]["previous_document_hash"],
        first_hash.as_str()
    );

    // The detail carries the last 5 logs, newest first.
    let detail = t.get(&format!("/api/monitoring/endpoints/{ep_id}/")).await;
    assert_eq!(detail["recent_scrape_logs"].as_array().unwrap().len(), 3);
    assert_eq!(detail["recent_scrape_logs"][0]["id"], logs[0]["id"]);
}

#[tokio::test]
async fn adaptive_frequency_moves_between_the_three_tiers() {
    let site = Site::start().await;
    let page = |days: u64| {
        format!(
            "<table><tr><th>Standard</th><th>Certificate No.</th><th>Valid until</th></tr>\
             <tr><td>IATF 16949</td><td>IATF-0815-42</td><td>{}</td></tr></table>",
            in_days(days).format("%B %-d, %Y")
        )
    };
    site.serve("/quality", Resource::html(&page(90)));
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let org = t.org("Autoteile AG", None).await;
    let ep = t.endpoint(&org, &site.url("/quality")).await;
    let id = ep["id"].as_str().unwrap();
    assert_eq!(ep["check_frequency"], "12:00:00", "as created");
    t.logs(id, 1).await;
    let freq = async || t.get(&format!("/api/monitoring/endpoints/{id}/")).await;
    let ep = freq().await;
    assert_eq!(
        ep["check_frequency"], "1 00:00:00",
        "nothing expires within 30 days"
    );
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    let last: chrono::DateTime<Utc> = ep["last_checked"].as_str().unwrap().parse().unwrap();
    assert!(
        (next - last - chrono::Duration::hours(24))
            .num_seconds()
            .abs()
            < 5
    );

    site.serve("/quality", Resource::html(&page(20)));
    assert_eq!(t.trigger(id).await.status, 202);
    t.logs(id, 2).await;
    assert_eq!(
        freq().await["check_frequency"],
        "12:00:00",
        "within 30 days"
    );

    site.serve("/quality", Resource::html(&page(5)));
    t.trigger(id).await;
    t.logs(id, 3).await;
    assert_eq!(freq().await["check_frequency"], "04:00:00", "within 7 days");

    site.serve("/quality", Resource::html(&page(200)));
    t.trigger(id).await;
    t.logs(id, 4).await;
    assert_eq!(freq().await["check_frequency"], "1 00:00:00", "renewed");
}

#[tokio::test]
async fn failures_are_logged_back_off_and_are_announced() {
    let site = Site::start().await;
    site.serve("/broken", Resource::status(500));
    site.serve(
        "/slow",
        Resource::html("<p>ISO 9001</p>").slow(Duration::from_secs(4)),
    );
    site.serve(
        "/huge",
        Resource::html(&format!("<p>{}</p>", "x".repeat(6 << 20))),
    );
    site.serve("/moved", Resource::redirect("/zertifikate"));
    site.serve(
        "/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    let rx = t.receiver(json!(["endpoint.scrape_failed"])).await;
    let org = t.org("Fragile GmbH", None).await;
    let mut ids = Vec::new();
    for path in ["/broken", "/slow", "/huge", "/moved"] {
        let ep = t.endpoint(&org, &site.url(path)).await;
        ids.push(ep["id"].as_str().unwrap().to_string());
    }
    let broken = &t.logs(&ids[0], 1).await[0];
    assert_eq!(
        (broken["status"].as_str(), broken["http_status"].as_u64()),
        (Some("FAILED"), Some(500))
    );
    assert!(broken["error"].as_str().unwrap().contains("500"));
    let slow = &t.logs(&ids[1], 1).await[0];
    assert_eq!(slow["status"], "FAILED");
    assert!(
        slow["error"].as_str().unwrap().contains("timed out"),
        "{slow}"
    );
    let huge = &t.logs(&ids[2], 1).await[0];
    assert_eq!(huge["status"], "FAILED");
    assert!(
        huge["error"].as_str().unwrap().contains("larger than"),
        "{huge}"
    );
    let moved = &t.logs(&ids[3], 1).await[0];
    assert_eq!(moved["status"], "SUCCESS", "{moved}");
    assert_eq!(
        t.certificates(&org).await.len(),
        1,
        "the redirect was followed"
    );

    // A failing endpoint backs off: its next try is 15 minutes out, not its frequency.
    let ep = t
        .get(&format!("/api/monitoring/endpoints/{}/", ids[0]))
        .await;
    assert_eq!(ep["consecutive_failures"], 1);
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    let wait = (next - Utc::now()).num_minutes();
    assert!((13..=15).contains(&wait), "{wait}");
    t.trigger(&ids[0]).await;
    t.logs(&ids[0], 2).await;
    let ep = t
        .get(&format!("/api/monitoring/endpoints/{}/", ids[0]))
        .await;
    assert_eq!(ep["consecutive_failures"], 2);
    let next: chrono::DateTime<Utc> = ep["next_check_at"].as_str().unwrap().parse().unwrap();
    assert!((28..=30).contains(&(next - Utc::now()).num_minutes()));

    let health = t.get("/api/monitoring/health/").await;
    assert_eq!(health["failing"], 3, "{health}");
    assert_eq!(
        (health["active"].as_u64(), health["scheduled"].as_u64()),
        (Some(4), Some(4))
    );
    assert_eq!(health["scheduler_alive"], true);

    let got = rx.wait_for(4).await;
    assert!(
        got.iter()
            .all(|r| r.body["type"] == "endpoint.scrape_failed")
    );
    assert!(got.iter().any(|r| r.body["data"]["http_status"] == 500));
    // Failures never create or delete certificates: the good page's certificate stays.
    assert_eq!(t.certificates(&org).await.len(), 1);
}

#[tokio::test]
async fn a_page_files_only_the_certificates_it_gives_to_the_supplier_itself() {
    let site = Site::start().await;
    let (e9001, e45001, e_pdf, e_other) = (in_days(300), in_days(400), in_days(500), in_days(600));
    let page = format!(
        r#"<html><body><header><p>Acme Metall GmbH</p></header><h1>Qualität</h1>
        <dl><dt>Norm</dt><dd>ISO 9001:2015</dd><dt>Zertifikat-Nr.</dt><dd>Q-9001-77</dd>
        <dt>Gültig bis</dt><dd>{}</dd></dl>
        <p>System BHP: ISO 45001, certyfikat nr PL-4455-1</p><p>Ważny do {}</p>
        <p><a href="/docs/combined.pdf">Zertifikat (PDF)</a></p>
        <h2>Gruppenunternehmen</h2><h3>Beta Components s.r.o.</h3>
        <p>ISO 14001, Zertifikat-Nr. E-14001-5, gültig bis {}</p>
        <h2>News</h2><p>Our customer Gamma Industries Ltd achieved IATF 16949 certification
        (certificate no. IATF-0815-9, valid until {}).</p></body></html>"#,
        german(e9001),
        certwatch_corpus::lang::Language::Pl.date(e45001, true),
        german(e_other),
        e_other,
    );
    site.serve("/quality", Resource::html(&page));
    site.serve(
        "/docs/combined.pdf",
        Resource::pdf(pdf::with_lines(&[
            "CERTIFICATE",
            "DEKRA Certification GmbH hereby certifies that",
            "Acme Metall GmbH, Hafenstrasse 9, 28217 Bremen",
            "operates a management system according to ISO 14001:2015 and ISO 50001:2018",
            "Certificate No.: 55123456/1",
            "Date of issue: 01.02.2025",
            &format!("Valid until: {}", german(e_pdf)),
        ])),
    );
    let s = server();
    let t = tenant(&s, "ties@buyer.example").await;
    let acme = t.org("Acme Metall GmbH", None).await;
    let beta = t.org("Beta Components s.r.o.", None).await;
    let ep = t.endpoint(&acme, &site.url("/quality")).await;
    let log = t.logs(ep["id"].as_str().unwrap(), 1).await.remove(0);
    assert_eq!(log["status"], "SUCCESS", "{log}");

    let certs = t.certificates(&acme).await;
    let mut got: Vec<(&str, &str, &str)> = certs
        .iter()
        .map(|c| {
            (
                c["certificate_type"]["code"].as_str().unwrap_or_default(),
                c["certificate_number"].as_str().unwrap(),
                c["expiry_date"].as_str().unwrap(),
            )
        })
        .collect();
    got.sort();
    let (d9001, d45001, d_pdf) = (e9001.to_string(), e45001.to_string(), e_pdf.to_string());
    assert_eq!(
        got,
        [
            ("ISO_14001", "55123456/1", d_pdf.as_str()),
            ("ISO_45001", "PL-4455-1", d45001.as_str()),
            ("ISO_50001", "55123456/1", d_pdf.as_str()),
            ("ISO_9001", "Q-9001-77", d9001.as_str()),
        ],
        "{log}"
    );
    // The group company's and the customer's certificates are filed under no one.
    assert_eq!(t.certificates(&beta).await, Vec::<Value>::new());
    let skipped: Vec<&str> = log["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("E-14001-5")
                && s.contains("Beta Components s.r.o., another supplier")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("IATF-0815-9") && s.contains("Gamma Industries Ltd")),
        "{skipped:?}"
    );
}
