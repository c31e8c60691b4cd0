//! Schema versions and the compatibility rules every reader applies.
//!
//! The rules (see `docs/schema-versioning.md`):
//!
//! 1. **Additive only within a major.** A new minor may add optional fields, enum values and
//!    registry entries; it never renames, removes, retypes a field or makes one required.
//!    [`additive_violations`] checks two JSON Schemas against this rule.
//! 2. **Readers accept the current minor and the two previous ones** ([`READER_WINDOW`]).
//!    An older minor is refused ([`VersionError::TooOld`]), and so is a newer one
//!    ([`VersionError::TooNew`]), so that no field a newer writer relies on is dropped silently:
//!    upgrade readers before writers.
//! 3. **An unknown major is refused** with [`VersionError::UnknownMajor`].
//!
//! Two string forms exist:
//! - payload versions, `"MAJOR.MINOR"` (`schema_version: "1.0"` in an ingest batch);
//! - document ids, `ispvm.<document>/v<MAJOR>` with an optional `.<MINOR>`
//!   (`ispvm.scenario/v1`, `ispvm.scenario/v1.0`). The bare major form is the one the v1
//!   contract fixes: it names the v1 baseline, which no later v1 minor may break, so every v1
//!   reader accepts it. A writer that relies on a field added in minor `N` writes `/v1.N`.
//!
//! # Examples
//! ```
//! use ispvm_schemas::version::{SchemaVersion, VersionError};
//! let current = SchemaVersion::new(1, 5);
//! assert!(current.accepts(SchemaVersion::new(1, 3)).is_ok());
//! assert!(matches!(current.accepts(SchemaVersion::new(1, 2)), Err(VersionError::TooOld { .. })));
//! assert!(matches!(current.accepts(SchemaVersion::new(2, 0)), Err(VersionError::UnknownMajor { .. })));
//! assert_eq!("1.0".parse::<SchemaVersion>()?, SchemaVersion::CURRENT);
//! # Ok::<(), VersionError>(())
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How many minors before the current one a reader still accepts.
pub const READER_WINDOW: u16 = 2;

/// A `MAJOR.MINOR` schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SchemaVersion {
    /// Incompatible changes bump the major.
    pub major: u16,
    /// Additive changes bump the minor.
    pub minor: u16,
}

impl SchemaVersion {
    /// The version this crate writes and reads: `1.0`.
    pub const CURRENT: SchemaVersion = SchemaVersion::new(1, 0);

    /// A version.
    #[must_use]
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// The oldest minor of the same major a reader at `self` accepts.
    #[must_use]
    pub const fn oldest_accepted(self) -> SchemaVersion {
        SchemaVersion::new(self.major, self.minor.saturating_sub(READER_WINDOW))
    }

    /// Whether a reader at version `self` accepts a document written at `found`.
    ///
    /// # Errors
    /// [`VersionError::UnknownMajor`], [`VersionError::TooOld`] or [`VersionError::TooNew`].
    pub fn accepts(self, found: SchemaVersion) -> Result<(), VersionError> {
        if found.major != self.major {
            return Err(VersionError::UnknownMajor {
                found: found.to_string(),
                supported: self.major,
            });
        }
        let oldest = self.oldest_accepted();
        if found < oldest {
            return Err(VersionError::TooOld {
                found,
                oldest,
                newest: self,
            });
        }
        if found > self {
            return Err(VersionError::TooNew {
                found,
                oldest,
                newest: self,
            });
        }
        Ok(())
    }
}

impl fmt::Display for SchemaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn parse_number(s: &str) -> Option<u16> {
    // Digits only (no sign, no spaces), no leading zeros except "0" itself.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl FromStr for SchemaVersion {
    type Err = VersionError;

    /// Parses `MAJOR.MINOR` (`1.0`, `1.12`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = || VersionError::Malformed {
            found: truncate(s),
            expected: "MAJOR.MINOR, e.g. 1.0",
        };
        let (major, minor) = s.split_once('.').ok_or_else(malformed)?;
        Ok(SchemaVersion::new(
            parse_number(major).ok_or_else(malformed)?,
            parse_number(minor).ok_or_else(malformed)?,
        ))
    }
}

impl TryFrom<String> for SchemaVersion {
    type Error = VersionError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<SchemaVersion> for String {
    fn from(v: SchemaVersion) -> String {
        v.to_string()
    }
}

impl schemars::JsonSchema for SchemaVersion {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SchemaVersion".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^(0|[1-9][0-9]{0,4})\\.(0|[1-9][0-9]{0,4})$",
            "description": "Schema version MAJOR.MINOR, e.g. 1.0. Readers accept their own minor and the two previous ones of their major."
        })
    }
}

/// Keeps error messages bounded when the offending text comes from untrusted input.
fn truncate(s: &str) -> String {
    const MAX: usize = 64;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// A parsed document id such as `ispvm.scenario/v1` or `ispvm.scenario/v1.2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DocumentId<'a> {
    /// The document name, e.g. `scenario`.
    pub document: &'a str,
    /// The major version.
    pub major: u16,
    /// The minor version, when the id names one.
    pub minor: Option<u16>,
}

impl<'a> DocumentId<'a> {
    /// Parses `ispvm.<document>/v<MAJOR>[.<MINOR>]`.
    ///
    /// # Errors
    /// [`VersionError::Malformed`] when `s` is not of that form.
    ///
    /// # Examples
    /// ```
    /// use ispvm_schemas::version::DocumentId;
    /// let id = DocumentId::parse("ispvm.scenario/v1.2")?;
    /// assert_eq!((id.document, id.major, id.minor), ("scenario", 1, Some(2)));
    /// assert_eq!(DocumentId::parse("ispvm.analysis/v1")?.minor, None);
    /// # Ok::<(), ispvm_schemas::version::VersionError>(())
    /// ```
    pub fn parse(s: &'a str) -> Result<Self, VersionError> {
        let malformed = || VersionError::Malformed {
            found: truncate(s),
            expected: "ispvm.<document>/v<MAJOR>[.<MINOR>], e.g. ispvm.scenario/v1",
        };
        let rest = s.strip_prefix("ispvm.").ok_or_else(malformed)?;
        let (document, version) = rest.split_once("/v").ok_or_else(malformed)?;
        if document.is_empty()
            || !document
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return Err(malformed());
        }
        let (major, minor) = match version.split_once('.') {
            Some((major, minor)) => (major, Some(minor)),
            None => (version, None),
        };
        let major = parse_number(major).ok_or_else(malformed)?;
        let minor = match minor {
            Some(m) => Some(parse_number(m).ok_or_else(malformed)?),
            None => None,
        };
        Ok(DocumentId {
            document,
            major,
            minor,
        })
    }

    /// Checks that the id names `document` in a version a reader at `current` accepts.
    ///
    /// The bare major form (`/v1`) names the baseline of that major and is accepted by every
    /// reader of the major; a `/v1.N` form follows [`SchemaVersion::accepts`].
    ///
    /// # Errors
    /// [`VersionError::WrongDocument`] for another document; otherwise as
    /// [`SchemaVersion::accepts`].
    pub fn check(&self, document: &str, current: SchemaVersion) -> Result<(), VersionError> {
        if self.document != document {
            return Err(VersionError::WrongDocument {
                found: truncate(self.document),
                expected: document.to_string(),
            });
        }
        match self.minor {
            Some(minor) => current.accepts(SchemaVersion::new(self.major, minor)),
            None if self.major == current.major => Ok(()),
            None => Err(VersionError::UnknownMajor {
                found: format!("v{}", self.major),
                supported: current.major,
            }),
        }
    }
}

/// Checks a document id such as `ispvm.scenario/v1` against what this crate reads.
///
/// # Errors
/// [`VersionError`] when the id is malformed, names another document or an unsupported version.
///
/// # Examples
/// ```
/// use ispvm_schemas::version::{check_document_id, VersionError};
/// assert!(check_document_id("ispvm.scenario/v1", "scenario").is_ok());
/// assert_eq!(
///     check_document_id("ispvm.scenario/v2", "scenario").unwrap_err().to_string(),
///     "unsupported major version v2: this reader supports major 1 only"
/// );
/// ```
pub fn check_document_id(id: &str, document: &str) -> Result<(), VersionError> {
    DocumentId::parse(id)?.check(document, SchemaVersion::CURRENT)
}

/// Why a version or document id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The text is not a version or document id.
    #[error("malformed version {found:?}: expected {expected}")]
    Malformed {
        /// The text found (truncated to 64 bytes).
        found: String,
        /// The expected form.
        expected: &'static str,
    },
    /// The id names another document (an analysis where a scenario was expected...).
    #[error("document is {found:?}, expected {expected:?}")]
    WrongDocument {
        /// Document name found.
        found: String,
        /// Document name expected.
        expected: String,
    },
    /// The major version is not the one this reader implements.
    #[error("unsupported major version {found}: this reader supports major {supported} only")]
    UnknownMajor {
        /// The version found.
        found: String,
        /// The major this reader supports.
        supported: u16,
    },
    /// The minor is older than the reader's window.
    #[error("version {found} is too old: this reader accepts {oldest} to {newest}")]
    TooOld {
        /// The version found.
        found: SchemaVersion,
        /// Oldest accepted version.
        oldest: SchemaVersion,
        /// Newest accepted version (the reader's own).
        newest: SchemaVersion,
    },
    /// The minor is newer than the reader: upgrade the reader.
    #[error(
        "version {found} is newer than this reader ({newest}); it accepts {oldest} to {newest}: upgrade the reader"
    )]
    TooNew {
        /// The version found.
        found: SchemaVersion,
        /// Oldest accepted version.
        oldest: SchemaVersion,
        /// Newest accepted version (the reader's own).
        newest: SchemaVersion,
    },
}

/// Lists the ways `new` breaks the additive-only rule relative to `old` (two JSON Schemas of the
/// same major). Empty when `new` only adds.
///
/// Checked, recursively through `properties`, `items`, `$defs`, `oneOf`/`anyOf`/`allOf`
/// (by position) and `additionalProperties`: a property or definition disappeared, a field became
/// required, a `type` or `const` changed, an `enum` value disappeared, or a limit
/// (`maxItems`, `maxLength`, `maximum`, `minItems`, `minLength`, `minimum`) got stricter.
/// Each entry starts with the schema pointer of the place.
///
/// # Examples
/// ```
/// use ispvm_schemas::version::additive_violations;
/// use serde_json::json;
/// let old = json!({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]});
/// let grown = json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "number"}}, "required": ["a"]});
/// assert!(additive_violations(&old, &grown).is_empty());
/// let broken = json!({"type": "object", "properties": {"b": {"type": "number"}}, "required": ["b"]});
/// assert_eq!(additive_violations(&old, &broken), [
///     "/required: field \"b\" became required",
///     "/properties/a: removed",
/// ]);
/// ```
#[must_use]
pub fn additive_violations(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(old, new, "", &mut out);
    out
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn walk(old: &serde_json::Value, new: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    let (Value::Object(old), Value::Object(new)) = (old, new) else {
        if old != new && !(old.is_boolean() || new.is_boolean()) {
            out.push(format!("{at}: changed"));
        }
        return;
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        match v {
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(other) => vec![other.to_string()],
            None => Vec::new(),
        }
    };
    let old_required = strings(old.get("required"));
    for field in strings(new.get("required")) {
        if !old_required.contains(&field) {
            out.push(format!("{at}/required: field {field:?} became required"));
        }
    }
    if old.get("type") != new.get("type") && old.contains_key("type") {
        let (o, n) = (strings(old.get("type")), strings(new.get("type")));
        if !o.iter().all(|t| n.contains(t)) {
            out.push(format!("{at}/type: changed from {o:?} to {n:?}"));
        }
    }
    if old.get("const") != new.get("const") && old.contains_key("const") {
        out.push(format!("{at}/const: changed"));
    }
    if old.contains_key("enum") {
        let n = new.get("enum").and_then(Value::as_array);
        for v in old
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !n.is_some_and(|n| n.contains(v)) {
                out.push(format!("{at}/enum: value {v} removed"));
            }
        }
    }
    for (key, stricter_if_smaller) in [
        ("maxItems", true),
        ("maxLength", true),
        ("maximum", true),
        ("minItems", false),
        ("minLength", false),
        ("minimum", false),
    ] {
        let o = old.get(key).and_then(Value::as_f64);
        let n = new.get(key).and_then(Value::as_f64);
        let stricter = match (o, n) {
            (Some(o), Some(n)) => (n < o) == stricter_if_smaller && n != o,
            (None, Some(_)) => true,
            _ => false,
        };
        if stricter {
            out.push(format!("{at}/{key}: stricter"));
        }
    }
    for map in ["properties", "$defs"] {
        let (Some(Value::Object(o)), n) = (old.get(map), new.get(map)) else {
            continue;
        };
        for (key, o) in o {
            let here = format!("{at}/{map}/{}", escape_pointer(key));
            match n.and_then(|n| n.get(key)) {
                Some(n) => walk(o, n, &here, out),
                None => out.push(format!("{here}: removed")),
            }
        }
    }
    for key in ["items", "additionalProperties"] {
        if let (Some(o), Some(n)) = (old.get(key), new.get(key)) {
            walk(o, n, &format!("{at}/{key}"), out);
        }
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let (Some(Value::Array(o)), Some(Value::Array(n))) = (old.get(key), new.get(key)) {
            for (i, (o, n)) in o.iter().zip(n).enumerate() {
                walk(o, n, &format!("{at}/{key}/{i}"), out);
            }
            if n.len() < o.len() {
                out.push(format!("{at}/{key}: alternatives removed"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rule_readers_accept_current_and_two_previous_minors() {
        let reader = SchemaVersion::new(1, 5);
        for minor in 3..=5 {
            assert_eq!(reader.accepts(SchemaVersion::new(1, minor)), Ok(()));
        }
        assert_eq!(
            reader.accepts(SchemaVersion::new(1, 2)),
            Err(VersionError::TooOld {
                found: SchemaVersion::new(1, 2),
                oldest: SchemaVersion::new(1, 3),
                newest: reader,
            })
        );
        let e = reader.accepts(SchemaVersion::new(1, 6)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "version 1.6 is newer than this reader (1.5); it accepts 1.3 to 1.5: upgrade the reader"
        );
        // At the start of a major, the window is clamped at minor 0.
        let reader = SchemaVersion::new(1, 1);
        assert_eq!(reader.oldest_accepted(), SchemaVersion::new(1, 0));
        assert_eq!(reader.accepts(SchemaVersion::new(1, 0)), Ok(()));
    }

    #[test]
    fn rule_unknown_major_is_refused() {
        let e = SchemaVersion::CURRENT
            .accepts(SchemaVersion::new(2, 0))
            .unwrap_err();
        assert_eq!(
            e,
            VersionError::UnknownMajor {
                found: "2.0".into(),
                supported: 1
            }
        );
        assert_eq!(
            e.to_string(),
            "unsupported major version 2.0: this reader supports major 1 only"
        );
        assert!(matches!(
            SchemaVersion::CURRENT.accepts(SchemaVersion::new(0, 9)),
            Err(VersionError::UnknownMajor { .. })
        ));
        assert!(matches!(
            check_document_id("ispvm.scenario/v2", "scenario"),
            Err(VersionError::UnknownMajor { .. })
        ));
        assert!(matches!(
            check_document_id("ispvm.scenario/v2.0", "scenario"),
            Err(VersionError::UnknownMajor { .. })
        ));
    }

    #[test]
    fn version_strings() {
        assert_eq!("1.0".parse(), Ok(SchemaVersion::new(1, 0)));
        assert_eq!("12.34".parse(), Ok(SchemaVersion::new(12, 34)));
        for bad in [
            "", "1", "1.", ".1", "01.0", "1.00", "v1.0", "1.0.0", "-1.0", "1.+1", "99999.0", "1. 0",
        ] {
            assert!(
                matches!(
                    bad.parse::<SchemaVersion>(),
                    Err(VersionError::Malformed { .. })
                ),
                "{bad:?}"
            );
        }
        assert_eq!(
            serde_json::to_string(&SchemaVersion::CURRENT).unwrap(),
            "\"1.0\""
        );
        assert!(serde_json::from_str::<SchemaVersion>("\"x\"").is_err());
        let long = "9".repeat(1000);
        let VersionError::Malformed { found, .. } = long.parse::<SchemaVersion>().unwrap_err()
        else {
            panic!()
        };
        assert_eq!(found.len(), 67);
    }

    #[test]
    fn document_ids() {
        assert_eq!(check_document_id("ispvm.scenario/v1", "scenario"), Ok(()));
        assert_eq!(check_document_id("ispvm.scenario/v1.0", "scenario"), Ok(()));
        assert_eq!(
            check_document_id("ispvm.scenario/v1.1", "scenario"),
            Err(VersionError::TooNew {
                found: SchemaVersion::new(1, 1),
                oldest: SchemaVersion::new(1, 0),
                newest: SchemaVersion::new(1, 0),
            })
        );
        assert_eq!(
            check_document_id("ispvm.analysis/v1", "scenario"),
            Err(VersionError::WrongDocument {
                found: "analysis".into(),
                expected: "scenario".into()
            })
        );
        for bad in [
            "",
            "scenario/v1",
            "ispvm.scenario",
            "ispvm.scenario/1",
            "ispvm./v1",
            "ispvm.Scenario/v1",
            "ispvm.scenario/v1.",
            "ispvm.scenario/vx",
        ] {
            assert!(
                matches!(DocumentId::parse(bad), Err(VersionError::Malformed { .. })),
                "{bad:?}"
            );
        }
        // The bare major form names the baseline: a later reader of the same major accepts it.
        let id = DocumentId::parse("ispvm.scenario/v1").unwrap();
        assert_eq!(id.check("scenario", SchemaVersion::new(1, 7)), Ok(()));
        let id = DocumentId::parse("ispvm.scenario/v1.4").unwrap();
        assert!(matches!(
            id.check("scenario", SchemaVersion::new(1, 7)),
            Err(VersionError::TooOld { .. })
        ));
    }

    #[test]
    fn rule_additive_only_within_a_major() {
        let old = json!({
            "type": "object",
            "properties": {
                "kind": {"enum": ["a", "b"]},
                "items": {"type": "array", "maxItems": 10, "items": {"type": "string"}},
                "n": {"type": "integer", "minimum": 0}
            },
            "required": ["kind"],
            "$defs": {"X": {"type": "string"}}
        });
        // Adding a property, an enum value, loosening limits, widening a type: allowed.
        let grown = json!({
            "type": "object",
            "properties": {
                "kind": {"enum": ["a", "b", "c"]},
                "items": {"type": "array", "maxItems": 20, "items": {"type": "string"}},
                "n": {"type": ["integer", "null"]},
                "extra": {"type": "string"}
            },
            "required": ["kind"],
            "$defs": {"X": {"type": "string"}, "Y": {"type": "number"}}
        });
        assert_eq!(additive_violations(&old, &grown), Vec::<String>::new());
        let broken = json!({
            "type": "object",
            "properties": {
                "kind": {"enum": ["a"]},
                "items": {"type": "array", "maxItems": 5, "items": {"type": "number"}},
                "n": {"type": "integer", "minimum": 1},
                "extra": {"type": "string"}
            },
            "required": ["kind", "extra"],
        });
        let mut found = additive_violations(&old, &broken);
        found.sort();
        assert_eq!(
            found,
            [
                "/$defs/X: removed",
                "/properties/items/items/type: changed from [\"string\"] to [\"number\"]",
                "/properties/items/maxItems: stricter",
                "/properties/kind/enum: value \"b\" removed",
                "/properties/n/minimum: stricter",
                "/required: field \"extra\" became required",
            ]
        );
    }
}
