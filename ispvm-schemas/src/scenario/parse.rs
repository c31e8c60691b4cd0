//! [`parse`]: scenario bytes to a validated [`Scenario`], or one error naming the JSON pointer
//! at fault.

use std::fmt;

use ispvm_model::quote::{bound_quoted, bounded};
use ispvm_model::{DependencyGroup, Entity, MaintenanceWindow, Observation};
use serde::Deserialize;
use serde_json::Value;

use super::{Scenario, ScenarioDocument, ScenarioError};
use crate::validation::{DocumentKind, validate};

/// Why scenario bytes were refused: not JSON, or JSON that is not a valid scenario.
///
/// Its [`fmt::Display`] is one line meant for a person: `invalid JSON at line 3, column 0:
/// EOF while parsing a list`, `invalid scenario at /dependencies/0/k: 0 is less than the
/// minimum of 1`. A value quoted from the input is cut to about 80 characters
/// ([`ispvm_model::quote`]), so the line stays short whatever the input.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ParseError {
    /// The bytes are not JSON (or not UTF-8).
    Json {
        /// Line of the fault, from 1.
        line: usize,
        /// Column of the fault (0 when the input ended).
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The JSON does not have the shape of a scenario (a schema or type fault).
    Shape {
        /// JSON pointer of the offending value (`/` for the whole document).
        pointer: String,
        /// What is wrong.
        message: String,
    },
    /// The scenario is well formed but structurally invalid (unknown references, cycles...).
    Structure(ScenarioError),
}

impl ParseError {
    /// JSON pointer of the offending value, when the input was JSON.
    #[must_use]
    pub fn pointer(&self) -> Option<&str> {
        match self {
            ParseError::Json { .. } => None,
            ParseError::Shape { pointer, .. } => Some(pointer),
            ParseError::Structure(e) => Some(e.pointer()),
        }
    }

    /// What is wrong, without the place.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            ParseError::Json { message, .. } | ParseError::Shape { message, .. } => message.clone(),
            ParseError::Structure(e) => structure_message(e),
        }
    }

    fn shape(pointer: &str, message: impl fmt::Display) -> Self {
        let pointer = if pointer.is_empty() { "/" } else { pointer };
        ParseError::Shape {
            pointer: bounded(pointer).to_string(),
            message: bound_quoted(&message.to_string()).into_owned(),
        }
    }
}

fn structure_message(e: &ScenarioError) -> String {
    match e {
        ScenarioError::Topology { source, .. } => source.to_string(),
        other => {
            let s = other.to_string();
            let prefix = format!("{}: ", other.pointer());
            s.strip_prefix(&prefix)
                .map_or_else(|| s.clone(), str::to_string)
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Json {
                line,
                column,
                message,
            } => write!(f, "invalid JSON at line {line}, column {column}: {message}"),
            ParseError::Shape { pointer, message } => {
                write!(f, "invalid scenario at {pointer}: {message}")
            }
            ParseError::Structure(e) => write!(
                f,
                "invalid scenario at {}: {}",
                e.pointer(),
                structure_message(e)
            ),
        }
    }
}

impl std::error::Error for ParseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ParseError::Structure(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ScenarioError> for ParseError {
    fn from(e: ScenarioError) -> Self {
        ParseError::Structure(e)
    }
}

/// Reads a scenario document (`ispvm.scenario/v1`) from JSON bytes and validates it into a
/// [`Scenario`] ready for the RCA engine.
///
/// The bytes are read straight into typed structures (no intermediate JSON tree). Only when
/// that fails does the document go through its JSON Schema
/// ([`validate`](crate::validation::validate)), to name the first fault by its JSON pointer and
/// say what is wrong; a valid document never pays for the schema. A document is accepted
/// exactly when it matches the schema and passes [`ScenarioDocument::into_scenario`].
///
/// # Errors
/// [`ParseError::Json`] when the bytes are not JSON, [`ParseError::Shape`] when the JSON is not
/// a scenario (wrong type, unknown enum value, bad timestamp, missing field...),
/// [`ParseError::Structure`] when it is one but its structure is invalid (duplicate ids,
/// unknown references, cycles...). Every variant but `Json` names a JSON pointer.
///
/// # Examples
/// ```
/// use ispvm_schemas::scenario::{parse, ParseError};
///
/// let scenario = parse(br#"{"schema": "ispvm.scenario/v1", "tenant": "demo-isp",
///   "entities": [{"id": "agg1", "kind": "device"}, {"id": "acc1", "kind": "device"}],
///   "dependencies": [{"dependent": "acc1", "mode": "all", "members": ["agg1"]}],
///   "observations": [{"at": "2026-01-01T00:10:00Z", "entity": "agg1",
///                     "signal": "reachability", "state": "down"}]}"#)?;
/// assert_eq!(scenario.topology.entities().len(), 2);
///
/// let err = parse(br#"{"schema": "ispvm.scenario/v1", "tenant": "demo-isp",
///   "entities": [{"id": "agg1", "kind": "router"}]}"#).unwrap_err();
/// assert_eq!(err.pointer(), Some("/entities/0/kind"));
/// assert!(err.to_string().starts_with("invalid scenario at /entities/0/kind: unknown variant `router`"));
/// # Ok::<(), ParseError>(())
/// ```
pub fn parse(bytes: &[u8]) -> Result<Scenario, ParseError> {
    match read(bytes)? {
        Read::Typed(doc) => doc.into_scenario().map_err(ParseError::Structure),
        Read::Done(scenario) => Ok(scenario),
    }
}

/// [`parse`], taking the bytes and freeing them as soon as they are read: the peak memory of a
/// large scenario is then lower by the size of the input.
///
/// # Errors
/// As [`parse`].
///
/// # Examples
/// ```
/// let bytes = br#"{"schema": "ispvm.scenario/v1", "tenant": "t", "entities": []}"#.to_vec();
/// let scenario = ispvm_schemas::scenario::parse_owned(bytes)?;
/// assert!(scenario.observations.is_empty());
/// # Ok::<(), ispvm_schemas::scenario::ParseError>(())
/// ```
pub fn parse_owned(bytes: Vec<u8>) -> Result<Scenario, ParseError> {
    let read = read(&bytes)?;
    drop(bytes);
    match read {
        Read::Typed(doc) => doc.into_scenario().map_err(ParseError::Structure),
        Read::Done(scenario) => Ok(scenario),
    }
}

/// What [`read`] got.
enum Read {
    /// The typed document, still to be checked for structure.
    Typed(ScenarioDocument),
    /// A document the reference reader accepted and checked.
    Done(Scenario),
}

/// The typed document, or the located fault. A document that reads (and names a supported
/// version) is one the schema accepts, so what can still go wrong is its structure, which
/// [`ScenarioDocument::into_scenario`] names exactly as the reference reader would.
fn read(bytes: &[u8]) -> Result<Read, ParseError> {
    // A scenario spends well over 100 bytes per entity (its entry, its groups, mentions).
    let sharing = super::wire::Sharing::start(bytes.len() / 128);
    let typed = serde_json::from_slice::<ScenarioDocument>(bytes);
    drop(sharing);
    match typed {
        Ok(doc) if doc.check_schema().is_ok() => Ok(Read::Typed(doc)),
        // Find the fault and its place the slow way, exactly as the schema sees it (the schema
        // comes first). This also settles the rare document the typed reader refuses but the
        // schema accepts (a duplicate key: the last one wins there).
        _ => parse_slowly(bytes).map(Read::Done),
    }
}

/// The reference reader: a JSON tree, the schema, then serde item by item.
fn parse_slowly(bytes: &[u8]) -> Result<Scenario, ParseError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        let text = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
        ParseError::Json {
            line: e.line(),
            column: e.column(),
            message: bound_quoted(&message).into_owned(),
        }
    })?;
    if let Err(errors) = validate(DocumentKind::Scenario, &value) {
        let first = errors.first();
        let pointer = first.map_or("", |e| e.pointer.as_str());
        let message = first.map_or("does not match the scenario schema", |e| e.message.as_str());
        // Schema messages about `oneOf` are cryptic; serde says which values are allowed.
        if message.contains("oneOf") {
            if let Some(better) = serde_item_message(&value, pointer) {
                return Err(ParseError::shape(pointer, better));
            }
        }
        return Err(ParseError::shape(pointer, message));
    }
    let doc = match ScenarioDocument::deserialize(&value) {
        Ok(doc) => doc,
        Err(e) => {
            // The schema cannot express every rule (end before start...): find the item.
            return Err(first_bad_item::<Entity>(&value, "entities")
                .or_else(|| first_bad_item::<DependencyGroup>(&value, "dependencies"))
                .or_else(|| first_bad_item::<MaintenanceWindow>(&value, "maintenance"))
                .or_else(|| first_bad_item::<Observation>(&value, "observations"))
                .unwrap_or_else(|| ParseError::shape("/", e)));
        }
    };
    Ok(doc.into_scenario()?)
}

/// The first item of `doc[key]` that does not deserialize as `T`, with its pointer.
fn first_bad_item<'a, T: Deserialize<'a>>(doc: &'a Value, key: &str) -> Option<ParseError> {
    let items = doc.get(key)?.as_array()?;
    items.iter().enumerate().find_map(|(i, item)| {
        T::deserialize(item)
            .err()
            .map(|e| ParseError::shape(&format!("/{key}/{i}"), e))
    })
}

/// serde's message for the top-level array item holding `pointer` (`/entities/1/kind`).
fn serde_item_message(doc: &Value, pointer: &str) -> Option<String> {
    let mut parts = pointer.split('/').skip(1);
    let key = parts.next()?;
    let i: usize = parts.next()?.parse().ok()?;
    let item = doc.get(key)?.as_array()?.get(i)?;
    let err = match key {
        "entities" => Entity::deserialize(item).err(),
        "dependencies" => DependencyGroup::deserialize(item).err(),
        "maintenance" => MaintenanceWindow::deserialize(item).err(),
        "observations" => Observation::deserialize(item).err(),
        _ => None,
    }?;
    Some(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ispvm_model::EntityId;

    fn doc(entities: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"schema":"ispvm.scenario/v1","tenant":"t","entities":{entities}{extra}}}"#)
            .into_bytes()
    }

    const AB: &str = r#"[{"id":"a","kind":"device"},{"id":"b","kind":"device"}]"#;

    fn err(bytes: &[u8]) -> ParseError {
        let fast = parse(bytes).unwrap_err();
        assert_eq!(parse_owned(bytes.to_vec()).unwrap_err(), fast);
        assert_eq!(
            parse_slowly(bytes).unwrap_err(),
            fast,
            "the reference agrees"
        );
        fast
    }

    #[test]
    fn valid_documents_read_the_same_both_ways() {
        let bytes = doc(
            AB,
            r#","dependencies":[{"dependent":"a","mode":"kofn","k":1,"members":["b"]}],
            "maintenance":[{"entities":["b"],"start":"2026-01-01T00:00:00Z","end":"2026-01-01T01:00:00+00:30","reason":null}],
            "observations":[{"at":"2026-01-01T00:10:00.5z","entity":"b","metric":"m","value":3,"source":"s"},
                            {"at":"2026-01-01t00:11:00Z","entity":"a","signal":"link","state":"up"}]"#,
        );
        let fast = parse(&bytes).unwrap();
        let slow = parse_slowly(&bytes).unwrap();
        assert_eq!(fast.topology.groups(), slow.topology.groups());
        assert_eq!(fast.maintenance, slow.maintenance);
        assert_eq!(fast.observations, slow.observations);
        assert_eq!(fast.observations[1].source, None);
    }

    #[test]
    fn what_the_schema_refuses_the_typed_reader_refuses() {
        // A space instead of `T`: chrono would take it, the schema's date-time does not.
        let e = err(&doc(
            AB,
            r#","observations":[{"at":"2026-01-01 00:10:00Z","entity":"a","signal":"link","state":"up"}]"#,
        ));
        assert_eq!(e.pointer(), Some("/observations/0/at"));
        assert_eq!(
            e.to_string(),
            r#"invalid scenario at /observations/0/at: "2026-01-01 00:10:00Z" is not a "date-time""#
        );
        // `null` for an absent field.
        let e = err(&doc(
            AB,
            r#","observations":[{"at":"2026-01-01T00:10:00Z","entity":"a","signal":"link","state":"up","source":null}]"#,
        ));
        assert_eq!(e.pointer(), Some("/observations/0/source"));
        let e = err(&doc(
            AB,
            r#","dependencies":[{"dependent":"a","mode":"all","k":null,"members":["b"]}]"#,
        ));
        assert_eq!(e.pointer(), Some("/dependencies/0"));
        // A version the reader does not take: the schema's wording, as before.
        let e = err(br#"{"schema":"ispvm.analysis/v1","tenant":"t","entities":[]}"#);
        assert_eq!(e.pointer(), Some("/schema"));
        assert!(matches!(e, ParseError::Shape { .. }));
    }

    #[test]
    fn structure_and_json_errors() {
        let e = err(&doc(
            AB,
            r#","dependencies":[{"dependent":"a","mode":"all","members":["zz"]}]"#,
        ));
        assert!(matches!(
            &e,
            ParseError::Structure(ScenarioError::Topology { .. })
        ));
        assert_eq!(
            e.to_string(),
            "invalid scenario at /dependencies/0/members: dependency #0 (a needs all of [zz]): unknown member zz"
        );
        let e = err(b"{\"schema\": [");
        assert_eq!(
            e,
            ParseError::Json {
                line: 1,
                column: 12,
                message: "EOF while parsing a list".into()
            }
        );
        assert_eq!(e.pointer(), None);
    }

    #[test]
    fn ids_are_shared_whatever_the_order() {
        let same = |a: &EntityId, b: &EntityId| std::ptr::eq(a.as_str(), b.as_str());
        for bytes in [
            doc(
                AB,
                r#","dependencies":[{"dependent":"a","mode":"all","members":["b"]}]"#,
            ),
            br#"{"dependencies":[{"dependent":"a","mode":"all","members":["b"]}],
                "schema":"ispvm.scenario/v1","tenant":"t",
                "entities":[{"id":"a","kind":"device"},{"id":"b","kind":"device"}]}"#
                .to_vec(),
        ] {
            let s = parse(&bytes).unwrap();
            let (e, g) = (s.topology.entities(), &s.topology.groups()[0]);
            assert!(same(&e[0].id, &g.dependent));
            assert!(same(&e[1].id, &g.members[0]));
        }
    }

    #[test]
    fn a_duplicate_key_is_read_as_before_last_one_wins() {
        let s = parse(&doc(r#"[{"id":"a","id":"b","kind":"device"}]"#, "")).unwrap();
        assert_eq!(s.topology.entities()[0].id, "b");
    }

    #[test]
    fn a_huge_value_is_not_echoed() {
        let huge = "x".repeat(1 << 20);
        for bytes in [
            doc(&format!(r#"[{{"id":"{huge}","kind":"device"}}]"#), ""),
            doc(&format!(r#"[{{"id":"a","kind":"{huge}"}}]"#), ""),
            doc(
                AB,
                &format!(
                    r#","observations":[{{"at":"{huge}","entity":"a","signal":"link","state":"up"}}]"#
                ),
            ),
            doc(
                AB,
                &format!(
                    r#","dependencies":[{{"dependent":"a","mode":"{huge}","members":["b"]}}]"#
                ),
            ),
            format!(r#"{{"schema":"{huge}","tenant":"t","entities":[]}}"#).into_bytes(),
            format!("[{}]", "1,".repeat(1 << 19) + "1").into_bytes(),
        ] {
            let text = err(&bytes).to_string();
            assert!(text.len() < 400, "{} bytes: {}", text.len(), &text[..400]);
            assert!(!text.contains(&huge[..200]));
        }
        let text = err(&doc(&format!(r#"[{{"id":"{huge}","kind":"device"}}]"#), "")).to_string();
        assert!(text.len() < 200, "{text}");
        assert!(
            text.starts_with(r#"invalid scenario at /entities/0/id: "xxxx"#),
            "{text}"
        );
    }
}
