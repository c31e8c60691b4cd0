//! # ispvm-pppoe: subscriber impact, PPPoE incident classes and RADIUS health
//!
//! PPPoE monitoring answers three questions: how many subscribers are hit, is their experience
//! degraded, and which PoP or link is to blame. This crate turns what the collectors read
//! (`/ppp/active` snapshots, `/radius/monitor` counters, canonical registry samples, FreeRADIUS
//! detail files, its own RFC 5997 probe) into those answers, without ever keeping a username
//! unless the tenant opted in.
//!
//! ```text
//!  ispvm-routeros adapter ----> /ppp/active snapshots --> session + tracker --> churn, counts,
//!  (or any MetricSample)        pppoe.* samples           (bounded series)      segments, drops
//!                                                                |
//!                                     impact::RobustImpact  <----+  (SubscriberImpact for ispvm-rca)
//!                                     rollup::roll_up       -> service / PoP / tenant totals
//!  /radius/monitor counters --> auth (failure rate) --+
//!  radius::StatusProbe (UDP) --> radius.up/rtt_ms ----+--> classes::classify --> incident class,
//!  device.cpu_pct, probe.*, interface.utilization ----+     evidence, confidence, runbook
//!  FreeRADIUS detail files --> accounting::DetailReader --> privacy (keyed hashes, retention)
//! ```
//!
//! | module | what |
//! |---|---|
//! | [`session`], [`series`], [`tracker`], [`segments`] | snapshots diffed by session id, bounded series, churn, counts by plan |
//! | [`impact`] | robust baseline and the [`SubscriberImpact`](ispvm_model::SubscriberImpact) contract rules |
//! | [`rollup`] | impact through the topology, failover not double counted |
//! | [`classes`] | concentrator down, BRAS CPU, RADIUS failure, upstream congestion |
//! | [`auth`] | authentication failure rate from RADIUS client counters |
//! | [`radius`] | RFC 5997 Status-Server probe and the sans-I/O packet codec |
//! | [`accounting`] | streaming FreeRADIUS `detail` importer |
//! | [`privacy`] | opt-in subscriber level: HMAC-SHA256 ids, retention |
//!
//! # Examples
//! The smallest useful thing: how many subscribers a concentrator lost.
//! ```
//! use ispvm_model::{SessionReading, SubscriberImpact};
//! use ispvm_pppoe::impact::RobustImpact;
//!
//! let t = |m: u32| format!("2026-01-01T00:{m:02}:00Z").parse().unwrap();
//! let history: Vec<_> = (0..20)
//!     .map(|m| SessionReading::new(t(m), if m < 19 { 3200.0 } else { 50.0 }))
//!     .collect();
//! let a = RobustImpact::default().assess(&history, false);
//! assert_eq!((a.affected, a.significant_drop), (3150, true));
//! ```
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

#[doc = include_str!("../README.md")]
#[doc(hidden)]
pub mod readme {}
