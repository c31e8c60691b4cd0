//! FreeRADIUS `detail` file import: accounting Start / Interim-Update / Stop records as session
//! events, streaming over any [`BufRead`], with usernames hashed at the parser.
//!
//! A detail file is a sequence of records; each starts with an unindented date line and
//! holds one indented `Attribute-Name = value` per line, and a blank line ends it:
//!
//! ```text
//! Thu Jan  1 00:00:00 2026
//!     Acct-Status-Type = Start
//!     User-Name = "alice@isp"
//!     Acct-Session-Id = "81a00001"
//!     NAS-IP-Address = 10.0.0.1
//!     Timestamp = 1767225600
//! ```
//!
//! - **Privacy**: `User-Name` is turned into a [`SubscriberId`] with the tenant's
//!   [`SubscriberHasher`](crate::privacy::SubscriberHasher) while the line is parsed, or dropped
//!   unread under [`Privacy::Aggregate`]. The plaintext is never stored in a record, and no
//!   error message ever quotes a line of the file. `Calling-Station-Id` (MAC) and
//!   `Framed-IP-Address` are not kept either.
//! - **Errors**: a malformed record yields one [`DetailError`] with the line number of the fault;
//!   the import goes on with the next record. Only an I/O error ends it.
//! - **Memory**: one line buffer (at most [`DetailLimits::max_line_len`] bytes) and one record
//!   (at most [`DetailLimits::max_attributes`] attributes read); nothing grows with the file.
//! - **Time**: `Timestamp` (Unix seconds, added by FreeRADIUS), else `Event-Timestamp`, else
//!   the record's date line (read as UTC).

use std::io::{BufRead, ErrorKind};

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Serialize;

use crate::privacy::{Privacy, SessionEventKind, SubscriberEvent, SubscriberId};

/// Bounds of the importer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DetailLimits {
    /// Longest line accepted, in bytes (default 4096); longer lines make their record malformed.
    pub max_line_len: usize,
    /// Most attribute lines in one record (default 512).
    pub max_attributes: usize,
}

impl Default for DetailLimits {
    fn default() -> Self {
        Self {
            max_line_len: 4096,
            max_attributes: 512,
        }
    }
}

/// `Acct-Status-Type` of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AcctStatus {
    /// `Start` (1).
    Start,
    /// `Stop` (2).
    Stop,
    /// `Interim-Update` or `Alive` (3).
    InterimUpdate,
    /// `Accounting-On` (7): the NAS (re)started, all its sessions are gone.
    AccountingOn,
    /// `Accounting-Off` (8): the NAS is going down.
    AccountingOff,
}

impl AcctStatus {
    fn parse(v: &[u8]) -> Option<Self> {
        Some(match v {
            b"Start" | b"1" => AcctStatus::Start,
            b"Stop" | b"2" => AcctStatus::Stop,
            b"Interim-Update" | b"Alive" | b"3" => AcctStatus::InterimUpdate,
            b"Accounting-On" | b"7" => AcctStatus::AccountingOn,
            b"Accounting-Off" | b"8" => AcctStatus::AccountingOff,
            _ => return None,
        })
    }
}

/// One accounting record as a session event. No username: see [`AccountingRecord::subscriber`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AccountingRecord {
    /// Line number (1-based) of the record's date line.
    pub line: u64,
    /// The status type.
    pub status: AcctStatus,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// `Acct-Session-Id` (required except for Accounting-On/Off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The keyed hash of `User-Name`, only when the tenant opted in ([`Privacy::Subscriber`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber: Option<SubscriberId>,
    /// `NAS-Identifier`, else `NAS-IP-Address`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nas: Option<String>,
    /// `Acct-Session-Time` in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_time_s: Option<u64>,
    /// Octets from the subscriber (`Acct-Input-Octets` + 2^32 x `Acct-Input-Gigawords`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_octets: Option<u64>,
    /// Octets to the subscriber (`Acct-Output-Octets` + 2^32 x `Acct-Output-Gigawords`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_octets: Option<u64>,
    /// `Acct-Terminate-Cause` (Stop), e.g. `Lost-Carrier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terminate_cause: Option<String>,
}

impl AccountingRecord {
    /// The subscriber-level event of this record, when it has a subscriber (opt-in) and is a
    /// session record.
    #[must_use]
    pub fn to_subscriber_event(&self) -> Option<SubscriberEvent> {
        let kind = match self.status {
            AcctStatus::Start => SessionEventKind::Start,
            AcctStatus::InterimUpdate => SessionEventKind::Interim,
            AcctStatus::Stop => SessionEventKind::Stop,
            AcctStatus::AccountingOn | AcctStatus::AccountingOff => return None,
        };
        Some(SubscriberEvent::new(
            self.subscriber?,
            self.at,
            kind,
            self.session_time_s,
        ))
    }
}

/// What was wrong with a record (never quotes the file's content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetailErrorKind {
    /// A line longer than [`DetailLimits::max_line_len`].
    #[error("line longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
    /// An indented attribute line before any date line.
    #[error("attribute line outside a record")]
    AttributeOutsideRecord,
    /// An attribute line without `=` or with an empty name.
    #[error("malformed attribute line (expected `Name = value`)")]
    MalformedAttribute,
    /// More attribute lines than [`DetailLimits::max_attributes`].
    #[error("more than {limit} attributes in one record")]
    TooManyAttributes {
        /// The limit.
        limit: usize,
    },
    /// A value we read could not be parsed.
    #[error("bad value of {attribute}")]
    BadValue {
        /// The attribute.
        attribute: &'static str,
    },
    /// No `Acct-Status-Type`, or one we do not know.
    #[error("missing or unknown Acct-Status-Type")]
    BadStatus,
    /// A session record without `Acct-Session-Id`.
    #[error("missing Acct-Session-Id")]
    MissingSessionId,
    /// No usable time (`Timestamp`, `Event-Timestamp` or a readable date line).
    #[error("no usable timestamp")]
    MissingTime,
    /// Reading failed; the import stops.
    #[error("read error ({kind:?}): {message}")]
    Io {
        /// The I/O error kind.
        kind: ErrorKind,
        /// Its message.
        message: String,
    },
}

/// A malformed record (or a read error), with the 1-based line number of the fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
#[non_exhaustive]
pub struct DetailError {
    /// Line number of the fault.
    pub line: u64,
    /// What was wrong.
    pub kind: DetailErrorKind,
}

/// Attributes of the record being read.
#[derive(Debug, Default)]
struct Partial {
    line: u64,
    header_time: Option<DateTime<Utc>>,
    attributes: usize,
    status: Option<AcctStatus>,
    bad_status: bool,
    timestamp: Option<DateTime<Utc>>,
    event_timestamp: Option<DateTime<Utc>>,
    session_id: Option<String>,
    subscriber: Option<SubscriberId>,
    nas_id: Option<String>,
    nas_ip: Option<String>,
    session_time: Option<u64>,
    in_octets: Option<u64>,
    in_giga: Option<u64>,
    out_octets: Option<u64>,
    out_giga: Option<u64>,
    terminate_cause: Option<String>,
    error: Option<DetailError>,
}

impl Partial {
    fn finish(self) -> Result<AccountingRecord, DetailError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let err = |kind| DetailError {
            line: self.line,
            kind,
        };
        let status = self
            .status
            .filter(|_| !self.bad_status)
            .ok_or_else(|| err(DetailErrorKind::BadStatus))?;
        let at = self
            .timestamp
            .or(self.event_timestamp)
            .or(self.header_time)
            .ok_or_else(|| err(DetailErrorKind::MissingTime))?;
        let session = !matches!(status, AcctStatus::AccountingOn | AcctStatus::AccountingOff);
        if session && self.session_id.is_none() {
            return Err(err(DetailErrorKind::MissingSessionId));
        }
        let octets = |lo: Option<u64>, hi: Option<u64>| match (lo, hi) {
            (None, None) => None,
            (lo, hi) => Some(
                hi.unwrap_or(0)
                    .saturating_mul(1 << 32)
                    .saturating_add(lo.unwrap_or(0)),
            ),
        };
        Ok(AccountingRecord {
            line: self.line,
            status,
            at,
            session_id: self.session_id,
            subscriber: self.subscriber,
            nas: self.nas_id.or(self.nas_ip),
            session_time_s: self.session_time,
            input_octets: octets(self.in_octets, self.in_giga),
            output_octets: octets(self.out_octets, self.out_giga),
            terminate_cause: self.terminate_cause,
        })
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if first.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if last.is_ascii_whitespace() {
            s = rest;
        } else {
            break;
        }
    }
    s
}

/// Strips quotes and undoes FreeRADIUS escapes (`\"`, `\\`, `\n`, `\r`, `\t`, `\NNN` octal).
fn unquote<'a>(v: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
    let inner = match v {
        [b'"', inner @ .., b'"'] => inner,
        _ => v,
    };
    if !inner.contains(&b'\\') {
        return inner;
    }
    scratch.clear();
    let mut i = 0;
    while let Some(&b) = inner.get(i) {
        if b != b'\\' {
            scratch.push(b);
            i += 1;
            continue;
        }
        match inner.get(i + 1) {
            Some(b'n') => scratch.push(b'\n'),
            Some(b'r') => scratch.push(b'\r'),
            Some(b't') => scratch.push(b'\t'),
            Some(&d @ b'0'..=b'3') => {
                if let Some(&[o1 @ b'0'..=b'7', o2 @ b'0'..=b'7']) = inner.get(i + 2..i + 4) {
                    scratch.push(((d - b'0') << 6) | ((o1 - b'0') << 3) | (o2 - b'0'));
                    i += 4;
                    continue;
                }
                scratch.push(d);
            }
            Some(&c) => scratch.push(c),
            None => scratch.push(b'\\'),
        }
        i += 2;
    }
    scratch
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 20 {
        return None;
    }
    v.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit()
            .then(|| acc.checked_mul(10)?.checked_add(u64::from(b - b'0')))?
    })
}

fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}

fn parse_date(v: &[u8], formats: &[&str]) -> Option<DateTime<Utc>> {
    let s = std::str::from_utf8(v).ok()?;
    let s = s.trim().trim_end_matches(" UTC").trim_end_matches(" GMT");
    formats
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| Utc.from_utc_datetime(&n))
}

fn unix(v: u64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(i64::try_from(v).ok()?, 0)
}

/// Reads accounting records from a FreeRADIUS `detail` file, one per iteration.
///
/// # Examples
/// ```
/// use ispvm_pppoe::accounting::{AcctStatus, DetailReader};
/// use ispvm_pppoe::privacy::{Privacy, SubscriberHasher, SubscriberSecret};
///
/// let file = "Thu Jan  1 00:00:00 2026\n\
///     \tAcct-Status-Type = Start\n\
///     \tUser-Name = \"alice@isp\"\n\
///     \tAcct-Session-Id = \"81a00001\"\n\
///     \tTimestamp = 1767225600\n\
///     \n\
///     Thu Jan  1 00:05:00 2026\n\
///     \tAcct-Status-Type = Stop\n\
///     \tUser-Name = \"alice@isp\"\n\
///     \tAcct-Session-Time = oops\n";
/// // Not opted in: no subscriber ids at all.
/// let records: Vec<_> = DetailReader::new(file.as_bytes(), Privacy::Aggregate).collect();
/// let first = records[0].as_ref().unwrap();
/// assert_eq!(first.status, AcctStatus::Start);
/// assert_eq!(first.subscriber, None);
/// // The second record is malformed: a line-numbered error, and the import went on.
/// assert_eq!(records[1].as_ref().unwrap_err().to_string(), "line 10: bad value of Acct-Session-Time");
///
/// // Opted in: keyed hashes, never the name.
/// let hasher = SubscriberHasher::new("demo-isp".parse()?, &SubscriberSecret::generate());
/// let mut reader = DetailReader::new(file.as_bytes(), Privacy::Subscriber(hasher.clone()));
/// let first = reader.next().unwrap()?;
/// assert_eq!(first.subscriber, Some(hasher.hash("alice@isp")));
/// assert!(!serde_json::to_string(&first)?.contains("alice"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct DetailReader<R> {
    reader: R,
    privacy: Privacy,
    limits: DetailLimits,
    line_no: u64,
    line: Vec<u8>,
    scratch: Vec<u8>,
    current: Option<Partial>,
    done: bool,
    records: u64,
    errors: u64,
}

/// What one bounded line read found.
enum Line {
    Eof,
    Ok,
    TooLong,
}

impl<R: BufRead> DetailReader<R> {
    /// An importer over `reader` with default limits.
    pub fn new(reader: R, privacy: Privacy) -> Self {
        Self::with_limits(reader, privacy, DetailLimits::default())
    }

    /// An importer with explicit limits.
    pub fn with_limits(reader: R, privacy: Privacy, limits: DetailLimits) -> Self {
        Self {
            reader,
            privacy,
            limits,
            line_no: 0,
            line: Vec::with_capacity(256),
            scratch: Vec::new(),
            current: None,
            done: false,
            records: 0,
            errors: 0,
        }
    }

    /// Records returned so far.
    #[must_use]
    pub fn records_read(&self) -> u64 {
        self.records
    }

    /// Errors returned so far.
    #[must_use]
    pub fn errors(&self) -> u64 {
        self.errors
    }

    /// Bytes held in the importer's buffers (for memory-bound tests): never more than a few
    /// times [`DetailLimits::max_line_len`].
    #[must_use]
    pub fn buffered_bytes(&self) -> usize {
        self.line.capacity() + self.scratch.capacity()
    }

    /// Reads one line (without its `\n` / `\r\n`) into `self.line`, keeping at most
    /// `max_line_len` bytes and skipping the rest.
    fn read_line(&mut self) -> std::io::Result<Line> {
        self.line.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, used, end) = match buf.iter().position(|&b| b == b'\n') {
                Some(p) => (buf.get(..p).unwrap_or(&[]), p + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = self.limits.max_line_len.saturating_sub(self.line.len());
            if chunk.len() > room {
                too_long = true;
            }
            if !too_long {
                self.line.extend_from_slice(chunk);
            }
            self.reader.consume(used);
            if end {
                break;
            }
        }
        if !any {
            return Ok(Line::Eof);
        }
        self.line_no += 1;
        if self.line.last() == Some(&b'\r') {
            self.line.pop();
        }
        Ok(if too_long { Line::TooLong } else { Line::Ok })
    }

    fn fail(&mut self, kind: DetailErrorKind) {
        if let Some(p) = self.current.as_mut() {
            if p.error.is_none() {
                p.error = Some(DetailError {
                    line: self.line_no,
                    kind,
                });
            }
        }
    }

    /// Parses one attribute line of the current record.
    fn attribute(&mut self) {
        let Some(p) = self.current.as_mut() else {
            return;
        };
        if p.error.is_some() {
            return;
        }
        p.attributes += 1;
        if p.attributes > self.limits.max_attributes {
            let limit = self.limits.max_attributes;
            self.fail(DetailErrorKind::TooManyAttributes { limit });
            return;
        }
        let line = trim(&self.line);
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            self.fail(DetailErrorKind::MalformedAttribute);
            return;
        };
        let (name, value) = (
            trim(line.get(..eq).unwrap_or(&[])),
            trim(line.get(eq + 1..).unwrap_or(&[])),
        );
        if name.is_empty() {
            self.fail(DetailErrorKind::MalformedAttribute);
            return;
        }
        let mut bad: Option<&'static str> = None;
        match name {
            b"Acct-Status-Type" => match AcctStatus::parse(unquote(value, &mut self.scratch)) {
                Some(s) => p.status = Some(s),
                None => p.bad_status = true,
            },
            b"User-Name" => {
                // Hashed here, or ignored: the plaintext goes no further than this line buffer.
                p.subscriber = self.privacy.pseudonymize(unquote(value, &mut self.scratch));
            }
            b"Acct-Session-Id" => {
                let v = unquote(value, &mut self.scratch);
                if v.is_empty() || v.len() > 253 {
                    bad = Some("Acct-Session-Id");
                } else {
                    p.session_id = Some(text(v));
                }
            }
            b"NAS-Identifier" => p.nas_id = Some(text(unquote(value, &mut self.scratch))),
            b"NAS-IP-Address" => p.nas_ip = Some(text(unquote(value, &mut self.scratch))),
            b"Acct-Terminate-Cause" => {
                p.terminate_cause = Some(text(unquote(value, &mut self.scratch)));
            }
            b"Timestamp" => match parse_u64(value).and_then(unix) {
                Some(t) => p.timestamp = Some(t),
                None => bad = Some("Timestamp"),
            },
            b"Event-Timestamp" => {
                let v = unquote(value, &mut self.scratch);
                match parse_u64(v)
                    .and_then(unix)
                    .or_else(|| parse_date(v, &["%b %e %Y %H:%M:%S", "%b %d %Y %H:%M:%S"]))
                {
                    Some(t) => p.event_timestamp = Some(t),
                    None => bad = Some("Event-Timestamp"),
                }
            }
            _ => {
                let (slot, attr): (&mut Option<u64>, &'static str) = match name {
                    b"Acct-Session-Time" => (&mut p.session_time, "Acct-Session-Time"),
                    b"Acct-Input-Octets" => (&mut p.in_octets, "Acct-Input-Octets"),
                    b"Acct-Output-Octets" => (&mut p.out_octets, "Acct-Output-Octets"),
                    b"Acct-Input-Gigawords" => (&mut p.in_giga, "Acct-Input-Gigawords"),
                    b"Acct-Output-Gigawords" => (&mut p.out_giga, "Acct-Output-Gigawords"),
                    _ => return,
                };
                match parse_u64(unquote(value, &mut self.scratch)) {
                    Some(n) => *slot = Some(n),
                    None => bad = Some(attr),
                }
            }
        }
        if let Some(attribute) = bad {
            self.fail(DetailErrorKind::BadValue { attribute });
        }
    }

    fn finish(&mut self) -> Option<Result<AccountingRecord, DetailError>> {
        let r = self.current.take()?.finish();
        match r {
            Ok(_) => self.records += 1,
            Err(_) => self.errors += 1,
        }
        Some(r)
    }
}

impl<R: BufRead> Iterator for DetailReader<R> {
    type Item = Result<AccountingRecord, DetailError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            let status = match self.read_line() {
                Ok(s) => s,
                Err(e) => {
                    self.done = true;
                    self.errors += 1;
                    return Some(Err(DetailError {
                        line: self.line_no + 1,
                        kind: DetailErrorKind::Io {
                            kind: e.kind(),
                            message: e.to_string(),
                        },
                    }));
                }
            };
            match status {
                Line::Eof => {
                    self.done = true;
                    return self.finish();
                }
                Line::TooLong => {
                    let limit = self.limits.max_line_len;
                    if self.current.is_none() {
                        self.errors += 1;
                        return Some(Err(DetailError {
                            line: self.line_no,
                            kind: DetailErrorKind::LineTooLong { limit },
                        }));
                    }
                    self.fail(DetailErrorKind::LineTooLong { limit });
                }
                Line::Ok => {
                    let indented = matches!(self.line.first(), Some(b' ' | b'\t'));
                    if trim(&self.line).is_empty() {
                        if let Some(r) = self.finish() {
                            return Some(r);
                        }
                    } else if indented {
                        if self.current.is_none() {
                            self.errors += 1;
                            return Some(Err(DetailError {
                                line: self.line_no,
                                kind: DetailErrorKind::AttributeOutsideRecord,
                            }));
                        }
                        self.attribute();
                    } else {
                        // A date line: starts a record (ending one left without a blank line).
                        let header_time = parse_date(
                            &self.line,
                            &["%a %b %e %H:%M:%S %Y", "%a %b %d %H:%M:%S %Y"],
                        );
                        let next = Partial {
                            line: self.line_no,
                            header_time,
                            ..Partial::default()
                        };
                        let previous = self.finish();
                        self.current = Some(next);
                        if let Some(r) = previous {
                            return Some(r);
                        }
                    }
                }
            }
        }
    }
}

impl<R: BufRead> std::iter::FusedIterator for DetailReader<R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::{SubscriberHasher, SubscriberSecret};
    use proptest::prelude::*;

    const GOOD: &str = "Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Start
\tUser-Name = \"alice@isp\"
\tAcct-Session-Id = \"81a00001\"
\tNAS-IP-Address = 10.0.0.1
\tCalling-Station-Id = \"aa:bb:cc:dd:ee:ff\"
\tFramed-IP-Address = 100.64.0.7
\tTimestamp = 1767225600

Thu Jan  1 00:10:00 2026
\tAcct-Status-Type = Interim-Update
\tUser-Name = \"alice@isp\"
\tAcct-Session-Id = \"81a00001\"
\tNAS-Identifier = \"bras1\"
\tAcct-Session-Time = 600
\tAcct-Input-Octets = 5
\tAcct-Input-Gigawords = 1
\tEvent-Timestamp = \"Jan  1 2026 00:10:00 UTC\"

Thu Jan  1 01:00:00 2026
\tAcct-Status-Type = Stop
\tUser-Name = \"bob\\\"s \\101\"
\tAcct-Session-Id = \"81a00002\"
\tAcct-Session-Time = 3600
\tAcct-Output-Octets = 123456
\tAcct-Terminate-Cause = Lost-Carrier
";

    fn hasher() -> SubscriberHasher {
        SubscriberHasher::new(
            "t".parse().unwrap(),
            &SubscriberSecret::from_hex("000102030405060708090a0b0c0d0e0f").unwrap(),
        )
    }

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn parses_start_interim_stop() {
        let h = hasher();
        let r: Vec<_> = DetailReader::new(GOOD.as_bytes(), Privacy::Subscriber(h.clone()))
            .map(Result::unwrap)
            .collect();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            AccountingRecord {
                line: 1,
                status: AcctStatus::Start,
                at: t("2026-01-01T00:00:00Z"),
                session_id: Some("81a00001".into()),
                subscriber: Some(h.hash("alice@isp")),
                nas: Some("10.0.0.1".into()),
                session_time_s: None,
                input_octets: None,
                output_octets: None,
                terminate_cause: None,
            }
        );
        assert_eq!(r[1].status, AcctStatus::InterimUpdate);
        assert_eq!(r[1].at, t("2026-01-01T00:10:00Z"));
        assert_eq!(r[1].nas.as_deref(), Some("bras1"));
        assert_eq!(r[1].input_octets, Some((1 << 32) + 5));
        assert_eq!(r[1].line, 10);
        // Escapes are undone before hashing: bob"s A
        assert_eq!(r[2].subscriber, Some(h.hash("bob\"s A")));
        assert_eq!(r[2].at, t("2026-01-01T01:00:00Z")); // from the date line
        assert_eq!(r[2].terminate_cause.as_deref(), Some("Lost-Carrier"));
        let ev = r[2].to_subscriber_event().unwrap();
        assert_eq!(
            (ev.kind, ev.duration_s),
            (SessionEventKind::Stop, Some(3600))
        );
    }

    #[test]
    fn without_opt_in_there_is_no_subscriber() {
        let r: Vec<_> = DetailReader::new(GOOD.as_bytes(), Privacy::Aggregate)
            .map(Result::unwrap)
            .collect();
        assert!(r.iter().all(|x| x.subscriber.is_none()));
        assert!(r.iter().all(|x| x.to_subscriber_event().is_none()));
        let json = serde_json::to_string(&r[0]).unwrap();
        assert!(!json.contains("alice") && !json.contains("aa:bb") && !json.contains("100.64"));
        assert!(!format!("{r:?}").contains("alice"));
    }

    #[test]
    fn malformed_records_are_line_numbered_and_skipped() {
        let file = "\tOrphan = 1
Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Bogus
\tAcct-Session-Id = \"s1\"

Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Start
\tno equals sign here secret-user

Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Start
\tTimestamp = -5
not a date line
\tAcct-Status-Type = Stop
\tAcct-Session-Id = \"s2\"

Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Stop
Thu Jan  1 00:00:00 2026
\tAcct-Status-Type = Accounting-On
\tNAS-IP-Address = 10.0.0.9
";
        let r: Vec<_> = DetailReader::new(file.as_bytes(), Privacy::Aggregate).collect();
        let errs: Vec<_> = r
            .iter()
            .filter_map(|x| x.as_ref().err())
            .map(|e| (e.line, e.kind.clone()))
            .collect();
        assert_eq!(
            errs,
            vec![
                (1, DetailErrorKind::AttributeOutsideRecord),
                (2, DetailErrorKind::BadStatus),
                (8, DetailErrorKind::MalformedAttribute),
                (
                    12,
                    DetailErrorKind::BadValue {
                        attribute: "Timestamp"
                    }
                ),
                (13, DetailErrorKind::MissingTime),
                (17, DetailErrorKind::MissingSessionId),
            ]
        );
        let ok: Vec<_> = r.iter().filter_map(|x| x.as_ref().ok()).collect();
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].status, AcctStatus::AccountingOn);
        assert_eq!(ok[0].line, 19);
        // No error message quotes the file.
        for e in r.iter().filter_map(|x| x.as_ref().err()) {
            assert!(!e.to_string().contains("secret-user"));
        }
    }

    #[test]
    fn long_lines_are_bounded() {
        let mut file = String::from("Thu Jan  1 00:00:00 2026\n\tUser-Name = \"");
        file.push_str(&"x".repeat(100_000));
        file.push_str("\"\n\tAcct-Status-Type = Start\n\n");
        file.push_str(&"y".repeat(50_000));
        file.push('\n');
        file.push_str(GOOD);
        let limits = DetailLimits {
            max_line_len: 1024,
            ..DetailLimits::default()
        };
        let mut reader = DetailReader::with_limits(file.as_bytes(), Privacy::Aggregate, limits);
        let first = reader.next().unwrap().unwrap_err();
        assert_eq!(
            first,
            DetailError {
                line: 2,
                kind: DetailErrorKind::LineTooLong { limit: 1024 }
            }
        );
        let second = reader.next().unwrap().unwrap_err();
        assert_eq!(second.line, 5);
        assert_eq!(reader.by_ref().filter(Result::is_ok).count(), 3);
        assert!(reader.buffered_bytes() <= 4 * 1024);
        assert_eq!((reader.records_read(), reader.errors()), (3, 2));
    }

    #[test]
    fn io_errors_stop_the_import() {
        struct Broken;
        impl std::io::Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut r = DetailReader::new(std::io::BufReader::new(Broken), Privacy::Aggregate);
        assert!(matches!(
            r.next(),
            Some(Err(DetailError {
                line: 1,
                kind: DetailErrorKind::Io { .. }
            }))
        ));
        assert!(r.next().is_none());
    }

    #[test]
    fn crlf_and_missing_final_newline() {
        let file = GOOD.replace('\n', "\r\n");
        let file = file.trim_end();
        let n = DetailReader::new(file.as_bytes(), Privacy::Aggregate)
            .filter(Result::is_ok)
            .count();
        assert_eq!(n, 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// Any bytes: no panic, and every item is either a record or a line-numbered error
        /// whose line exists.
        #[test]
        fn never_panics(bytes in proptest::collection::vec(prop_oneof![
            Just(b'\n'), Just(b'\t'), Just(b'='), Just(b'"'), Just(b'\\'), any::<u8>()], 0..600)) {
            let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            for item in DetailReader::new(&bytes[..], Privacy::Subscriber(hasher())) {
                if let Err(e) = item {
                    prop_assert!(e.line >= 1 && e.line <= lines, "{:?}", e);
                }
            }
        }
    }
}
