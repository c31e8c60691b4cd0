//! Sentences (lists of words) and replies (`!re`, `!done`, `!trap`, `!fatal`, `!empty`).

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use bytes::{BufMut, Bytes, BytesMut};
use ispvm_model::quote::bounded;

use super::word::{EncodeError, encoded_len_size};
use super::writer::SentenceWriter;

/// One API sentence: a non-empty list of non-empty words, kept as bytes.
///
/// A decoded sentence keeps its words as byte ranges of the one frame it was read from (one
/// reference count and one small allocation per sentence, none per word); [`Sentence::words`]
/// builds the `Bytes` list on first use. [`Sentence::word`] and [`Sentence::iter`] read the
/// words without building it.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::Sentence;
/// let s = Sentence::from_words(["/interface/print", "=.proplist=name"]);
/// let wire = s.to_bytes()?;
/// assert_eq!(&wire[..], b"\x10/interface/print\x0f=.proplist=name\x00");
/// assert_eq!(s.word(1), Some(&b"=.proplist=name"[..]));
/// assert_eq!(s.iter().count(), 2);
/// # Ok::<(), ispvm_routeros::proto::EncodeError>(())
/// ```
#[derive(Clone, Default)]
pub struct Sentence {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    /// Words built by hand (or converted from a frame by [`Sentence::push`]).
    Words(Vec<Bytes>),
    /// Words decoded from one frame, as ranges into it.
    Frame(Frame),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Words(Vec::new())
    }
}

#[derive(Clone)]
struct Frame {
    bytes: Bytes,
    /// `(start, end)` of each word in `bytes`.
    spans: Vec<(u32, u32)>,
    /// The words as `Bytes`, built on the first call of [`Sentence::words`].
    words: OnceLock<Vec<Bytes>>,
}

impl Frame {
    fn word(&self, index: usize) -> Option<&[u8]> {
        let &(start, end) = self.spans.get(index)?;
        self.bytes.get(start as usize..end as usize)
    }
    fn to_words(&self) -> Vec<Bytes> {
        self.spans
            .iter()
            .map(|&(start, end)| self.bytes.slice(start as usize..end as usize))
            .collect()
    }
}

impl Sentence {
    /// An empty sentence (add words with [`Sentence::push`]).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A sentence whose words are the `(start, end)` ranges of `frame`. Ranges outside the
    /// frame are never produced by the decoder; they would read as missing words.
    pub(crate) fn from_frame(frame: Bytes, spans: Vec<(u32, u32)>) -> Self {
        Self {
            repr: Repr::Frame(Frame {
                bytes: frame,
                spans,
                words: OnceLock::new(),
            }),
        }
    }

    pub(crate) fn from_validated(words: Vec<Bytes>) -> Self {
        Self {
            repr: Repr::Words(words),
        }
    }

    /// A sentence of the given words.
    #[must_use]
    pub fn from_words<I, W>(words: I) -> Self
    where
        I: IntoIterator<Item = W>,
        W: Into<Bytes>,
    {
        Self::from_validated(words.into_iter().map(Into::into).collect())
    }

    /// Appends a word.
    pub fn push(&mut self, word: impl Into<Bytes>) {
        if let Repr::Frame(f) = &mut self.repr {
            let words = f.words.take().unwrap_or_else(|| f.to_words());
            self.repr = Repr::Words(words);
        }
        if let Repr::Words(w) = &mut self.repr {
            w.push(word.into());
        }
    }

    /// The words, first (command or reply word) first.
    ///
    /// For a decoded sentence the list is built (once) on the first call; prefer
    /// [`Sentence::word`] or [`Sentence::iter`] on hot paths.
    #[must_use]
    pub fn words(&self) -> &[Bytes] {
        match &self.repr {
            Repr::Words(w) => w,
            Repr::Frame(f) => f.words.get_or_init(|| f.to_words()),
        }
    }

    /// Word `index` (0 is the command or reply word), without building [`Sentence::words`].
    #[must_use]
    pub fn word(&self, index: usize) -> Option<&[u8]> {
        match &self.repr {
            Repr::Words(w) => w.get(index).map(|w| &w[..]),
            Repr::Frame(f) => f.word(index),
        }
    }

    /// The words in order, as byte slices, without building [`Sentence::words`].
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.word(i).unwrap_or_default())
    }

    /// Consumes the sentence into its words.
    #[must_use]
    pub fn into_words(self) -> Vec<Bytes> {
        match self.repr {
            Repr::Words(w) => w,
            Repr::Frame(mut f) => f.words.take().unwrap_or_else(|| f.to_words()),
        }
    }

    /// Number of words.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Words(w) => w.len(),
            Repr::Frame(f) => f.spans.len(),
        }
    }

    /// True when the sentence has no word.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the encoded sentence takes (prefixes and terminating zero included).
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        self.iter()
            .map(|w| encoded_len_size(u32::try_from(w.len()).unwrap_or(u32::MAX)) + w.len())
            .sum::<usize>()
            + 1
    }

    /// Appends the encoded sentence to `out`.
    ///
    /// # Errors
    /// [`EncodeError`] for an empty sentence, an empty word or a word of 4 GiB or more.
    pub fn encode(&self, out: &mut impl BufMut) -> Result<(), EncodeError> {
        if self.is_empty() {
            return Err(EncodeError::EmptySentence);
        }
        if let Some(index) = self.iter().position(<[u8]>::is_empty) {
            return Err(EncodeError::EmptyWord { index });
        }
        let mut writer = SentenceWriter::new(out);
        for w in self.iter() {
            writer.word(w)?;
        }
        writer.end();
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

impl PartialEq for Sentence {
    /// Equal when the words are equal, however each sentence stores them.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Sentence {}

impl Hash for Sentence {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len().hash(state);
        for w in self.iter() {
            w.hash(state);
        }
    }
}

impl fmt::Debug for Sentence {
    /// Words shown as lossy text; the value of a `=password=` word is masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for w in self.iter() {
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
    #[error("unknown reply word {:?}", ispvm_model::quote::bounded(word))]
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
            Some(c) => write!(f, "{} (category {})", bounded(&self.message), c.code()),
            None => write!(f, "{}", bounded(&self.message)),
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
    tag: Option<u32>,
}

/// Splits an attribute word `=name=value` (or bare `=name`) into name and value.
fn split_attr(word: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = word.strip_prefix(b"=")?;
    Some(match rest.iter().position(|&b| b == b'=') {
        Some(p) => (
            rest.get(..p).unwrap_or_default(),
            rest.get(p + 1..).unwrap_or_default(),
        ),
        None => (rest, &[][..]),
    })
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
        let first = sentence.word(0).ok_or(ReplyError::Empty)?;
        let kind = ReplyKind::from_word(first).ok_or_else(|| ReplyError::UnknownReplyWord {
            word: String::from_utf8_lossy(first).into_owned(),
        })?;
        // The last `.tag=` word wins, as before.
        let tag = sentence
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, w)| w.starts_with(b".tag="))
            .last()
            .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX));
        Ok(Self {
            kind,
            sentence,
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
        let w = self.sentence.word(self.tag? as usize)?;
        w.get(5..)
    }

    /// The underlying sentence.
    #[must_use]
    pub const fn sentence(&self) -> &Sentence {
        &self.sentence
    }

    fn attrs(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        self.sentence.iter().skip(1).filter_map(split_attr)
    }

    /// Attribute `name` (`=name=value` words; `.id` is `=.id=`).
    #[must_use]
    pub fn get(&self, name: &str) -> Option<Value<'_>> {
        let name = name.as_bytes();
        // A name never contains `=`: the first `=` after the leading one ends it.
        if name.contains(&b'=') {
            return None;
        }
        self.sentence.iter().skip(1).find_map(|w| {
            let rest = w.strip_prefix(b"=")?.strip_prefix(name)?;
            match rest.split_first() {
                None => Some(Value(&[])),
                Some((b'=', value)) => Some(Value(value)),
                Some(_) => None,
            }
        })
    }

    /// Every attribute as (name, value), in order.
    pub fn attributes(&self) -> impl Iterator<Item = (Value<'_>, Value<'_>)> + '_ {
        self.attrs().map(|(n, v)| (Value(n), Value(v)))
    }

    /// Number of attributes.
    #[must_use]
    pub fn attribute_count(&self) -> usize {
        self.attrs().count()
    }

    /// True when any attribute name or value is not valid UTF-8.
    #[must_use]
    pub fn has_non_utf8(&self) -> bool {
        self.sentence
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
    fn device_text_in_errors_is_bounded() {
        let huge = "x".repeat(1 << 20);
        let err = Reply::parse(Sentence::from_words([huge.clone()])).unwrap_err();
        let text = err.to_string();
        assert_eq!(
            text,
            format!("unknown reply word \"{}…\"", "x".repeat(80)),
            "a 1 MiB reply word is quoted as 80 characters and an ellipsis"
        );
        let trap = Trap {
            category: None,
            message: huge.clone(),
        };
        assert_eq!(trap.to_string().chars().count(), 81);
    }

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

    fn decoded(wire: &[u8]) -> Sentence {
        let (s, used) = super::super::decode_sentence(wire, &super::super::Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(used, wire.len());
        s
    }

    fn hash_of(s: &Sentence) -> u64 {
        use std::collections::hash_map::DefaultHasher;
        let mut h = DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    }

    #[test]
    fn decoded_sentence_reads_like_a_built_one() {
        let built = Sentence::from_words(["!re", ".tag=4", "=name=a=b", "=x", "=="]);
        let wire = built.to_bytes().unwrap();
        let mut s = decoded(&wire);
        assert_eq!(s, built);
        assert_eq!(hash_of(&s), hash_of(&built));
        assert_eq!(s.len(), 5);
        assert_eq!(s.word(2), Some(&b"=name=a=b"[..]));
        assert_eq!(s.word(5), None);
        assert_eq!(s.encoded_len(), wire.len());
        assert_eq!(s.to_bytes().unwrap(), wire);
        assert_eq!(format!("{s:?}"), format!("{built:?}"));
        assert_eq!(s.words(), built.words());
        assert_eq!(s.clone().into_words(), built.clone().into_words());
        let r = Reply::parse(s.clone()).unwrap();
        assert_eq!(r.tag(), Some(&b"4"[..]));
        assert_eq!(r.get("name").unwrap().as_bytes(), b"a=b");
        assert_eq!(r.get("x").unwrap().as_bytes(), b"");
        assert_eq!(r.get("").unwrap().as_bytes(), b"");
        assert!(r.get("name=a").is_none());
        assert!(r.get("nam").is_none());
        let attrs: Vec<(String, String)> = r
            .attributes()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        assert_eq!(
            attrs,
            [("name", "a=b"), ("x", ""), ("", "")].map(|(n, v)| (n.to_owned(), v.to_owned()))
        );
        assert_eq!(r.attribute_count(), 3);
        // Pushing onto a decoded sentence keeps its words.
        s.push(&b"=y=1"[..]);
        assert_eq!(s.len(), 6);
        assert_eq!(s.word(0), Some(&b"!re"[..]));
        assert_eq!(s.word(5), Some(&b"=y=1"[..]));
        assert_ne!(s, built);
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
