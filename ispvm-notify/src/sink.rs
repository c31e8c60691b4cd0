//! The two sinks: Alertmanager (API v2) and signed webhooks. Each call is one HTTP request; the
//! retry policy lives in the [`Notifier`](crate::Notifier) and the [outbox](crate::outbox).

use std::time::Duration;

use ispvm_model::Secret;
use ispvm_store::OutboxEntry;

use crate::alert::Alert;
use crate::sign::{IDEMPOTENCY_HEADER, SIGNATURE_HEADER, sign};

/// Timeout of one request.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed delivery, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No answer: connection refused or reset, timeout, TLS failure. Retryable.
    #[error("{0}")]
    Transport(String),
    /// The receiver answered with a non-2xx status. Retryable for 408, 429 and 5xx.
    #[error("HTTP status {0}")]
    Status(u16),
}

impl DeliveryError {
    /// Whether a later attempt may succeed: transport failures, 408, 429 and 5xx. Any other
    /// 4xx means the receiver refuses this request for good.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status(s) => *s == 408 || *s == 429 || *s >= 500,
        }
    }
}

fn transport(e: &reqwest::Error) -> DeliveryError {
    // Without the URL: a webhook URL may carry a token in its path or query.
    let what = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    DeliveryError::Transport(what.to_owned())
}

/// The HTTP client of the sinks: rustls with the system's root certificates, a request
/// timeout, no redirects.
///
/// # Errors
/// A message when the TLS client cannot be built.
pub fn client() -> Result<reqwest::Client, String> {
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("ispvm-notify/", env!("CARGO_PKG_VERSION")));
    for cert in rustls_native_certs::load_native_certs().certs {
        if let Ok(c) = reqwest::Certificate::from_der(&cert) {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| format!("HTTP client: {e}"))
}

/// The `POST /api/v2/alerts` URL of an Alertmanager base URL (`http://host:9093` or
/// `http://host:9093/prefix/`).
///
/// # Examples
/// ```
/// assert_eq!(ispvm_notify::sink::alerts_url("http://127.0.0.1:9093/"),
///            "http://127.0.0.1:9093/api/v2/alerts");
/// ```
#[must_use]
pub fn alerts_url(base: &str) -> String {
    format!("{}/api/v2/alerts", base.trim_end_matches('/'))
}

/// Posts alerts to one Alertmanager.
///
/// # Errors
/// [`DeliveryError`].
pub async fn post_alerts(
    client: &reqwest::Client,
    base: &str,
    alerts: &[Alert],
) -> Result<(), DeliveryError> {
    let body = serde_json::to_vec(alerts).map_err(|e| DeliveryError::Transport(e.to_string()))?;
    let r = client
        .post(alerts_url(base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| transport(&e))?;
    if r.status().is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Status(r.status().as_u16()))
    }
}

/// A webhook: its URL and the secret its requests are signed with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Webhook {
    /// Where notifications are posted.
    pub url: String,
    /// The HMAC key (never logged).
    pub secret: Secret,
}

impl Webhook {
    /// A webhook.
    #[must_use]
    pub fn new(url: impl Into<String>, secret: Secret) -> Self {
        Self {
            url: url.into(),
            secret,
        }
    }

    /// Posts one outbox entry, signed at `now` (Unix seconds), with its idempotency key.
    ///
    /// # Errors
    /// [`DeliveryError`].
    pub async fn deliver(
        &self,
        client: &reqwest::Client,
        entry: &OutboxEntry,
        now: i64,
    ) -> Result<(), DeliveryError> {
        let body = entry.payload.as_bytes().to_vec();
        let signature = sign(&self.secret, now, &body);
        let r = client
            .post(&self.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(IDEMPOTENCY_HEADER, &entry.key)
            .body(body)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(DeliveryError::Status(r.status().as_u16()))
        }
    }
}
