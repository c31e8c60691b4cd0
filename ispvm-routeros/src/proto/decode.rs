//! Sentence decoding: the one-shot [`decode_sentence`] and the incremental [`Decoder`], both
//! bounded by [`Limits`] before they allocate or wait.

use bytes::{Buf, Bytes, BytesMut};

use super::sentence::Sentence;
use super::word::{DecodeError, Limits, decode_len};

/// Where an incremental scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// More bytes are needed; resume at `pos` having seen `words` words.
    Incomplete { pos: usize, words: usize },
    /// A whole sentence of `words` words ends at `end` (after the terminating zero).
    Complete { end: usize, words: usize },
}

fn scan(
    buf: &[u8],
    mut pos: usize,
    mut words: usize,
    limits: &Limits,
) -> Result<Scan, DecodeError> {
    loop {
        let rest = buf.get(pos..).unwrap_or_default();
        let Some((len, prefix)) = decode_len(rest)? else {
            return Ok(Scan::Incomplete { pos, words });
        };
        if len == 0 {
            return Ok(Scan::Complete {
                end: pos + prefix,
                words,
            });
        }
        if len > limits.max_word_len() as u64 {
            return Err(DecodeError::WordTooLong {
                len,
                max: limits.max_word_len(),
            });
        }
        // Bounded by max_word_len (a usize) just above.
        let len = len as usize;
        if words + 1 > limits.max_words() {
            return Err(DecodeError::TooManyWords {
                max: limits.max_words(),
            });
        }
        if pos + prefix + len + 1 > limits.max_sentence_len() {
            return Err(DecodeError::SentenceTooLong {
                max: limits.max_sentence_len(),
            });
        }
        if rest.len() < prefix + len {
            return Ok(Scan::Incomplete { pos, words });
        }
        pos += prefix + len;
        words += 1;
    }
}

/// Splits a validated frame (words then a zero byte) into words, sharing its memory.
///
/// The words are kept as ranges of the frame: one reference count for the whole sentence
/// instead of one per word. A frame too long for 32-bit ranges (only possible with limits
/// raised past 4 GiB) falls back to one `Bytes` per word.
fn split_frame(frame: Bytes, words: usize) -> Sentence {
    if u32::try_from(frame.len()).is_err() {
        let mut out = Vec::with_capacity(words);
        for_each_word(&frame, |start, end| out.push(frame.slice(start..end)));
        return Sentence::from_validated(out);
    }
    let mut spans = Vec::with_capacity(words);
    // Both bounds are below frame.len(), which fits in a u32 (checked above).
    for_each_word(&frame, |start, end| spans.push((start as u32, end as u32)));
    Sentence::from_frame(frame, spans)
}

/// Calls `f(start, end)` for each word of a validated frame.
fn for_each_word(frame: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut pos = 0;
    while let Ok(Some((len, prefix))) = decode_len(frame.get(pos..).unwrap_or_default()) {
        if len == 0 {
            break;
        }
        let start = pos + prefix;
        let end = start + len as usize;
        if end > frame.len() {
            break;
        }
        f(start, end);
        pos = end;
    }
}

/// Decodes one sentence from the start of `buf`, copying its words.
///
/// Returns `Ok(None)` until `buf` holds a whole sentence, then the sentence and the number of
/// bytes it used. Empty sentences (a lone zero byte) are skipped, as the manual says.
///
/// # Errors
/// [`DecodeError`] when the bytes break the protocol or the [`Limits`].
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::{decode_sentence, Limits};
/// let bytes = b"\x05!done\x08=ret=abc\x00rest";
/// let (sentence, used) = decode_sentence(bytes, &Limits::default())?.unwrap();
/// assert_eq!(sentence.words()[1].as_ref(), b"=ret=abc");
/// assert_eq!(used, 16);
/// assert!(decode_sentence(&bytes[..7], &Limits::default())?.is_none());
/// # Ok::<(), ispvm_routeros::proto::DecodeError>(())
/// ```
pub fn decode_sentence(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(Sentence, usize)>, DecodeError> {
    let mut start = 0;
    loop {
        let rest = buf.get(start..).unwrap_or_default();
        match scan(rest, 0, 0, limits)? {
            Scan::Incomplete { .. } => return Ok(None),
            Scan::Complete { end, words: 0 } => start += end,
            Scan::Complete { end, words } => {
                let frame = Bytes::copy_from_slice(rest.get(..end).unwrap_or_default());
                return Ok(Some((split_frame(frame, words), start + end)));
            }
        }
    }
}

/// Incremental, zero-copy sentence decoder over a growing [`BytesMut`] (the `tokio` codec
/// pattern: "is a whole sentence here yet?", then split it off).
///
/// It remembers how far it has validated, so feeding a large sentence a few bytes at a time
/// costs linear time. Words of the returned sentence share the buffer's memory.
///
/// # Examples
/// ```
/// use bytes::BytesMut;
/// use ispvm_routeros::proto::{Decoder, Limits};
///
/// let mut dec = Decoder::new(Limits::default());
/// let mut buf = BytesMut::from(&b"\x03!re\x06=a=x"[..]); // ends in half a word
/// assert!(dec.decode(&mut buf)?.is_none());
/// buf.extend_from_slice(b"yz\x00");
/// let s = dec.decode(&mut buf)?.unwrap();
/// assert_eq!(s.len(), 2);
/// assert!(buf.is_empty());
/// # Ok::<(), ispvm_routeros::proto::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    limits: Limits,
    pos: usize,
    words: usize,
}

impl Decoder {
    /// A decoder enforcing `limits`.
    #[must_use]
    pub const fn new(limits: Limits) -> Self {
        Self {
            limits,
            pos: 0,
            words: 0,
        }
    }

    /// The limits in force.
    #[must_use]
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Splits the next whole sentence off the front of `buf`, or returns `Ok(None)` when more
    /// bytes are needed. Empty sentences are skipped.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes break the protocol or the [`Limits`]; the stream is then
    /// out of sync and should be closed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Sentence>, DecodeError> {
        loop {
            match scan(buf, self.pos, self.words, &self.limits)? {
                Scan::Incomplete { pos, words } => {
                    self.pos = pos;
                    self.words = words;
                    return Ok(None);
                }
                Scan::Complete { end, words } => {
                    self.pos = 0;
                    self.words = 0;
                    if words == 0 {
                        buf.advance(end);
                        continue;
                    }
                    let frame = buf.split_to(end).freeze();
                    return Ok(Some(split_frame(frame, words)));
                }
            }
        }
    }
}
