//! # ispvm-pppoe: subscriber impact, PPPoE incident classes and RADIUS health
//!
//! Not built yet: this crate will hold session series and churn, subscriber impact, incident
//! classification, the RADIUS Status-Server probe and accounting import, private by design.
#![forbid(unsafe_code)]
