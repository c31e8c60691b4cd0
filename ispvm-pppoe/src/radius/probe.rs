//! The RFC 5997 Status-Server health probe over UDP (tokio).

use ispvm_model::names;
use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ispvm_model::{EntityId, EntityKind, Sample, SampleValue};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use super::packet::{self, Code, MAX_PACKET_LEN, RadiusSecret, VerifyError};

/// The `source` of probe samples.
pub const PROBE_SOURCE: &str = "radius_probe";

/// Timeouts and retries of a [`StatusProbe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProbeConfig {
    /// How long to wait for the answer to one request (default 2 s).
    pub timeout: Duration,
    /// How many more requests to send after the first goes unanswered (default 2).
    pub retries: u32,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(2),
            retries: 2,
        }
    }
}

impl ProbeConfig {
    /// A configuration.
    #[must_use]
    pub fn new(timeout: Duration, retries: u32) -> Self {
        Self { timeout, retries }
    }
}

/// A verified answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProbeSuccess {
    /// Time from sending the answered request to its verified answer.
    pub rtt: Duration,
    /// Requests sent, the answered one included.
    pub attempts: u32,
    /// The answer's code (FreeRADIUS answers Access-Accept).
    pub code: Code,
}

/// Why the server is considered down.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProbeError {
    /// The local socket failed.
    #[error("socket error ({kind:?}): {message}")]
    Io {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
        /// Its message.
        message: String,
    },
    /// No answer to any request.
    #[error("no answer after {attempts} request(s)")]
    Timeout {
        /// Requests sent.
        attempts: u32,
    },
    /// The host reported the port closed (ICMP port unreachable) for every request.
    #[error("port unreachable for all {attempts} request(s): nobody is listening")]
    Refused {
        /// Requests sent.
        attempts: u32,
    },
    /// Answers came, but none verified (typically a wrong shared secret).
    #[error("{attempts} request(s), no verified answer; last: {last}")]
    Unverified {
        /// Requests sent.
        attempts: u32,
        /// Why the last answer was rejected.
        last: VerifyError,
    },
}

impl From<std::io::Error> for ProbeError {
    fn from(e: std::io::Error) -> Self {
        ProbeError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// A Status-Server probe of one RADIUS server.
///
/// Each request carries a fresh random identifier and Request Authenticator and a
/// Message-Authenticator; an answer counts only when its identifier, Response Authenticator and
/// (when present) Message-Authenticator verify. Late answers to an earlier request are ignored.
///
/// # Examples
/// ```no_run
/// use ispvm_pppoe::radius::{ProbeConfig, RadiusSecret, StatusProbe};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let probe = StatusProbe::new("127.0.0.1:18121".parse()?, RadiusSecret::new("adminsecret")?,
///                              ProbeConfig::default());
/// let outcome = probe.probe().await;
/// let samples = ispvm_pppoe::radius::probe_samples(&"radius1".parse()?, probe.target(),
///                                                   chrono::Utc::now(), &outcome);
/// assert_eq!(samples[0].metric_name, "radius.up");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct StatusProbe {
    target: SocketAddr,
    secret: RadiusSecret,
    config: ProbeConfig,
}

impl StatusProbe {
    /// A probe of `target` with `secret`.
    #[must_use]
    pub fn new(target: SocketAddr, secret: RadiusSecret, config: ProbeConfig) -> Self {
        Self {
            target,
            secret,
            config,
        }
    }

    /// The probed address.
    #[must_use]
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Probes once (with retries).
    ///
    /// # Errors
    /// [`ProbeError`] when no verified answer arrived.
    pub async fn probe(&self) -> Result<ProbeSuccess, ProbeError> {
        let bind: SocketAddr = if self.target.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let socket = UdpSocket::bind(bind).await?;
        socket.connect(self.target).await?;
        let mut buf = vec![0u8; MAX_PACKET_LEN];
        let attempts = self.config.retries.saturating_add(1);
        let mut last_bad: Option<VerifyError> = None;
        let mut refused = 0u32;
        for attempt in 1..=attempts {
            let identifier: u8 = rand::random();
            let authenticator: [u8; 16] = rand::random();
            let request = packet::status_server_request(identifier, authenticator, &self.secret);
            let start = Instant::now();
            let deadline = start + self.config.timeout;
            match socket.send(&request).await {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    refused += 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            }
            loop {
                match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                    Err(_elapsed) => break,
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        refused += 1;
                        break;
                    }
                    Ok(Err(e)) => return Err(e.into()),
                    Ok(Ok(n)) => {
                        let wire = buf.get(..n).unwrap_or(&[]);
                        match packet::verify_response(
                            wire,
                            identifier,
                            &authenticator,
                            &self.secret,
                        ) {
                            Ok(p) => {
                                return Ok(ProbeSuccess {
                                    rtt: start.elapsed(),
                                    attempts: attempt,
                                    code: p.code,
                                });
                            }
                            // A late answer to an earlier request: keep waiting.
                            Err(VerifyError::IdentifierMismatch { .. }) => {}
                            Err(e) => {
                                tracing::debug!(target = %self.target, error = %e, "unverified RADIUS answer");
                                last_bad = Some(e);
                            }
                        }
                    }
                }
            }
        }
        Err(match last_bad {
            Some(last) => ProbeError::Unverified { attempts, last },
            None if refused == attempts => ProbeError::Refused { attempts },
            None => ProbeError::Timeout { attempts },
        })
    }
}

/// Registry samples for one probe outcome: `radius.up` (1 or 0) and, on success,
/// `radius.rtt_ms`, both labelled with the probed `address`, entity type `radius_server`.
#[must_use]
pub fn probe_samples(
    server: &EntityId,
    address: SocketAddr,
    at: DateTime<Utc>,
    outcome: &Result<ProbeSuccess, ProbeError>,
) -> Vec<Sample> {
    let s = |name: &str, unit: &str, v: f64| {
        Sample::new(
            at,
            name,
            EntityKind::RadiusServer,
            server.clone(),
            SampleValue::Num(v),
            unit,
            PROBE_SOURCE,
        )
        .with_label("address", address.to_string())
    };
    match outcome {
        Ok(ok) => vec![
            s(names::RADIUS_UP, "bool", 1.0),
            s(names::RADIUS_RTT_MS, "ms", ok.rtt.as_secs_f64() * 1000.0),
        ],
        Err(_) => vec![s(names::RADIUS_UP, "bool", 0.0)],
    }
}
