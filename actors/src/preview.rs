//! Pictures of uploaded PDFs' first pages: drawn by a worker (the PDF is untrusted), once,
//! and kept beside the file store. A PDF that cannot be drawn is remembered too, so a
//! hostile file costs one worker run, not one per page view.

use std::path::Path;

use certwatch_ingest::pool::{JobError, Lane};
use certwatch_ingest::protocol::{Job, Reply};
use certwatch_store::engine::files::{file_path, preview_path};
use uuid::Uuid;

use crate::Actors;

/// The PNG of the first page of the stored PDF `sha256`, or why there is none.
pub async fn first_page(actors: &Actors, tenant: Uuid, sha256: &str) -> Result<Vec<u8>, String> {
    let data_dir = actors.store().data_dir().to_path_buf();
    let png = preview_path(&data_dir, sha256);
    let refused = png.with_extension("refused");
    if let Ok(bytes) = tokio::fs::read(&png).await {
        return Ok(bytes);
    }
    if let Ok(why) = tokio::fs::read_to_string(&refused).await {
        return Err(why);
    }
    let job = Job::Preview {
        path: file_path(&data_dir, sha256),
        scratch: data_dir.join("tmp").join(Uuid::new_v4().to_string()),
    };
    let drawn = match actors.ctx.parsing.run(tenant, Lane::Documents, job).await {
        Ok(Reply::Preview(drawn)) => drawn,
        Ok(Reply::Panicked(why)) => Err(format!("The page could not be drawn ({why}).")),
        Ok(other) => Err(format!("The reader answered {other:?}.")),
        Err(e @ (JobError::Memory(_) | JobError::Cpu(_) | JobError::Time(_))) => {
            Err(format!("Drawing the page {e}."))
        }
        // A crash or a pool that cannot start workers is no verdict on the file.
        Err(e) => return Err(format!("Drawing the page {e}.")),
    };
    let (path, bytes) = match &drawn {
        Ok(bytes) => (&png, bytes.clone()),
        Err(why) => (&refused, why.clone().into_bytes()),
    };
    if let Err(e) = keep(path, &bytes).await {
        tracing::warn!(%e, "a preview could not be kept");
    }
    drawn
}

/// Writes whole or not at all (a temporary file renamed into place).
async fn keep(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("a preview path has a parent");
    tokio::fs::create_dir_all(dir).await?;
    let partial = dir.join(format!("{}.partial", Uuid::new_v4()));
    tokio::fs::write(&partial, bytes).await?;
    tokio::fs::rename(&partial, path).await
}
