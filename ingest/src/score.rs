//! How much a page looks like a supplier's certificate page, for discovery.

use url::Url;

use crate::extract::standard_codes;
use crate::page::Page;

/// Score a page needs to be monitored.
pub const MIN_SCORE: u32 = 6;

/// Stems of "certificate" in the languages suppliers write.
const CERT_STEMS: &[&str] = &["certif", "zertifi"];
pub const QUALITY_WORDS: &[&str] = &[
    "quality",
    "qualität",
    "qualitaet",
    "qualité",
    "calidad",
    "qualità",
];

/// Whether a text (a link's words or path) speaks of certificates.
pub fn mentions_certificates(text: &str) -> bool {
    let lower = text.to_lowercase();
    CERT_STEMS.iter().any(|s| lower.contains(s)) || !standard_codes(text).is_empty()
}

/// How much a page looks like a supplier's certificate page: standards named, words for
/// certificates and quality, certificate documents linked, and what its address says.
pub fn score(url: &Url, page: &Page) -> u32 {
    let text = page.lines.join("\n");
    let lower = text.to_lowercase();
    let standards = standard_codes(&text).len().min(4) as u32;
    let stems: usize = CERT_STEMS.iter().map(|s| lower.matches(s).count()).sum();
    let quality = QUALITY_WORDS.iter().any(|w| lower.contains(w));
    let documents = page
        .links
        .iter()
        .filter(|l| {
            l.is_pdf() && (mentions_certificates(&l.text) || mentions_certificates(l.url.path()))
        })
        .count()
        .min(3) as u32;
    let path = url.path().to_lowercase();
    let telling_path = CERT_STEMS.iter().any(|s| path.contains(s))
        || ["quality", "qualitaet", "qualitat", "iso"]
            .iter()
            .any(|w| path.contains(w));
    3 * standards
        + stems.min(4) as u32
        + u32::from(quality)
        + 2 * documents
        + 2 * u32::from(telling_path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::page;

    fn scored(url: &str, html: &str) -> u32 {
        let url = Url::parse(url).unwrap();
        score(&url, &page::parse(html, &url))
    }

    #[test]
    fn certificate_pages_score_above_the_line_and_others_below() {
        let certs = r#"<h1>Zertifikate</h1><table><tr><th>Norm</th><th>Nr.</th></tr>
            <tr><td>ISO 9001:2015</td><td>Q-1</td></tr><tr><td>IATF 16949</td><td>A-2</td></tr></table>"#;
        assert!(scored("https://s.example/unternehmen/zertifikate", certs) >= MIN_SCORE);
        let downloads = r#"<p>Downloads</p><a href="/files/iso9001-certificate.pdf">ISO 9001 certificate (PDF)</a>
            <a href="/files/iso14001.pdf">Environmental certificate</a>"#;
        assert!(scored("https://s.example/downloads", downloads) >= MIN_SCORE);
        let french = "<h2>Nos certifications</h2><p>Certificat ISO 14001 et ISO 45001 délivré par AFNOR.</p>";
        assert!(scored("https://s.example/fr/qualite", french) >= MIN_SCORE);
        let home = r#"<h1>Welcome</h1><p>Quality is our passion.</p><a href="/certificates">Certificates</a>"#;
        assert!(scored("https://s.example/", home) < MIN_SCORE);
        let footer = "<p>News: our new plant opened.</p><footer>ISO 9001 certified</footer>";
        assert!(scored("https://s.example/news", footer) < MIN_SCORE);
        assert_eq!(scored("https://s.example/contact", "<p>Call us.</p>"), 0);
    }
}
