//! Multipart uploads: the form filter with its size limit, and the files of a field
//! streamed to temporary files as they arrive — hashed on the way, each capped while it
//! streams — so a request never sits in memory whole.

use std::path::{Path, PathBuf};

use bytes::Buf;
use certwatch_store::engine::secrets::hex;
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;
use warp::Filter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;

use crate::error::ApiError;

/// A multipart form of at most `max` bytes in all. It never rejects: a request too large
/// or not multipart is answered by its route (413 / 400 with `hint`).
pub fn form(
    max: u64,
    hint: &'static str,
) -> impl Filter<Extract = (Result<FormData, ApiError>,), Error = std::convert::Infallible> + Clone
{
    warp::multipart::form().max_length(max).map(Ok).or_else(
        move |rejection: warp::Rejection| async move {
            let error = if rejection.find::<warp::reject::PayloadTooLarge>().is_some() {
                ApiError::Status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("The upload is larger than {} MiB.", max >> 20),
                )
            } else {
                ApiError::BadRequest(hint.into())
            };
            Ok::<_, std::convert::Infallible>((Err(error),))
        },
    )
}

/// Bytes of a file's start kept for checking what it is.
const HEAD_BYTES: usize = 1024;

/// An uploaded file on disk. The file is removed when this is dropped, unless it was
/// moved away (see [`TempUpload::path`]) first.
pub struct TempUpload {
    pub path: PathBuf,
    pub sha256: String,
    pub size: u64,
    /// The first bytes, for magic-byte checks.
    pub head: Vec<u8>,
}

impl Drop for TempUpload {
    fn drop(&mut self) {
        // Gone already when it was moved into the file store.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An uploaded file: its name, and the file, or `None` when it was larger than the cap
/// (what came beyond the cap was read and dropped).
pub struct Upload {
    pub filename: String,
    pub file: Option<TempUpload>,
}

/// How much the files of one request may take together, and what to say past it.
pub struct Budget {
    pub bytes: u64,
    pub exceeded: String,
}

/// The files of the parts named `field`, in order, each written to a temporary file in
/// `dir` and capped at `cap` bytes; all of them together within `budget`. Every part is
/// read to its end before the next (multipart parts cannot be read out of order).
pub async fn files(
    mut form: FormData,
    field: &str,
    cap: u64,
    dir: &Path,
    budget: Budget,
) -> Result<Vec<Upload>, ApiError> {
    let bad = |e: warp::Error| ApiError::BadRequest(format!("The upload could not be read: {e}"));
    let io = |e: std::io::Error| ApiError::Internal(format!("storing the upload failed: {e}"));
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let mut found = Vec::new();
    let mut total = 0u64;
    // Past the budget the rest of the request is still read (and dropped) before the 413:
    // answering mid-body would cut the client off while it sends.
    let mut over_budget = false;
    while let Some(part) = form.try_next().await.map_err(bad)? {
        let wanted = part.name() == field;
        let filename = part.filename().unwrap_or_default().to_string();
        let mut upload = if wanted && !over_budget {
            let path = dir.join(format!("{}.upload", Uuid::new_v4()));
            let file = tokio::fs::File::create(&path).await.map_err(io)?;
            let temp = TempUpload {
                path,
                sha256: String::new(),
                size: 0,
                head: Vec::new(),
            };
            Some((file, temp, Sha256::new()))
        } else {
            None
        };
        let mut stream = part.stream();
        while let Some(mut chunk) = stream.try_next().await.map_err(bad)? {
            while chunk.has_remaining() {
                let piece = chunk.chunk();
                let n = piece.len();
                if let Some((file, temp, hash)) = &mut upload {
                    if temp.size + n as u64 > cap {
                        // Over the cap: the rest of the part is read and dropped.
                        upload = None;
                    } else if total + n as u64 > budget.bytes {
                        over_budget = true;
                        upload = None;
                    } else {
                        total += n as u64;
                        if temp.head.len() < HEAD_BYTES {
                            let take = (HEAD_BYTES - temp.head.len()).min(n);
                            temp.head.extend_from_slice(&piece[..take]);
                        }
                        hash.update(piece);
                        file.write_all(piece).await.map_err(io)?;
                        temp.size += n as u64;
                    }
                }
                chunk.advance(n);
            }
        }
        if wanted && !over_budget {
            let file = match upload {
                Some((mut file, mut temp, hash)) => {
                    file.flush().await.map_err(io)?;
                    temp.sha256 = hex(&hash.finalize());
                    Some(temp)
                }
                None => None,
            };
            found.push(Upload { filename, file });
        }
    }
    if over_budget {
        return Err(ApiError::Status(
            StatusCode::PAYLOAD_TOO_LARGE,
            budget.exceeded,
        ));
    }
    Ok(found)
}
