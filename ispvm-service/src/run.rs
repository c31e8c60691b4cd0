//! Running the agent: listener, HTTP server, signals.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ispvm_store::{Store, StoreOptions};

use crate::agent::{Agent, ServiceError};
use crate::notify::{Notifications, NotifyOptions};

/// The data directory when neither `--data-dir` nor the file's `data_dir` names one.
pub const DEFAULT_DATA_DIR: &str = "./ispvm-data";

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
    /// Data directory (`--data-dir`); `None` takes the file's `data_dir`, else
    /// [`DEFAULT_DATA_DIR`]. The embedded database is `ispvm.sqlite` in it.
    pub data_dir: Option<PathBuf>,
    /// Database URL (`--database`), used instead of the data directory; `None` takes the
    /// file's `database`. Never logged.
    pub database: Option<String>,
    /// Certificate chain and private key (PEM files) of the listener; `None` takes the
    /// file's `[tls]`, else plain HTTP.
    pub tls: Option<(PathBuf, PathBuf)>,
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
            data_dir: None,
            database: None,
            tls: None,
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

    /// Sets the data directory.
    #[must_use]
    pub fn with_data_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.data_dir = dir;
        self
    }

    /// Sets the database URL.
    #[must_use]
    pub fn with_database(mut self, url: Option<String>) -> Self {
        self.database = url;
        self
    }

    /// Serves HTTPS with this certificate chain and key (PEM files; `--tls-cert`, `--tls-key`).
    #[must_use]
    pub fn with_tls(mut self, cert_file: PathBuf, key_file: PathBuf) -> Self {
        self.tls = Some((cert_file, key_file));
        self
    }

    /// Adds Alertmanager base URLs (`--alertmanager`, repeatable).
    #[must_use]
    pub fn with_alertmanagers(mut self, urls: Vec<String>) -> Self {
        self.alertmanagers.extend(urls);
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

/// Opens the store named by the options and the file: `--database`, else the file's
/// `database`, else `ispvm.sqlite` in `--data-dir`, the file's `data_dir` (relative to the
/// file) or [`DEFAULT_DATA_DIR`]. Migrations run; a newer schema is refused.
async fn open_store(
    options: &RunOptions,
    config: Option<&crate::config::Config>,
) -> Result<Store, ServiceError> {
    let url = options.database.clone().or_else(|| {
        config
            .and_then(|c| c.database.as_ref())
            .map(|d| d.get_ref().clone())
    });
    if let Some(url) = &options.database {
        let scheme = url.split(':').next().unwrap_or("");
        if !matches!(scheme, "postgres" | "postgresql" | "sqlite") {
            return Err(ServiceError::Usage(
                "--database: the URL must start with postgres://, postgresql:// or sqlite:".into(),
            ));
        }
    }
    let store = match url {
        Some(url) => {
            let store = Store::open_with(StoreOptions::url(url)).await?;
            tracing::info!(backend = store.backend().as_str(), "store opened");
            store
        }
        None => {
            let dir = match (&options.data_dir, config) {
                (Some(d), _) => d.clone(),
                (None, Some(c)) => match &c.data_dir {
                    Some(d) => c.resolve(d),
                    None => PathBuf::from(DEFAULT_DATA_DIR),
                },
                (None, None) => PathBuf::from(DEFAULT_DATA_DIR),
            };
            let store = Store::open_data_dir(&dir).await?;
            tracing::info!(backend = "sqlite", data_dir = %Path::new(&dir).display(), "store opened");
            store
        }
    };
    match store.check_integrity().await {
        Ok(lines) if lines == ["ok"] => {}
        Ok(lines) => {
            store.close().await;
            return Err(ServiceError::Store(ispvm_store::StoreError::Corrupt(
                lines.join("; "),
            )));
        }
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    }
    Ok(store)
}

/// Opens the store (see [`RunOptions::data_dir`]), starts the agent with the state it holds
/// and serves until SIGTERM or SIGINT; SIGHUP reloads the configuration. Prints
/// `listening on http://ADDR` (`https://` with TLS) on standard output once the listener is
/// bound.
///
/// # Errors
/// [`ServiceError`]: [`ServiceError::is_usage`] for configuration faults (exit 2), others
/// at run time (exit 1: the port is taken, the world cannot start, the store cannot be
/// opened or holds a schema newer than this program).
pub async fn run(options: RunOptions) -> Result<(), ServiceError> {
    let (file_listen, file_tls, config) = match &options.config {
        Some(path) => {
            let config = crate::config::Config::load(path)?;
            crate::lint::log_findings(&config);
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
            (listen, tls, Some(config))
        }
        None => (None, None, None),
    };
    // TLS first: a bad certificate is refused before anything starts.
    let tls = match options.tls.as_ref().or(file_tls.as_ref()) {
        Some((cert, key)) => Some(listener_tls(cert, key)?),
        None => None,
    };
    let store = open_store(&options, config.as_ref()).await?;
    let notify = NotifyOptions::from_config(config.as_ref(), &options.alertmanagers)?
        // Notifications wait in the store's outbox: nothing acknowledged by the pipeline is
        // lost when a receiver is down or the agent restarts.
        .map(|n| n.with_outbox(ispvm_notify::outbox::Outbox::store(store.clone())));
    let agent = match &options.config {
        Some(path) => Agent::start_from_config_stored(path, Some(store)).await?,
        None => Agent::start_embedded_stored(options.embedded_fast, Some(store)).await?,
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

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"data_dir = "state"

[[tenants]]
id = "acme"

[[tenants.routers]]
id = "core1"
host = "192.0.2.1"
user = "ro"
password_file = "pw.txt"
"#;

    #[tokio::test]
    async fn the_store_is_found_by_option_then_file_then_default() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("pw.txt"), "pw\n").unwrap();
        let file = d.path().join("agent.toml");
        std::fs::write(&file, FILE).unwrap();
        let config = crate::config::Config::load(&file).unwrap();
        // The file's data_dir, relative to the file.
        let s = open_store(&RunOptions::default(), Some(&config))
            .await
            .unwrap();
        s.close().await;
        assert!(d.path().join("state/ispvm.sqlite").is_file());
        // --data-dir wins over the file.
        let other = d.path().join("other");
        let s = open_store(
            &RunOptions::default().with_data_dir(Some(other.clone())),
            Some(&config),
        )
        .await
        .unwrap();
        s.close().await;
        assert!(other.join("ispvm.sqlite").is_file());
        // --database wins over both.
        let url = format!("sqlite://{}", d.path().join("by-url.sqlite").display());
        let s = open_store(
            &RunOptions::default()
                .with_data_dir(Some(other))
                .with_database(Some(url)),
            Some(&config),
        )
        .await
        .unwrap();
        s.close().await;
        assert!(d.path().join("by-url.sqlite").is_file());
        // A scheme the store does not know is a usage error (exit 2) that does not echo it.
        let e = open_store(
            &RunOptions::default().with_database(Some("mysql://u:hunter2@db/x".into())),
            None,
        )
        .await
        .unwrap_err();
        assert!(e.is_usage());
        assert_eq!(
            e.to_string(),
            "--database: the URL must start with postgres://, postgresql:// or sqlite:"
        );
        // A data directory that cannot be created is a run-time failure (exit 1).
        let blocked = d.path().join("pw.txt").join("sub");
        let e = open_store(&RunOptions::default().with_data_dir(Some(blocked)), None)
            .await
            .unwrap_err();
        assert!(!e.is_usage());
        assert!(
            e.to_string().contains("cannot create data directory"),
            "{e}"
        );
    }
}
