//! The one sentence writer: words, attributes and tags straight into a buffer, used by
//! [`Sentence::encode`](super::Sentence::encode) (and so by the client) and by the simulator's
//! replies, which stream rows without building a [`Sentence`](super::Sentence) first.

use bytes::BufMut;

use super::word::{EncodeError, encode_len};

/// Appends the words of one sentence to a buffer; [`SentenceWriter::end`] writes the terminating
/// zero. It holds no state besides the buffer, so a sentence may be written across several
/// short-lived writers (the simulator does, between rows it streams).
pub(crate) struct SentenceWriter<'a, B: BufMut> {
    out: &'a mut B,
}

impl<'a, B: BufMut> SentenceWriter<'a, B> {
    /// A writer appending to `out`.
    pub(crate) fn new(out: &'a mut B) -> Self {
        Self { out }
    }

    /// Appends one word made of `parts` (concatenated, with one length prefix).
    ///
    /// # Errors
    /// [`EncodeError::WordTooLong`] for a word of 4 GiB or more; nothing is written then.
    pub(crate) fn word_of(&mut self, parts: &[&[u8]]) -> Result<&mut Self, EncodeError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len32 = u32::try_from(len).map_err(|_| EncodeError::WordTooLong { len })?;
        encode_len(len32, self.out);
        for p in parts {
            self.out.put_slice(p);
        }
        Ok(self)
    }

    /// Appends one word.
    ///
    /// # Errors
    /// As [`SentenceWriter::word_of`].
    pub(crate) fn word(&mut self, word: &[u8]) -> Result<&mut Self, EncodeError> {
        self.word_of(&[word])
    }

    /// Appends the attribute word `=name=value` (the simulator's replies; commands keep their
    /// attributes as words of a [`Sentence`](super::Sentence)).
    ///
    /// # Errors
    /// As [`SentenceWriter::word_of`].
    #[cfg(any(feature = "sim", test))]
    pub(crate) fn attr(&mut self, name: &[u8], value: &[u8]) -> Result<&mut Self, EncodeError> {
        self.word_of(&[b"=", name, b"=", value])
    }

    /// Appends the tag word `.tag=tag`.
    ///
    /// # Errors
    /// As [`SentenceWriter::word_of`].
    #[cfg(any(feature = "sim", test))]
    pub(crate) fn tag(&mut self, tag: &[u8]) -> Result<&mut Self, EncodeError> {
        self.word_of(&[b".tag=", tag])
    }

    /// Ends the sentence (the zero-length word).
    pub(crate) fn end(&mut self) {
        self.out.put_u8(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::decode::decode_sentence;
    use crate::proto::{Limits, Sentence};

    #[test]
    fn writes_what_sentence_encode_writes() {
        let mut out = Vec::new();
        let mut w = SentenceWriter::new(&mut out);
        w.word(b"!re").unwrap().tag(b"7").unwrap();
        w.attr(b"name", b"ether1").unwrap();
        w.end();
        let expected = Sentence::from_words(["!re", ".tag=7", "=name=ether1"])
            .to_bytes()
            .unwrap();
        assert_eq!(out, expected.as_ref());
        let (decoded, used) = decode_sentence(&out, &Limits::default()).unwrap().unwrap();
        assert_eq!(used, out.len());
        assert_eq!(decoded.words().len(), 3);
    }

    #[test]
    fn long_words_get_long_prefixes() {
        let mut out = Vec::new();
        SentenceWriter::new(&mut out)
            .attr(b"x", &[b'a'; 200])
            .unwrap()
            .end();
        assert_eq!(&out[..2], &[0x80, 203]);
        assert_eq!(out.len(), 2 + 203 + 1);
    }
}
