//! Running the agent: listener, HTTP server, signals.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{Agent, ServiceError};
use crate::notify::{Notifications, NotifyOptions};

/// What [`run`] starts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RunOptions {
    /// Configuration file; `None` runs the embedded world.
    pub config: Option<PathBuf>,
    /// Listener address; `None` takes the file's `listen`, else `127.0.0.1:8080`.
    pub listen: Option<SocketAddr>,
    /// Fast-tier interval of the embedded world.
    pub embedded_fast: Duration,
    /// Alertmanager base URLs from the command line (`--alertmanager`), added to the
    /// configuration's `outputs.alertmanager`.
    pub alertmanagers: Vec<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            config: None,
            listen: None,
            embedded_fast: Duration::from_secs(5),
            alertmanagers: Vec::new(),
        }
    }
}

impl RunOptions {
    /// Options for a configuration file (or `None` for the embedded world) and a listener.
    #[must_use]
    pub fn new(config: Option<PathBuf>, listen: Option<SocketAddr>) -> Self {
        Self {
            config,
            listen,
            ..Self::default()
        }
    }

    /// Adds Alertmanager base URLs (`--alertmanager`, repeatable).
    #[must_use]
    pub fn with_alertmanagers(mut self, urls: Vec<String>) -> Self {
        self.alertmanagers.extend(urls);
        self
    }
}

/// Starts the agent and serves until SIGTERM or SIGINT; SIGHUP reloads the configuration.
/// Prints `listening on http://ADDR` on standard output once the listener is bound.
///
/// # Errors
/// [`ServiceError`]: [`ServiceError::is_usage`] for configuration faults (exit 2), others
/// at run time (exit 1: the port is taken, the world cannot start).
pub async fn run(options: RunOptions) -> Result<(), ServiceError> {
    let (agent, file_listen, notify) = match &options.config {
        Some(path) => {
            let config = crate::config::Config::load(path)?;
            let listen = config
                .listen
                .as_ref()
                .and_then(|l| l.get_ref().parse::<SocketAddr>().ok());
            let notify = NotifyOptions::from_config(Some(&config), &options.alertmanagers)?;
            (Agent::start_from_config(path).await?, listen, notify)
        }
        None => {
            let notify = NotifyOptions::from_config(None, &options.alertmanagers)?;
            (
                Agent::start_embedded(options.embedded_fast).await?,
                None,
                notify,
            )
        }
    };
    let notifications = match notify.map(|n| Notifications::start(&agent, n)).transpose() {
        Ok(n) => n,
        Err(e) => {
            agent.shutdown().await;
            return Err(e);
        }
    };
    let listen = options
        .listen
        .or(file_listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            if let Some(n) = notifications {
                n.shutdown().await;
            }
            agent.shutdown().await;
            return Err(ServiceError::Runtime(format!(
                "cannot listen on {listen}: {e}"
            )));
        }
    };
    let local = listener
        .local_addr()
        .map_err(|e| ServiceError::Runtime(e.to_string()))?;
    let router = ispvm_http::router(agent.clone(), agent.http_options(local));
    println!("listening on http://{local}");
    tracing::info!(%local, "serving");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let signals = tokio::spawn(signal_loop(agent.clone(), stop_tx));
    let served = ispvm_http::serve(listener, router, None, async move {
        let _ = stop_rx.await;
    })
    .await;
    signals.abort();
    tracing::info!("shutting down");
    if let Some(n) = notifications {
        n.shutdown().await;
    }
    agent.shutdown().await;
    served.map_err(|e| ServiceError::Runtime(format!("the HTTP server failed: {e}")))
}

#[cfg(unix)]
async fn signal_loop(agent: Arc<Agent>, stop: tokio::sync::oneshot::Sender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::hangup()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    loop {
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            _ = hup.recv() => match agent.reload().await {
                Ok(summary) => tracing::info!(%summary, "reloaded"),
                Err(e) => tracing::error!(error = %e, "reload refused; the running configuration stays"),
            },
        }
    }
    let _ = stop.send(());
}

#[cfg(not(unix))]
async fn signal_loop(_agent: Arc<Agent>, stop: tokio::sync::oneshot::Sender<()>) {
    let _ = tokio::signal::ctrl_c().await;
    let _ = stop.send(());
}
