//! The server's HTTP helpers: calls with a token, the mail it sends, and the accounts tests
//! start from.

use super::*;

impl Server {
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.header("Authorization", format!("Token {token}"));
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        answer(req.send().await.expect("request reached the server")).await
    }

    /// `/api/health/` with its details (as the operator's monitoring sees it).
    pub async fn health(&self) -> Answer {
        let req = self
            .http
            .get(format!("{}/api/health/", self.base))
            .header("Authorization", format!("Bearer {METRICS_TOKEN}"));
        answer(req.send().await.expect("request reached the server")).await
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .header("Authorization", format!("Bearer {METRICS_TOKEN}"))
            .send()
            .await
            .expect("request reached the server")
            .text()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Sends raw bytes as a JSON body.
    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: &'static [u8]) -> Answer {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            req = req.header("Authorization", format!("Token {token}"));
        }
        answer(req.send().await.unwrap()).await
    }

    /// The id of the tenant's certificate type with `code` (every tenant starts with the
    /// common ones, like `ISO_9001`).
    /// A bulk-upload batch once it has completed (waiting up to `within`): its detail.
    pub async fn completed_batch(&self, token: &str, batch: &str, within: Duration) -> Value {
        eventually_within(within, "the batch to complete", async || {
            let d = self
                .get(&format!("/api/bulk-upload/{batch}/"), Some(token))
                .await
                .body;
            (d["status"] == "completed").then_some(d)
        })
        .await
    }

    pub async fn type_id(&self, token: &str, code: &str) -> String {
        let types = self
            .get("/api/certificates/types/?page_size=500", Some(token))
            .await;
        types.body["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("no type {code}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The newest scrape log of an endpoint, once there is one.
    pub async fn newest_scrape_log(&self, token: &str, endpoint: &str) -> Option<Value> {
        let r = self
            .get(
                &format!("/api/monitoring/logs/?endpoint={endpoint}"),
                Some(token),
            )
            .await;
        r.body["results"]
            .as_array()
            .and_then(|l| l.first().cloned())
    }

    /// Posts files as multipart parts named `field` (each with its file name).
    pub async fn upload<N: AsRef<str>>(
        &self,
        path: &str,
        token: &str,
        field: &str,
        files: Vec<(N, Vec<u8>)>,
    ) -> Answer {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part(
                field.to_string(),
                reqwest::multipart::Part::bytes(bytes).file_name(name.as_ref().to_string()),
            );
        }
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Authorization", format!("Token {token}"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        answer(r).await
    }

    pub fn outbox(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    /// Waits for a mail to `to` whose body contains `marker`, and returns the word that
    /// follows the marker (a token).
    pub async fn mailed_token(&self, to: &str, marker: &str) -> String {
        let what = format!("a mail to {to} with {marker:?}");
        eventually(&what, async || {
            read_mails(&self.outbox()).iter().find_map(|mail| {
                let rest = mail
                    .split(marker)
                    .nth(1)
                    .filter(|_| mail.contains(&format!("To: {to}")))?;
                Some(
                    rest.chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .collect(),
                )
            })
        })
        .await
    }

    pub fn mails_to(&self, to: &str) -> usize {
        read_mails(&self.outbox())
            .iter()
            .filter(|m| m.contains(&format!("To: {to}")))
            .count()
    }

    /// Registers, verifies through the mailed link and logs in. Returns (token, tenant id).
    pub async fn signup(&self, email: &str, org: &str) -> (String, String) {
        let r = self
            .post(
                "/api/auth/register/",
                None,
                json!({"email": email, "password": PASSWORD, "organization_name": org}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let token = self.mailed_token(email, "verify-email/?token=").await;
        let v = self
            .get(&format!("/api/auth/verify-email/?token={token}"), None)
            .await;
        assert_eq!(v.status, 200, "{:?}", v.body);
        self.login(email, PASSWORD).await
    }

    pub async fn login(&self, email: &str, password: &str) -> (String, String) {
        let r = self
            .post(
                "/api/auth/login/",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        (
            r.body["token"].as_str().unwrap().to_string(),
            r.body["tenant_id"].as_str().unwrap().to_string(),
        )
    }

    /// Invites `email` into the admin's tenant as `role` and accepts. Returns (token, user id).
    pub async fn invite_and_accept(
        &self,
        admin: &str,
        email: &str,
        role: &str,
    ) -> (String, String) {
        let r = self
            .post(
                "/api/auth/invitations/",
                Some(admin),
                json!({"email": email, "role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "{:?}", r.body);
        let token = self.mailed_token(email, "Invitation token: ").await;
        let a = self
            .post(
                "/api/auth/invite/accept/",
                None,
                json!({"token": token, "password": PASSWORD}),
            )
            .await;
        assert_eq!(a.status, 201, "{:?}", a.body);
        (
            a.body["auth_token"].as_str().unwrap().to_string(),
            a.body["user_id"].as_str().unwrap().to_string(),
        )
    }
}
