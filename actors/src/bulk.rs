//! Bulk upload processing: files checked and stored content-addressed, their text read
//! (PDF text layer; Tesseract OCR for images and scanned PDFs), certificate fields
//! extracted, and each item handed to the tenant actor to match and file. A batch is worked
//! through by its own actor with bounded concurrency; unfinished batches resume at start.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use certwatch_store::bulk::{Extracted, Field, Item, ItemStatus, Read};
use certwatch_store::rules;
use ractor::{Actor, ActorProcessingErr, ActorRef};
use regex::Regex;
use uuid::Uuid;

use crate::call;
use crate::context::Context;
use crate::monitoring::{extract, pdf};
use crate::tenant::TenantMsg;

/// Largest file accepted.
pub const MAX_FILE_BYTES: usize = 20 << 20;
/// Files of one batch read at once.
const CONCURRENCY: usize = 2;
/// Longest reading one file may take, OCR included.
const READ_TIMEOUT: Duration = Duration::from_secs(120);
/// Longest one run of an external program (tesseract, pdftoppm) may take.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(60);

/// Accepted extensions and the Content-Type each is served with.
const KINDS: &[(&str, &str)] = &[
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("tiff", "image/tiff"),
    ("webp", "image/webp"),
];

/// Whether the bytes are what the Content-Type says, by their magic bytes.
fn magic_matches(content_type: &str, b: &[u8]) -> bool {
    match content_type {
        "application/pdf" => pdf::is_pdf(b),
        "image/png" => b.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => b.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/tiff" => b.starts_with(b"II*\0") || b.starts_with(b"MM\0*"),
        "image/webp" => b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP",
        _ => false,
    }
}

/// The Content-Type of an acceptable upload, or why it is refused.
pub fn check_file(name: &str, bytes: &[u8]) -> Result<&'static str, String> {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let Some((_, content_type)) = KINDS.iter().find(|(e, _)| *e == ext) else {
        return Err(format!(
            "File '{name}' has unsupported extension '.{ext}'; use .pdf, .png, .jpg, .jpeg, .tiff or .webp."
        ));
    };
    if bytes.len() > MAX_FILE_BYTES {
        return Err(format!("File '{name}' is larger than 20 MB."));
    }
    if !magic_matches(content_type, bytes) {
        return Err(format!(
            "File '{name}' is not a .{ext} file by its content."
        ));
    }
    Ok(content_type)
}

fn file_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("files").join(&sha256[..2]).join(sha256)
}

/// Stores a file under its SHA-256 (once; the same content is the same file), durably.
pub fn store_file(data_dir: &Path, sha256: &str, bytes: &[u8]) -> std::io::Result<()> {
    let path = file_path(data_dir, sha256);
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().expect("a file path has a parent");
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!("{sha256}.{}.tmp", Uuid::new_v4()));
    let mut file = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut file, bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)?;
    std::fs::File::open(dir)?.sync_all()
}

pub fn read_stored(data_dir: &Path, sha256: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(file_path(data_dir, sha256))
}

/// The OCR programs: `tesseract` (its path is configurable) and `pdftoppm` (for PDFs
/// without a text layer), probed once when the service starts.
#[derive(Debug, Clone)]
pub struct Ocr {
    tesseract: String,
    tesseract_runs: bool,
    pdftoppm_runs: bool,
    /// English, plus German, French and Spanish when installed (`eng+deu`).
    languages: String,
}

fn runs(program: &str, flag: &str) -> bool {
    std::process::Command::new(program)
        .arg(flag)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Ocr {
    pub fn probe(tesseract: &str) -> Ocr {
        let listed = std::process::Command::new(tesseract)
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

    /// OCR of an image file.
    async fn read(&self, image: &Path) -> Result<String, Unread> {
        let path = image.to_string_lossy();
        run(&self.tesseract, &[&path, "stdout", "-l", &self.languages])
            .await
            .map(|out| String::from_utf8_lossy(&out).into_owned())
            .map_err(Unread::Failed)
    }
}

/// Runs a program with a time limit; its standard output, or why it failed.
async fn run(program: &str, args: &[&str]) -> Result<Vec<u8>, String> {
    let child = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(PROGRAM_TIMEOUT, child).await {
        Err(_) => Err(format!("{program} took longer than {PROGRAM_TIMEOUT:?}")),
        Ok(Err(e)) => Err(format!("{program} could not run: {e}")),
        Ok(Ok(out)) if !out.status.success() => Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Ok(Ok(out)) => Ok(out.stdout),
    }
}

/// Why a file's text could not be read: it needs a person, or it failed outright.
enum Unread {
    Review(String),
    Failed(String),
}

/// The text of a file and how it was read.
async fn read_text(
    bytes: Vec<u8>,
    content_type: &str,
    work: &Path,
    ocr: &Ocr,
) -> Result<(String, &'static str), Unread> {
    if content_type == "application/pdf" {
        let copy = bytes.clone();
        let text = pdf::text(bytes).await.map_err(Unread::Failed)?;
        if text.split_whitespace().count() >= 5 {
            return Ok((text, "pdf-text"));
        }
        // No text layer: a scan. Its pages become images for OCR.
        if !ocr.tesseract_runs || !ocr.pdftoppm_runs {
            return Err(Unread::Review(
                "The PDF has no text layer and OCR (tesseract, pdftoppm) is not installed.".into(),
            ));
        }
        let file = work.join("scan.pdf");
        std::fs::write(&file, copy).map_err(|e| Unread::Failed(e.to_string()))?;
        let prefix = work.join("page");
        run(
            "pdftoppm",
            &[
                "-r",
                "200",
                "-png",
                &file.to_string_lossy(),
                &prefix.to_string_lossy(),
            ],
        )
        .await
        .map_err(Unread::Failed)?;
        let mut pages: Vec<PathBuf> = std::fs::read_dir(work)
            .map_err(|e| Unread::Failed(e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "png"))
            .collect();
        pages.sort();
        let mut text = String::new();
        for page in pages {
            text.push_str(&ocr.read(&page).await?);
            text.push('\n');
        }
        return Ok((text, "ocr"));
    }
    if !ocr.available() {
        return Err(Unread::Review(
            "OCR is not available here (the tesseract program is not installed).".into(),
        ));
    }
    let ext = content_type.rsplit('/').next().unwrap_or("img");
    let file = work.join(format!("image.{ext}"));
    std::fs::write(&file, bytes).map_err(|e| Unread::Failed(e.to_string()))?;
    Ok((ocr.read(&file).await?, "ocr"))
}

static VAT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i:vat|ust|umsatzsteuer|tva|iva|nif|btw)(?i:[\s.-]*(?:id|identification|reg|registration|no|nr|number|nummer|idnr))*\.?[\s:#-]*(?P<v>[A-Z]{2}\s?[0-9A-Z][0-9A-Z .]{6,14}[0-9A-Z])")
        .expect("valid regex")
});
static LEI: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z0-9]{18}[0-9]{2}\b").expect("valid regex"));
static DOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:https?://|www\.)(?:www\.)?(?P<d>[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})")
        .expect("valid regex")
});
static CERTIFIES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:certif(?:y|ies)\s+that|bescheinigt,?\s+dass|certifie\s+que|certifica\s+que|attests?\s+that)[\s:,]*$")
        .expect("valid regex")
});
static LEGAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:GmbH|AG|KG|SE|Ltd\.?|Limited|Inc\.?|LLC|plc|S\.A\.?|SAS|S\.A\.S\.|SARL|S\.p\.A\.|S\.r\.l\.|B\.V\.|N\.V\.|Corp(?:oration)?\.?)(?:\s|,|$)")
        .expect("valid regex")
});

/// Fields of a certificate document's text. Values read from the text layer are trusted
/// more than OCR's.
pub fn fields(text: &str, method: &str) -> Extracted {
    let confidence = if method == "ocr" { 0.6 } else { 0.9 };
    let f = |value| Field { value, confidence };
    let findings = extract::document_findings(text);
    let best = findings
        .iter()
        .find(|f| f.certificate_number.is_some())
        .or(findings.first());
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let body = best.and_then(|b| b.issuing_body.clone());
    // The certified company: the line after "certifies that", else a line with a legal
    // form that is not the certification body's.
    let company_at = lines
        .iter()
        .position(|l| CERTIFIES.is_match(l))
        .map(|i| i + 1)
        .filter(|i| *i < lines.len())
        .or_else(|| {
            lines.iter().position(|l| {
                LEGAL_FORM.is_match(l)
                    && !body.as_deref().is_some_and(|b| l.contains(b))
                    && !l.to_lowercase().contains("certif")
            })
        });
    let company = company_at.map(|i| lines[i].trim_end_matches([',', '.']).to_string());
    let address = company_at
        .and_then(|i| lines.get(i + 1))
        .filter(|l| l.chars().any(|c| c.is_ascii_digit()) && extract::standard_codes(l).is_empty())
        .map(|l| l.to_string());
    let vat = VAT
        .captures_iter(text)
        .filter_map(|c| c.name("v"))
        .map(|m| m.as_str().replace([' ', '.'], ""))
        .find(|v| v.chars().filter(char::is_ascii_digit).count() >= 8);
    let lei = LEI
        .find_iter(text)
        .filter_map(|m| rules::lei(m.as_str()))
        .next();
    let mut domains: Vec<String> = DOMAIN
        .captures_iter(text)
        .filter_map(|c| c.name("d"))
        .map(|m| m.as_str().to_ascii_lowercase())
        .collect();
    domains.dedup();
    Extracted {
        certificate_type_code: best.map(|b| f(b.standard.clone())),
        certificate_number: best.and_then(|b| b.certificate_number.clone()).map(f),
        issuing_body: body.map(f),
        scope: best.and_then(|b| b.scope.clone()).map(f),
        issue_date: best
            .and_then(|b| b.issue_date)
            .map(|value| Field { value, confidence }),
        expiry_date: best
            .and_then(|b| b.expiry_date)
            .map(|value| Field { value, confidence }),
        company_name: company.map(f),
        address: address.map(f),
        vat: vat.map(f),
        lei: lei.map(f),
        domains,
        method: method.to_string(),
    }
}

/// Reads a document's certificate fields within the time limit, using `scratch` (an empty
/// directory) for the files OCR needs.
pub async fn read_document(bytes: Vec<u8>, content_type: &str, scratch: &Path, ocr: &Ocr) -> Read {
    match tokio::time::timeout(READ_TIMEOUT, read_text(bytes, content_type, scratch, ocr)).await {
        Err(_) => Read::Failed(format!(
            "Reading the file took longer than {READ_TIMEOUT:?}."
        )),
        Ok(Err(Unread::Failed(why))) => Read::Failed(why),
        Ok(Err(Unread::Review(why))) => Read::Review(why),
        Ok(Ok((text, method))) => Read::Fields(Box::new(fields(&text, method))),
    }
}

/// Reads one stored file.
async fn read_item(ctx: &Context, sha256: &str, content_type: &str) -> Read {
    let bytes = match read_stored(ctx.store.data_dir(), sha256) {
        Ok(bytes) => bytes,
        Err(e) => return Read::Failed(format!("The stored file is unreadable: {e}")),
    };
    let scratch = ctx
        .store
        .data_dir()
        .join("tmp")
        .join(Uuid::new_v4().to_string());
    if let Err(e) = std::fs::create_dir_all(&scratch) {
        return Read::Failed(format!("No room to work: {e}"));
    }
    let read = read_document(bytes, content_type, &scratch, &ctx.ocr).await;
    let _ = std::fs::remove_dir_all(&scratch);
    read
}

pub(crate) enum BatchMsg {
    /// Start reading files while there is room.
    Pump,
    /// A file was read.
    Read { item: Uuid, read: Read },
}

/// One actor per batch being processed, a child of its tenant's actor: it reads the
/// batch's pending files [`CONCURRENCY`] at a time, hands each result to the tenant actor
/// (which files it), completes the batch and stops. Started again for unfinished batches
/// when the tenant's actor starts (adopted if it is still running).
pub(crate) struct BatchActor;

pub(crate) struct BatchState {
    ctx: Arc<Context>,
    tenant: Uuid,
    batch: Uuid,
    queue: std::collections::VecDeque<Item>,
    in_flight: usize,
}

impl Actor for BatchActor {
    type Msg = BatchMsg;
    type State = BatchState;
    type Arguments = (Arc<Context>, Uuid, Uuid);

    async fn pre_start(
        &self,
        myself: ActorRef<BatchMsg>,
        (ctx, tenant, batch): (Arc<Context>, Uuid, Uuid),
    ) -> Result<BatchState, ActorProcessingErr> {
        let queue = ctx
            .store
            .items_of(tenant, batch)?
            .into_iter()
            .filter(|i| i.status == ItemStatus::Pending)
            .collect();
        myself.cast(BatchMsg::Pump)?;
        Ok(BatchState {
            ctx,
            tenant,
            batch,
            queue,
            in_flight: 0,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<BatchMsg>,
        msg: BatchMsg,
        state: &mut BatchState,
    ) -> Result<(), ActorProcessingErr> {
        let tenant = state.tenant;
        if let BatchMsg::Read { item, read } = msg {
            state.in_flight -= 1;
            call::ask_tenant(&state.ctx, tenant, |reply| TenantMsg::BulkItemRead {
                item,
                read,
                reply,
            })
            .await?;
        }
        while state.in_flight < CONCURRENCY
            && let Some(item) = state.queue.pop_front()
        {
            state.in_flight += 1;
            let (ctx, me) = (state.ctx.clone(), myself.clone());
            tokio::spawn(async move {
                let read = read_item(&ctx, &item.sha256, &item.content_type).await;
                let _ = me.cast(BatchMsg::Read {
                    item: item.id,
                    read,
                });
            });
        }
        if state.in_flight == 0 {
            let batch = state.batch;
            call::ask_tenant(&state.ctx, tenant, |reply| TenantMsg::BulkBatchDone {
                batch,
                reply,
            })
            .await?;
            myself.stop(Some("batch completed".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_be_what_their_names_say() {
        assert_eq!(check_file("a.PDF", b"%PDF-1.7\n..."), Ok("application/pdf"));
        assert_eq!(
            check_file("s.jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]),
            Ok("image/jpeg")
        );
        assert_eq!(
            check_file("s.png", b"\x89PNG\r\n\x1a\nrest"),
            Ok("image/png")
        );
        assert_eq!(
            check_file("s.webp", b"RIFF\0\0\0\0WEBPVP8 "),
            Ok("image/webp")
        );
        assert!(
            check_file("a.pdf", b"\x89PNG\r\n\x1a\n")
                .unwrap_err()
                .contains("not a .pdf")
        );
        assert!(
            check_file("doc.txt", b"hello")
                .unwrap_err()
                .contains("unsupported extension '.txt'")
        );
        assert!(
            check_file("big.pdf", &vec![b'%'; MAX_FILE_BYTES + 1])
                .unwrap_err()
                .contains("20 MB")
        );
    }

    #[test]
    fn fields_of_a_certificate() {
        let text = "CERTIFICATE\nDEKRA Certification GmbH\nThis is to certify that\nMuster Metall GmbH\nIndustriestrasse 1, 70565 Stuttgart, Germany\nVAT ID: DE 123456789\nwww.muster-metall.example\nhas implemented a quality management system according to ISO 9001:2015\nScope: Machining of precision parts\nCertificate No.: Q-2024-0815\nValid until: 14 January 2027\n";
        let ex = fields(text, "pdf-text");
        let v = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        assert_eq!(v(&ex.company_name).as_deref(), Some("Muster Metall GmbH"));
        assert_eq!(
            v(&ex.address).as_deref(),
            Some("Industriestrasse 1, 70565 Stuttgart, Germany")
        );
        assert_eq!(v(&ex.vat).as_deref(), Some("DE123456789"));
        assert_eq!(ex.domains, ["muster-metall.example"]);
        assert_eq!(v(&ex.certificate_type_code).as_deref(), Some("ISO_9001"));
        assert_eq!(v(&ex.certificate_number).as_deref(), Some("Q-2024-0815"));
        assert_eq!(v(&ex.issuing_body).as_deref(), Some("DEKRA"));
        assert_eq!(
            ex.expiry_date.map(|f| f.value.to_string()).as_deref(),
            Some("2027-01-14")
        );
        assert_eq!(ex.issue_date, None);
    }
}
