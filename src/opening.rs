//! Opening the store the configuration names, for the server and the offline commands.

use anyhow::Context as _;
use certwatch_config::Config;
use certwatch_store::Store;

/// The store the configuration names: PostgreSQL (`CERTWATCH_STORE`) or sled in the data
/// directory.
pub fn open_store(config: &Config) -> anyhow::Result<Store> {
    let key_file = config.secret_key_file.as_deref();
    Store::open_at(config.store.as_deref(), &config.data_dir, key_file).with_context(|| {
        match &config.store {
            Some(_) => "cannot open the store in PostgreSQL (CERTWATCH_STORE)".to_string(),
            None => format!("cannot open the store in {}", config.data_dir.display()),
        }
    })
}
