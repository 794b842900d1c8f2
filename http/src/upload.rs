//! Multipart uploads: the form filter with its size limit, and the files of a field.

use bytes::Buf;
use futures_util::TryStreamExt;
use warp::Filter;
use warp::filters::multipart::FormData;
use warp::http::StatusCode;

use crate::ApiError;

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

/// An uploaded file: its name and its bytes, or `None` when it was larger than the cap
/// (what came beyond the cap was read and dropped).
pub type File = (String, Option<Vec<u8>>);

/// The files of the parts named `field`, in order. Every part is read to its end before
/// the next (multipart parts cannot be read out of order).
pub async fn files(mut form: FormData, field: &str, cap: usize) -> Result<Vec<File>, ApiError> {
    let bad = |e: warp::Error| ApiError::BadRequest(format!("The upload could not be read: {e}"));
    let mut found = Vec::new();
    while let Some(part) = form.try_next().await.map_err(bad)? {
        let wanted = part.name() == field;
        let filename = part.filename().unwrap_or_default().to_string();
        let mut bytes = Some(Vec::new());
        let mut stream = part.stream();
        while let Some(mut chunk) = stream.try_next().await.map_err(bad)? {
            while chunk.has_remaining() {
                let piece = chunk.chunk();
                let n = piece.len();
                if let Some(b) = &mut bytes {
                    if wanted && b.len() + n <= cap {
                        b.extend_from_slice(piece);
                    } else {
                        bytes = None;
                    }
                }
                chunk.advance(n);
            }
        }
        if wanted {
            found.push((filename, bytes));
        }
    }
    Ok(found)
}
