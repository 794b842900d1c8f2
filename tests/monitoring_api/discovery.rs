//! Discovery: certificate pages found on a supplier website, robots.txt honoured.

use super::*;

#[tokio::test]
async fn discovery_finds_the_certificate_pages_and_honours_robots_txt() {
    let site = Site::start().await;
    site.serve(
        "/robots.txt",
        Resource::text("User-agent: *\nDisallow: /intern/\n"),
    );
    site.serve(
        "/",
        Resource::html(
            r#"<h1>Muster Metall</h1><p>Quality is our passion.</p>
            <a href="/de/unternehmen">Unternehmen</a> <a href="/en/news">News</a>
            <a href="/intern/zertifikate">Intern</a> <a href="https://elsewhere.example/certificates">Partner</a>"#,
        ),
    );
    site.serve(
        "/de/unternehmen",
        Resource::html(
            r#"<p>Über uns.</p><a href="/de/zertifikate">Zertifikate</a> <a href="/en/quality">Quality</a>"#,
        ),
    );
    site.serve(
        "/de/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    site.serve(
        "/en/quality",
        Resource::html(
            r#"<h2>Certificates</h2><p>We are certified to ISO 9001:2015 and ISO 45001:2018.</p>
            <a href="/docs/iso9001-certificate.pdf">ISO 9001 certificate (PDF)</a>"#,
        ),
    );
    site.serve(
        "/en/news",
        Resource::html("<p>Our new plant opened. We renewed our certification.</p>"),
    );
    site.serve(
        "/intern/zertifikate",
        Resource::html(&zertifikate_page(in_days(300))),
    );
    let s = server();
    let t = tenant(&s, "q@buyer.example").await;
    // Creating an organization with a website starts discovery by itself.
    let org = t.org("Muster Metall GmbH", Some(&site.url("/"))).await;
    let urls = async || {
        let list = t
            .get(&format!(
                "/api/monitoring/endpoints/?organization={org}&ordering=url"
            ))
            .await;
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["url"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let settled = async || {
        eventually("discovery to finish", async || {
            let h = t.get("/api/monitoring/health/").await;
            (h["discoveries_running"] == 0).then_some(())
        })
        .await
    };
    eventually("discovered endpoints", async || {
        let found = urls().await;
        (found.len() == 2).then_some(found)
    })
    .await;
    settled().await;
    let want = vec![site.url("/de/zertifikate"), site.url("/en/quality")];
    assert_eq!(urls().await, want);
    assert_eq!(site.hits("/robots.txt"), 1);
    assert_eq!(
        site.hits("/intern/zertifikate"),
        0,
        "robots.txt disallows it"
    );
    let list = t
        .get(&format!("/api/monitoring/endpoints/?organization={org}"))
        .await;
    assert!(
        list["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["discovered"] == true)
    );

    // Discovering again finds the same pages and creates no duplicates.
    let r = s
        .post(
            &format!("/api/monitoring/discover/{org}/"),
            Some(&t.key),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["organizations"]),
        (202, &json!(1))
    );
    eventually("the second crawl", async || {
        (site.hits("/robots.txt") == 2).then_some(())
    })
    .await;
    settled().await;
    assert_eq!(urls().await, want);
    let r = s
        .post("/api/monitoring/discover/", Some(&t.key), json!({}))
        .await;
    assert_eq!(
        (r.status.as_u16(), &r.body["organizations"]),
        (202, &json!(1))
    );

    let without = t.org("No Website Ltd", None).await;
    let r = s
        .post(
            &format!("/api/monitoring/discover/{without}/"),
            Some(&t.key),
            json!({}),
        )
        .await;
    assert_eq!(r.status, 400);
}
