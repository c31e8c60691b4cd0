//! Serving a router on a listener, plain or over TLS (rustls), with graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A TLS server configuration for [`serve`].
#[derive(Clone)]
pub struct TlsConfig {
    config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConfig(<server certificate and key>)")
    }
}

/// Why a TLS configuration could not be built. Never contains key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate PEM holds no certificate or cannot be parsed.
    #[error("no certificate found in the PEM text")]
    NoCertificate,
    /// The key PEM holds no private key or cannot be parsed.
    #[error("no private key found in the PEM text")]
    NoKey,
    /// rustls refused the pair (key does not match, unsupported algorithm).
    #[error("rustls refused the certificate and key: {0}")]
    Rustls(#[from] rustls::Error),
}

impl TlsConfig {
    /// Uses a ready rustls configuration (ALPN is set to `h2`, `http/1.1` when empty).
    #[must_use]
    pub fn from_config(mut config: rustls::ServerConfig) -> Self {
        if config.alpn_protocols.is_empty() {
            config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        }
        Self {
            config: Arc::new(config),
        }
    }

    /// A configuration from a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or
    /// SEC1), using the `ring` crypto provider.
    ///
    /// # Errors
    /// [`TlsError`] when either PEM holds nothing usable or rustls refuses the pair.
    pub fn from_pem(cert_chain: &[u8], key: &[u8]) -> Result<Self, TlsError> {
        let certs: Vec<_> = rustls_pemfile::certs(&mut &cert_chain[..])
            .collect::<Result<_, _>>()
            .map_err(|_| TlsError::NoCertificate)?;
        if certs.is_empty() {
            return Err(TlsError::NoCertificate);
        }
        let key = rustls_pemfile::private_key(&mut &key[..])
            .map_err(|_| TlsError::NoKey)?
            .ok_or(TlsError::NoKey)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        Ok(Self::from_config(config))
    }
}

/// How long in-flight requests (SSE streams included) get to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets
/// in-flight requests finish for up to 5 s and returns. With `tls`, every connection is a
/// TLS connection (HTTP/2 or HTTP/1.1 by ALPN); a failed handshake only drops that connection.
///
/// # Errors
/// Only an error of the listener itself (accept failing for good); connection errors are
/// logged at debug level and do not stop the server.
///
/// # Examples
/// ```no_run
/// # async fn run(backend: std::sync::Arc<dyn ispvm_http::Backend>) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let router = ispvm_http::router(backend, ispvm_http::HttpOptions::default());
/// ispvm_http::serve(listener, router, None, async {
///     let _ = tokio::signal::ctrl_c().await;
/// })
/// .await
/// # }
/// ```
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    tls: Option<TlsConfig>,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let acceptor = tls.map(|t| TlsAcceptor::from(t.config));
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) if is_transient(&e) => {
                    tracing::debug!(error = %e, "accept failed, continuing");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                Err(e) => return Err(e),
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let builder = builder.clone();
        match &acceptor {
            None => {
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    let tls = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let conn = builder
                        .serve_connection_with_upgrades(TokioIo::new(tls), service)
                        .into_owned();
                    if let Err(e) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
    Ok(())
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        e.kind(),
        ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::Interrupted
            | ErrorKind::WouldBlock
    ) || e
        .raw_os_error()
        .is_some_and(|code| code == 24 || code == 23) // EMFILE, ENFILE
}
