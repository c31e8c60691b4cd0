//! TLS settings for API-SSL (port 8729): rustls with the `ring` provider.

use std::fmt;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;

use super::ClientError;

/// How to trust the device's certificate.
///
/// RouterOS API-SSL usually runs with a self-signed certificate or one from a private CA:
/// give that CA with [`TlsOptions::with_ca_pem`]. Without a CA the operating system's roots
/// are used.
///
/// # Examples
/// ```
/// use ispvm_routeros::client::TlsOptions;
/// let tls = TlsOptions::new().with_server_name("router1.example.net");
/// assert_eq!(tls.server_name(), Some("router1.example.net"));
/// ```
#[derive(Clone, Default)]
pub struct TlsOptions {
    ca_pem: Option<Vec<u8>>,
    server_name: Option<String>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsOptions")
            .field("custom_ca", &self.ca_pem.is_some())
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl TlsOptions {
    /// Verify against the system's roots, name = the host connected to.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Trust only the CA certificate(s) in this PEM document.
    #[must_use]
    pub fn with_ca_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Verify the certificate for this name instead of the host connected to.
    #[must_use]
    pub fn with_server_name(mut self, name: impl Into<String>) -> Self {
        self.server_name = Some(name.into());
        self
    }

    /// The name verified, when set.
    #[must_use]
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Builds the rustls configuration.
    pub(crate) fn client_config(&self) -> Result<Arc<rustls::ClientConfig>, ClientError> {
        let mut roots = RootCertStore::empty();
        match &self.ca_pem {
            Some(pem) => {
                let certs: Vec<CertificateDer<'static>> =
                    rustls_pemfile::certs(&mut pem.as_slice())
                        .collect::<Result<_, _>>()
                        .map_err(|e| ClientError::tls_caused(format!("reading CA PEM: {e}"), e))?;
                if certs.is_empty() {
                    return Err(ClientError::tls("the CA PEM holds no certificate"));
                }
                for c in certs {
                    roots.add(c).map_err(|e| {
                        ClientError::tls_caused(format!("bad CA certificate: {e}"), e)
                    })?;
                }
            }
            None => {
                let native = rustls_native_certs::load_native_certs();
                for c in native.certs {
                    // Skip unparsable system certificates, as browsers do.
                    let _ = roots.add(c);
                }
                if roots.is_empty() {
                    return Err(ClientError::tls(
                        "no system root certificates found; give the device's CA",
                    ));
                }
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ClientError::tls_caused(e.to_string(), e))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}
