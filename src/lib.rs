//! Wiring: configuration → store → actors → HTTP server, and an orderly shutdown.

mod backups;
pub mod check;
pub mod cluster;
pub mod control;
pub mod opening;
mod sweeper;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use certwatch_actors::Actors;
use certwatch_config::Config;
use certwatch_http::AppState;
use certwatch_store::ops::duplicates;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running service. Dropping it does not stop it; call [`RunningServer::shutdown`].
pub struct RunningServer {
    /// Where the server accepts connections (the real port when configured with port 0).
    pub addr: SocketAddr,
    pub config: Arc<Config>,
    pub actors: Actors,
    stop: oneshot::Sender<()>,
    server: JoinHandle<()>,
    /// The control socket and scheduled backups: stopped by aborting them.
    background: Vec<JoinHandle<()>>,
}

/// Binds the listener, opens the store, starts the actor tree and serves the API.
pub async fn start(mut config: Config) -> anyhow::Result<RunningServer> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    // With port 0 the OS picks one; links in mail and pagination must name the real one.
    config.listen = listener.local_addr()?;
    let config = Arc::new(config);

    let store = opening::open_store(&config)?;
    let duplicates: usize = duplicates::find(&store)?
        .iter()
        .map(|g| g.certificates.len() - 1)
        .sum();
    if duplicates > 0 {
        tracing::warn!(
            duplicates,
            "certificates share a number and type; stop the service and run `certwatch doctor --merge`"
        );
    }
    let mut background = Vec::new();
    match control::bind(&config.data_dir) {
        Ok(listener) => background.push(tokio::spawn(control::serve(
            listener,
            store.clone(),
            config.public_url(),
        ))),
        // The API still works; `certwatch backup` then cannot reach this server.
        Err(e) => tracing::warn!(error = %format!("{e:#}"), "no control socket"),
    }
    if let Some(cfg) = config.backups.clone() {
        background.push(tokio::spawn(backups::run(store.clone(), cfg)));
    }
    let joined = match &config.node {
        Some(node) => Some(cluster::join(&store, node).await?),
        None => None,
    };
    let actors = Actors::start(store, config.clone(), joined).await?;
    if let Some(node) = &config.node {
        let internal = tokio::net::TcpListener::bind(node.internal_listen)
            .await
            .with_context(|| format!("cannot listen on {}", node.internal_listen))?;
        let routes = certwatch_http::internal_routes(AppState::new(
            actors.clone(),
            Arc::new(cluster::internal_config(&config)),
            duplicates,
        ));
        background.push(tokio::spawn(warp::serve(routes).incoming(internal).run()));
        background.push(tokio::spawn(cluster::renew(actors.clone(), node.clone())));
    }
    background.push(tokio::spawn(sweeper::run(
        actors.clone(),
        config.retention.clone(),
    )));
    let routes = certwatch_http::routes(AppState::new(actors.clone(), config.clone(), duplicates));

    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        warp::serve(routes)
            .incoming(listener)
            .graceful(async move {
                let _ = stopped.await;
            })
            .run(),
    );
    Ok(RunningServer {
        addr: config.listen,
        config,
        actors,
        stop,
        server,
        background,
    })
}

impl RunningServer {
    /// Stops accepting, lets in-flight requests finish, stops the actors (which finish
    /// their queued writes), and flushes the store.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await.context("HTTP server task failed")?;
        for task in self.background {
            task.abort();
        }
        let _ = std::fs::remove_file(control::socket_path(&self.config.data_dir));
        self.actors.shutdown().await;
        self.actors.store().flush()?;
        Ok(())
    }
}

/// `certwatch doctor`: lists the groups of certificates that share a type and number and,
/// with `merge`, folds each into its newest certificate. The store belongs to one process:
/// opening it fails while the service runs.
pub fn doctor(config: &Config, merge: bool, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let store = opening::open_store(config).context("stop the service first")?;
    let groups = duplicates::find(&store)?;
    writeln!(
        out,
        "{} group(s) of certificates share a type and number",
        groups.len()
    )?;
    for group in &groups {
        let first = &group.certificates[0];
        writeln!(
            out,
            "tenant {} number {:?}:",
            first.tenant_id, first.certificate_number
        )?;
        for c in &group.certificates {
            writeln!(
                out,
                "  {} {:?} organization {} expires {} updated {}",
                c.id,
                c.certificate_number,
                c.organization_id,
                c.expiry_date.map_or("-".into(), |d| d.to_string()),
                c.updated_at.to_rfc3339()
            )?;
        }
        if merge {
            let kept = duplicates::merge(&store, group)?;
            writeln!(out, "  merged into {}", kept.id)?;
        }
    }
    store.flush()?;
    Ok(())
}
