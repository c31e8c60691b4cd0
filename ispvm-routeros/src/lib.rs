//! # ispvm-routeros: RouterOS API client, device adapter and simulator
//!
//! Not built yet: this crate will hold the sans-I/O API codec, the async client (plain and TLS),
//! the RouterOS `DeviceAdapter` and a RouterOS simulator behind the `sim` feature.
#![forbid(unsafe_code)]
