//! The RouterOS API wire protocol, without I/O (sans-I/O codec).
//!
//! ```text
//! bytes --Decoder/decode_sentence--> Sentence --Reply::parse--> Reply (!re !done !trap !fatal !empty)
//! Command + Query --Sentence::encode--> bytes
//! ```
//!
//! Words are kept as bytes; attribute values are read as UTF-8 with a lossy fallback
//! ([`Value`]). Every size is bounded by [`Limits`]. This module is fuzzed
//! (`fuzz/fuzz_targets/routeros_decode.rs`) and property-tested.
//!
//! # Examples
//! ```
//! use bytes::BytesMut;
//! use ispvm_routeros::proto::{Command, Decoder, Limits, Query, Reply, ReplyKind};
//!
//! let cmd = Command::new("/interface/print").proplist(&["name", "running"]).query(Query::eq("type", "ether"));
//! let wire = cmd.sentence().to_bytes()?;
//! assert_eq!(wire[0] as usize, "/interface/print".len());
//!
//! let mut buf = BytesMut::from(&b"\x03!re\x0c=name=ether1\x0d=running=true\x00\x05!done\x00"[..]);
//! let mut decoder = Decoder::new(Limits::default());
//! let row = Reply::parse(decoder.decode(&mut buf)?.unwrap())?;
//! assert_eq!(row.kind(), ReplyKind::Re);
//! assert_eq!(row.get("running").and_then(|v| v.as_bool()), Some(true));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod decode;
#[cfg(test)]
mod props;
mod sentence;
mod word;
mod writer;

#[cfg(any(feature = "sim", test))]
pub(crate) use command::eval_query;
pub use command::{Command, Query, QueryError, QueryWord};
pub use decode::{Decoder, decode_sentence};
pub use sentence::{Reply, ReplyError, ReplyKind, Sentence, Trap, TrapCategory, Value};
pub use word::{DecodeError, EncodeError, Limits};
#[cfg(any(feature = "sim", test))]
pub(crate) use writer::SentenceWriter;
