//! Word length prefixes (MikroTik API manual, "API words"), the decoder's [`Limits`] and the
//! codec's errors. Sentences are decoded in `decode.rs` and written by `writer.rs`.
//!
//! | length                  | prefix bytes | encoding                  |
//! |-------------------------|--------------|---------------------------|
//! | `0 ..= 0x7F`            | 1            | `len`                     |
//! | `0x80 ..= 0x3FFF`       | 2            | `len \| 0x8000`           |
//! | `0x4000 ..= 0x1F_FFFF`  | 3            | `len \| 0xC0_0000`        |
//! | `0x20_0000 ..= 0xFFF_FFFF` | 4         | `len \| 0xE000_0000`      |
//! | `0x1000_0000 ..`        | 5            | `0xF0` then `len` (4 bytes) |
//!
//! A first byte of `0xF8..=0xFF` is a reserved control byte and is refused. First bytes
//! `0xF1..=0xF7` would announce words of 4 GiB and more: they are refused as too long.

use bytes::BufMut;

/// Size limits the decoder enforces before it allocates or waits for anything.
///
/// A hostile or broken device announcing a 4 GiB word gets a [`DecodeError::WordTooLong`]
/// as soon as the length prefix is read.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::Limits;
/// let limits = Limits::default().with_max_word_len(1024);
/// assert_eq!(limits.max_word_len(), 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_word_len: usize,
    max_sentence_len: usize,
    max_words: usize,
}

impl Default for Limits {
    /// 1 MiB per word, 8 MiB per sentence, 65,536 words per sentence.
    fn default() -> Self {
        Self {
            max_word_len: 1 << 20,
            max_sentence_len: 8 << 20,
            max_words: 65_536,
        }
    }
}

impl Limits {
    /// Longest accepted word, in bytes.
    #[must_use]
    pub const fn max_word_len(&self) -> usize {
        self.max_word_len
    }
    /// Longest accepted sentence (prefixes included), in bytes.
    #[must_use]
    pub const fn max_sentence_len(&self) -> usize {
        self.max_sentence_len
    }
    /// Most words accepted in one sentence.
    #[must_use]
    pub const fn max_words(&self) -> usize {
        self.max_words
    }
    /// Sets the longest accepted word.
    #[must_use]
    pub const fn with_max_word_len(mut self, n: usize) -> Self {
        self.max_word_len = n;
        self
    }
    /// Sets the longest accepted sentence.
    #[must_use]
    pub const fn with_max_sentence_len(mut self, n: usize) -> Self {
        self.max_sentence_len = n;
        self
    }
    /// Sets the most words accepted in one sentence.
    #[must_use]
    pub const fn with_max_words(mut self, n: usize) -> Self {
        self.max_words = n;
        self
    }
}

/// Why bytes could not be decoded into a sentence. The connection cannot be trusted afterwards.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A length prefix started with a reserved control byte (`0xF8..=0xFF`).
    #[error("reserved control byte 0x{byte:02X} where a word length was expected")]
    ControlByte {
        /// The byte.
        byte: u8,
    },
    /// A word is longer than the limit (or than 4 GiB).
    #[error("word of {len} bytes exceeds the limit of {max} bytes")]
    WordTooLong {
        /// Announced length.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// A sentence is longer than the limit.
    #[error("sentence exceeds the limit of {max} bytes")]
    SentenceTooLong {
        /// The limit.
        max: usize,
    },
    /// A sentence has more words than the limit.
    #[error("sentence exceeds the limit of {max} words")]
    TooManyWords {
        /// The limit.
        max: usize,
    },
}

/// Why a sentence could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A sentence needs at least one word.
    #[error("a sentence needs at least one word")]
    EmptySentence,
    /// An empty word would end the sentence early.
    #[error("word {index} is empty")]
    EmptyWord {
        /// Index of the word in the sentence.
        index: usize,
    },
    /// A word of 4 GiB or more cannot be encoded.
    #[error("word of {len} bytes cannot be encoded")]
    WordTooLong {
        /// Its length.
        len: usize,
    },
}

/// Number of prefix bytes needed to encode `len`.
#[must_use]
pub(crate) const fn encoded_len_size(len: u32) -> usize {
    if len < 0x80 {
        1
    } else if len < 0x4000 {
        2
    } else if len < 0x20_0000 {
        3
    } else if len < 0x1000_0000 {
        4
    } else {
        5
    }
}

/// Appends the length prefix of a word of `len` bytes.
pub(crate) fn encode_len(len: u32, out: &mut impl BufMut) {
    if len < 0x80 {
        out.put_u8(len as u8);
    } else if len < 0x4000 {
        out.put_u16(len as u16 | 0x8000);
    } else if len < 0x20_0000 {
        let v = len | 0xC0_0000;
        out.put_u8((v >> 16) as u8);
        out.put_u16(v as u16);
    } else if len < 0x1000_0000 {
        out.put_u32(len | 0xE000_0000);
    } else {
        out.put_u8(0xF0);
        out.put_u32(len);
    }
}

/// Reads a length prefix at the start of `buf`.
///
/// Returns `Ok(None)` when `buf` holds only part of the prefix, else the announced length and
/// the prefix size. Non-minimal prefixes (a short length in a long form) are accepted.
///
/// # Errors
/// [`DecodeError::ControlByte`] for a first byte in `0xF8..=0xFF`.
pub(crate) fn decode_len(buf: &[u8]) -> Result<Option<(u64, usize)>, DecodeError> {
    let Some(&b0) = buf.first() else {
        return Ok(None);
    };
    let (size, first_bits) = match b0 {
        0x00..=0x7F => return Ok(Some((u64::from(b0), 1))),
        0x80..=0xBF => (2, u64::from(b0 & 0x3F)),
        0xC0..=0xDF => (3, u64::from(b0 & 0x1F)),
        0xE0..=0xEF => (4, u64::from(b0 & 0x0F)),
        0xF0..=0xF7 => (5, u64::from(b0 & 0x07)),
        _ => return Err(DecodeError::ControlByte { byte: b0 }),
    };
    let Some(rest) = buf.get(1..size) else {
        return Ok(None);
    };
    let len = rest
        .iter()
        .fold(first_bits, |acc, &b| (acc << 8) | u64::from(b));
    Ok(Some((len, size)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decode::{Decoder, decode_sentence};
    use bytes::{Bytes, BytesMut};

    fn enc(len: u32) -> Vec<u8> {
        let mut v = Vec::new();
        encode_len(len, &mut v);
        v
    }

    #[test]
    fn prefix_sizes() {
        assert_eq!(encoded_len_size(0x7F), 1);
        assert_eq!(encoded_len_size(0x80), 2);
        assert_eq!(encoded_len_size(0x1000_0000), 5);
        assert_eq!(enc(0x80), [0x80, 0x80]);
        assert_eq!(decode_len(&[0xC0, 0x40]), Ok(None));
        assert_eq!(decode_len(&[0xC0, 0x40, 0x00]), Ok(Some((0x4000, 3))));
    }

    #[test]
    fn length_boundaries_match_the_manual() {
        let cases: &[(u32, &[u8])] = &[
            (0, &[0x00]),
            (0x7F, &[0x7F]),
            (0x80, &[0x80, 0x80]),
            (0x3FFF, &[0xBF, 0xFF]),
            (0x4000, &[0xC0, 0x40, 0x00]),
            (0x1F_FFFF, &[0xDF, 0xFF, 0xFF]),
            (0x20_0000, &[0xE0, 0x20, 0x00, 0x00]),
            (0xFFF_FFFF, &[0xEF, 0xFF, 0xFF, 0xFF]),
            (0x1000_0000, &[0xF0, 0x10, 0x00, 0x00, 0x00]),
            (u32::MAX, &[0xF0, 0xFF, 0xFF, 0xFF, 0xFF]),
        ];
        for &(len, bytes) in cases {
            assert_eq!(enc(len), bytes, "encoding {len:#x}");
            assert_eq!(encoded_len_size(len), bytes.len());
            assert_eq!(
                decode_len(bytes),
                Ok(Some((u64::from(len), bytes.len()))),
                "decoding {len:#x}"
            );
            for cut in 1..bytes.len() {
                assert_eq!(decode_len(&bytes[..cut]), Ok(None), "{len:#x} cut at {cut}");
            }
        }
    }

    #[test]
    fn control_bytes_are_refused() {
        for b in 0xF8..=0xFF_u8 {
            assert_eq!(
                decode_len(&[b, 0, 0, 0, 0]),
                Err(DecodeError::ControlByte { byte: b })
            );
            assert_eq!(
                decode_sentence(&[b], &Limits::default()),
                Err(DecodeError::ControlByte { byte: b })
            );
        }
    }

    #[test]
    fn four_gib_word_is_an_error_not_an_allocation() {
        let limits = Limits::default();
        // 0xF7 = 5-byte prefix with the top 3 length bits set: 32 GiB announced.
        let err = decode_sentence(&[0xF7, 0xFF, 0xFF, 0xFF, 0xFF], &limits).unwrap_err();
        assert_eq!(
            err,
            DecodeError::WordTooLong {
                len: 0x7_FFFF_FFFF,
                max: 1 << 20
            }
        );
        let err = decode_sentence(&[0xF0, 0xFF, 0xFF, 0xFF, 0xFF], &limits).unwrap_err();
        assert!(matches!(
            err,
            DecodeError::WordTooLong {
                len: 0xFFFF_FFFF,
                ..
            }
        ));
        let mut dec = Decoder::new(limits);
        let mut buf = BytesMut::from(&[0xEF, 0xFF, 0xFF, 0xFF][..]);
        assert!(matches!(
            dec.decode(&mut buf),
            Err(DecodeError::WordTooLong { .. })
        ));
    }

    #[test]
    fn sentence_and_word_count_limits() {
        let limits = Limits::default()
            .with_max_words(2)
            .with_max_sentence_len(12);
        assert_eq!(
            decode_sentence(b"\x01a\x01b\x01c\x00", &limits),
            Err(DecodeError::TooManyWords { max: 2 })
        );
        assert!(
            decode_sentence(b"\x0a0123456789\x00", &limits)
                .unwrap()
                .is_some()
        );
        assert_eq!(
            decode_sentence(b"\x0b0123456789a\x00", &limits),
            Err(DecodeError::SentenceTooLong { max: 12 })
        );
    }

    #[test]
    fn empty_sentences_are_skipped() {
        let (s, used) = decode_sentence(b"\x00\x00\x05!done\x00", &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(s.words(), &[Bytes::from_static(b"!done")]);
        assert_eq!(used, 9);
        let mut dec = Decoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"\x00\x00"[..]);
        assert_eq!(dec.decode(&mut buf), Ok(None));
        assert!(buf.is_empty());
    }

    #[test]
    fn decoder_resumes_byte_by_byte() {
        let mut wire = Vec::new();
        let long = vec![b'x'; 0x4000];
        for w in [&b"!re"[..], &long, b"=name=ether1"] {
            crate::proto::SentenceWriter::new(&mut wire)
                .word(w)
                .unwrap();
        }
        wire.push(0);
        wire.extend_from_slice(b"\x05!done\x00");
        let mut dec = Decoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for &b in &wire {
            buf.put_u8(b);
            while let Some(s) = dec.decode(&mut buf).unwrap() {
                got.push(s);
            }
        }
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].words()[1].len(), 0x4000);
        assert_eq!(got[1].words()[0].as_ref(), b"!done");
        assert!(buf.is_empty());
    }
}
