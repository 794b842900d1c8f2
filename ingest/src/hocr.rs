//! Tesseract's hOCR output (with `hocr_char_boxes`) read into lines: each line's words
//! with their confidences, and each character's. A word's confidence is tesseract's for
//! the word as it segmented it, so a value glued to its label's punctuation
//! ("n.::MC-8132-Q") scores 33 while every character of the number scores 90 or more: a
//! value's own characters say better how well it was read (`certificate_page::Line`).

use std::sync::LazyLock;

use scraper::{ElementRef, Html, Selector};

/// A line as OCR read it: its words joined by single spaces, each word's confidence, and
/// each character's (one per `char` of `text`, 1 for the spaces between words). All 0 to 1.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct OcrLine {
    pub text: String,
    pub words: Vec<f32>,
    pub chars: Vec<f32>,
}

impl OcrLine {
    /// A line of a text layer, read exactly: no confidences.
    pub(crate) fn exact(text: &str) -> OcrLine {
        OcrLine {
            text: text.to_string(),
            ..OcrLine::default()
        }
    }
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).expect("a valid selector")
}

/// Tesseract's line classes: a line of text, a heading's, a caption's, a floating one's.
static LINES: LazyLock<Selector> =
    LazyLock::new(|| selector(".ocr_line, .ocr_header, .ocr_caption, .ocr_textfloat"));
static WORDS: LazyLock<Selector> = LazyLock::new(|| selector(".ocrx_word"));
static CHARS: LazyLock<Selector> = LazyLock::new(|| selector(".ocrx_cinfo"));

/// The number after `key` in an hOCR `title` ("bbox 1 2 3 4; x_wconf 96"), as 0 to 1.
fn confidence(element: &ElementRef, key: &str) -> f32 {
    element
        .value()
        .attr("title")
        .and_then(|title| {
            title
                .split(';')
                .find_map(|part| part.trim().strip_prefix(key)?.trim().parse::<f32>().ok())
                .filter(|c| c.is_finite())
        })
        .map_or(0.0, |c| (c / 100.0).clamp(0.0, 1.0))
}

/// The lines of an hOCR page, in reading order, without empty words and lines.
pub(crate) fn lines(hocr: &str) -> Vec<OcrLine> {
    let doc = Html::parse_document(hocr);
    let mut out = Vec::new();
    for line in doc.select(&LINES) {
        let mut read = OcrLine::default();
        for word in line.select(&WORDS) {
            let wconf = confidence(&word, "x_wconf");
            // Each character with its confidence; a word without character boxes gives
            // its characters its own. A word never holds a space, so the line's words
            // and characters stay in step with its text.
            let mut chars: Vec<(char, f32)> = word
                .select(&CHARS)
                .flat_map(|c| {
                    let conf = confidence(&c, "x_conf");
                    c.text()
                        .flat_map(str::chars)
                        .filter(|ch| !ch.is_whitespace())
                        .map(move |ch| (ch, conf))
                        .collect::<Vec<_>>()
                })
                .collect();
            if chars.is_empty() {
                chars = word
                    .text()
                    .flat_map(str::chars)
                    .filter(|ch| !ch.is_whitespace())
                    .map(|ch| (ch, wconf))
                    .collect();
            }
            if chars.is_empty() {
                continue;
            }
            if !read.text.is_empty() {
                read.text.push(' ');
                read.chars.push(1.0);
            }
            read.text.extend(chars.iter().map(|(ch, _)| ch));
            read.chars.extend(chars.iter().map(|(_, c)| c));
            read.words.push(wconf);
        }
        if !read.words.is_empty() {
            out.push(read);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_gather_words_and_characters_with_their_confidences() {
        let hocr = r#"<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><body><div class='ocr_page' title='bbox 0 0 100 100'>
 <div class='ocr_carea'><p class='ocr_par'>
  <span class='ocr_header' title="bbox 1 1 9 9"><span class='ocrx_word' title='bbox 1 1 5 5; x_wconf 90'>Valid</span></span>
  <span class='ocr_line' title="bbox 1 1 9 9">
   <span class='ocrx_word' title='bbox 1 1 5 5; x_wconf 33'><span class='ocrx_cinfo' title='x_bboxes 1 1 2 2; x_conf 99.1'>n</span><span class='ocrx_cinfo' title='x_bboxes 1 1 2 2; x_conf 91'>:</span><span class='ocrx_cinfo' title='x_bboxes 1 1 2 2; x_conf 90.5'>Q</span><span class='ocrx_cinfo' title='x_bboxes 1 1 2 2; x_conf 98'>&amp;</span></span>
   <span class='ocrx_word' title='bbox 1 1 5 5; x_wconf 70'><span class='ocrx_cinfo' title='x_bboxes 1 1 2 2; x_conf 71'>Ü</span></span>
   <span class='ocrx_word' title='bbox 1 1 5 5; x_wconf 80'> </span>
  </span>
  <span class='ocr_line' title="bbox 1 1 9 9"><span class='ocrx_word' title='bbox 1 1 5 5; x_wconf -1'> </span></span>
 </p></div></div></body></html>"#;
        let lines = lines(hocr);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let percent = |cs: &[f32]| cs.iter().map(|c| (c * 1000.0).round()).collect::<Vec<_>>();
        assert_eq!(lines[0].text, "Valid");
        assert_eq!(percent(&lines[0].words), [900.0]);
        assert_eq!(percent(&lines[0].chars), [900.0; 5]);
        assert_eq!(lines[1].text, "n:Q& Ü");
        assert_eq!(percent(&lines[1].words), [330.0, 700.0]);
        assert_eq!(
            percent(&lines[1].chars),
            [991.0, 910.0, 905.0, 980.0, 1000.0, 710.0]
        );
        assert!(super::lines("<html>garbage").is_empty());
    }

    /// Tesseract's output is the server's own, but of a hostile image: a flood of words,
    /// output cut short, titles that say nothing. It is read in one pass, never panics, and
    /// a confidence it cannot read is 0 (doubted), never 1.
    #[test]
    fn a_flood_truncation_or_nonsense_reads_without_harm() {
        let word = "<span class='ocrx_word' title='bbox 1 1 2 2; x_wconf 91'>\
            <span class='ocrx_cinfo' title='x_conf 91'>W</span></span> ";
        let flood = format!(
            "<html><body><span class='ocr_line'>{}</span></body></html>",
            word.repeat(100_000)
        );
        let read = lines(&flood);
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].words.len(), 100_000);
        assert_eq!(read[0].chars.len(), read[0].text.chars().count());
        let cut = &flood[..flood.len() / 2 + 17];
        let read = lines(cut);
        assert_eq!(read[0].chars.len(), read[0].text.chars().count());
        let nonsense = "<span class='ocr_line'><span class='ocrx_word' title='x_wconf NaN; x_wconf'>\
            <span class='ocrx_cinfo' title='x_conf -7e99'>A</span></span></span>";
        let read = lines(nonsense);
        assert_eq!((read[0].words[0], read[0].chars[0]), (0.0, 0.0));
    }
}
