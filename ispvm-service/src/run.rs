//! Running the agent: listener, HTTP server, signals.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::agent::{Agent, ServiceError};

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
    /// Certificate chain and private key (PEM files) of the listener; `None` takes the
    /// file's `[tls]`, else plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            config: None,
            listen: None,
            embedded_fast: Duration::from_secs(5),
            tls: None,
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

    /// Serves HTTPS with this certificate chain and key (PEM files; `--tls-cert`, `--tls-key`).
    #[must_use]
    pub fn with_tls(mut self, cert_file: PathBuf, key_file: PathBuf) -> Self {
        self.tls = Some((cert_file, key_file));
        self
    }
}

/// The listener's TLS configuration from a certificate chain and a key file (PEM).
///
/// # Errors
/// [`ServiceError::Usage`] naming the file that cannot be read or the pair rustls refuses
/// (never any key material).
pub fn listener_tls(cert: &Path, key: &Path) -> Result<ispvm_http::TlsConfig, ServiceError> {
    let read = |p: &Path, what: &str| {
        std::fs::read(p).map_err(|e| {
            ServiceError::Usage(format!(
                "TLS {what} {}: cannot read: {}",
                p.display(),
                e.kind()
            ))
        })
    };
    let (c, k) = (read(cert, "certificate")?, read(key, "key")?);
    ispvm_http::TlsConfig::from_pem(&c, &k).map_err(|e| {
        ServiceError::Usage(format!(
            "TLS certificate {} and key {}: {e}",
            cert.display(),
            key.display()
        ))
    })
}

/// Starts the agent and serves until SIGTERM or SIGINT; SIGHUP reloads the configuration.
/// Prints `listening on http://ADDR` (`https://` with TLS) on standard output once the
/// listener is bound.
///
/// # Errors
/// [`ServiceError`]: [`ServiceError::is_usage`] for configuration faults (exit 2), others
/// at run time (exit 1: the port is taken, the world cannot start).
pub async fn run(options: RunOptions) -> Result<(), ServiceError> {
    let (file_listen, file_tls) = match &options.config {
        Some(path) => {
            let config = crate::config::Config::load(path)?;
            let listen = config
                .listen
                .as_ref()
                .and_then(|l| l.get_ref().parse::<SocketAddr>().ok());
            let tls = config.tls.as_ref().map(|t| {
                (
                    config.resolve(t.cert_file.get_ref()),
                    config.resolve(t.key_file.get_ref()),
                )
            });
            (listen, tls)
        }
        None => (None, None),
    };
    // TLS first: a bad certificate is refused before anything starts.
    let tls = match options.tls.as_ref().or(file_tls.as_ref()) {
        Some((cert, key)) => Some(listener_tls(cert, key)?),
        None => None,
    };
    let agent = match &options.config {
        Some(path) => Agent::start_from_config(path).await?,
        None => Agent::start_embedded(options.embedded_fast).await?,
    };
    let listen = options
        .listen
        .or(file_listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            agent.shutdown().await;
            return Err(ServiceError::Runtime(format!(
                "cannot listen on {listen}: {e}"
            )));
        }
    };
    let local = listener
        .local_addr()
        .map_err(|e| ServiceError::Runtime(e.to_string()))?;
    let http = agent.http_options(local).with_secure_cookies(tls.is_some());
    let router = ispvm_http::router(agent.clone(), http);
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{local}");
    tracing::info!(%local, tls = tls.is_some(), "serving");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let signals = tokio::spawn(signal_loop(agent.clone(), stop_tx));
    let served = ispvm_http::serve(listener, router, tls, async move {
        let _ = stop_rx.await;
    })
    .await;
    signals.abort();
    tracing::info!("shutting down");
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
