//! Reading a certificate document: the PDF text layer, or OCR with Tesseract for images
//! and for PDFs without a text layer (their pages rendered by pdftoppm), then its fields.
//! External programs run as children of the worker, so the worker's limits and its
//! watchdog (which kills the worker's whole process group) bound them too.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use certwatch_domain::reading::{Extracted, Read};
use serde::{Deserialize, Serialize};

use crate::calibration;
use crate::certificate_page::{ReadLine, certificate_page_index};
use crate::fields::fields_of_lines;
use crate::hocr::{self, OcrLine};
use crate::limits::Limits;
use crate::pdf;
use crate::second_reading::{self, Readings};

/// Longest side, in pixels, a PDF page is rendered at for OCR when it holds no image to
/// take the size from (about 200 dpi on A4). pdftoppm scales every page to a size, so a
/// page declaring a huge size cannot make a huge image.
const RENDER_PIXELS: u32 = 2400;

/// The bounds of the size, longest side in pixels, a scanned page is read at: under
/// ~100 dpi on A4 there is nothing left to read; above ~150 dpi tesseract reads a scan's
/// noise and JPEG blocks as marks. Measured on the corpus' tuning scans: 300 dpi pages
/// read at 1800 pixels had a mean word confidence of 92.6 against 90.8 at full size, and a
/// third of the doubtful words; 200 dpi pages 89.3 against 88.3. A smaller scan is not
/// enlarged for its first reading: interpolation smears its letters (a 150 dpi page read at
/// 300 dpi fell from 87 to 70); a weak one is read again enlarged (`second_side`), as a
/// second source to agree with, not instead.
const SCAN_PIXELS: std::ops::RangeInclusive<u32> = 1200..=1800;

/// Longest side, in pixels, a weak scan's certificate page is read at the second time
/// (`second_side`) at most: 300 dpi on A4, which one tesseract run reads within a job's
/// CPU time.
const FULL_PIXELS: u32 = 3600;

/// The OCR programs, as the server probed them at start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ocr {
    pub tesseract: String,
    pub tesseract_runs: bool,
    pub pdftoppm_runs: bool,
    /// English, plus German, French and Spanish when installed (`eng+deu`).
    pub languages: String,
}

fn runs(program: &str, flag: &str) -> bool {
    Command::new(program)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Ocr {
    pub fn probe(tesseract: &str) -> Ocr {
        let listed = Command::new(tesseract)
            .arg("--list-langs")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut languages = vec!["eng"];
        for l in ["deu", "fra", "spa"] {
            if listed.lines().any(|line| line.trim() == l) {
                languages.push(l);
            }
        }
        Ocr {
            tesseract: tesseract.to_string(),
            tesseract_runs: runs(tesseract, "--version"),
            pdftoppm_runs: runs("pdftoppm", "-v"),
            languages: languages.join("+"),
        }
    }

    /// Whether images can be read (`/api/health/` reports it).
    pub fn available(&self) -> bool {
        self.tesseract_runs
    }

    /// OCR of an image file: its lines, with each word's and each character's confidence
    /// (tesseract's hOCR output with character boxes; `hocr`).
    fn read(&self, image: &Path) -> Result<Vec<OcrLine>, Unread> {
        let path = image.to_string_lossy();
        run(
            &self.tesseract,
            &[
                &path,
                "stdout",
                "-l",
                &self.languages,
                "-c",
                "hocr_char_boxes=1",
                "hocr",
            ],
        )
        .map(|out| hocr::lines(&String::from_utf8_lossy(&out)))
        .map_err(Unread::Failed)
    }
}

/// Runs a program; its standard output, or why it failed. Tesseract is kept to one thread:
/// the pool already runs as many jobs as there are cores.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("OMP_THREAD_LIMIT", "1")
        .stdin(Stdio::null());
    // The program dies with the worker (killed for overrunning a limit, or because the
    // server went away), so no orphan keeps working on a file nobody waits for.
    // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let out = command
        .output()
        .map_err(|e| format!("{program} could not run: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Why a file's text could not be read: it needs a person, or it failed outright.
enum Unread {
    Review(String),
    Failed(String),
}

/// The pixel size an image declares in its header, checked before anything decodes it.
fn check_image(bytes: &[u8], limits: &Limits) -> Result<imagesize::ImageSize, Unread> {
    let size = imagesize::blob_size(bytes)
        .map_err(|_| Unread::Failed("The image is damaged: its size cannot be read.".into()))?;
    let pixels = size.width as u64 * size.height as u64;
    if pixels > limits.max_image_pixels {
        return Err(Unread::Failed(format!(
            "The image declares {}×{} pixels, more than the {} million read here.",
            size.width,
            size.height,
            limits.max_image_pixels / 1_000_000
        )));
    }
    Ok(size)
}

/// How the image crate decodes a content type tesseract is given scaled: PNG and JPEG
/// (TIFF goes to tesseract as it is).
fn image_format(content_type: &str) -> Option<image::ImageFormat> {
    match content_type {
        "image/png" => Some(image::ImageFormat::Png),
        "image/jpeg" => Some(image::ImageFormat::Jpeg),
        _ => None,
    }
}

/// Whether an image is whole: a JPEG cut short (no end marker) would decode into half a
/// page, so tesseract is given it as it is and refuses it whole, with its reason.
fn whole(bytes: &[u8], format: image::ImageFormat) -> bool {
    format != image::ImageFormat::Jpeg || bytes.ends_with(&[0xFF, 0xD9])
}

/// A PNG or JPEG scan whose longest side is over `most` pixels, scaled down to them
/// (`resized`); `None` for one already small enough, cut short, or in a format tesseract
/// reads as it is.
fn scaled_to(
    bytes: &[u8],
    size: imagesize::ImageSize,
    content_type: &str,
    limits: &Limits,
    most: u32,
) -> Result<Option<Vec<u8>>, Unread> {
    let Some(format) = image_format(content_type) else {
        return Ok(None);
    };
    if size.width.max(size.height) as u32 <= most || !whole(bytes, format) {
        return Ok(None);
    }
    resized(bytes, size, format, limits, most).map(Some)
}

/// An image made grey and resized to `side` pixels on its longest side, as a PNG. `size`
/// is the one `check_image` read and checked against the limits before anything is
/// decoded, and the decoder allocates no more than they allow.
fn resized(
    bytes: &[u8],
    size: imagesize::ImageSize,
    format: image::ImageFormat,
    limits: &Limits,
    side: u32,
) -> Result<Vec<u8>, Unread> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut bounds = image::Limits::default();
    // Four bytes a pixel at most (RGBA), decoded once.
    bounds.max_alloc = Some(limits.max_image_pixels * 4);
    reader.limits(bounds);
    let decoded = reader
        .decode()
        .map_err(|e| Unread::Failed(format!("The image cannot be decoded: {e}")))?;
    let longest = size.width.max(size.height) as u32;
    let scale = side as f32 / longest as f32;
    let (w, h) = (
        ((decoded.width() as f32 * scale).round() as u32).max(1),
        ((decoded.height() as f32 * scale).round() as u32).max(1),
    );
    // Shrinking averages neighbours; enlarging interpolates smoothly between them.
    let filter = if scale < 1.0 {
        image::imageops::FilterType::Triangle
    } else {
        image::imageops::FilterType::CatmullRom
    };
    let grey = image::imageops::resize(&decoded.to_luma8(), w, h, filter);
    let mut png = Vec::new();
    grey.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Unread::Failed(format!("The scaled image cannot be written: {e}")))?;
    Ok(png)
}

/// A file's pages, each its lines with how well each word was read (nothing for a text
/// layer, read exactly).
type Pages = Vec<Vec<OcrLine>>;

/// Pages of OCR lines, cut to `max` characters in all.
fn bounded(pages: Pages, max: usize) -> Pages {
    let mut left = max;
    let mut out = Vec::new();
    for page in pages {
        let mut kept = Vec::new();
        for line in page {
            if line.text.len() > left {
                break;
            }
            left -= line.text.len();
            kept.push(line);
        }
        out.push(kept);
    }
    out
}

/// The longest side of the largest image in a PDF, from `pdfimages -list`: the scanner's
/// own size. Pages are rendered at it, within `SCAN_PIXELS`, so OCR reads the scanner's own
/// pixels: resampling a scan to a larger size smears its letters (a 150 dpi scan rendered
/// at 300 dpi lost a fifth of its OCR word confidence, 87 to 70, and misread its dates).
fn largest_image_side(list: &str) -> Option<u32> {
    list.lines()
        .filter_map(|line| {
            // page num type width height color comp bpc enc interp object ID x-ppi y-ppi …
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.get(2) != Some(&"image") {
                return None;
            }
            let (w, h) = (
                cols.get(3)?.parse::<u32>().ok()?,
                cols.get(4)?.parse::<u32>().ok()?,
            );
            Some((u64::from(w) * u64::from(h), w.max(h)))
        })
        .max()
        .map(|(_, side)| side)
}

/// The longest side a weak scan's certificate page is read at the second time, when the
/// first read it at `read` and the scan's own is `own`: its own size when it has more
/// pixels, else twice the size read — the same pixels interpolated, which OCR misreads
/// differently (by hand on four doubted 150 dpi tuning scans: two numbers and a name read
/// right where the first reading had been unsure or wrong, and no misread repeated) — up
/// to `FULL_PIXELS`. `None` when that is no larger than the first.
fn second_side(own: u32, read: u32) -> Option<u32> {
    let side = if own > read { own } else { 2 * read }.min(FULL_PIXELS);
    (side > read).then_some(side)
}

/// How a weak scan's certificate page is read the second time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Again {
    /// An image, resized to this longest side; the side it was first read at.
    Image(imagesize::ImageSize, u32, u32),
    /// A PDF of page images, its page rendered at this longest side; the side it was
    /// first read at.
    Pdf(u32, u32),
}

impl Again {
    /// The third reading, when the first two disagree: halfway between their sizes, so
    /// its misreads are neither's. None when the two sizes are too close for a third.
    fn third(self) -> Option<Again> {
        let between = |side: u32, first: u32| {
            let mid = (side + first) / 2;
            (mid > first + first / 8).then_some(mid)
        };
        match self {
            Again::Image(size, side, first) => {
                between(side, first).map(|mid| Again::Image(size, mid, first))
            }
            Again::Pdf(side, first) => between(side, first).map(|mid| Again::Pdf(mid, first)),
        }
    }
}

/// A file's pages as read, how, and how a scan's page would be read again.
type Text = (Pages, &'static str, Option<Again>);

/// The text of a file and how it was read.
fn read_text(
    bytes: &[u8],
    content_type: &str,
    work: &Path,
    ocr: &Ocr,
    limits: &Limits,
) -> Result<Text, Unread> {
    if content_type == "application/pdf" {
        let text = pdf::text(bytes, limits).map_err(Unread::Failed)?;
        if text.split_whitespace().count() >= 5 {
            let pages = text
                .split('\u{c}')
                .map(|p| {
                    p.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(OcrLine::exact)
                        .collect()
                })
                .collect();
            return Ok((pages, "pdf-text", None));
        }
        // No text layer: a scan. Its pages become images for OCR.
        if !ocr.tesseract_runs || !ocr.pdftoppm_runs {
            return Err(Unread::Review(
                "The PDF has no text layer and OCR (tesseract, pdftoppm) is not installed.".into(),
            ));
        }
        let file = work.join(SCAN_PDF);
        std::fs::write(&file, bytes).map_err(|e| Unread::Failed(e.to_string()))?;
        let last = limits.max_pdf_pages.to_string();
        // pdfimages comes with pdftoppm (poppler); if it cannot list the images, the page
        // is rendered at the default size and pdftoppm says what is wrong with the file.
        let largest = run(
            "pdfimages",
            &["-list", "-l", &last, &file.to_string_lossy()],
        )
        .ok()
        .and_then(|listed| largest_image_side(&String::from_utf8_lossy(&listed)));
        let size = largest.map_or(RENDER_PIXELS, |side| {
            side.clamp(*SCAN_PIXELS.start(), *SCAN_PIXELS.end())
        });
        let again = largest
            .and_then(|side| second_side(side, size))
            .map(|side| Again::Pdf(side, size));
        let pages = rendered(work, "page", &["-l", &last], size)?;
        let mut read = Vec::new();
        let mut chars = 0;
        for page in pages {
            let lines = ocr.read(&page)?;
            chars += lines.iter().map(|l| l.text.len()).sum::<usize>();
            read.push(lines);
            if chars >= limits.max_text_chars {
                break;
            }
        }
        return Ok((bounded(read, limits.max_text_chars), "ocr", again));
    }
    let size = check_image(bytes, limits)?;
    if !ocr.available() {
        return Err(Unread::Review(
            "OCR is not available here (the tesseract program is not installed).".into(),
        ));
    }
    let file = match scaled_to(bytes, size, content_type, limits, *SCAN_PIXELS.end())? {
        Some(png) => written(work.join("scaled.png"), &png)?,
        None => {
            let ext = content_type.rsplit('/').next().unwrap_or("img");
            written(work.join(format!("image.{ext}")), bytes)?
        }
    };
    let lines = ocr.read(&file)?;
    let longest = size.width.max(size.height) as u32;
    let first = longest.min(*SCAN_PIXELS.end());
    let again = image_format(content_type)
        .filter(|format| whole(bytes, *format))
        .and_then(|_| second_side(longest, first))
        .map(|side| Again::Image(size, side, first));
    Ok((bounded(vec![lines], limits.max_text_chars), "ocr", again))
}

/// The scanned PDF as `read_text` wrote it into the work directory.
const SCAN_PDF: &str = "scan.pdf";

/// The work directory's scanned PDF rendered by pdftoppm (with `range`, its `-f`/`-l`
/// options) at `pixels` on the longest side, as PNG files named `prefix-N.png`, in order.
fn rendered(
    work: &Path,
    prefix: &str,
    range: &[&str],
    pixels: u32,
) -> Result<Vec<PathBuf>, Unread> {
    let pixels = pixels.to_string();
    let mut args = range.to_vec();
    let file = work.join(SCAN_PDF).to_string_lossy().into_owned();
    let to = work.join(prefix).to_string_lossy().into_owned();
    args.extend(["-scale-to", &pixels, "-png", &file, &to]);
    run("pdftoppm", &args).map_err(Unread::Failed)?;
    let mut pages: Vec<PathBuf> = std::fs::read_dir(work)
        .map_err(|e| Unread::Failed(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "png")
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(&format!("{prefix}-")))
        })
        .collect();
    pages.sort();
    Ok(pages)
}

/// `bytes` written to `file`, for tesseract.
fn written(file: PathBuf, bytes: &[u8]) -> Result<PathBuf, Unread> {
    std::fs::write(&file, bytes)
        .map(|()| file)
        .map_err(|e| Unread::Failed(e.to_string()))
}

/// The certificate page (`page`, from 0) of a scan read again at another size.
fn read_again(
    bytes: &[u8],
    content_type: &str,
    work: &Path,
    ocr: &Ocr,
    limits: &Limits,
    again: Again,
    page: usize,
) -> Result<Vec<OcrLine>, Unread> {
    let file = match again {
        Again::Image(size, side, _) => {
            let format = image_format(content_type)
                .ok_or_else(|| Unread::Failed("Not an image to resize.".into()))?;
            let png = resized(bytes, size, format, limits, side)?;
            written(work.join("again.png"), &png)?
        }
        Again::Pdf(pixels, _) => {
            let n = (page + 1).to_string();
            rendered(work, "again", &["-f", &n, "-l", &n], pixels)?
                .into_iter()
                .next()
                .ok_or_else(|| Unread::Failed("The page was not rendered again.".into()))?
        }
    };
    let lines = ocr.read(&file)?;
    Ok(bounded(vec![lines], limits.max_text_chars).remove(0))
}

/// The fields of pages of OCR lines (or a text layer's).
fn fields_of(pages: &Pages, method: &str) -> (Extracted, Option<usize>) {
    let pages: Vec<Vec<ReadLine>> = pages
        .iter()
        .map(|p| {
            p.iter()
                .map(|line| ReadLine {
                    text: &line.text,
                    words: line.words.clone(),
                    chars: line.chars.clone(),
                })
                .collect()
        })
        .collect();
    (
        fields_of_lines(&pages, method),
        certificate_page_index(&pages),
    )
}

/// Reads a document's certificate fields with confidences (each reading calibrated, two
/// joined: `second_reading::confidences`), using `scratch` (an empty directory, removed
/// afterwards) for the files OCR needs.
pub fn read_document(
    bytes: &[u8],
    content_type: &str,
    scratch: &Path,
    ocr: &Ocr,
    limits: &Limits,
) -> Read {
    match readings(bytes, content_type, scratch, ocr, limits) {
        Ok(readings) => Read::Fields(Box::new(second_reading::confidences(
            calibration::shipped(),
            readings,
        ))),
        Err(read) => read,
    }
}

/// Reads a document's certificate fields, scored before calibration: the first reading,
/// and a second of its certificate page when the first was doubted. Not read: why, as a
/// `Read` to answer with.
pub fn readings(
    bytes: &[u8],
    content_type: &str,
    scratch: &Path,
    ocr: &Ocr,
    limits: &Limits,
) -> Result<Readings, Read> {
    if let Err(e) = std::fs::create_dir_all(scratch) {
        return Err(Read::Failed(format!("No room to work: {e}")));
    }
    let read = match read_text(bytes, content_type, scratch, ocr, limits) {
        Err(Unread::Failed(why)) => Err(Read::Failed(why)),
        Err(Unread::Review(why)) => Err(Read::Review(why)),
        Ok((pages, method, again)) => {
            let (first, page) = fields_of(&pages, method);
            let mut more = Vec::new();
            if let (Some(again), Some(page)) = (again, page)
                && second_reading::doubted(&first)
            {
                // A reading that fails leaves those before it as they were.
                let read = |again| {
                    read_again(bytes, content_type, scratch, ocr, limits, again, page)
                        .ok()
                        .map(|lines| fields_of(&vec![lines], method).0)
                };
                if let Some(second) = read(again) {
                    let third = again
                        .third()
                        .filter(|_| second_reading::disagree(&first, &second));
                    more.push(second);
                    more.extend(third.and_then(read));
                }
            }
            Ok((first, more))
        }
    };
    let _ = std::fs::remove_dir_all(scratch);
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scanned_pdf_is_as_large_as_its_largest_image() {
        let list = |rows: &[&str]| {
            let mut s = String::from(
                "page   num  type   width height color comp bpc  enc interp  object ID x-ppi y-ppi size ratio\n\
                 --------------------------------------------------------------------------------------------\n",
            );
            for r in rows {
                s.push_str(r);
                s.push('\n');
            }
            s
        };
        let scan = "   1     0 image    1240  1755  gray    1   8  jpeg   no         2  0   150   150  110K 5.2%";
        let logo = "   2     1 image     300   100  rgb     3   8  jpeg   no         9  0  1200  1200   10K 5.2%";
        let mask = "   2     2 smask   9000  9000  gray    1   8  image  no        10  0    72    72   1K 0.1%";
        assert_eq!(largest_image_side(&list(&[scan, logo, mask])), Some(1755));
        let huge = "   1     0 image   60000 90000  gray    1   8  jpeg   no         2  0  9000  9000  1M 0.1%";
        assert_eq!(largest_image_side(&list(&[huge])), Some(90000));
        assert_eq!(largest_image_side(&list(&[])), None);
        assert_eq!(largest_image_side("garbage\n1 2 image x y\n"), None);
    }

    #[test]
    fn large_scans_are_read_scaled_down_to_the_reading_size_small_ones_as_they_are() {
        let png = |w: u32, h: u32| {
            let img = image::GrayImage::from_fn(w, h, |x, _| image::Luma([(x % 255) as u8]));
            let mut out = Vec::new();
            img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                .unwrap();
            out
        };
        let limits = Limits::default();
        let scaled_to_read = |bytes: &[u8], ct: &str, limits: &Limits| {
            scaled_to(
                bytes,
                check_image(bytes, limits)?,
                ct,
                limits,
                *SCAN_PIXELS.end(),
            )
        };
        let Ok(Some(scaled)) = scaled_to_read(&png(3600, 200), "image/png", &limits) else {
            panic!("a large scan was not scaled");
        };
        let size = imagesize::blob_size(&scaled).unwrap();
        assert_eq!((size.width, size.height), (1800, 100));
        assert!(matches!(
            scaled_to_read(&png(1700, 1200), "image/png", &limits),
            Ok(None)
        ));
        // A JPEG cut short goes to tesseract whole, which refuses it with its reason.
        let mut jpeg = Vec::new();
        image::GrayImage::new(2000, 100)
            .write_to(
                &mut std::io::Cursor::new(&mut jpeg),
                image::ImageFormat::Jpeg,
            )
            .unwrap();
        assert!(matches!(
            scaled_to_read(&jpeg, "image/jpeg", &limits),
            Ok(Some(_))
        ));
        jpeg.truncate(jpeg.len() / 2);
        assert!(matches!(
            scaled_to_read(&jpeg, "image/jpeg", &limits),
            Ok(None)
        ));
        // A PNG cut short after its header: refused, not decoded into a half image.
        let mut cut = png(4000, 3000);
        cut.truncate(cut.len() / 2);
        assert!(matches!(
            scaled_to_read(&cut, "image/png", &limits),
            Err(Unread::Failed(_))
        ));
    }

    /// The number read, and its confidence: as the worker reads the document (`twice`),
    /// and by its first reading alone (calibrated as it would be alone).
    fn number_read(bytes: &[u8], content_type: &str) -> ((String, f32), (String, f32)) {
        let ocr = Ocr::probe("tesseract");
        assert!(ocr.available(), "tesseract is installed (.ci/run)");
        let scratch = tempfile::tempdir().unwrap();
        let number = |ex: Extracted| {
            let n = ex.certificate_number.expect("a number read");
            (n.value, n.confidence)
        };
        let limits = Limits::default();
        let Read::Fields(twice) = read_document(
            bytes,
            content_type,
            &scratch.path().join("twice"),
            &ocr,
            &limits,
        ) else {
            panic!("the scan was not read");
        };
        let work = scratch.path().join("once");
        std::fs::create_dir_all(&work).unwrap();
        let Ok((pages, method, _)) = read_text(bytes, content_type, &work, &ocr, &limits) else {
            panic!("the scan was not read");
        };
        let mut once = fields_of(&pages, method).0;
        calibration::apply(&mut once);
        (number(*twice), number(once))
    }

    #[test]
    fn a_weak_scan_is_read_again_at_its_own_size_or_twice_the_size_read() {
        assert_eq!(second_side(3508, 1800), Some(3508));
        assert_eq!(second_side(7016, 1800), Some(FULL_PIXELS));
        assert_eq!(second_side(1755, 1755), Some(3510));
        assert_eq!(second_side(2000, 1800), Some(2000));
        // A small PDF image is rendered enlarged to 1,200 the first time.
        assert_eq!(second_side(500, 1200), Some(2400));
        assert_eq!(second_side(FULL_PIXELS, FULL_PIXELS), None);
        // A third reading, between the two sizes, when they are far enough apart.
        assert_eq!(Again::Pdf(3508, 1800).third(), Some(Again::Pdf(2654, 1800)));
        assert_eq!(Again::Pdf(2000, 1800).third(), None);
    }

    #[test]
    fn a_doubted_scan_is_read_twice_and_readings_that_agree_are_surer() {
        use certwatch_corpus::{Rng, pdf, scan};
        let certificate = |lines: &[&str]| pdf::write(&[pdf::Page::lines(pdf::A4, lines)]);
        let clean = scan::Scanner {
            dpi: 300,
            skew: 0.0,
            blur: 0.0,
            noise: 0.0,
            jpeg_quality: 90,
        };
        // No expiry date: doubted, so read again, and both readings agree on the number:
        // surer than the first reading alone.
        let doubted = scan::scan(
            &certificate(&[
                "CERTIFICATE",
                "Muster Metall GmbH",
                "Management system according to ISO 9001:2015",
                "Certificate No.: Q-2024-0815",
            ]),
            1,
            &clean,
            &mut Rng::new(1),
        );
        let limits = Limits::default();
        let size = check_image(&doubted, &limits).ok().unwrap();
        let Ok(Some(small)) = scaled_to(&doubted, size, "image/jpeg", &limits, 1800) else {
            panic!("the scan was not scaled");
        };
        for (what, bytes, content_type) in [
            // 3,508 pixels high: read at 1,800, then at its own size.
            ("300 dpi scan", doubted.clone(), "image/jpeg"),
            // The same as a scanner's PDF of page images.
            (
                "PDF of the scan",
                pdf::scanned(std::slice::from_ref(&doubted), 300),
                "application/pdf",
            ),
            // Read at its own size the first time, then enlarged.
            ("scan of 1,800 pixels", small, "image/png"),
        ] {
            let (twice, once) = number_read(&bytes, content_type);
            assert_eq!(once.0, "Q-2024-0815", "{what}");
            assert_eq!(twice.0, "Q-2024-0815", "{what}");
            assert!(
                twice.1 > once.1,
                "{what} read again: {twice:?}, once: {once:?}"
            );
        }
    }

    #[test]
    fn images_declaring_absurd_sizes_are_refused_before_decoding() {
        // A PNG header declaring 100,000 × 100,000 pixels, and nothing after it.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&100_000u32.to_be_bytes());
        png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        let limits = Limits::default();
        match check_image(&png, &limits) {
            Err(Unread::Failed(why)) => assert!(why.contains("100000×100000"), "{why}"),
            _ => panic!("an absurd image was accepted"),
        }
        assert!(matches!(
            check_image(b"\x89PNG\r\n", &limits),
            Err(Unread::Failed(_))
        ));
    }
}
