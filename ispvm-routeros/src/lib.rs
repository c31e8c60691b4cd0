//! # ispvm-routeros: RouterOS API client, device adapter and simulator
//!
//! Talks to MikroTik RouterOS over its binary API (TCP 8728, TLS 8729) and turns what it reads
//! into ispvm's canonical samples.
//!
//! ```text
//! RouterOS / ispvm-sim --TCP/TLS--> client (tokio) --> proto (sans-I/O codec)
//!                                       |
//!                               RouterOsAdapter (DeviceAdapter) --> Samples --> ispvm-rca
//! ```
//!
//! Modules:
//! - [`proto`]: word/sentence codec, replies, commands and the typed query builder. No I/O.
//! - [`client`]: async client: TCP and TLS (rustls, `ring`), login (plain, MD5 fallback), tag
//!   multiplexing, streams ended with `/cancel`, timeouts, reconnect with jittered backoff.
//! - [`adapter`]: [`RouterOsAdapter`], the reference [`ispvm_model::DeviceAdapter`].
//! - `sim` (feature `sim`): a RouterOS API server simulating one router.
//!
//! ## Example
//! ```no_run
//! use ispvm_model::DeviceAdapter;
//! use ispvm_routeros::{RouterOsAdapter, Secret};
//! use ispvm_routeros::client::ClientConfig;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ClientConfig::new("192.0.2.1", "monitor", Secret::new("s3cret"));
//! let adapter = RouterOsAdapter::new(config);
//! for sample in adapter.collect().await?.samples {
//!     println!("{} {} {:?}", sample.entity_id, sample.metric_name, sample.value);
//! }
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod adapter;
pub mod client;
pub mod proto;
#[cfg(feature = "sim")]
#[cfg_attr(docsrs, doc(cfg(feature = "sim")))]
pub mod sim;

pub use adapter::RouterOsAdapter;
/// The secret type of ispvm (`ispvm_model::Secret`): redacted `Debug`, zeroized on drop.
pub use ispvm_model::Secret;

#[doc = include_str!("../README.md")]
#[doc(hidden)]
pub mod readme {}
