//! Page-based pagination: `page` (from 1) and `page_size` (default 20, at most 500), answered
//! as `{"count", "next", "previous", "results"}` with absolute `next`/`previous` URLs.

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::extract::Query;

pub const DEFAULT_PAGE_SIZE: usize = 20;
pub const MAX_PAGE_SIZE: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PageRequest {
    pub page: usize,
    pub page_size: usize,
}

/// The largest page number or size a request may name (a size past [`MAX_PAGE_SIZE`] is
/// clamped to it; a page past the last is a 404).
pub const MAX_PAGE_NUMBER: usize = 1_000_000_000;

impl PageRequest {
    /// Reads `page` and `page_size`; a `page_size` above the maximum is clamped to it.
    pub fn from_query(q: &Query) -> Result<PageRequest, ApiError> {
        let positive = |name: &str, default: usize| -> Result<usize, ApiError> {
            match q.strict(name)? {
                None => Ok(default),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_PAGE_NUMBER).contains(n))
                    .ok_or_else(|| ApiError::field(name, "A positive integer is required.")),
            }
        };
        Ok(PageRequest {
            page: positive("page", 1)?,
            page_size: positive("page_size", DEFAULT_PAGE_SIZE)?.min(MAX_PAGE_SIZE),
        })
    }

    pub fn offset(&self) -> usize {
        (self.page - 1) * self.page_size
    }

    /// Checks the page exists for `count` items (page 1 always does).
    pub fn check(&self, count: usize) -> Result<(), ApiError> {
        if self.page > 1 && self.offset() >= count {
            return Err(ApiError::NotFound);
        }
        Ok(())
    }
}

/// The two query parameters every list takes, as the document declares them (the values are
/// read by [`PageRequest::from_query`]).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "a declaration for the document; the query is read by PageRequest"
)]
pub struct PageParams {
    /// Page number, from 1
    page: Option<usize>,
    /// Results per page (default 20, max 500)
    page_size: Option<usize>,
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub count: usize,
    pub next: Option<String>,
    pub previous: Option<String>,
    pub results: Vec<T>,
}

/// Builds the paginated answer for one page of `results` out of `count`.
pub fn envelope<T>(
    req: PageRequest,
    count: usize,
    results: Vec<T>,
    base_url: &str,
    path: &str,
    query: &Query,
) -> Page<T> {
    let link = |page: usize| page_url(base_url, path, &query.raw, page);
    Page {
        count,
        next: (req.offset() + req.page_size < count).then(|| link(req.page + 1)),
        previous: (req.page > 1).then(|| link(req.page - 1)),
        results,
    }
}

/// Paginates an in-memory list.
pub fn paginate_vec<T>(
    items: Vec<T>,
    q: &Query,
    base_url: &str,
    path: &str,
) -> Result<Page<T>, ApiError> {
    let req = PageRequest::from_query(q)?;
    let count = items.len();
    req.check(count)?;
    let page: Vec<T> = items
        .into_iter()
        .skip(req.offset())
        .take(req.page_size)
        .collect();
    Ok(envelope(req, count, page, base_url, path, q))
}

/// The same query string with `page` set to `page`, keeping every other parameter.
fn page_url(base_url: &str, path: &str, raw_query: &str, page: usize) -> String {
    let mut parts: Vec<String> = raw_query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("page="))
        .map(String::from)
        .collect();
    parts.push(format!("page={page}"));
    format!("{base_url}{path}?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(raw: &str) -> Query {
        Query {
            pairs: serde_urlencoded_pairs(raw),
            raw: raw.to_string(),
        }
    }

    fn serde_urlencoded_pairs(raw: &str) -> std::collections::HashMap<String, String> {
        raw.split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pages_links_and_limits() {
        let items: Vec<u32> = (0..45).collect();
        let v = paginate_vec(items.clone(), &q("page=2&search=x"), "http://h", "/api/x/").unwrap();
        assert_eq!(v.count, 45);
        assert_eq!(v.results.len(), 20);
        assert_eq!(v.results[0], 20);
        assert_eq!(v.next.as_deref(), Some("http://h/api/x/?search=x&page=3"));
        assert_eq!(
            v.previous.as_deref(),
            Some("http://h/api/x/?search=x&page=1")
        );

        let last = paginate_vec(items.clone(), &q("page=3"), "http://h", "/p").unwrap();
        assert_eq!(last.results.len(), 5);
        assert!(last.next.is_none());

        let big = paginate_vec(items.clone(), &q("page_size=9999"), "http://h", "/p").unwrap();
        assert_eq!(big.results.len(), 45);

        assert!(matches!(
            paginate_vec(items.clone(), &q("page=4"), "h", "/p"),
            Err(ApiError::NotFound)
        ));
        assert!(matches!(
            paginate_vec(items.clone(), &q("page=0"), "h", "/p"),
            Err(ApiError::Fields(_))
        ));
        assert!(matches!(
            paginate_vec(items, &q("page_size=x"), "h", "/p"),
            Err(ApiError::Fields(_))
        ));
        let empty = paginate_vec(Vec::<u32>::new(), &q(""), "h", "/p").unwrap();
        assert_eq!(empty.count, 0);
        assert!(empty.previous.is_none());
    }
}
