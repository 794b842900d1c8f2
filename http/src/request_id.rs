//! Request ids: each request gets one (the client's `X-Request-Id` when it is a sensible
//! token, else a new one), answered in `X-Request-Id` and recorded in the request's span,
//! which the actors handle the request's messages in — so every log line a request causes
//! carries its id.

use warp::Filter;
use warp::filters::BoxedFilter;

pub const HEADER: &str = "x-request-id";
/// The longest client-chosen id kept; longer or odd ones are replaced.
const MAX_LEN: usize = 64;

/// The span every request runs in; its `request_id` is recorded by [`filter`].
pub fn span(_: warp::trace::Info) -> tracing::Span {
    tracing::info_span!("request", request_id = tracing::field::Empty)
}

/// The request's id, recorded in its span.
pub fn filter() -> BoxedFilter<(String,)> {
    warp::header::optional::<String>(HEADER)
        .map(|given: Option<String>| {
            let id = given
                .filter(|id| is_token(id))
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            tracing::Span::current().record("request_id", id.as_str());
            id
        })
        .boxed()
}

/// Letters, digits, `-`, `_` and `.`: safe in a header and in a log line.
fn is_token(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_ids_are_not_taken() {
        assert!(is_token("req-42.a_b"));
        assert!(!is_token(""));
        assert!(!is_token("two words"));
        assert!(!is_token("line\nbreak"));
        assert!(!is_token(&"x".repeat(65)));
    }
}
