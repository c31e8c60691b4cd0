//! # ispvm-rca: the redundancy-aware root-cause engine
//!
//! Not built yet: this crate will hold the compiled topology index, incremental state
//! propagation, suppression with reasons, multi-cause incidents and explainable confidence
//! (see issue "ispvm-rca: the redundancy-aware root-cause engine").
#![forbid(unsafe_code)]
