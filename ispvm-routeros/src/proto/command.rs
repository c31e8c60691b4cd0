//! Commands and the typed query builder.

use bytes::{BufMut, Bytes, BytesMut};

use super::sentence::Sentence;

fn join(parts: &[&[u8]]) -> Bytes {
    let mut b = BytesMut::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        b.put_slice(p);
    }
    b.freeze()
}

/// A command sentence under construction.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::{Command, Query};
/// let cmd = Command::new("/ppp/active/print")
///     .flag("count-only")
///     .query(Query::eq("service", "pppoe"));
/// let words: Vec<_> = cmd.sentence().words().iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
/// assert_eq!(words, ["/ppp/active/print", "=count-only=", "?=service=pppoe"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    sentence: Sentence,
}

impl Command {
    /// A command word such as `/interface/print`.
    #[must_use]
    pub fn new(path: &str) -> Self {
        let mut sentence = Sentence::new();
        sentence.push(Bytes::copy_from_slice(path.as_bytes()));
        Self { sentence }
    }

    /// The command word.
    #[must_use]
    pub fn path(&self) -> &[u8] {
        self.sentence.words().first().map_or(&[], |w| &w[..])
    }

    /// Adds `=name=value`.
    #[must_use]
    pub fn attr(self, name: &str, value: impl AsRef<[u8]>) -> Self {
        self.word(join(&[b"=", name.as_bytes(), b"=", value.as_ref()]))
    }

    /// Adds `=name=` (an attribute with an empty value, e.g. `=count-only=`, `=stats=`).
    #[must_use]
    pub fn flag(self, name: &str) -> Self {
        self.attr(name, b"")
    }

    /// Adds `=.proplist=a,b,c`: only these properties are returned.
    #[must_use]
    pub fn proplist(self, names: &[&str]) -> Self {
        self.attr(".proplist", names.join(","))
    }

    /// Adds `=.id=ID`.
    #[must_use]
    pub fn id(self, id: &str) -> Self {
        self.attr(".id", id)
    }

    /// Adds the words of a query.
    #[must_use]
    pub fn query(mut self, query: Query) -> Self {
        for w in query.words {
            self.sentence.push(w);
        }
        self
    }

    /// Adds `.tag=TAG`. The client tags commands itself; this is for low-level use.
    #[must_use]
    pub fn tag(self, tag: &str) -> Self {
        self.word(join(&[b".tag=", tag.as_bytes()]))
    }

    /// Adds a raw word.
    #[must_use]
    pub fn word(mut self, word: impl Into<Bytes>) -> Self {
        self.sentence.push(word);
        self
    }

    /// The sentence.
    #[must_use]
    pub const fn sentence(&self) -> &Sentence {
        &self.sentence
    }

    /// The sentence, consuming the command.
    #[must_use]
    pub fn into_sentence(self) -> Sentence {
        self.sentence
    }
}

/// A typed query (the `?` words of a print), built from predicates and `and`/`or`/`not`,
/// emitted in the API's stack notation.
///
/// # Examples
/// ```
/// use ispvm_routeros::proto::Query;
/// let q = Query::eq("type", "ether").or(Query::eq("type", "vlan")).and(!Query::has("comment"));
/// let words: Vec<_> = q.words().iter().map(|w| String::from_utf8_lossy(w).into_owned()).collect();
/// assert_eq!(words, ["?=type=ether", "?=type=vlan", "?#|", "?comment", "?#!", "?#&"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    words: Vec<Bytes>,
}

impl Query {
    /// `?name`: the item has property `name`.
    #[must_use]
    pub fn has(name: &str) -> Self {
        Self {
            words: vec![join(&[b"?", name.as_bytes()])],
        }
    }
    /// `?-name`: the item lacks property `name`.
    #[must_use]
    pub fn lacks(name: &str) -> Self {
        Self {
            words: vec![join(&[b"?-", name.as_bytes()])],
        }
    }
    /// `?=name=value`: property equals value.
    #[must_use]
    pub fn eq(name: &str, value: impl AsRef<[u8]>) -> Self {
        Self {
            words: vec![join(&[b"?=", name.as_bytes(), b"=", value.as_ref()])],
        }
    }
    /// `?<name=value`: property is less than value.
    #[must_use]
    pub fn lt(name: &str, value: impl AsRef<[u8]>) -> Self {
        Self {
            words: vec![join(&[b"?<", name.as_bytes(), b"=", value.as_ref()])],
        }
    }
    /// `?>name=value`: property is greater than value.
    #[must_use]
    pub fn gt(name: &str, value: impl AsRef<[u8]>) -> Self {
        Self {
            words: vec![join(&[b"?>", name.as_bytes(), b"=", value.as_ref()])],
        }
    }
    /// Both queries hold (`?#&`).
    #[must_use]
    pub fn and(mut self, other: Query) -> Self {
        self.words.extend(other.words);
        self.words.push(Bytes::from_static(b"?#&"));
        self
    }
    /// Either query holds (`?#|`).
    #[must_use]
    pub fn or(mut self, other: Query) -> Self {
        self.words.extend(other.words);
        self.words.push(Bytes::from_static(b"?#|"));
        self
    }
    /// The query does not hold (`?#!`); also available as `!query`.
    #[must_use]
    pub fn negate(mut self) -> Self {
        self.words.push(Bytes::from_static(b"?#!"));
        self
    }
    /// The query words.
    #[must_use]
    pub fn words(&self) -> &[Bytes] {
        &self.words
    }
}

impl std::ops::Not for Query {
    type Output = Query;
    fn not(self) -> Query {
        self.negate()
    }
}

/// One parsed query word, as a server (the simulator) reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryWord {
    /// `?name`: has property.
    Has(String),
    /// `?-name`: lacks property.
    Lacks(String),
    /// `?=name=value` or `?name=value`: equals.
    Eq(String, Vec<u8>),
    /// `?<name=value`.
    Lt(String, Vec<u8>),
    /// `?>name=value`.
    Gt(String, Vec<u8>),
    /// `?#ops`: stack operations (`|`, `&`, `!`, `.`, decimal indices).
    Ops(String),
}

/// Why a query could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// An operation needed more values than the stack held.
    #[error("query stack underflow at operation {op:?}")]
    StackUnderflow {
        /// The operation.
        op: char,
    },
    /// An unknown character in a `?#` word.
    #[error("unknown query operation {op:?}")]
    UnknownOperation {
        /// The character.
        op: char,
    },
    /// A `?` word that is not a query.
    #[error("malformed query word {word:?}")]
    Malformed {
        /// The word, lossily decoded.
        word: String,
    },
}

impl QueryWord {
    /// Parses a `?` word.
    ///
    /// # Errors
    /// [`QueryError::Malformed`] for words that do not start with `?` or name nothing.
    pub fn parse(word: &[u8]) -> Result<Self, QueryError> {
        let malformed = || QueryError::Malformed {
            word: String::from_utf8_lossy(word).into_owned(),
        };
        let rest = word.strip_prefix(b"?").ok_or_else(malformed)?;
        let name_value = |s: &[u8]| -> Result<(String, Vec<u8>), QueryError> {
            let p = s.iter().position(|&b| b == b'=').ok_or_else(malformed)?;
            let (n, v) = s.split_at(p);
            if n.is_empty() {
                return Err(malformed());
            }
            Ok((
                String::from_utf8_lossy(n).into_owned(),
                v.get(1..).unwrap_or_default().to_vec(),
            ))
        };
        let text = |s: &[u8]| String::from_utf8_lossy(s).into_owned();
        Ok(match rest.first() {
            None => return Err(malformed()),
            Some(b'#') => QueryWord::Ops(text(&rest[1..])),
            Some(b'-') if rest.len() > 1 => QueryWord::Lacks(text(&rest[1..])),
            Some(b'=') => {
                let (n, v) = name_value(&rest[1..])?;
                QueryWord::Eq(n, v)
            }
            Some(b'<') => {
                let (n, v) = name_value(&rest[1..])?;
                QueryWord::Lt(n, v)
            }
            Some(b'>') => {
                let (n, v) = name_value(&rest[1..])?;
                QueryWord::Gt(n, v)
            }
            Some(_) if rest.contains(&b'=') => {
                let (n, v) = name_value(rest)?;
                QueryWord::Eq(n, v)
            }
            Some(_) => QueryWord::Has(text(rest)),
        })
    }
}

/// Compares two property values the way the simulator does: as integers when both are
/// integers, else as bytes.
#[cfg(any(feature = "sim", test))]
fn compare(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let num = |s: &[u8]| std::str::from_utf8(s).ok()?.parse::<i128>().ok();
    match (num(a), num(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}

/// Evaluates query words against one item, `lookup` giving a property's value.
///
/// Semantics of the MikroTik API manual: each predicate pushes a boolean; `?#` applies
/// `!` (negate top), `&` and `|` (pop two, push result), `.` (push a copy of the top) and
/// decimal indices (push a copy of the value at that position, 0 = bottom); at the end every
/// value left on the stack must be true (an empty query matches everything).
///
/// # Errors
/// [`QueryError`] on stack underflow or an unknown operation.
#[cfg(any(feature = "sim", test))]
pub(crate) fn eval_query<'a>(
    words: &[QueryWord],
    lookup: impl Fn(&str) -> Option<&'a [u8]>,
) -> Result<bool, QueryError> {
    let mut stack: Vec<bool> = Vec::with_capacity(words.len());
    for w in words {
        match w {
            QueryWord::Has(n) => stack.push(lookup(n).is_some()),
            QueryWord::Lacks(n) => stack.push(lookup(n).is_none()),
            QueryWord::Eq(n, v) => stack.push(lookup(n).unwrap_or_default() == v.as_slice()),
            QueryWord::Lt(n, v) => {
                stack.push(lookup(n).is_some_and(|x| compare(x, v) == std::cmp::Ordering::Less))
            }
            QueryWord::Gt(n, v) => {
                stack.push(lookup(n).is_some_and(|x| compare(x, v) == std::cmp::Ordering::Greater))
            }
            QueryWord::Ops(ops) => {
                let mut chars = ops.chars().peekable();
                while let Some(op) = chars.next() {
                    match op {
                        '!' => {
                            let top = stack.last_mut().ok_or(QueryError::StackUnderflow { op })?;
                            *top = !*top;
                        }
                        '&' | '|' => {
                            let b = stack.pop().ok_or(QueryError::StackUnderflow { op })?;
                            let a = stack.pop().ok_or(QueryError::StackUnderflow { op })?;
                            stack.push(if op == '&' { a && b } else { a || b });
                        }
                        '.' => {
                            let top = *stack.last().ok_or(QueryError::StackUnderflow { op })?;
                            stack.push(top);
                        }
                        '0'..='9' => {
                            let mut idx = op.to_digit(10).unwrap_or(0) as usize;
                            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                                idx = idx.saturating_mul(10).saturating_add(d as usize);
                                chars.next();
                            }
                            let v = *stack.get(idx).ok_or(QueryError::StackUnderflow { op })?;
                            stack.push(v);
                        }
                        _ => return Err(QueryError::UnknownOperation { op }),
                    }
                }
            }
        }
    }
    Ok(stack.iter().all(|&b| b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(q: &Query) -> Vec<QueryWord> {
        q.words()
            .iter()
            .map(|w| QueryWord::parse(w).unwrap())
            .collect()
    }

    #[test]
    fn parses_every_query_form() {
        assert_eq!(
            QueryWord::parse(b"?name"),
            Ok(QueryWord::Has("name".into()))
        );
        assert_eq!(
            QueryWord::parse(b"?-name"),
            Ok(QueryWord::Lacks("name".into()))
        );
        assert_eq!(
            QueryWord::parse(b"?=name=a=b"),
            Ok(QueryWord::Eq("name".into(), b"a=b".to_vec()))
        );
        assert_eq!(
            QueryWord::parse(b"?name=x"),
            Ok(QueryWord::Eq("name".into(), b"x".to_vec()))
        );
        assert_eq!(
            QueryWord::parse(b"?<mtu=1500"),
            Ok(QueryWord::Lt("mtu".into(), b"1500".to_vec()))
        );
        assert_eq!(
            QueryWord::parse(b"?>mtu=1500"),
            Ok(QueryWord::Gt("mtu".into(), b"1500".to_vec()))
        );
        assert_eq!(QueryWord::parse(b"?#|!"), Ok(QueryWord::Ops("|!".into())));
        assert!(QueryWord::parse(b"?").is_err());
        assert!(QueryWord::parse(b"?==x").is_err());
        assert!(QueryWord::parse(b"=x").is_err());
    }

    #[test]
    fn stack_semantics() {
        let item = |n: &str| match n {
            "type" => Some(&b"ether"[..]),
            "mtu" => Some(&b"1500"[..]),
            _ => None,
        };
        let q = Query::gt("mtu", "999").and(Query::lt("mtu", "1501"));
        assert_eq!(eval_query(&parse_all(&q), item), Ok(true));
        let q = !Query::eq("type", "vlan");
        assert_eq!(eval_query(&parse_all(&q), item), Ok(true));
        let q = Query::has("comment").or(Query::lacks("comment"));
        assert_eq!(eval_query(&parse_all(&q), item), Ok(true));
        // Two predicates without operator: all must hold.
        let words = vec![QueryWord::Has("type".into()), QueryWord::Has("x".into())];
        assert_eq!(eval_query(&words, item), Ok(false));
        let words = vec![QueryWord::Has("x".into()), QueryWord::Ops("0!".into())];
        assert_eq!(
            eval_query(&words, item),
            Ok(false),
            "copy of index 0 negated, AND with 0"
        );
        assert_eq!(
            eval_query(&[QueryWord::Ops("|".into())], item),
            Err(QueryError::StackUnderflow { op: '|' })
        );
        assert_eq!(
            eval_query(
                &[QueryWord::Has("a".into()), QueryWord::Ops("x".into())],
                item
            ),
            Err(QueryError::UnknownOperation { op: 'x' })
        );
        assert_eq!(eval_query(&[], item), Ok(true));
    }
}
