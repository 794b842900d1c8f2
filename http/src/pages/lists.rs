//! What every list page has: a page of 50, the pager, and links that keep the filters.

use maud::{Markup, html};

use super::call;
use crate::extract::Query;

pub const PAGE_SIZE: usize = 50;

/// The page number asked for (1 when absent or not a number).
pub fn page_number(q: &Query) -> usize {
    q.get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}

/// The API query of a list page: its filters, the page, and 50 per page.
pub fn api_query(q: &Query) -> Query {
    call::query(
        q,
        &[
            ("page", page_number(q).to_string()),
            ("page_size", PAGE_SIZE.to_string()),
        ],
    )
}

/// `base` with the page's filters and `set` replacing theirs.
pub fn link(base: &str, q: &Query, set: &[(&str, &str)]) -> String {
    let mut pairs: Vec<(&str, &str)> = q
        .pairs
        .iter()
        .filter(|(k, v)| {
            !v.is_empty() && k.as_str() != "notice" && !set.iter().any(|(s, _)| s == k)
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(set.iter().copied().filter(|(_, v)| !v.is_empty()))
        .collect();
    pairs.sort();
    if pairs.is_empty() {
        return base.to_string();
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect();
    format!("{base}?{}", encoded.join("&"))
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// "Page 2 of 7" with previous/next links, for a list of `count` in all.
pub fn pager(base: &str, q: &Query, count: usize) -> Markup {
    let page = page_number(q);
    let pages = count.div_ceil(PAGE_SIZE).max(1);
    html! {
        nav.pager aria-label="Pages" {
            @if page > 1 {
                a rel="prev" href=(link(base, q, &[("page", &(page - 1).to_string())])) { "Previous" }
            }
            span { "Page " (page) " of " (pages) " · " (count) " in all" }
            @if page < pages {
                a rel="next" href=(link(base, q, &[("page", &(page + 1).to_string())])) { "Next" }
            }
        }
    }
}

/// Links to the list as CSV and XLSX, with the same filters.
pub fn export_links(base: &str, q: &Query) -> Markup {
    html! {
        p.actions {
            "Export what is listed: "
            a href=(link(&format!("{base}export/"), q, &[("format", "csv"), ("page", "")])) { "CSV" }
            a href=(link(&format!("{base}export/"), q, &[("format", "xlsx"), ("page", "")])) { "XLSX" }
        }
    }
}
