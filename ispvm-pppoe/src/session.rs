//! `/ppp/active` snapshots and their diff: who connected, who left.
//!
//! A [`SessionSnapshot`] is one poll of a concentrator's active sessions, keyed by the session's
//! identifier on the device (RouterOS `.id` such as `*80A00001`, or `session-id`). It carries the
//! session's plan (PPP profile) when the collector knows it, and nothing else: the `name` column
//! of `/ppp/active` is the subscriber's username, and this type has no place for it. Subscriber
//! level data lives behind an explicit opt-in in [`privacy`](crate::privacy).
//!
//! Two snapshots diffed by key ([`SessionSnapshot::diff`]) give connects and disconnects, so a
//! concentrator where 300 sessions dropped while 300 others connected shows churn 600, not 0.

use std::cmp::Ordering;
use std::fmt;

use chrono::{DateTime, Utc};
use ispvm_model::{IdError, Label};
use serde::{Deserialize, Serialize};

/// Longest session key or plan name accepted, in bytes (that of [`Label`]).
pub const MAX_LABEL_LEN: usize = ispvm_model::MAX_LABEL_LEN;

/// Why a session key, a plan name or a snapshot was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// An empty session key or plan name.
    #[error("{what} is empty")]
    Empty {
        /// `session key` or `plan name`.
        what: &'static str,
    },
    /// A session key or plan name longer than [`MAX_LABEL_LEN`] bytes.
    #[error("{what} is {len} bytes long, the limit is {MAX_LABEL_LEN}")]
    TooLong {
        /// `session key` or `plan name`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A control character in a session key or plan name.
    #[error("{what} contains a control character at byte {position}")]
    ControlCharacter {
        /// `session key` or `plan name`.
        what: &'static str,
        /// Byte offset of the character.
        position: usize,
    },
    /// The same session key appears twice in one snapshot.
    #[error("session key {key} appears twice in one snapshot")]
    DuplicateSession {
        /// The repeated key.
        key: String,
    },
}

/// The validation of [`Label`], with `what` named in the error.
fn validate(what: &'static str, value: String) -> Result<Label, SessionError> {
    Label::new(value).map_err(|e| match e {
        IdError::TooLong { len, .. } => SessionError::TooLong { what, len },
        IdError::ControlCharacter { position, .. } => {
            SessionError::ControlCharacter { what, position }
        }
        _ => SessionError::Empty { what },
    })
}

macro_rules! label_type {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Label);

        impl $name {
            /// Validates and wraps `value` (non-empty, at most [`MAX_LABEL_LEN`] bytes, no
            /// control characters).
            ///
            /// # Errors
            /// [`SessionError`] when the value is empty, too long or holds a control character.
            pub fn new(value: impl Into<String>) -> Result<Self, SessionError> {
                validate($what, value.into()).map(Self)
            }

            /// The value as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// The validated [`Label`] inside.
            #[must_use]
            pub fn as_label(&self) -> &Label {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = SessionError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = SessionError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0.into()
            }
        }
    };
}

label_type!(
    /// The identifier of one session on its concentrator (RouterOS `.id` or `session-id`).
    ///
    /// Not a subscriber identifier: it changes at every reconnect and means nothing outside
    /// the device.
    ///
    /// # Examples
    /// ```
    /// use ispvm_pppoe::session::SessionKey;
    /// assert_eq!(SessionKey::new("*80A00001").unwrap().as_str(), "*80A00001");
    /// assert!(SessionKey::new("").is_err());
    /// ```
    SessionKey,
    "session key"
);

label_type!(
    /// A plan or PPP profile name (`10M`, `50M`, `business`): the segment a session belongs to.
    ///
    /// # Examples
    /// ```
    /// use ispvm_pppoe::session::PlanName;
    /// let plan: PlanName = "business".parse().unwrap();
    /// assert_eq!(plan.to_string(), "business");
    /// ```
    PlanName,
    "plan name"
);

/// One active session as the collector saw it: its key and, if known, its plan.
///
/// There is deliberately no username here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ActiveSession {
    /// The session's key on the device.
    pub key: SessionKey,
    /// Its plan or PPP profile, if the collector resolved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanName>,
}

impl ActiveSession {
    /// A session without a known plan.
    #[must_use]
    pub fn new(key: SessionKey) -> Self {
        Self { key, plan: None }
    }

    /// Sets the plan.
    #[must_use]
    pub fn with_plan(mut self, plan: PlanName) -> Self {
        self.plan = Some(plan);
        self
    }
}

/// One poll of a concentrator's active sessions, sorted by key.
///
/// # Examples
/// ```
/// use ispvm_pppoe::session::{ActiveSession, SessionSnapshot};
///
/// let s = |k: &str| ActiveSession::new(k.parse().unwrap());
/// let t0 = "2026-01-01T00:00:00Z".parse().unwrap();
/// let t1 = "2026-01-01T00:01:00Z".parse().unwrap();
/// let before = SessionSnapshot::new(t0, vec![s("*1"), s("*2"), s("*3")])?;
/// let after = SessionSnapshot::new(t1, vec![s("*2"), s("*3"), s("*4"), s("*5")])?;
/// let diff = before.diff(&after);
/// assert_eq!((diff.connects, diff.disconnects, diff.stayed), (2, 1, 2));
/// assert_eq!(diff.churn_per_min(), Some(3.0));
/// # Ok::<(), ispvm_pppoe::session::SessionError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    at: DateTime<Utc>,
    sessions: Vec<ActiveSession>,
}

impl SessionSnapshot {
    /// Sorts `sessions` by key and wraps them.
    ///
    /// # Errors
    /// [`SessionError::DuplicateSession`] when two sessions share a key.
    pub fn new(at: DateTime<Utc>, mut sessions: Vec<ActiveSession>) -> Result<Self, SessionError> {
        sessions.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        if let Some(w) = sessions.windows(2).find(|w| w[0].key == w[1].key) {
            return Err(SessionError::DuplicateSession {
                key: w[0].key.to_string(),
            });
        }
        Ok(Self { at, sessions })
    }

    /// When the snapshot was taken.
    #[must_use]
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// The sessions, sorted by key.
    #[must_use]
    pub fn sessions(&self) -> &[ActiveSession] {
        &self.sessions
    }

    /// Number of active sessions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Whether no session is active.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Compares this snapshot (the earlier one) with `later`, by session key, in one linear
    /// merge of the two sorted lists.
    #[must_use]
    pub fn diff(&self, later: &SessionSnapshot) -> SnapshotDiff {
        let (a, b) = (&self.sessions, &later.sessions);
        let (mut i, mut j) = (0, 0);
        let (mut connects, mut disconnects, mut stayed) = (0usize, 0usize, 0usize);
        while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
            match x.key.cmp(&y.key) {
                Ordering::Less => {
                    disconnects += 1;
                    i += 1;
                }
                Ordering::Greater => {
                    connects += 1;
                    j += 1;
                }
                Ordering::Equal => {
                    stayed += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        disconnects += a.len().saturating_sub(i);
        connects += b.len().saturating_sub(j);
        SnapshotDiff {
            from: self.at,
            to: later.at,
            connects,
            disconnects,
            stayed,
        }
    }
}

/// What changed between two snapshots of one concentrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SnapshotDiff {
    /// Time of the earlier snapshot.
    pub from: DateTime<Utc>,
    /// Time of the later snapshot.
    pub to: DateTime<Utc>,
    /// Sessions present only in the later snapshot.
    pub connects: usize,
    /// Sessions present only in the earlier snapshot.
    pub disconnects: usize,
    /// Sessions present in both.
    pub stayed: usize,
}

impl SnapshotDiff {
    /// Connects plus disconnects per minute, or `None` when the snapshots are not in time order
    /// (same instant or reversed).
    #[must_use]
    pub fn churn_per_min(&self) -> Option<f64> {
        let ms = (self.to - self.from).num_milliseconds();
        if ms <= 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let churn = (self.connects + self.disconnects) as f64 * 60_000.0 / ms as f64;
        Some(churn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn snap(at: &str, keys: &[&str]) -> SessionSnapshot {
        SessionSnapshot::new(
            t(at),
            keys.iter()
                .map(|k| ActiveSession::new(k.parse().unwrap()))
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn equal_counts_still_show_churn() {
        let a = snap("2026-01-01T00:00:00Z", &["*1", "*2", "*3"]);
        let b = snap("2026-01-01T00:00:30Z", &["*4", "*5", "*6"]);
        let d = a.diff(&b);
        assert_eq!((d.connects, d.disconnects, d.stayed), (3, 3, 0));
        assert_eq!(d.churn_per_min(), Some(12.0));
        assert_eq!(b.diff(&a).churn_per_min(), None);
    }

    #[test]
    fn duplicate_key_is_refused() {
        let err = SessionSnapshot::new(
            t("2026-01-01T00:00:00Z"),
            vec![
                ActiveSession::new("*1".parse().unwrap()),
                ActiveSession::new("*1".parse().unwrap()),
            ],
        )
        .unwrap_err();
        assert_eq!(
            err,
            SessionError::DuplicateSession {
                key: "*1".to_owned()
            }
        );
    }

    #[test]
    fn labels_are_validated() {
        assert_eq!(
            PlanName::new(""),
            Err(SessionError::Empty { what: "plan name" })
        );
        assert_eq!(
            SessionKey::new("a\nb"),
            Err(SessionError::ControlCharacter {
                what: "session key",
                position: 1
            })
        );
        assert_eq!(
            PlanName::new("x".repeat(MAX_LABEL_LEN + 1)),
            Err(SessionError::TooLong {
                what: "plan name",
                len: MAX_LABEL_LEN + 1
            })
        );
        assert!(serde_json::from_str::<PlanName>("\"\"").is_err());
    }

    #[test]
    fn segments_count_plans() {
        let s = SessionSnapshot::new(
            t("2026-01-01T00:00:00Z"),
            vec![
                ActiveSession::new("*1".parse().unwrap()).with_plan("10M".parse().unwrap()),
                ActiveSession::new("*2".parse().unwrap()).with_plan("10M".parse().unwrap()),
                ActiveSession::new("*3".parse().unwrap()).with_plan("business".parse().unwrap()),
                ActiveSession::new("*4".parse().unwrap()),
            ],
        )
        .unwrap();
        let seg = s.segments();
        assert_eq!(seg.get(&"10M".parse().unwrap()), 2);
        assert_eq!(seg.get(&"business".parse().unwrap()), 1);
        assert_eq!(seg.unassigned(), 1);
        assert_eq!(seg.total(), 4);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        /// The merge diff agrees with a set difference.
        #[test]
        fn diff_matches_set_difference(
            a in proptest::collection::btree_set(0u32..200, 0..100),
            b in proptest::collection::btree_set(0u32..200, 0..100),
        ) {
            let mk = |set: &BTreeSet<u32>, at: &str| SessionSnapshot::new(
                t(at),
                set.iter().map(|k| ActiveSession::new(format!("*{k:X}").parse().unwrap())).collect(),
            ).unwrap();
            let d = mk(&a, "2026-01-01T00:00:00Z").diff(&mk(&b, "2026-01-01T00:01:00Z"));
            prop_assert_eq!(d.connects, b.difference(&a).count());
            prop_assert_eq!(d.disconnects, a.difference(&b).count());
            prop_assert_eq!(d.stayed, a.intersection(&b).count());
        }
    }
}
