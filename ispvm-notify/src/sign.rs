//! Webhook signatures: HMAC-SHA256 over the timestamp and the body.
//!
//! A webhook request carries `X-Ispvm-Signature: t=UNIX_SECONDS,v1=HEX` where `HEX` is the
//! lowercase hex HMAC-SHA256, keyed with the webhook's secret, of `UNIX_SECONDS` `.` body
//! bytes. The receiver recomputes it, compares in constant time, and refuses a timestamp
//! outside its replay window (default 5 minutes) so a captured request cannot be replayed
//! later.
//!
//! # Examples
//! ```
//! use ispvm_model::Secret;
//! use ispvm_notify::sign::{sign, verify, SignatureError, DEFAULT_REPLAY_WINDOW};
//! let secret = Secret::new("s3cret-key");
//! let body = br#"{"schema":"ispvm.notification/v1"}"#;
//! let header = sign(&secret, 1_773_479_100, body);
//! assert!(header.starts_with("t=1773479100,v1="));
//! assert_eq!(verify(&secret, &header, body, 1_773_479_160, DEFAULT_REPLAY_WINDOW), Ok(()));
//! assert_eq!(verify(&secret, &header, b"{}", 1_773_479_160, DEFAULT_REPLAY_WINDOW),
//!            Err(SignatureError::Mismatch));
//! assert_eq!(verify(&secret, &header, body, 1_773_479_100 + 3600, DEFAULT_REPLAY_WINDOW),
//!            Err(SignatureError::OutsideWindow));
//! ```

use hmac::{Hmac, Mac};
use ispvm_model::Secret;
use sha2::Sha256;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "x-ispvm-signature";
/// The idempotency key header (the notification's `key`).
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// Default replay window of [`verify`], in seconds.
pub const DEFAULT_REPLAY_WINDOW: u64 = 300;

/// Why a signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header is not `t=SECONDS,v1=HEX`.
    #[error("malformed signature header")]
    Malformed,
    /// The timestamp is further from now than the replay window.
    #[error("signature timestamp outside the replay window")]
    OutsideWindow,
    /// The HMAC does not match the body and timestamp.
    #[error("signature does not match")]
    Mismatch,
}

fn mac(secret: &Secret, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length: new_from_slice cannot fail for it.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// The signature header value for `body` sent at `timestamp` (Unix seconds).
#[must_use]
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// Checks a signature header against `body`, at `now` (Unix seconds), accepting timestamps at
/// most `window` seconds away.
///
/// # Errors
/// [`SignatureError`]: malformed header, stale or future timestamp, or mismatch.
pub fn verify(
    secret: &Secret,
    header: &str,
    body: &[u8],
    now: i64,
    window: u64,
) -> Result<(), SignatureError> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(tag)) = (t, v1) else {
        return Err(SignatureError::Malformed);
    };
    if now.abs_diff(t) > window {
        return Err(SignatureError::OutsideWindow);
    }
    mac(secret, t, body)
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}
