//! `docs/embedding.md`, compiled and run as doc tests (one `include_str!` per file, as the
//! workspace's docs test expects).
#![doc = include_str!("../../docs/embedding.md")]
