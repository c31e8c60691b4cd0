//! Shared helpers of the ispvm example binaries.
#![forbid(unsafe_code)]

pub mod cli;
pub mod demo;
