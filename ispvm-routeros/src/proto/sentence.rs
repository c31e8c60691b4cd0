//! Sentences (lists of words) and replies (`!re`, `!done`, `!trap`, `!fatal`, `!empty`).

use std::borrow::Cow;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};

use super::word::{EncodeError, encode_word, encoded_len_size};

/// One API sentence: a non-empty list of non-empty words, kept as bytes.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::Sentence;
/// let s = Sentence::from_words(["/interface/print", "=.proplist=name"]);
/// let wire = s.to_bytes()?;
/// assert_eq!(&wire[..], b"\x10/interface/print\x0f=.proplist=name\x00");
/// # Ok::<(), ispvm_routeros::proto::EncodeError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Default, Hash)]
pub struct Sentence {
    words: Vec<Bytes>,
}

impl Sentence {
    /// An empty sentence (add words with [`Sentence::push`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn from_validated(words: Vec<Bytes>) -> Self {
        Self { words }
    }

    /// A sentence of the given words.
    #[must_use]
    pub fn from_words<I, W>(words: I) -> Self
    where
        I: IntoIterator<Item = W>,
        W: Into<Bytes>,
    {
        Self {
            words: words.into_iter().map(Into::into).collect(),
        }
    }

    /// Appends a word.
    pub fn push(&mut self, word: impl Into<Bytes>) {
        self.words.push(word.into());
    }

    /// The words, first (command or reply word) first.
    #[must_use]
    pub fn words(&self) -> &[Bytes] {
        &self.words
    }

    /// Consumes the sentence into its words.
    #[must_use]
    pub fn into_words(self) -> Vec<Bytes> {
        self.words
    }

    /// Number of words.
    #[must_use]
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// True when the sentence has no word.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// Bytes the encoded sentence takes (prefixes and terminating zero included).
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.words
            .iter()
            .map(|w| encoded_len_size(u32::try_from(w.len()).unwrap_or(u32::MAX)) + w.len())
            .sum::<usize>()
            + 1
    }

    /// Appends the encoded sentence to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] for an empty sentence, an empty word or a word of 4 GiB or more.
    pub fn encode(&self, out: &mut impl BufMut) -> Result<(), EncodeError> {
        if self.words.is_empty() {
            return Err(EncodeError::EmptySentence);
        }
        if let Some(index) = self.words.iter().position(|w| w.is_empty()) {
            return Err(EncodeError::EmptyWord { index });
        }
        for w in &self.words {
            encode_word(w, out)?;
        }
        out.put_u8(0);
        Ok(())
    }

    /// The encoded sentence.
    ///
    /// # Errors
    /// As [`Sentence::encode`].
    pub fn to_bytes(&self) -> Result<Bytes, EncodeError> {
        let mut out = BytesMut::with_capacity(self.encoded_len());
        self.encode(&mut out)?;
        Ok(out.freeze())
    }
}

impl fmt::Debug for Sentence {
    /// Words shown as lossy text; the value of a `=password=` word is masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for w in &self.words {
            if w.starts_with(b"=password=") {
                list.entry(&"=password=<redacted>");
            } else {
                list.entry(&String::from_utf8_lossy(w));
            }
        }
        list.finish()
    }
}

/// An attribute value as sent by the device: bytes, readable as UTF-8 text with a lossy
/// fallback (RouterOS often sends Windows-1252 comments).
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::Value;
/// let v = Value::new(b"S\xe3o Paulo");
/// assert!(!v.is_utf8());
/// assert_eq!(v.to_str_lossy(), "S\u{FFFD}o Paulo");
/// assert_eq!(Value::new(b"42").parse::<u64>(), Some(42));
/// assert_eq!(Value::new(b"true").as_bool(), Some(true));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Value<'a>(&'a [u8]);

impl<'a> Value<'a> {
    /// Wraps raw bytes.
    #[must_use]
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }
    /// The raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
    /// True when the bytes are valid UTF-8.
    #[must_use]
    pub fn is_utf8(&self) -> bool {
        std::str::from_utf8(self.0).is_ok()
    }
    /// The text, with invalid sequences replaced by U+FFFD.
    #[must_use]
    pub fn to_str_lossy(&self) -> Cow<'a, str> {
        String::from_utf8_lossy(self.0)
    }
    /// The text when it is valid UTF-8.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        std::str::from_utf8(self.0).ok()
    }
    /// Parses the (UTF-8) text.
    #[must_use]
    pub fn parse<T: std::str::FromStr>(&self) -> Option<T> {
        self.as_str()?.trim().parse().ok()
    }
    /// `true`/`yes` and `false`/`no`, as RouterOS writes booleans.
    #[must_use]
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            b"true" | b"yes" => Some(true),
            b"false" | b"no" => Some(false),
            _ => None,
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_str_lossy(), f)
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_str_lossy())
    }
}

/// The reply word of a sentence sent by the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReplyKind {
    /// `!re`: one row of data.
    Re,
    /// `!done`: the command finished (may carry `=ret=`).
    Done,
    /// `!trap`: the command failed (always followed by `!done`).
    Trap,
    /// `!fatal`: the device closes the connection.
    Fatal,
    /// `!empty`: no rows (RouterOS 7.18 and later; followed by `!done`).
    Empty,
}

impl ReplyKind {
    /// The reply word, e.g. `!done`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            ReplyKind::Re => "!re",
            ReplyKind::Done => "!done",
            ReplyKind::Trap => "!trap",
            ReplyKind::Fatal => "!fatal",
            ReplyKind::Empty => "!empty",
        }
    }

    /// Parses a reply word.
    #[must_use]
    pub fn from_word(word: &[u8]) -> Option<Self> {
        Some(match word {
            b"!re" => ReplyKind::Re,
            b"!done" => ReplyKind::Done,
            b"!trap" => ReplyKind::Trap,
            b"!fatal" => ReplyKind::Fatal,
            b"!empty" => ReplyKind::Empty,
            _ => return None,
        })
    }
}

/// Why a sentence is not a valid reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplyError {
    /// The first word is not a known reply word.
    #[error("unknown reply word {word:?}")]
    UnknownReplyWord {
        /// The word, lossily decoded.
        word: String,
    },
    /// The sentence has no words.
    #[error("empty reply sentence")]
    Empty,
}

/// Trap categories of the MikroTik API manual.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TrapCategory {
    /// 0: missing item or command.
    MissingItem,
    /// 1: argument value failure.
    ArgumentValue,
    /// 2: execution of command interrupted (e.g. by `/cancel`).
    Interrupted,
    /// 3: scripting related failure.
    Scripting,
    /// 4: general failure.
    General,
    /// 5: API related failure.
    Api,
    /// 6: TTY related failure.
    Tty,
    /// 7: value generated with the `:return` command.
    Return,
    /// A category this crate does not know.
    Other(u8),
}

impl TrapCategory {
    /// From the numeric category.
    #[must_use]
    pub const fn from_code(code: u8) -> Self {
        match code {
            0 => TrapCategory::MissingItem,
            1 => TrapCategory::ArgumentValue,
            2 => TrapCategory::Interrupted,
            3 => TrapCategory::Scripting,
            4 => TrapCategory::General,
            5 => TrapCategory::Api,
            6 => TrapCategory::Tty,
            7 => TrapCategory::Return,
            n => TrapCategory::Other(n),
        }
    }
    /// The numeric category.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            TrapCategory::MissingItem => 0,
            TrapCategory::ArgumentValue => 1,
            TrapCategory::Interrupted => 2,
            TrapCategory::Scripting => 3,
            TrapCategory::General => 4,
            TrapCategory::Api => 5,
            TrapCategory::Tty => 6,
            TrapCategory::Return => 7,
            TrapCategory::Other(n) => n,
        }
    }
}

/// A `!trap`: why a command failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Trap {
    /// Category, when the device sent one.
    pub category: Option<TrapCategory>,
    /// Message (lossy text).
    pub message: String,
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.category {
            Some(c) => write!(f, "{} (category {})", self.message, c.code()),
            None => f.write_str(&self.message),
        }
    }
}

/// A parsed reply sentence. Attribute access is by name, without copying.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::{Reply, ReplyKind, Sentence};
/// let s = Sentence::from_words(["!re", "=name=ether1", "=comment=a=b", "=empty=", ".tag=7"]);
/// let r = Reply::parse(s)?;
/// assert_eq!(r.kind(), ReplyKind::Re);
/// assert_eq!(r.tag(), Some(&b"7"[..]));
/// assert_eq!(r.get("comment").unwrap().to_str_lossy(), "a=b");
/// assert_eq!(r.get("empty").unwrap().as_bytes(), b"");
/// assert!(r.get("missing").is_none());
/// # Ok::<(), ispvm_routeros::proto::ReplyError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Reply {
    kind: ReplyKind,
    sentence: Sentence,
    /// (word index, byte index of the `=` that ends the name) of each attribute word.
    attrs: Vec<(u32, u32)>,
    tag: Option<u32>,
}

impl Reply {
    /// Parses a sentence received from a device.
    ///
    /// Words: `=name=value` (the value may contain `=` and may be empty; a bare `=name` has an
    /// empty value), `.tag=...`, and other words kept as they are (the reason of `!fatal`).
    ///
    /// # Errors
    /// [`ReplyError`] when the first word is not a reply word.
    pub fn parse(sentence: Sentence) -> Result<Self, ReplyError> {
        let first = sentence.words().first().ok_or(ReplyError::Empty)?;
        let kind = ReplyKind::from_word(first).ok_or_else(|| ReplyError::UnknownReplyWord {
            word: String::from_utf8_lossy(first).into_owned(),
        })?;
        let mut attrs = Vec::with_capacity(sentence.len().saturating_sub(1));
        let mut tag = None;
        for (i, w) in sentence.words().iter().enumerate().skip(1) {
            let i = u32::try_from(i).unwrap_or(u32::MAX);
            if let Some(rest) = w.strip_prefix(b"=") {
                let split = rest
                    .iter()
                    .position(|&b| b == b'=')
                    .map_or(w.len(), |p| p + 1);
                attrs.push((i, u32::try_from(split).unwrap_or(u32::MAX)));
            } else if w.starts_with(b".tag=") {
                tag = Some(i);
            }
        }
        Ok(Self {
            kind,
            sentence,
            attrs,
            tag,
        })
    }

    /// The reply word.
    #[must_use]
    pub const fn kind(&self) -> ReplyKind {
        self.kind
    }

    /// The `.tag` of the command this reply belongs to.
    #[must_use]
    pub fn tag(&self) -> Option<&[u8]> {
        let w = self.sentence.words().get(self.tag? as usize)?;
        w.get(5..)
    }

    /// The underlying sentence.
    #[must_use]
    pub const fn sentence(&self) -> &Sentence {
        &self.sentence
    }

    fn attr_at(&self, (i, split): (u32, u32)) -> Option<(&[u8], &[u8])> {
        let w = self.sentence.words().get(i as usize)?;
        let split = split as usize;
        let name = w.get(1..split)?;
        let value = w.get(split + 1..).unwrap_or_default();
        Some((name, value))
    }

    /// Attribute `name` (`=name=value` words; `.id` is `=.id=`).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        self.attrs.iter().find_map(|&a| {
            let (n, v) = self.attr_at(a)?;
            (n == name.as_bytes()).then_some(Value(v))
        })
    }

    /// Every attribute as (name, value), in order.
    pub fn attributes(&self) -> impl Iterator<Item = (Value<'_>, Value<'_>)> + '_ {
        self.attrs
            .iter()
            .filter_map(|&a| self.attr_at(a))
            .map(|(n, v)| (Value(n), Value(v)))
    }

    /// Number of attributes.
    #[must_use]
    pub fn attribute_count(&self) -> usize {
        self.attrs.len()
    }

    /// True when any attribute name or value is not valid UTF-8.
    #[must_use]
    pub fn has_non_utf8(&self) -> bool {
        self.sentence
            .words()
            .iter()
            .any(|w| std::str::from_utf8(w).is_err())
    }

    /// `=ret=` of a `!done` (a count for `=count-only=`, a login challenge, a new `.id`).
    #[must_use]
    pub fn ret(&self) -> Option<Value<'_>> {
        self.get("ret")
    }

    /// The trap, when this is a `!trap`.
    #[must_use]
    pub fn trap(&self) -> Option<Trap> {
        if self.kind != ReplyKind::Trap {
            return None;
        }
        Some(Trap {
            category: self
                .get("category")
                .and_then(|v| v.parse::<u8>())
                .map(TrapCategory::from_code),
            message: self
                .get("message")
                .map(|v| v.to_str_lossy().into_owned())
                .unwrap_or_default(),
        })
    }

    /// The reason of a `!fatal`: its bare word (or `=message=`).
    #[must_use]
    pub fn fatal_reason(&self) -> Option<String> {
        if self.kind != ReplyKind::Fatal {
            return None;
        }
        let bare = self
            .sentence
            .words()
            .iter()
            .skip(1)
            .find(|w| !w.starts_with(b"=") && !w.starts_with(b".tag="));
        Some(match (bare, self.get("message")) {
            (Some(w), _) => String::from_utf8_lossy(w).into_owned(),
            (None, Some(m)) => m.to_str_lossy().into_owned(),
            (None, None) => String::new(),
        })
    }
}

impl fmt::Debug for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.sentence, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traps_and_fatal() {
        let r = Reply::parse(Sentence::from_words([
            "!trap",
            "=category=0",
            "=message=no such command prefix",
        ]))
        .unwrap();
        let t = r.trap().unwrap();
        assert_eq!(t.category, Some(TrapCategory::MissingItem));
        assert_eq!(t.message, "no such command prefix");
        assert_eq!(t.to_string(), "no such command prefix (category 0)");
        let r = Reply::parse(Sentence::from_words(["!trap", "=category=9", "=message=x"])).unwrap();
        assert_eq!(r.trap().unwrap().category, Some(TrapCategory::Other(9)));
        let f = Reply::parse(Sentence::from_words([
            "!fatal",
            "session terminated on request",
        ]))
        .unwrap();
        assert_eq!(
            f.fatal_reason().as_deref(),
            Some("session terminated on request")
        );
        assert_eq!(f.trap(), None);
    }

    #[test]
    fn bare_attribute_and_unknown_reply() {
        let r = Reply::parse(Sentence::from_words(["!done", "=ret", "=.id=*1A"])).unwrap();
        assert_eq!(r.ret().unwrap().as_bytes(), b"");
        assert_eq!(r.get(".id").unwrap().as_bytes(), b"*1A");
        assert_eq!(r.attribute_count(), 2);
        assert_eq!(
            Reply::parse(Sentence::from_words(["/login"])),
            Err(ReplyError::UnknownReplyWord {
                word: "/login".into()
            })
        );
        assert_eq!(Reply::parse(Sentence::new()), Err(ReplyError::Empty));
        let e = Reply::parse(Sentence::from_words(["!empty", ".tag=3"])).unwrap();
        assert_eq!(e.kind(), ReplyKind::Empty);
        assert_eq!(e.tag(), Some(&b"3"[..]));
    }

    #[test]
    fn debug_masks_passwords() {
        let s = Sentence::from_words(["/login", "=name=admin", "=password=hunter2"]);
        let d = format!("{s:?}");
        assert!(!d.contains("hunter2"), "{d}");
        assert!(d.contains("=name=admin"));
    }

    #[test]
    fn encoding_refuses_empty_words() {
        assert_eq!(Sentence::new().to_bytes(), Err(EncodeError::EmptySentence));
        assert_eq!(
            Sentence::from_words(["!re", ""]).to_bytes(),
            Err(EncodeError::EmptyWord { index: 1 })
        );
    }
}
