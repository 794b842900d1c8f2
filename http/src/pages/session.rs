//! Who is looking at a page: the session cookie (a login token, the same credential the API
//! issues, so its expiry, revocation and role checks are the API's), and the CSRF token.
//!
//! CSRF: the `cw_csrf` cookie is random (HttpOnly, SameSite=Strict), and every form carries
//! its MAC under the service's key (`Keyring::mac`) in a field named `csrf` — or, for file
//! uploads, whose bodies are streamed to the handler, in the form's query string. A write
//! whose field is not the MAC of the browser's cookie is refused. Another site can neither
//! read the cookie nor make the browser send it along (SameSite=Strict); and one that
//! manages to plant a cookie of its choosing (from a sibling subdomain, or over plain
//! http) still cannot make the field that goes with it without the key.
//!
//! Behind https the cookies are `__Host-` cookies (Secure, Path=/, no Domain), which no
//! subdomain and no plain-http answer can set or overwrite.

use std::convert::Infallible;

use crate::routes::accounts::{self, Identity};
use certwatch_store::engine::sealing::Keyring;
use certwatch_store::engine::secrets::{hex, new_token_key};
use uuid::Uuid;
use warp::Filter;
use warp::http::HeaderValue;
use warp::http::header::SET_COOKIE;
use warp::reply::Response;

use super::reply::PageError;
use crate::auth::{Caller, authenticate, same_secret};
use crate::error::ApiError;
use crate::state::State;

/// The cookies' names over plain http and behind https (where browsers accept `__Host-`).
pub(crate) const SESSION_COOKIE: [&str; 2] = ["cw_session", "__Host-cw_session"];
const CSRF_COOKIE: [&str; 2] = ["cw_csrf", "__Host-cw_csrf"];
/// A session lasts as long as its login token.
const SESSION_MAX_AGE: i64 = certwatch_domain::accounts::LOGIN_TOKEN_TTL_DAYS * 24 * 3600;

/// The cookies a request came with.
#[derive(Clone)]
pub struct Session {
    key: Option<String>,
    /// The CSRF cookie's random value.
    csrf_cookie: String,
    /// What forms carry: the MAC of the cookie under the service's key.
    pub csrf: String,
    /// The CSRF cookie is new: the page sets it, and no write may rely on it yet.
    fresh: bool,
    secure: bool,
}

/// The signed-in person: the API's caller, and what the page chrome shows of them.
pub struct Viewer {
    pub caller: Caller,
    pub email: String,
    pub tenant_name: String,
    /// Every tenant they belong to, for the switcher: (id, name).
    pub tenants: Vec<(Uuid, String)>,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.caller.require_admin().is_ok()
    }

    /// Admin pages answer 403 to members, as the API does.
    pub fn admin(&self) -> Result<(), PageError> {
        Ok(self.caller.require_admin()?)
    }
}

/// The request's session; never rejects.
pub fn session(
    state: &State,
) -> impl Filter<Extract = (Session,), Error = Infallible> + Clone + use<> {
    let secure = state.public_url().starts_with("https://");
    let keyring = state.store().keyring().clone();
    let names = usize::from(secure);
    warp::cookie::optional::<String>(SESSION_COOKIE[names])
        .and(warp::cookie::optional::<String>(CSRF_COOKIE[names]))
        .map(move |key: Option<String>, csrf: Option<String>| {
            let csrf =
                csrf.filter(|c| c.len() >= 32 && c.chars().all(|c| c.is_ascii_alphanumeric()));
            let fresh = csrf.is_none();
            let csrf_cookie = csrf.unwrap_or_else(new_token_key);
            Session {
                key: key.filter(|k| !k.is_empty()),
                fresh,
                csrf: form_token(&keyring, &csrf_cookie),
                csrf_cookie,
                secure,
            }
        })
}

/// The value forms carry for a CSRF cookie.
fn form_token(keyring: &Keyring, cookie: &str) -> String {
    hex(&keyring.mac("csrf form token", cookie.as_bytes()))
}

impl Session {
    /// The signed-in person, or a redirect to the sign-in page that comes back to `here`.
    pub fn viewer(&self, state: &State, here: &str) -> Result<Viewer, PageError> {
        let sign_in = || PageError::SignIn {
            next: here.to_string(),
        };
        let key = self.key.as_deref().ok_or_else(sign_in)?;
        let caller = match authenticate(state.store(), Some(&format!("Token {key}"))) {
            Ok(caller) => caller,
            Err(ApiError::Unauthorized(_)) => return Err(sign_in()),
            Err(e) => return Err(e.into()),
        };
        let Identity { email, tenants } =
            accounts::identity(state, &caller)?.ok_or_else(sign_in)?;
        let tenant_name = tenants
            .iter()
            .find(|(id, _)| *id == caller.tenant_id)
            .map(|(_, name)| name.clone())
            .unwrap_or_default();
        Ok(Viewer {
            caller,
            email,
            tenant_name,
            tenants,
        })
    }

    /// The session's login key, for signing out.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Refuses a write whose CSRF value is not this browser's cookie.
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), PageError> {
        match presented {
            Some(p) if !self.fresh && same_secret(p, &self.csrf) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }

    /// Sets the CSRF cookie on a page that shows forms, when the browser has none yet.
    pub fn set_cookies(&self, response: &mut Response) {
        if self.fresh {
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Strict{}",
                self.csrf_cookie_name(),
                self.csrf_cookie,
                self.secure_flag()
            );
            append_cookie(response, &cookie);
        }
    }

    /// Signs the browser in with a login token's key.
    pub fn start(&self, response: &mut Response, key: &str) {
        let cookie = format!(
            "{}={key}; Path=/; Max-Age={SESSION_MAX_AGE}; HttpOnly; SameSite=Lax{}",
            self.session_cookie_name(),
            self.secure_flag()
        );
        append_cookie(response, &cookie);
    }

    /// Signs the browser out.
    pub fn end(&self, response: &mut Response) {
        let cookie = format!(
            "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}",
            self.session_cookie_name(),
            self.secure_flag()
        );
        append_cookie(response, &cookie);
    }

    fn session_cookie_name(&self) -> &'static str {
        SESSION_COOKIE[usize::from(self.secure)]
    }

    fn csrf_cookie_name(&self) -> &'static str {
        CSRF_COOKIE[usize::from(self.secure)]
    }

    fn secure_flag(&self) -> &'static str {
        if self.secure { "; Secure" } else { "" }
    }
}

fn append_cookie(response: &mut Response, cookie: &str) {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_must_be_the_mac_of_an_existing_cookie() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::load(&dir.path().join("secret.key"), true).unwrap();
        let cookie = "a".repeat(32);
        let s = Session {
            key: None,
            csrf: form_token(&keyring, &cookie),
            csrf_cookie: cookie.clone(),
            fresh: false,
            secure: false,
        };
        assert!(s.check_csrf(Some(&form_token(&keyring, &cookie))).is_ok());
        // A planted cookie with the same value in the form (double submit) is refused.
        assert!(s.check_csrf(Some(&cookie)).is_err());
        assert!(
            s.check_csrf(Some(&form_token(&keyring, &"b".repeat(32))))
                .is_err()
        );
        assert!(s.check_csrf(None).is_err());
        let fresh = Session { fresh: true, ..s };
        assert!(
            fresh
                .check_csrf(Some(&form_token(&keyring, &cookie)))
                .is_err()
        );
    }
}
