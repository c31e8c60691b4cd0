//! Dependency groups: what an entity needs in order to be available.
//!
//! A dependent may have several groups and needs every one of them. A group is satisfied when
//! `all` of its members are available, when `any` one is, or when at least `k` of its `n` members
//! are ([`GroupMode::KofN`]). This is how rings, dual uplinks and ECMP are expressed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::EntityId;

/// How many members of a group must be available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GroupMode {
    /// Every member.
    All,
    /// At least one member.
    Any,
    /// At least `k` members (`1 <= k <= n`).
    KofN(u32),
}

impl GroupMode {
    /// How many members must be available for a group of `members` members, or `None` when
    /// `k` is out of range.
    #[must_use]
    pub fn required(self, members: usize) -> Option<usize> {
        match self {
            GroupMode::All => Some(members),
            GroupMode::Any => Some(1),
            GroupMode::KofN(k) => {
                let k = usize::try_from(k).ok()?;
                (1..=members).contains(&k).then_some(k)
            }
        }
    }

    /// The serialized mode name: `all`, `any` or `kofn`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupMode::All => "all",
            GroupMode::Any => "any",
            GroupMode::KofN(_) => "kofn",
        }
    }
}

/// One dependency group: `dependent` needs `mode` of `members`.
///
/// Serialized as in the scenario contract:
/// `{"dependent": "internet", "mode": "kofn", "k": 2, "members": ["up1", "up2", "up3"]}`.
/// Structural checks that need the whole topology (unknown ids, `k` out of range, cycles) are made
/// by the [`TopologyBuilder`](crate::TopologyBuilder).
///
/// # Examples
/// ```
/// use ispvm_model::{DependencyGroup, GroupMode};
/// let g = DependencyGroup::new(
///     "bras1".parse().unwrap(),
///     GroupMode::Any,
///     vec!["agg1".parse().unwrap(), "agg2".parse().unwrap()],
/// );
/// assert_eq!(g.to_string(), "any of [agg1, agg2]");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "GroupWire", into = "GroupWire")]
#[non_exhaustive]
pub struct DependencyGroup {
    /// The entity that needs this group.
    pub dependent: EntityId,
    /// How many members it needs.
    pub mode: GroupMode,
    /// The members, in document order.
    pub members: Vec<EntityId>,
}

impl DependencyGroup {
    /// A new group.
    #[must_use]
    pub fn new(dependent: EntityId, mode: GroupMode, members: Vec<EntityId>) -> Self {
        Self {
            dependent,
            mode,
            members,
        }
    }
}

/// `all of [a, b]`, `any of [a, b]`, `2 of [a, b, c]`: the wording used in reasons and errors.
impl fmt::Display for DependencyGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mode {
            GroupMode::All => f.write_str("all of [")?,
            GroupMode::Any => f.write_str("any of [")?,
            GroupMode::KofN(k) => write!(f, "{k} of [")?,
        }
        for (i, m) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.as_str())?;
        }
        f.write_str("]")
    }
}

/// Serialized mode names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
enum ModeWire {
    All,
    Any,
    Kofn,
}

/// The wire shape of a [`DependencyGroup`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "json-schema", schemars(rename = "DependencyGroup"))]
#[cfg_attr(
    feature = "json-schema",
    schemars(
        description = "One dependency group: `dependent` needs `all`, `any` or `k` (mode `kofn`) of its `members`."
    )
)]
struct GroupWire {
    /// The entity that needs this group.
    dependent: EntityId,
    /// `all`, `any` or `kofn`.
    mode: ModeWire,
    /// With `kofn` only: how many members must be available (1 <= k <= number of members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "json-schema", schemars(range(min = 1)))]
    k: Option<u32>,
    /// The members.
    members: Vec<EntityId>,
}

/// Why a dependency group could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GroupFormatError {
    /// `mode` is `kofn` but `k` is missing.
    #[error("group of {dependent}: mode kofn needs k")]
    MissingK {
        /// The group's dependent.
        dependent: EntityId,
    },
    /// `k` was given with `all` or `any`.
    #[error("group of {dependent}: k is only valid with mode kofn")]
    UnexpectedK {
        /// The group's dependent.
        dependent: EntityId,
    },
}

impl TryFrom<GroupWire> for DependencyGroup {
    type Error = GroupFormatError;
    fn try_from(w: GroupWire) -> Result<Self, Self::Error> {
        let mode = match (w.mode, w.k) {
            (ModeWire::Kofn, Some(k)) => GroupMode::KofN(k),
            (ModeWire::Kofn, None) => {
                return Err(GroupFormatError::MissingK {
                    dependent: w.dependent,
                });
            }
            (_, Some(_)) => {
                return Err(GroupFormatError::UnexpectedK {
                    dependent: w.dependent,
                });
            }
            (ModeWire::All, None) => GroupMode::All,
            (ModeWire::Any, None) => GroupMode::Any,
        };
        Ok(DependencyGroup {
            dependent: w.dependent,
            mode,
            members: w.members,
        })
    }
}

impl From<DependencyGroup> for GroupWire {
    fn from(g: DependencyGroup) -> Self {
        let (mode, k) = match g.mode {
            GroupMode::All => (ModeWire::All, None),
            GroupMode::Any => (ModeWire::Any, None),
            GroupMode::KofN(k) => (ModeWire::Kofn, Some(k)),
        };
        GroupWire {
            dependent: g.dependent,
            mode,
            k,
            members: g.members,
        }
    }
}

#[cfg(feature = "json-schema")]
impl schemars::JsonSchema for DependencyGroup {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "DependencyGroup".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut schema = GroupWire::json_schema(generator);
        // kofn requires k; all/any forbid it.
        schema.insert(
            "if".into(),
            serde_json::json!({"properties": {"mode": {"const": "kofn"}}}),
        );
        schema.insert("then".into(), serde_json::json!({"required": ["k"]}));
        schema.insert(
            "else".into(),
            serde_json::json!({"not": {"required": ["k"]}}),
        );
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_forms() {
        let g: DependencyGroup = serde_json::from_str(
            r#"{"dependent":"internet","mode":"kofn","k":2,"members":["up1","up2","up3"]}"#,
        )
        .unwrap();
        assert_eq!(g.mode, GroupMode::KofN(2));
        assert_eq!(g.to_string(), "2 of [up1, up2, up3]");
        let back = serde_json::to_value(&g).unwrap();
        assert_eq!(back["k"], 2);
        assert_eq!(back["mode"], "kofn");

        let err = serde_json::from_str::<DependencyGroup>(
            r#"{"dependent":"x","mode":"kofn","members":["a"]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs k"), "{err}");
        let err = serde_json::from_str::<DependencyGroup>(
            r#"{"dependent":"x","mode":"any","k":1,"members":["a"]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("only valid"), "{err}");
        assert!(
            serde_json::from_str::<DependencyGroup>(
                r#"{"dependent":"x","mode":"most","members":["a"]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn required_counts() {
        assert_eq!(GroupMode::All.required(3), Some(3));
        assert_eq!(GroupMode::Any.required(3), Some(1));
        assert_eq!(GroupMode::KofN(2).required(3), Some(2));
        assert_eq!(GroupMode::KofN(0).required(3), None);
        assert_eq!(GroupMode::KofN(4).required(3), None);
    }
}
