//! The OpenAPI document: schemas, routes, and every answer declared.

use super::*;

/// The document says what the server enforces: each POST body's required fields are the
/// ones an empty object is refused for, each PATCH body needs at least one property and an
/// empty one is refused, and dates, ids, e-mails and URLs carry their formats.
#[tokio::test]
async fn openapi_schemas_state_required_fields_formats_and_non_empty_patches() {
    let s = Server::start(&[]);
    let (token, _) = s.signup("schema@buyer.example", "Buyer").await;
    let doc = s.get("/api/openapi.json", None).await.body;
    let schemas = &doc["components"]["schemas"];
    let body_schema = |op: &Value| {
        let name = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .as_str()?
            .trim_start_matches("#/components/schemas/")
            .to_string();
        Some((name.clone(), schemas[name.as_str()].clone()))
    };
    let org = s
        .post(
            "/api/organizations/",
            Some(&token),
            json!({"name": "Muster"}),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let iso = s.type_id(&token, "ISO_9001").await;
    let made = |r: common::Answer| r.body["id"].as_str().unwrap().to_string();
    let site = made(
        s.post(
            "/api/organizations/sites/",
            Some(&token),
            json!({"organization": org, "name": "Werk 1"}),
        )
        .await,
    );
    let cert = made(
        s.post(
            "/api/certificates/",
            Some(&token),
            json!({"organization": org, "certificate_type_id": iso, "certificate_number": "Q-1"}),
        )
        .await,
    );
    let subscriber = made(
        s.post(
            "/api/webhooks/subscribers/",
            Some(&token),
            json!({"name": "ERP", "url": "https://erp.example/hook"}),
        )
        .await,
    );
    let member = s.get("/api/auth/members/", Some(&token)).await.body["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let real_ids: std::collections::HashMap<&str, String> = [
        ("/api/organizations/{id}/", org),
        ("/api/organizations/sites/{id}/", site),
        ("/api/certificates/{id}/", cert),
        ("/api/certificates/types/{id}/", iso),
        ("/api/webhooks/subscribers/{id}/", subscriber),
        ("/api/auth/members/{id}/", member),
        ("/api/auth/tenant/", String::new()),
    ]
    .into();
    let (mut posts, mut patches, mut refused_empty) = (0, 0, 0);
    for (path, item) in doc["paths"].as_object().unwrap() {
        if let Some((name, schema)) = item.get("post").and_then(body_schema)
            && !path.contains('{')
        {
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            if required.is_empty() {
                continue;
            }
            posts += 1;
            let r = s.post(path, Some(&token), json!({})).await;
            assert_eq!(r.status, 400, "POST {path} {{}}: {}", r.body);
            // A body refused before its fields are read (a bad invitation token) names no
            // field; any that names fields names each required one.
            if r.body.get("error").is_none() {
                for field in &required {
                    let field = field.as_str().unwrap();
                    assert!(
                        r.body.get(field).is_some(),
                        "POST {path}: {name} requires {field}, the server did not: {}",
                        r.body
                    );
                }
            }
        }
        if let Some(op) = item.get("patch") {
            let (name, schema) = body_schema(op).expect("a PATCH has a JSON body");
            patches += 1;
            assert!(name.ends_with("Patch"), "{path}: {name}");
            assert_eq!(schema["minProperties"], 1, "{name}");
            assert!(schema.get("required").is_none(), "{name}: {schema}");
            // An object that exists, where the test made one: an unknown id is a 404 first.
            let Some(id) = real_ids.get(path.as_str()) else {
                continue;
            };
            let r = s
                .patch(&path.replace("{id}", id), Some(&token), json!({}))
                .await;
            assert_eq!(r.status, 400, "PATCH {path} {{}}: {}", r.body);
            refused_empty += 1;
        }
    }
    assert!(posts >= 10, "{posts} POST bodies with required fields");
    // Nine before the supplier loop; then contacts, requirements and reminder settings;
    // then mail accounts.
    assert_eq!(patches, 13, "PATCH bodies");
    assert_eq!(refused_empty, real_ids.len());
    let cert = &schemas["CertificateWrite"];
    assert_eq!(
        cert["required"],
        json!(["organization", "certificate_type_id", "certificate_number"])
    );
    assert_eq!(cert["properties"]["organization"]["format"], "uuid");
    assert_eq!(cert["properties"]["certificate_number"]["minLength"], 1);
    let expiry = cert["properties"]["expiry_date"].to_string();
    assert!(expiry.contains("\"date\""), "{expiry}");
    assert!(
        cert["properties"]["document_url"]
            .to_string()
            .contains("\"uri\""),
        "{}",
        cert["properties"]["document_url"]
    );
    assert_eq!(
        schemas["RegisterRequest"]["properties"]["email"]["format"],
        "email"
    );
    assert_eq!(
        schemas["ConfirmWrite"]["properties"]["expiry_date"]["format"],
        "date"
    );
}

#[tokio::test]
async fn openapi_document_lists_routes_that_exist() {
    let s = Server::start(&[]);
    let doc = s.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc.body["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let concrete = path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())
                .replace("{organization_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{contact_id}", &uuid::Uuid::new_v4().to_string())
                .replace("{key}", "some-key")
                .replace("{number}", "SOME-NUMBER")
                .replace("{provider}", "iaf_certsearch");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s.call(m, &concrete, None, Some(json!({}))).await;
            assert_ne!(r.status, 405, "{method} {path}");
            assert_ne!(
                r.body["error"], "No such route.",
                "{method} {path} is documented but not served"
            );
        }
    }
    // auth (20 with the tenant settings, listing and revoking invitations and the two
    // password-reset operations), health,
    // certificate history (1), organizations and sites (12), certificate
    // types (6), certificates (8 with expiring and search), webhooks (17), API keys (3), v1 (1),
    // imports (1), monitoring (12), bulk upload (8); the supplier loop: contacts (5),
    // requirements (6), compliance (2), certificate requests (5), reminder settings (2);
    // the registers: status providers (3), verify and verifications (3); mail accounts (9).
    assert_eq!(operations, 127);
    for path in [
        "/api/health/",
        "/api/auth/register/",
        "/api/auth/login/",
        "/api/auth/verify-email/",
        "/api/auth/resend-verification/",
        "/api/auth/invitations/",
        "/api/auth/invite/accept/",
        "/api/auth/members/",
        "/api/auth/members/{id}/",
        "/api/auth/tokens/",
        "/api/auth/tokens/refresh/",
        "/api/auth/tokens/{key}/",
        "/api/auth/tenant/",
        "/api/organizations/",
        "/api/organizations/{id}/",
        "/api/organizations/sites/",
        "/api/organizations/sites/{id}/",
        "/api/certificates/",
        "/api/certificates/{id}/",
        "/api/certificates/types/",
        "/api/certificates/types/{id}/",
        "/api/certificates/expiring/",
        "/api/certificates/search/",
        "/api/webhooks/subscribers/",
        "/api/webhooks/subscribers/{id}/",
        "/api/webhooks/subscribers/{id}/rotate-key/",
        "/api/webhooks/subscribers/{id}/rotate-signing-secret/",
        "/api/webhooks/subscriptions/",
        "/api/webhooks/subscriptions/{id}/",
        "/api/webhooks/deliveries/",
        "/api/webhooks/deliveries/{id}/",
        "/api/webhooks/deliveries/{id}/retry/",
        "/api/auth/api-keys/",
        "/api/auth/api-keys/{id}/",
        "/api/v1/certificate/{number}",
        "/api/imports/upload/",
        "/api/organizations/{id}/contacts/",
        "/api/organizations/{id}/contacts/{contact_id}/",
        "/api/organizations/{id}/compliance/",
        "/api/organizations/compliance/",
        "/api/requirements/",
        "/api/requirements/{id}/",
        "/api/certificate-requests/",
        "/api/certificate-requests/{id}/",
        "/api/certificate-requests/{id}/cancel/",
        "/api/certificate-requests/{id}/resend/",
        "/api/settings/reminders/",
        "/api/mail-accounts/",
        "/api/mail-accounts/{id}/",
        "/api/mail-accounts/{id}/test/",
        "/api/mail-accounts/{id}/poll/",
        "/api/mail-accounts/{id}/mails/",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the document");
    }
    assert!(doc.body["components"]["securitySchemes"]["token"].is_object());
    assert!(doc.body["components"]["securitySchemes"]["cw_key"].is_object());
}

/// Whatever a member (not an admin) gets from any documented operation — a refusal for
/// admins only, field errors, a missing object — the document declares for it.
#[tokio::test]
async fn every_answer_a_member_gets_is_declared_in_the_document() {
    let s = Server::start(&[]);
    let (admin, _) = s.signup("a@declared.example", "Declared").await;
    let (member, _) = s
        .invite_and_accept(&admin, "m@declared.example", "member")
        .await;
    let doc = s.get("/api/openapi.json", None).await.body;
    let mut refused = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // Refreshing would replace the member's key midway.
        if path == "/api/auth/tokens/refresh/" {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let concrete = path
                .replace("{id}", &uuid::Uuid::new_v4().to_string())
                .replace("{key}", "some-key")
                .replace("{number}", "SOME-NUMBER")
                .replace("{provider}", "iaf_certsearch");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = s.call(m, &concrete, Some(&member), Some(json!({}))).await;
            let status = r.status.as_u16().to_string();
            assert!(
                op["responses"].get(&status).is_some(),
                "{method} {path} answers a member {status}, which its document does not declare: {:?}",
                r.body
            );
            refused += usize::from(r.status == 403);
        }
    }
    // Members, API keys, and every webhook operation are for admins.
    assert!(refused >= 20, "{refused} operations refused a member");
}
