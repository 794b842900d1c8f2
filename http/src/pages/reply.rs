//! What a page answers: HTML, a redirect after a write (303, so a reload does not post
//! again), or an error page. Errors are the API's errors, shown to a person.

use maud::html;
use warp::Reply;
use warp::http::header::{LOCATION, RETRY_AFTER};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::shell::{bare, html};
use crate::error::ApiError;
use certwatch_store::StoreError;

#[derive(Debug)]
pub enum PageError {
    /// Not signed in (or the session ended): sign in, then come back to `next`.
    SignIn {
        next: String,
    },
    /// The form's CSRF value is missing or wrong.
    Csrf,
    Api(ApiError),
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> PageError {
        PageError::Api(e)
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> PageError {
        PageError::Api(e.into())
    }
}

pub type PageResult = Result<Response, PageError>;

/// Turns a page handler's result into the response.
pub fn done(result: PageResult) -> Response {
    result.unwrap_or_else(error_page)
}

/// 303 See Other to a path of this site: every target goes through [`local_path`], so no
/// redirect can leave the site whatever a caller passes.
pub fn redirect(to: &str) -> Response {
    let to = local_path(Some(to));
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(&to) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Only paths of this site are followed after signing in (no open redirect): an absolute
/// path, with no second slash or backslash after the first (`//host`, `/\\host`), no
/// white space or control character anywhere (browsers drop tabs and newlines, so
/// `/\t/host` is `//host` to them), and that resolves on this site's origin.
pub fn local_path(next: Option<&str>) -> String {
    const ORIGIN: &str = "http://this-site.invalid";
    let same_origin = |p: &str| {
        url::Url::parse(ORIGIN)
            .and_then(|base| base.join(p))
            .is_ok_and(|u| u.origin() == url::Url::parse(ORIGIN).expect("a URL").origin())
    };
    match next {
        Some(p)
            if p.starts_with('/')
                && !p[1..].starts_with(['/', '\\'])
                && !p
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
                && same_origin(p) =>
        {
            p.into()
        }
        _ => "/".into(),
    }
}

fn error_page(e: PageError) -> Response {
    let (status, title, message) = match e {
        PageError::SignIn { next } => {
            let to = format!(
                "/signin/?next={}",
                percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC)
            );
            return redirect(&to);
        }
        PageError::Csrf => (
            StatusCode::FORBIDDEN,
            "The form has expired",
            "Go back, reload the page and send the form again.".to_string(),
        ),
        PageError::Api(e) => match e {
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here, or it belongs to another organization.".into(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, "Not signed in", m),
            ApiError::TooManyRequests { retry_after_secs } => {
                let mut response = html(
                    StatusCode::TOO_MANY_REQUESTS,
                    bare(
                        "Too many attempts",
                        html! { p { "Wait " (retry_after_secs) " seconds, then try again." } },
                    ),
                );
                response
                    .headers_mut()
                    .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "That did not work", m),
            ApiError::Fields(fields) => (
                StatusCode::BAD_REQUEST,
                "That did not work",
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.join(" ")))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "Try again later", m),
            ApiError::Status(status, m) => (status, "That did not work", m),
            ApiError::Internal(detail) => {
                tracing::error!("page failed: {detail}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error is in the server's log.".into(),
                )
            }
        },
    };
    html(
        status,
        bare(
            title,
            html! { p { (message) } p { a href="/" { "Back to the dashboard" } } },
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for good in [
            "/",
            "/suppliers/?q=a%20b",
            "/review/next/?notice=ok",
            "/a/b#c",
        ] {
            assert_eq!(local_path(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/%09/evil.example".replace("%09", "\t").as_str(),
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "https://evil.example/",
            "evil.example",
            " /evil",
            "/ /evil.example",
            "/\u{7f}/evil.example",
            "/\u{3000}/evil.example",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }
}
