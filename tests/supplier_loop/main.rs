//! The supplier loop against the real server: contacts, requirements, compliance,
//! certificate requests and their mails, the reminder pass, and the supplier page.

#[path = "../common/mod.rs"]
mod common;
mod requests;
mod requirements;
mod supplier_page;
mod whole_loop;

use chrono::{Duration, Utc};
use common::Server;
use serde_json::{Value, json};

fn days(n: i64) -> String {
    (Utc::now().date_naive() + Duration::days(n)).to_string()
}

/// A signed-in admin of a fresh tenant.
struct Buyer<'a> {
    s: &'a Server,
    key: String,
}

impl<'a> Buyer<'a> {
    async fn signup(s: &'a Server, email: &str, name: &str) -> Buyer<'a> {
        let (key, _) = s.signup(email, name).await;
        Buyer { s, key }
    }

    async fn post(&self, path: &str, body: Value) -> common::Answer {
        self.s.post(path, Some(&self.key), body).await
    }

    async fn get(&self, path: &str) -> common::Answer {
        self.s.get(path, Some(&self.key)).await
    }

    async fn created(&self, path: &str, body: Value) -> String {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 201, "{path}: {:?}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    async fn org(&self, name: &str, tags: &[&str]) -> String {
        self.created("/api/organizations/", json!({"name": name, "tags": tags}))
            .await
    }

    async fn contact(&self, org: &str, email: &str, language: &str) -> String {
        let path = format!("/api/organizations/{org}/contacts/");
        self.created(
            &path,
            json!({"name": "Quality Desk", "email": email, "language": language}),
        )
        .await
    }

    async fn cert(&self, org: &str, ty: &str, number: &str, expiry: &str) -> String {
        self.created(
            "/api/certificates/",
            json!({"organization": org, "certificate_type_id": ty, "certificate_number": number,
                   "issuing_body": "TÜV SÜD", "scope": "Castings", "issue_date": "2024-01-15",
                   "expiry_date": expiry, "status": "ACTIVE"}),
        )
        .await
    }

    async fn type_id(&self, code: &str) -> String {
        self.s.type_id(&self.key, code).await
    }

    async fn require(&self, ty: &str, applies_to: Value) -> String {
        self.created(
            "/api/requirements/",
            json!({"certificate_type": ty, "applies_to": applies_to}),
        )
        .await
    }

    async fn compliance(&self, org: &str) -> Value {
        let r = self
            .get(&format!("/api/organizations/{org}/compliance/"))
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        r.body
    }
}
