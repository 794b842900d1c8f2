//! Discovery: crawl an organization's website (same site, bounded depth and page count,
//! robots.txt honoured, one request at a time with a pause) and score each page for
//! certificate content. The best pages become monitored endpoints.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use certwatch_domain::monitoring::normalize_url;
use reqwest::Url;

use certwatch_ingest::score::{MIN_SCORE, QUALITY_WORDS, mentions_certificates};
use uuid::Uuid;

use super::fetch::{FetchError, MAX_PAGE_BYTES};
use super::read;
use crate::context::Context;

/// Pages fetched per crawl at most.
pub const MAX_PAGES: usize = 30;
/// Links followed from the start page at most this deep.
pub const MAX_DEPTH: usize = 3;
/// Endpoints one crawl creates at most (the best scored).
pub const MAX_ENDPOINTS: usize = 5;
/// Pause between two requests to the site, unless robots.txt asks for more.
const PAUSE: Duration = Duration::from_millis(200);
/// Longest crawl delay from robots.txt that is honoured (a longer one is capped).
const MAX_PAUSE: Duration = Duration::from_secs(10);
const ROBOTS_BYTES: usize = 512 << 10;

/// Link targets that are never pages.
const NOT_PAGES: &[&str] = &[
    ".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".zip", ".doc", ".docx",
    ".xls", ".xlsx", ".ppt", ".pptx", ".mp4", ".mp3", ".css", ".js", ".xml", ".tif", ".tiff",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Discovered {
    pub url: String,
    pub score: u32,
}

/// A host without `www.`, for "same site".
fn site_of(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

/// Whether a link is worth following from a page of `site`.
fn followable(url: &Url, sites: &[String]) -> bool {
    let path = url.path().to_ascii_lowercase();
    site_of(url).is_some_and(|s| sites.contains(&s))
        && !NOT_PAGES.iter().any(|ext| path.ends_with(ext))
}

/// What robots.txt allows: its rules when it answers 2xx, everything when it is missing
/// (4xx), nothing when it cannot be read (5xx, network errors) — as RFC 9309 says. The
/// rules are read in a worker, for each URL the crawl wants to fetch.
enum Robots {
    Rules { body: Vec<u8>, pause: Duration },
    AllowAll,
    DisallowAll(String),
}

impl Robots {
    async fn fetch(ctx: &Context, tenant: Uuid, start: &Url) -> Robots {
        let Ok(url) = start.join("/robots.txt") else {
            return Robots::AllowAll;
        };
        match ctx.fetcher.get(tenant, url.as_str(), ROBOTS_BYTES).await {
            Ok(f) if (200..300).contains(&f.status) => {
                match read::robots(ctx, tenant, f.body.clone(), start.clone()).await {
                    Ok(r) if r.parsed => Robots::Rules {
                        body: f.body,
                        pause: r
                            .delay_secs
                            .map(|d| Duration::from_secs_f32(d.clamp(0.0, MAX_PAUSE.as_secs_f32())))
                            .unwrap_or(PAUSE)
                            .max(PAUSE),
                    },
                    Ok(_) => Robots::AllowAll,
                    Err(e) => Robots::DisallowAll(e),
                }
            }
            Ok(f) if (400..500).contains(&f.status) => Robots::AllowAll,
            Ok(f) => Robots::DisallowAll(format!("robots.txt answered HTTP {}", f.status)),
            Err(FetchError::TooLarge(_)) => Robots::AllowAll,
            Err(e) => Robots::DisallowAll(format!("robots.txt could not be read: {e}")),
        }
    }

    /// Whether `url` may be fetched; rules that cannot be read in time disallow it.
    async fn allows(&self, ctx: &Context, tenant: Uuid, url: &Url) -> bool {
        match self {
            Robots::Rules { body, .. } => read::robots(ctx, tenant, body.clone(), url.clone())
                .await
                .is_ok_and(|r| r.allowed),
            Robots::AllowAll => true,
            Robots::DisallowAll(_) => false,
        }
    }

    fn pause(&self) -> Duration {
        match self {
            Robots::Rules { pause, .. } => *pause,
            _ => PAUSE,
        }
    }
}

/// Crawls `website` for `tenant` and returns its certificate pages, best first.
pub(crate) async fn crawl(
    ctx: &Context,
    tenant: Uuid,
    website: &str,
) -> Result<Vec<Discovered>, String> {
    let start = Url::parse(website).map_err(|e| format!("the website is not a URL: {e}"))?;
    let mut sites: Vec<String> = site_of(&start).into_iter().collect();
    let robots = Robots::fetch(ctx, tenant, &start).await;
    if let Robots::DisallowAll(why) = &robots {
        return Err(why.clone());
    }
    let pause = robots.pause();
    let mut queue: VecDeque<(Url, usize)> = VecDeque::from([(start, 0)]);
    let mut seen: HashSet<String> = HashSet::new();
    let mut found = Vec::new();
    let mut fetched = 0;
    while let Some((url, depth)) = queue.pop_front() {
        if fetched == MAX_PAGES {
            break;
        }
        let Some(key) = normalize_url(url.as_str()) else {
            continue;
        };
        if !seen.insert(key) || !robots.allows(ctx, tenant, &url).await {
            continue;
        }
        if fetched > 0 {
            tokio::time::sleep(pause).await;
        }
        fetched += 1;
        let page = match ctx.fetcher.get(tenant, url.as_str(), MAX_PAGE_BYTES).await {
            Ok(f) if (200..300).contains(&f.status) && f.is_html() => {
                // A redirect (to https, to a language prefix) may land on another host
                // name of the same site.
                if let Some(site) = site_of(&f.url)
                    && depth == 0
                    && !sites.contains(&site)
                {
                    sites.push(site);
                }
                match read::page(ctx, tenant, f.body, f.url.clone()).await {
                    Ok(parsed) => (parsed, f.url),
                    Err(_) => continue,
                }
            }
            Ok(_) => continue,
            Err(e) if fetched == 1 => return Err(format!("the website could not be read: {e}")),
            Err(_) => continue,
        };
        let (page, landed) = page;
        let points = page.score;
        if points >= MIN_SCORE {
            found.push(Discovered {
                url: landed.to_string(),
                score: points,
            });
        }
        if depth < MAX_DEPTH {
            for link in &page.links {
                let mut next = link.url.clone();
                next.set_fragment(None);
                if !followable(&next, &sites) {
                    continue;
                }
                // Promising links first, so the page budget goes to them.
                if mentions_certificates(&link.text)
                    || mentions_certificates(next.path())
                    || QUALITY_WORDS
                        .iter()
                        .any(|w| link.text.to_lowercase().contains(w))
                {
                    queue.push_front((next, depth + 1));
                } else {
                    queue.push_back((next, depth + 1));
                }
            }
        }
    }
    found.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.url.cmp(&b.url)));
    found.dedup_by(|a, b| normalize_url(&a.url) == normalize_url(&b.url));
    found.truncate(MAX_ENDPOINTS);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pages_of_the_same_site_are_followed() {
        let sites = vec!["supplier.example".to_string()];
        let ok = |u: &str| followable(&Url::parse(u).unwrap(), &sites);
        assert!(ok("https://supplier.example/about"));
        assert!(ok("https://www.supplier.example/about"));
        assert!(!ok("https://other.example/about"));
        assert!(!ok("https://supplier.example/cert.pdf"));
        assert!(!ok("https://supplier.example/logo.PNG"));
    }
}
