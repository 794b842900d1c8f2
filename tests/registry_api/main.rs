//! /api/organizations/ and /api/certificates/ over HTTP against the real server.

mod certificates;
#[path = "../common/mod.rs"]
mod common;

use chrono::{Duration, Utc};
use common::Server;
use serde_json::{Value, json};

fn days(n: i64) -> String {
    (Utc::now().date_naive() + Duration::days(n)).to_string()
}

fn ids(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

struct Tenant<'a> {
    s: &'a Server,
    key: String,
}

impl Tenant<'_> {
    async fn org(&self, body: Value) -> String {
        let r = self
            .s
            .post("/api/organizations/", Some(&self.key), body)
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn type_id(&self, code: &str) -> String {
        self.s.type_id(&self.key, code).await
    }

    async fn cert(&self, org: &str, ty: &str, number: &str, expiry: &str, status: &str) -> String {
        let r = self
            .s
            .post(
                "/api/certificates/",
                Some(&self.key),
                json!({"organization": org, "certificate_type_id": ty, "certificate_number": number,
                       "issuing_body": "TÜV SÜD", "scope": format!("Scope of {number}"),
                       "issue_date": "2024-01-15", "expiry_date": expiry, "status": status}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn get(&self, path: &str) -> Value {
        let r = self.s.get(path, Some(&self.key)).await;
        assert_eq!(r.status, 200, "{path}: {:?}", r.body);
        r.body
    }
}

async fn tenant<'a>(s: &'a Server, email: &str) -> Tenant<'a> {
    let (key, _) = s.signup(email, "Buyer").await;
    Tenant { s, key }
}

#[tokio::test]
async fn organizations_crud_filters_ordering_and_counts() {
    let s = Server::start(&[]);
    let t = tenant(&s, "a@one.example").await;
    let acme = t
        .org(
            json!({"external_id": "ORG-001", "name": "Acme Corp", "website": "https://acme.com",
                    "lei": "5493001KJTIIGC8Y1R12", "vat": "DE123456789", "country": "de"}),
        )
        .await;
    let bolt = t
        .org(json!({"external_id": "ORG-002", "name": "bolt & nut AG", "country": "AT"}))
        .await;
    let zeta = t
        .org(json!({"external_id": "X-9", "name": "Zeta Ltd", "country": "DE"}))
        .await;

    let created = t.get(&format!("/api/organizations/{acme}/")).await;
    assert_eq!(created["country"], "DE");
    assert_eq!(created["sites"], json!([]));

    // Validation: every bad field reported, nothing written.
    let bad = s
        .post(
            "/api/organizations/",
            Some(&t.key),
            json!({"external_id": "ORG-001", "name": "", "website": "ftp://x", "lei": "5493001KJTIIGC8Y1R13", "country": "XX"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    for field in ["name", "website", "lei", "country"] {
        assert!(bad.body[field].is_array(), "{field}: {:?}", bad.body);
    }
    let dup = s
        .post(
            "/api/organizations/",
            Some(&t.key),
            json!({"external_id": "org-001", "name": "Dup"}),
        )
        .await;
    assert_eq!(dup.status, 400);
    assert!(dup.body["external_id"].is_array());
    let wrong_type = s
        .post("/api/organizations/", Some(&t.key), json!({"name": 5}))
        .await;
    assert_eq!(wrong_type.body["name"], json!(["Must be a string."]));
    assert_eq!(t.get("/api/organizations/").await["count"], 3);

    // Filters and orderings.
    assert_eq!(ids(&t.get("/api/organizations/?country=de").await).len(), 2);
    assert_eq!(
        ids(&t.get("/api/organizations/?search=BOLT").await),
        vec![bolt.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/organizations/?search=x-9").await),
        vec![zeta.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/organizations/").await),
        vec![acme.clone(), bolt.clone(), zeta.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/organizations/?ordering=-name").await),
        vec![zeta.clone(), bolt.clone(), acme.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/organizations/?ordering=-external_id").await),
        vec![zeta.clone(), bolt.clone(), acme.clone()]
    );
    assert_eq!(
        ids(&t.get("/api/organizations/?ordering=country").await)[0],
        bolt
    );
    assert_eq!(
        ids(&t.get("/api/organizations/?ordering=-created_at").await)[0],
        zeta
    );
    assert_eq!(
        s.get("/api/organizations/?ordering=vat", Some(&t.key))
            .await
            .status,
        400
    );

    // Counts: active, expiring within 30 days (active), expired.
    let iso = t.type_id("ISO_9001").await;
    t.cert(&acme, &iso, "A-1", &days(10), "ACTIVE").await;
    t.cert(&acme, &iso, "A-2", &days(200), "ACTIVE").await;
    t.cert(&acme, &iso, "A-3", &days(-10), "EXPIRED").await;
    t.cert(&acme, &iso, "A-4", &days(5), "REVOKED").await;
    let row = &t.get("/api/organizations/?search=acme").await["results"][0];
    assert_eq!(
        (
            row["active_certificates"].clone(),
            row["expiring_certificates"].clone(),
            row["expired_certificates"].clone()
        ),
        (json!(2), json!(1), json!(1))
    );

    // PATCH changes one field; PUT replaces and clears absent optional fields.
    let patched = s
        .patch(
            &format!("/api/organizations/{acme}/"),
            Some(&t.key),
            json!({"vat": "DE999"}),
        )
        .await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        (patched.body["vat"].clone(), patched.body["website"].clone()),
        (json!("DE999"), json!("https://acme.com"))
    );
    let put = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/organizations/{acme}/"),
            Some(&t.key),
            Some(json!({"name": "Acme Corporation"})),
        )
        .await;
    assert_eq!(put.status, 200, "{:?}", put.body);
    assert!(put.body["website"].is_null() && put.body["external_id"].is_null());
    // Its external id is free again.
    t.org(json!({"external_id": "ORG-001", "name": "New owner"}))
        .await;

    // Sites belong to an organization; deleting the organization takes sites and certificates.
    let site = s
        .post("/api/organizations/sites/", Some(&t.key), json!({"organization": acme, "name": "Main Factory", "address": "123 Industrial Way, Munich"}))
        .await;
    assert_eq!(site.status, 201, "{:?}", site.body);
    let site_id = site.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.get(&format!("/api/organizations/{acme}/")).await["sites"][0]["name"],
        "Main Factory"
    );
    assert_eq!(
        s.delete(&format!("/api/organizations/{acme}/"), Some(&t.key))
            .await
            .status,
        204
    );
    assert_eq!(
        s.get(&format!("/api/organizations/{acme}/"), Some(&t.key))
            .await
            .status,
        404
    );
    assert_eq!(
        s.get(
            &format!("/api/organizations/sites/{site_id}/"),
            Some(&t.key)
        )
        .await
        .status,
        404
    );
    assert_eq!(t.get("/api/certificates/").await["count"], 0);
    assert_eq!(
        s.delete(&format!("/api/organizations/{acme}/"), Some(&t.key))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn sites_crud() {
    let s = Server::start(&[]);
    let t = tenant(&s, "a@one.example").await;
    let a = t.org(json!({"name": "A"})).await;
    let b = t.org(json!({"name": "B"})).await;
    let missing = s
        .post(
            "/api/organizations/sites/",
            Some(&t.key),
            json!({"name": "X"}),
        )
        .await;
    assert_eq!(missing.status, 400);
    assert!(missing.body["organization"].is_array());
    let ghost = s
        .post(
            "/api/organizations/sites/",
            Some(&t.key),
            json!({"organization": uuid::Uuid::new_v4(), "name": "X"}),
        )
        .await;
    assert_eq!(ghost.status, 400);

    let site = s
        .post(
            "/api/organizations/sites/",
            Some(&t.key),
            json!({"organization": a, "name": "Plant 1"}),
        )
        .await;
    let id = site.body["id"].as_str().unwrap().to_string();
    s.post(
        "/api/organizations/sites/",
        Some(&t.key),
        json!({"organization": b, "name": "Plant 2"}),
    )
    .await;
    assert_eq!(t.get("/api/organizations/sites/").await["count"], 2);
    assert_eq!(
        t.get(&format!("/api/organizations/sites/?organization={a}"))
            .await["count"],
        1
    );

    let moved = s
        .patch(
            &format!("/api/organizations/sites/{id}/"),
            Some(&t.key),
            json!({"organization": b}),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert_eq!(moved.body["name"], "Plant 1");
    assert_eq!(
        t.get(&format!("/api/organizations/sites/?organization={a}"))
            .await["count"],
        0
    );
    assert_eq!(
        t.get(&format!("/api/organizations/{b}/")).await["sites"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let put = s
        .call(
            reqwest::Method::PUT,
            &format!("/api/organizations/sites/{id}/"),
            Some(&t.key),
            Some(json!({"organization": b, "name": "Renamed"})),
        )
        .await;
    assert_eq!(put.body["address"], "");
    assert_eq!(
        s.delete(&format!("/api/organizations/sites/{id}/"), Some(&t.key))
            .await
            .status,
        204
    );
    assert_eq!(t.get("/api/organizations/sites/").await["count"], 1);
}

#[tokio::test]
async fn another_tenants_registry_objects_are_not_found() {
    let s = Server::start(&[]);
    let a = tenant(&s, "a@one.example").await;
    let b = tenant(&s, "b@two.example").await;
    let b_org = b.org(json!({"name": "B org", "external_id": "SAME"})).await;
    let b_type = b.type_id("ISO_9001").await;
    let b_cert = b.cert(&b_org, &b_type, "B-1", &days(10), "ACTIVE").await;
    let b_site = s
        .post(
            "/api/organizations/sites/",
            Some(&b.key),
            json!({"organization": b_org, "name": "S"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();

    for path in [
        format!("/api/organizations/{b_org}/"),
        format!("/api/organizations/sites/{b_site}/"),
        format!("/api/certificates/types/{b_type}/"),
        format!("/api/certificates/{b_cert}/"),
    ] {
        assert_eq!(s.get(&path, Some(&a.key)).await.status, 404, "GET {path}");
        assert_eq!(
            s.call(
                reqwest::Method::PUT,
                &path,
                Some(&a.key),
                Some(json!({"name": "x"}))
            )
            .await
            .status,
            404,
            "PUT {path}"
        );
        assert_eq!(
            s.patch(&path, Some(&a.key), json!({})).await.status,
            404,
            "PATCH {path}"
        );
        assert_eq!(
            s.delete(&path, Some(&a.key)).await.status,
            404,
            "DELETE {path}"
        );
        assert_eq!(
            s.get(&path, Some(&b.key)).await.status,
            200,
            "B still has {path}"
        );
    }

    // As references in A's writes: a field error, never a cross-tenant link.
    let a_org = a.org(json!({"name": "A org", "external_id": "SAME"})).await;
    let a_type = a.type_id("ISO_9001").await;
    let site = s
        .post(
            "/api/organizations/sites/",
            Some(&a.key),
            json!({"organization": b_org, "name": "S"}),
        )
        .await;
    assert_eq!(site.status, 400);
    let cert = s
        .post("/api/certificates/", Some(&a.key), json!({"organization": b_org, "certificate_type_id": a_type, "certificate_number": "X"}))
        .await;
    assert_eq!(cert.status, 400);
    assert!(cert.body["organization"].is_array());
    let cert = s
        .post("/api/certificates/", Some(&a.key), json!({"organization": a_org, "certificate_type_id": b_type, "certificate_number": "X"}))
        .await;
    assert_eq!(cert.status, 400);
    assert!(cert.body["certificate_type_id"].is_array());

    // Lists and filters never show B's objects.
    assert_eq!(a.get("/api/organizations/").await["count"], 1);
    assert_eq!(a.get("/api/certificates/").await["count"], 0);
    assert_eq!(
        a.get(&format!("/api/certificates/?organization={b_org}"))
            .await["count"],
        0
    );
    assert_eq!(a.get("/api/organizations/sites/").await["count"], 0);
    assert_eq!(a.get("/api/certificates/expiring/").await["count"], 0);
}

#[tokio::test]
async fn start_up_sweep_expires_overdue_certificates() {
    let mut s = Server::start(&[]);
    let (key, _) = s.signup("a@one.example", "One").await;
    let t = Tenant {
        s: &s,
        key: key.clone(),
    };
    let org = t.org(json!({"name": "A"})).await;
    let iso = t.type_id("ISO_9001").await;
    let overdue = t.cert(&org, &iso, "OLD", &days(-1), "ACTIVE").await;
    let current = t.cert(&org, &iso, "NEW", &days(1), "ACTIVE").await;
    let revoked = t.cert(&org, &iso, "REV", &days(-3), "REVOKED").await;

    s.restart();
    let status = |id: String| {
        let s = &s;
        let key = key.clone();
        async move {
            s.get(&format!("/api/certificates/{id}/"), Some(&key))
                .await
                .body["status"]
                .clone()
        }
    };
    common::eventually("the sweep did not run", async || {
        (status(overdue.clone()).await == "EXPIRED").then_some(())
    })
    .await;
    assert_eq!(status(current).await, "ACTIVE");
    assert_eq!(status(revoked).await, "REVOKED");
    let row = &s.get("/api/organizations/", Some(&key)).await.body["results"][0];
    assert_eq!(
        (
            row["active_certificates"].clone(),
            row["expired_certificates"].clone()
        ),
        (json!(1), json!(1))
    );
}
