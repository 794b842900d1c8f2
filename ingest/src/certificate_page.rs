//! A certificate document's page, line by line: each line with the labels found on it and
//! how well it was read; what follows a label (on its line, or stacked below it); and which
//! page of a document is its certificate.

use certwatch_domain::names::is_legal_form;

use crate::dates::dates;
use crate::extract;
use crate::labels::{Folded, Found, Label, find, find_read};
use crate::numbers::number_token;

/// A line as it was read: its text (words separated by single spaces, as OCR gives them)
/// and how well each word and each character was read (OCR's confidences, 0 to 1, in
/// order; `chars` one per `char` of the text, or none where OCR gave only words' — then a
/// span is as sure as its words); none for a text layer, which is read exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadLine<'a> {
    pub text: &'a str,
    pub words: Vec<f32>,
    pub chars: Vec<f32>,
}

impl<'a> ReadLine<'a> {
    /// A line of a text layer.
    pub fn exact(text: &'a str) -> ReadLine<'a> {
        ReadLine {
            text,
            words: Vec::new(),
            chars: Vec::new(),
        }
    }
}

/// One line of the certificate page, with its labels.
pub(crate) struct Line<'a> {
    pub text: &'a str,
    pub folded: Folded,
    pub labels: Vec<Found>,
    /// How well the line was read: the mean of its words' confidences (1 for a text
    /// layer).
    pub quality: f32,
    /// Each word's confidence, in order (empty for a text layer).
    words: Vec<f32>,
    /// Each character's confidence, one per `char` of the text (empty for a text layer,
    /// or where OCR gave only words').
    chars: Vec<f32>,
}

impl Line<'_> {
    /// How well `text[start..end]` was read: the least confidence among its characters,
    /// as one misread character makes a value wrong — or among its words, where OCR gave
    /// no characters' (1 for a text layer). A word's confidence is about the word as OCR
    /// cut it, label punctuation glued on included; the characters' are the value's own.
    pub(crate) fn quality_of(&self, start: usize, end: usize) -> f32 {
        if self.words.is_empty() {
            return self.quality;
        }
        if !self.chars.is_empty() {
            let first = self.text[..start].chars().count();
            return self.text[start..end]
                .chars()
                .zip(self.chars.iter().skip(first))
                .filter(|(c, _)| !c.is_whitespace())
                .map(|(_, q)| *q)
                .reduce(f32::min)
                .unwrap_or(self.quality);
        }
        let mid_word = start > 0 && !self.text[..start].ends_with(char::is_whitespace);
        let first = self.text[..start].split_whitespace().count() - usize::from(mid_word);
        let last = self.text[..end].split_whitespace().count().max(first + 1);
        self.words
            .get(first..last.min(self.words.len()))
            .and_then(|w| w.iter().copied().reduce(f32::min))
            .unwrap_or(self.quality)
    }
}

/// A page's lines, each with its reading quality.
pub struct Page<'a> {
    pub lines: Vec<Line<'a>>,
}

/// `found` without the labels that are words of a value: one that begins the value of the
/// same label before it ("Société : Société Lyonnaise de Mécanique" names the company with
/// its label's word first), and one that begins the legal form ending the line
/// ("… Société Anonyme"). A label that has its own colon stays ("Société :  Société :"
/// heading a table).
fn values_not_labels(text: &str, folded: &Folded, found: Vec<Found>) -> Vec<Found> {
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        let rest = &text[folded.original(f.start).min(text.len())..];
        let legal_form = f.start > 0 && is_legal_form(rest);
        let begins_value = kept.last().is_some_and(|before| {
            let between = &text[folded.original(before.end)..folded.original(f.start)];
            let after = text[folded.original(f.end).min(text.len())..].trim_start();
            before.label == f.label
                && between.trim() == ":"
                && !between.contains("   ")
                && !after.starts_with(':')
        });
        if !begins_value && !legal_form {
            kept.push(f);
        }
    }
    kept
}

impl<'a> Page<'a> {
    pub fn new(lines: Vec<ReadLine<'a>>) -> Page<'a> {
        Page {
            lines: lines
                .into_iter()
                .map(|ReadLine { text, words, chars }| {
                    let folded = Folded::new(text);
                    // OCR's lines may misread a letter of a label; a text layer's are exact.
                    let found = if words.is_empty() {
                        find(&folded)
                    } else {
                        find_read(&folded)
                    };
                    let labels = values_not_labels(text, &folded, found);
                    let quality = if words.is_empty() {
                        1.0
                    } else {
                        words.iter().sum::<f32>() / words.len() as f32
                    };
                    Line {
                        text,
                        folded,
                        labels,
                        quality,
                        words,
                        chars,
                    }
                })
                .collect(),
        }
    }

    /// How well `needle` was read where it first stands on the page (1 when it is not
    /// on a line, as a value joined from two lines).
    pub(crate) fn quality_of(&self, needle: &str) -> f32 {
        self.quality_where(needle).unwrap_or(1.0)
    }

    /// How well `needle` was read where it first stands on the page, if it is on a line.
    pub(crate) fn quality_where(&self, needle: &str) -> Option<f32> {
        self.lines.iter().find_map(|l| {
            l.text
                .find(needle)
                .map(|at| l.quality_of(at, at + needle.len()))
        })
    }

    pub(crate) fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The page's mean reading quality.
    pub(crate) fn quality(&self) -> f32 {
        let n = self.lines.len().max(1) as f32;
        self.lines.iter().map(|l| l.quality).sum::<f32>() / n
    }

    /// How much the page looks like a certificate: its field labels and standards.
    pub(crate) fn score(&self) -> usize {
        let has = |label: Label| {
            self.lines
                .iter()
                .any(|l| l.labels.iter().any(|f| f.label == label))
        };
        let standards = extract::standards_in_order(&self.text()).len().min(2);
        3 * has(Label::Number) as usize
            + 3 * has(Label::Expires) as usize
            + has(Label::Issued) as usize
            + has(Label::Certifies) as usize
            + standards
    }

    /// The value on the line after label `k` of line `i`, up to the next label (or a
    /// column gap of three spaces), without separators.
    pub(crate) fn inline_value(&self, i: usize, k: usize) -> String {
        let line = &self.lines[i];
        let from = line.folded.original(line.labels[k].end);
        let to = line
            .labels
            .get(k + 1)
            .map_or(line.text.len(), |next| line.folded.original(next.start));
        let value = &line.text[from..to.max(from)];
        let trimmed = value.trim_start_matches([' ', ':']);
        let value = match trimmed.find("   ") {
            Some(gap) => &trimmed[..gap],
            None => trimmed,
        };
        clean(value)
    }

    /// Whether a line is labels only, none followed by a value.
    pub(crate) fn bare(&self, i: usize) -> bool {
        let line = &self.lines[i];
        !line.labels.is_empty()
            && (0..line.labels.len()).all(|k| self.inline_value(i, k).is_empty())
    }

    /// The values after `label`: on its line, else below it. With the line's quality.
    pub(crate) fn values(&self, label: Label) -> Vec<(String, f32)> {
        let mut out = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            for (k, _) in line
                .labels
                .iter()
                .enumerate()
                .filter(|(_, f)| f.label == label)
            {
                let value = self.inline_value(i, k);
                if !value.is_empty() {
                    out.push((value, line.quality));
                } else if let Some(below) = self.below(i, k) {
                    out.push(below);
                }
            }
        }
        out
    }

    /// The value of a label that ends its line: in a run of such lines (a header column,
    /// or labels stacked above their values) the value lines follow the run in the same
    /// order; in a header row of several labels, the next line holds the values in turn.
    pub(crate) fn below(&self, i: usize, k: usize) -> Option<(String, f32)> {
        let single = |j: usize| self.lines[j].labels.len() == 1 && self.bare(j);
        if single(i) {
            // A stack is a few labels; a flood of them is not read as one (each label
            // would walk the whole flood).
            let start = (0..=i)
                .rev()
                .take(MAX_STACK)
                .take_while(|&j| single(j))
                .last()?;
            let end = (i..self.lines.len())
                .take(MAX_STACK)
                .take_while(|&j| single(j))
                .last()?
                + 1;
            let values = self.lines.get(end..end + (end - start))?;
            let value = if values.iter().all(|l| l.labels.is_empty()) {
                &values[i - start]
            } else {
                self.lines.get(i + 1).filter(|l| l.labels.is_empty())?
            };
            return Some((clean(value.text), value.quality));
        }
        if !self.bare(i) {
            return None;
        }
        let header = &self.lines[i].labels;
        let row = self.lines.get(i + 1).filter(|l| l.labels.is_empty())?;
        match header[k].label {
            Label::Issued | Label::Expires => {
                let nth = header[..k]
                    .iter()
                    .filter(|f| matches!(f.label, Label::Issued | Label::Expires))
                    .count();
                let d = *dates(row.text).get(nth)?;
                Some((row.text[d.start..d.end].to_string(), row.quality))
            }
            Label::Number => {
                let taken: Vec<(usize, usize)> = extract::standard_spans(row.text)
                    .into_iter()
                    .chain(dates(row.text).iter().map(|d| (d.start, d.end)))
                    .collect();
                row.text
                    .char_indices()
                    .filter(|(at, c)| {
                        !c.is_whitespace()
                            && (*at == 0 || row.text[..*at].ends_with(' '))
                            && !taken.iter().any(|(s, e)| (*s..*e).contains(at))
                    })
                    .find_map(|(at, _)| {
                        // The number's cell ends where the next date or standard starts.
                        let end = taken
                            .iter()
                            .map(|(s, _)| *s)
                            .filter(|s| *s > at)
                            .min()
                            .unwrap_or(row.text.len());
                        let n = number_token(&row.text[at..end])?;
                        extract::plausible_number(&n).then_some((n, row.quality))
                    })
            }
            _ => None,
        }
    }
}

/// Labels stacked above their values that are read as one stack at most.
const MAX_STACK: usize = 12;

/// A value without the separators around it.
pub(crate) fn clean(value: &str) -> String {
    // What a label leaves before its value: ":", "#", "º" of "n.º", dashes, quotes.
    value
        .trim_start_matches(|c: char| !c.is_alphanumeric() || matches!(c, 'º' | 'ª'))
        .trim_end_matches([',', ';', '|', ' ', '–', '—', ':'])
        .trim()
        .to_string()
}

/// The text's pages (form feeds separate them).
pub(crate) fn pages(text: &str) -> Vec<&str> {
    text.split('\u{c}')
        .filter(|p| !p.trim().is_empty())
        .collect()
}

/// The certificate page's lines: of the pages, the one most like a certificate.
pub(crate) fn certificate_page<'a>(pages: &[Vec<ReadLine<'a>>]) -> Page<'a> {
    scored_pages(pages)
        .map(|(_, p)| p)
        .unwrap_or(Page { lines: Vec::new() })
}

/// Which of the pages (from 0) is the certificate, as `certificate_page` chooses it.
pub(crate) fn certificate_page_index(pages: &[Vec<ReadLine<'_>>]) -> Option<usize> {
    scored_pages(pages).map(|(i, _)| i)
}

/// The page most like a certificate, the first of equals, with its index.
fn scored_pages<'a>(pages: &[Vec<ReadLine<'a>>]) -> Option<(usize, Page<'a>)> {
    pages
        .iter()
        .map(|lines| Page::new(lines.clone()))
        .enumerate()
        .max_by_key(|(i, p)| (p.score(), std::cmp::Reverse(*i)))
}
