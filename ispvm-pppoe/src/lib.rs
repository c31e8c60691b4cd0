//! # ispvm-pppoe: subscriber impact, PPPoE incident classes and RADIUS health
//!
//! (crate docs are completed below in this file)
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod accounting;
pub mod auth;
pub mod classes;
pub mod impact;
pub mod privacy;
pub mod radius;
pub mod rollup;
pub mod segments;
pub mod series;
pub mod session;
pub mod tracker;

/// The `source` of every sample this crate emits.
pub const SOURCE: &str = "ispvm_pppoe";
