//! What the server and a worker say to each other over the worker's stdin and stdout:
//! frames of a 4-byte little-endian length and a bincode body. One request, then one or
//! more replies (a spreadsheet's rows come batch by batch before its last reply).

use std::io::{self, Read, Write};
use std::path::PathBuf;

use certwatch_domain::reading::{Mention, Read as Reading};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use url::Url;

use crate::document::Ocr;
use crate::limits::Limits;
use crate::mail::{MailLimits, MailReading};
use crate::page::Link;
use crate::robots::RobotsReading;
use crate::spreadsheet::{FileKind, RowBatch};

/// Largest frame either side accepts: a 20 MiB document and its framing.
pub const MAX_FRAME: usize = 24 << 20;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub limits: Limits,
    pub job: Job,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// A stored upload (PDF or image): its certificate fields. `scratch` is a directory the
    /// worker may create for OCR's files and removes afterwards.
    Document {
        path: PathBuf,
        content_type: String,
        scratch: PathBuf,
        ocr: Ocr,
    },
    /// A PDF fetched by monitoring: the certificates its text layer shows.
    PdfMentions { bytes: Vec<u8> },
    /// A fetched HTML page: its certificate mentions, links and discovery score.
    Page { html: Vec<u8>, url: Url },
    /// An uploaded spreadsheet: its rows, batch by batch.
    Spreadsheet { path: PathBuf, kind: FileKind },
    /// A site's robots.txt: whether it lets CertWatch fetch `url`.
    Robots { body: Vec<u8>, url: Url },
    /// A stored PDF: a PNG of its first page. `scratch` as for `Document`.
    Preview { path: PathBuf, scratch: PathBuf },
    /// A mail fetched from a mailbox: its envelope, and its certificate files written into
    /// `out` (a directory the caller made and removes).
    Mail {
        path: PathBuf,
        out: PathBuf,
        limits: MailLimits,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageReading {
    pub mentions: Vec<Mention>,
    pub links: Vec<Link>,
    pub score: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Document(Reading),
    Mentions(Result<Vec<Mention>, String>),
    Page(PageReading),
    /// One batch of a spreadsheet's rows; more replies follow.
    Rows(RowBatch),
    /// The end of a spreadsheet: read to the end, or why not.
    SpreadsheetDone(Result<(), String>),
    Robots(RobotsReading),
    Preview(Result<Vec<u8>, String>),
    Mail(Result<MailReading, String>),
    /// The reader panicked on this input (the worker itself goes on).
    Panicked(String),
}

impl Reply {
    /// Whether the job has more to say after this reply.
    pub fn is_last(&self) -> bool {
        !matches!(self, Reply::Rows(_))
    }
}

pub fn write_frame<T: Serialize>(out: &mut impl Write, value: &T) -> io::Result<()> {
    let body = bincode::serde::encode_to_vec(value, bincode::config::standard())
        .map_err(io::Error::other)?;
    out.write_all(&(body.len() as u32).to_le_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

/// The next frame; `None` at a clean end of input.
pub fn read_frame<T: DeserializeOwned>(input: &mut impl Read) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        other => other?,
    }
    let mut body = vec![0u8; frame_len(len)?];
    input.read_exact(&mut body)?;
    decode(&body).map(Some)
}

/// The length a frame header announces, refused past [`MAX_FRAME`].
pub fn frame_len(header: [u8; 4]) -> io::Result<usize> {
    let len = u32::from_le_bytes(header) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes is larger than {MAX_FRAME}"),
        ));
    }
    Ok(len)
}

pub fn decode<T: DeserializeOwned>(body: &[u8]) -> io::Result<T> {
    bincode::serde::decode_from_slice(body, bincode::config::standard())
        .map(|(v, _)| v)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_oversized_ones_are_refused() {
        let mut buf = Vec::new();
        let reply = Reply::SpreadsheetDone(Err("no".into()));
        write_frame(&mut buf, &reply).unwrap();
        let back: Option<Reply> = read_frame(&mut buf.as_slice()).unwrap();
        assert_eq!(back, Some(reply));
        assert_eq!(read_frame::<Reply>(&mut &[][..]).unwrap(), None);
        let huge = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert!(read_frame::<Reply>(&mut &huge[..]).is_err());
    }
}
