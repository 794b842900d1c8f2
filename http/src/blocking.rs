//! CPU-heavy work (argon2) off the async runtime.

use crate::error::ApiError;

/// Runs CPU-heavy work (argon2) on the blocking pool, off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::Internal(format!("blocking task failed: {e}")))
}
