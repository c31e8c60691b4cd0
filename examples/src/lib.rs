//! Shared helpers of the ispvm example binaries.
#![forbid(unsafe_code)]

pub mod demo;
pub mod report;
