//! An HTML page as the text a reader sees, line by line, and its links.
//!
//! Block elements end lines; a table row is one line whose cells are labelled with their
//! column headers ("Certificate No.: Q-1 | Valid until: 14.01.2027"), and a definition
//! list's entries are "term: definition" lines, so the extraction can read a table or a
//! list the way it reads a sentence. The walk is iterative: a page nested a
//! hundred thousand levels deep must not overflow the stack.

use std::sync::LazyLock;

use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};
use serde::{Deserialize, Serialize};
use url::Url;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub url: Url,
    pub text: String,
}

impl Link {
    /// Whether the link points at a PDF, by its path or by what it says.
    pub fn is_pdf(&self) -> bool {
        self.url.path().to_ascii_lowercase().ends_with(".pdf")
            || self.text.to_ascii_lowercase().contains("pdf")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub lines: Vec<String>,
    pub links: Vec<Link>,
}

/// Elements whose content is not text a reader sees.
const HIDDEN: &[&str] = &[
    "script", "style", "noscript", "template", "head", "svg", "iframe",
];

/// Elements that start and end a line.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "ul",
    "caption",
    "body",
];

/// Lines read from one page at most; the rest of a flood is not read.
pub const MAX_LINES: usize = 10_000;
/// Characters of one line (or table cell) kept at most.
pub const MAX_LINE_CHARS: usize = 2_000;
/// Links kept from one page at most.
pub const MAX_LINKS: usize = 1_000;

static LINKS: LazyLock<Selector> = LazyLock::new(|| Selector::parse("a[href]").expect("selector"));

/// Whitespace folded to single spaces, at most [`MAX_LINE_CHARS`] characters.
fn collapse(text: &str) -> String {
    let mut out = String::new();
    for (n, word) in text.split_whitespace().enumerate() {
        if n > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= MAX_LINE_CHARS {
            let mut end = MAX_LINE_CHARS;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            break;
        }
    }
    out
}

/// An element's text, reading no further than a line holds (a cell that wraps a whole
/// nested page is not read whole for every row around it).
fn text_of(el: ElementRef) -> String {
    let mut raw = String::new();
    for t in el.text() {
        raw.push_str(t);
        raw.push(' ');
        if raw.len() > 2 * MAX_LINE_CHARS {
            break;
        }
    }
    collapse(&raw)
}

/// The rows of this table itself: its `tr` children and those of its `thead`, `tbody`
/// and `tfoot`, never the rows of a table nested in a cell (which would be read again for
/// every level of nesting).
fn own_rows(table: ElementRef) -> impl Iterator<Item = ElementRef> {
    table
        .children()
        .filter_map(ElementRef::wrap)
        .flat_map(|child| {
            let rows: Vec<ElementRef> = match child.value().name() {
                "tr" => vec![child],
                "thead" | "tbody" | "tfoot" => child
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|r| r.value().name() == "tr")
                    .collect(),
                _ => Vec::new(),
            };
            rows
        })
}

/// The lines of a table, one per row, cells labelled with their column's header.
fn table_lines(table: ElementRef) -> Vec<String> {
    let mut header: Vec<String> = Vec::new();
    let mut lines = Vec::new();
    for row in own_rows(table) {
        let cells: Vec<(bool, String)> = row
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|c| matches!(c.value().name(), "td" | "th"))
            .map(|c| (c.value().name() == "th", text_of(c)))
            .collect();
        if cells.is_empty() {
            continue;
        }
        if cells.iter().all(|(th, _)| *th) && cells.len() > 1 {
            header = cells.into_iter().map(|(_, t)| t).collect();
            continue;
        }
        let line = match cells.as_slice() {
            // A key/value row: <th>Certificate No.</th><td>Q-1</td>
            [(true, key), (false, value)] => format!("{key}: {value}"),
            _ => cells
                .iter()
                .enumerate()
                .filter(|(_, (_, text))| !text.is_empty())
                .map(
                    |(i, (_, text))| match header.get(i).filter(|h| !h.is_empty()) {
                        Some(h) => format!("{h}: {text}"),
                        None => text.clone(),
                    },
                )
                .collect::<Vec<_>>()
                .join(" | "),
        };
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// The lines of a definition list: each definition with its term before it ("Valid until:
/// 14.01.2027"), as a table's key/value row; a term without a definition on its own line.
fn definition_lines(list: ElementRef) -> Vec<String> {
    // A list may group each term with its definitions in a `div`.
    let entries = list
        .children()
        .filter_map(ElementRef::wrap)
        .flat_map(|child| match child.value().name() {
            "div" => child.children().filter_map(ElementRef::wrap).collect(),
            _ => vec![child],
        });
    let mut lines = Vec::new();
    // The current term, and whether a definition followed it.
    let mut term: Option<(String, bool)> = None;
    let undefined =
        |term: Option<(String, bool)>| term.filter(|(t, defined)| !defined && !t.is_empty());
    for entry in entries {
        match entry.value().name() {
            "dt" => {
                let previous = term.replace((text_of(entry), false));
                lines.extend(undefined(previous).map(|(t, _)| t));
            }
            "dd" => {
                let definition = text_of(entry);
                let line = match &mut term {
                    Some((t, defined)) if !t.is_empty() => {
                        *defined = true;
                        format!("{t}: {definition}")
                    }
                    _ => definition,
                };
                if !line.is_empty() {
                    lines.push(line);
                }
            }
            _ => {}
        }
    }
    lines.extend(undefined(term).map(|(t, _)| t));
    lines
}

/// Reads a page; links are resolved against `base` (the URL the page came from).
pub fn parse(html: &str, base: &Url) -> Page {
    let doc = Html::parse_document(html);
    let mut lines = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, lines: &mut Vec<String>| {
        let line = collapse(current);
        if !line.is_empty() && lines.len() < MAX_LINES {
            lines.push(line);
        }
        current.clear();
    };
    // Depth inside a hidden element or an already-read table.
    let mut skipping = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping > 0 {
                    if matches!(node.value(), Node::Element(_)) {
                        skipping += 1;
                    }
                    continue;
                }
                match node.value() {
                    // A line is cut at MAX_LINE_CHARS anyway: a flood of inline text is
                    // not gathered past twice that.
                    Node::Text(t) if current.len() <= 2 * MAX_LINE_CHARS => {
                        current.push_str(t);
                        current.push(' ');
                    }
                    Node::Element(e) => {
                        let name = e.name();
                        if HIDDEN.contains(&name) {
                            skipping = 1;
                        } else if name == "table" || name == "dl" {
                            flush(&mut current, &mut lines);
                            if let Some(element) = ElementRef::wrap(node) {
                                let room = MAX_LINES.saturating_sub(lines.len());
                                let read = if name == "table" {
                                    table_lines(element)
                                } else {
                                    definition_lines(element)
                                };
                                lines.extend(read.into_iter().take(room));
                            }
                            skipping = 1;
                        } else if BLOCKS.contains(&name) {
                            flush(&mut current, &mut lines);
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Node::Element(e) = node.value() {
                    if skipping > 0 {
                        skipping -= 1;
                    } else if BLOCKS.contains(&e.name()) {
                        flush(&mut current, &mut lines);
                    }
                }
            }
        }
    }
    flush(&mut current, &mut lines);
    let links = doc
        .select(&LINKS)
        .filter_map(|a| {
            let href = a.value().attr("href")?.trim();
            let url = base.join(href).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| Link {
                url,
                text: text_of(a),
            })
        })
        .take(MAX_LINKS)
        .collect();
    Page { lines, links }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_become_labelled_lines_and_hidden_text_is_dropped() {
        let html = r#"<html><head><title>x</title><script>var iso = "ISO 9001";</script></head>
        <body><h1>Zertifikate</h1><p>Unsere <b>Qualität</b> ist
        zertifiziert.</p>
        <table><thead><tr><th>Norm</th><th>Zertifikat-Nr.</th><th>Gültig bis</th></tr></thead>
        <tbody><tr><td>ISO 9001:2015</td><td>Q-1</td><td>14.01.2027</td></tr>
        <tr><td>ISO 14001</td><td></td><td>01.02.2028</td></tr></tbody></table>
        <table><tr><th>Certificate No.</th><td>E-5</td></tr></table>
        <ul><li>One</li><li>Two <a href="/docs/iso9001.pdf">Download</a></li></ul>
        <dl><dt>Standard</dt><dd>ISO 45001</dd><div><dt>Valid until</dt><dd>3 March 2029</dd></div>
        <dt>Note</dt></dl>
        <a href="certs/q.PDF">Zertifikat</a><a href="mailto:x@y.z">mail</a>
        </body></html>"#;
        let base = Url::parse("https://supplier.example/de/quality/").unwrap();
        let page = parse(html, &base);
        assert_eq!(
            page.lines,
            [
                "Zertifikate",
                "Unsere Qualität ist zertifiziert.",
                "Norm: ISO 9001:2015 | Zertifikat-Nr.: Q-1 | Gültig bis: 14.01.2027",
                "Norm: ISO 14001 | Gültig bis: 01.02.2028",
                "Certificate No.: E-5",
                "One",
                "Two Download",
                "Standard: ISO 45001",
                "Valid until: 3 March 2029",
                "Note",
                "Zertifikat mail",
            ]
        );
        let urls: Vec<String> = page.links.iter().map(|l| l.url.to_string()).collect();
        assert_eq!(
            urls,
            [
                "https://supplier.example/docs/iso9001.pdf",
                "https://supplier.example/de/quality/certs/q.PDF"
            ]
        );
        assert!(page.links.iter().all(Link::is_pdf));
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 5_000;
        let html = format!(
            "{}ISO 9001{}",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let page = parse(&html, &Url::parse("https://s.example/").unwrap());
        assert_eq!(page.lines, ["ISO 9001"]);
    }
}
