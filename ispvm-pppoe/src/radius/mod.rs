//! RADIUS health: the RFC 5997 Status-Server probe and its sans-I/O packet codec.
//!
//! ```text
//! packet (no I/O, fuzzed: decode untrusted bytes, authenticators)  <--  probe (tokio UDP)
//!                                                                        |
//!                                            radius.up / radius.rtt_ms samples
//! ```

pub mod packet;
mod probe;

pub use packet::{RadiusSecret, SecretError};
pub use probe::{PROBE_SOURCE, ProbeConfig, ProbeError, ProbeSuccess, StatusProbe, probe_samples};
