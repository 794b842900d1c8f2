//! Register checks against the real server and a stand-in register on loopback (the
//! shapes of IAF CertSearch's and FSC's developer guides), and the providers on their own.

#[path = "../common/mod.rs"]
mod common;
mod lifecycle;
mod pages;
mod providers;
mod refusals;

use std::sync::{Arc, Mutex};

use common::Server;
use common::register::{Register, Reply};
use reqwest::Method;
use serde_json::{Value, json};

/// A tenant with one supplier and its ISO 9001 certificate.
pub struct Tenant {
    pub key: String,
    pub org: String,
    pub cert: String,
}

/// Signs up `email`'s organization with the supplier `company` and its certificate.
pub async fn tenant(s: &Server, email: &str, company: &str, number: &str) -> Tenant {
    let (key, _) = s.signup(email, "Buyer").await;
    let org = s
        .post(
            "/api/organizations/",
            Some(&key),
            json!({"name": company, "country": "DE", "vat": "DE123456789"}),
        )
        .await;
    assert_eq!(org.status, 201, "{:?}", org.body);
    let org = org.body["id"].as_str().unwrap().to_string();
    let iso = s.type_id(&key, "ISO_9001").await;
    let cert = s
        .post(
            "/api/certificates/",
            Some(&key),
            json!({"organization": org, "certificate_type_id": iso, "certificate_number": number,
                   "issuing_body": "TÜV SÜD", "expiry_date": "2028-01-14"}),
        )
        .await;
    assert_eq!(cert.status, 201, "{:?}", cert.body);
    Tenant {
        key,
        cert: cert.body["id"].as_str().unwrap().to_string(),
        org,
    }
}

/// Saves the tenant's account with `provider`.
pub async fn set_provider(s: &Server, key: &str, provider: &str, body: Value) -> common::Answer {
    s.call(
        Method::PUT,
        &format!("/api/status-providers/{provider}/"),
        Some(key),
        Some(body),
    )
    .await
}

/// "Verify now" for the certificate `cert`, as the holder of `key`.
pub async fn verify(s: &Server, key: &str, cert: &str) -> common::Answer {
    s.post(
        &format!("/api/certificates/{cert}/verify/"),
        Some(key),
        json!({}),
    )
    .await
}

/// The tenant's view of `provider`.
pub async fn provider(s: &Server, key: &str, provider: &str) -> Value {
    let list = s.get("/api/status-providers/", Some(key)).await;
    assert_eq!(list.status, 200, "{:?}", list.body);
    list.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == provider)
        .cloned()
        .unwrap()
}

/// An IAF CertSearch entity with one certificate.
pub fn entity(ce_id: &str, number: &str, status: &str) -> Value {
    providers::entity(ce_id, number, status)
}

/// One account of the stand-in: its key, its company's `ce_id`, the certificate's number
/// and status.
type Account = (String, String, String, String);

/// A stand-in IAF CertSearch whose answers the test changes: each key's company and its
/// certificate's status; a key it does not know is refused.
#[derive(Clone, Default)]
pub struct Iaf {
    pub accounts: Arc<Mutex<Vec<Account>>>,
}

impl Iaf {
    pub fn set(&self, key: &str, ce_id: &str, number: &str, status: &str) {
        let mut accounts = self.accounts.lock().unwrap();
        accounts.retain(|(k, ..)| k != key);
        accounts.push((key.into(), ce_id.into(), number.into(), status.into()));
    }

    pub async fn start(&self) -> Register {
        let accounts = self.accounts.clone();
        Register::start(move |req| {
            let key = req.header("x-http-authorization").unwrap_or_default();
            let accounts = accounts.lock().unwrap();
            let Some((_, ce_id, number, status)) = accounts.iter().find(|(k, ..)| k == key) else {
                return Reply::json(
                    401,
                    json!({"title": "Unauthorized access.", "status": 401, "code": "unauthorized"}),
                );
            };
            match (req.method.as_str(), req.path.as_str()) {
                ("POST", "/iaf/company") => {
                    Reply::json(200, json!({"data": entity(ce_id, number, status)}))
                }
                ("GET", path) if path == format!("/iaf/company/{ce_id}") => {
                    Reply::json(200, json!({"data": [entity(ce_id, number, status)]}))
                }
                _ => Reply::json(
                    404,
                    json!({"title": "Not found", "status": 404, "code": "not_found"}),
                ),
            }
        })
        .await
    }
}

/// The certificate as the API shows it.
pub async fn certificate(s: &Server, key: &str, id: &str) -> Value {
    let r = s.get(&format!("/api/certificates/{id}/"), Some(key)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body
}

/// Waits until the certificate's latest check is `status` (and the certificate `cert_status`).
pub async fn verified(s: &Server, key: &str, id: &str, status: &str, cert_status: &str) -> Value {
    common::eventually(
        &format!("certificate {id} verified {status} ({cert_status})"),
        async || {
            let c = certificate(s, key, id).await;
            (c["verification"]["status"] == status && c["status"] == cert_status).then_some(c)
        },
    )
    .await
}
