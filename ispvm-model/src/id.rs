//! Validated identifiers: [`TenantId`] and [`EntityId`].
//!
//! Identifiers arrive from files, devices and the network, so they are validated once, at the
//! border: non-empty, at most [`MAX_ID_LEN`] bytes, no control characters. Everything behind the
//! border can then rely on them.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Longest identifier accepted, in bytes (UTF-8).
pub const MAX_ID_LEN: usize = 256;
/// Longest [`Label`] accepted, in bytes (UTF-8).
pub const MAX_LABEL_LEN: usize = 128;

/// Why a string was refused as an identifier or a [`Label`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is the empty string.
    #[error("identifier is empty")]
    Empty,
    /// The identifier is longer than its limit ([`MAX_ID_LEN`], [`MAX_LABEL_LEN`]) in bytes.
    #[error("identifier is {len} bytes long, the limit is {max}")]
    TooLong {
        /// Length of the refused identifier in bytes.
        len: usize,
        /// The limit, [`MAX_ID_LEN`] or [`MAX_LABEL_LEN`].
        max: usize,
    },
    /// The identifier contains a control character (newline, NUL, escape...).
    #[error("identifier contains the control character U+{code:04X} at byte {position}")]
    ControlCharacter {
        /// Unicode scalar value of the offending character.
        code: u32,
        /// Byte offset of the character.
        position: usize,
    },
}

fn validate(s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > max {
        return Err(IdError::TooLong { len: s.len(), max });
    }
    if let Some((position, c)) = s.char_indices().find(|(_, c)| c.is_control()) {
        return Err(IdError::ControlCharacter {
            code: c as u32,
            position,
        });
    }
    Ok(())
}

macro_rules! validated_id {
    ($(#[$meta:meta])* $name:ident, $schema_name:literal, $max:ident, $max_text:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Box<str>);

        impl $name {
            /// Validates `value` and wraps it.
            ///
            /// # Errors
            /// [`IdError`] when the value is empty, too long or holds a control character.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate(&value, $max)?;
                Ok(Self(value.into_boxed_str()))
            }

            /// The identifier as a string slice.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = IdError;
            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0.into_string()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }

        #[cfg(feature = "json-schema")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                $schema_name.into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": $max,
                    "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
                    "description": concat!(stringify!($name), ": non-empty, at most ", $max_text, " bytes, no control characters.")
                })
            }
        }
    };
}

validated_id!(
    /// Identifier of a tenant (an ISP, or one customer of a managed-service provider).
    ///
    /// Every topology belongs to exactly one tenant; the RCA engine runs per tenant.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::TenantId;
    /// let tenant = TenantId::new("demo-isp").unwrap();
    /// assert_eq!(tenant.as_str(), "demo-isp");
    /// assert!(TenantId::new("").is_err());
    /// ```
    TenantId,
    "TenantId",
    MAX_ID_LEN,
    "256"
);

validated_id!(
    /// Identifier of an entity: a device, interface, link, site, service, concentrator...
    ///
    /// Unique within a tenant. Interfaces and adjacencies found on a device use the
    /// `DEVICE/IFNAME`, `DEVICE/bgp/PEER` and `DEVICE/ospf/ROUTER-ID` conventions.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::{EntityId, IdError};
    /// let id: EntityId = "agg1/ether1".parse().unwrap();
    /// assert_eq!(id, "agg1/ether1");
    /// assert!(matches!(EntityId::new("bad\nid"), Err(IdError::ControlCharacter { .. })));
    /// ```
    EntityId,
    "EntityId",
    MAX_ID_LEN,
    "256"
);

validated_id!(
    /// A short validated text value: non-empty, at most [`MAX_LABEL_LEN`] bytes, no control
    /// characters. The one type for names that come from devices or users and end up in
    /// labels, logs and documents (a plan or PPP profile name, a session key on a device).
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::{IdError, Label, MAX_LABEL_LEN};
    /// let plan: Label = "business".parse()?;
    /// assert_eq!(plan.as_str(), "business");
    /// assert_eq!(Label::new(""), Err(IdError::Empty));
    /// assert!(matches!(Label::new("x".repeat(MAX_LABEL_LEN + 1)), Err(IdError::TooLong { .. })));
    /// # Ok::<(), IdError>(())
    /// ```
    Label,
    "Label",
    MAX_LABEL_LEN,
    "128"
);

/// What an [`EntityId`] says about itself through the path conventions of device-found entities.
///
/// A device is `DEV`; what was found on it is `DEV/IFNAME` (an interface), `DEV/bgp/REMOTE`
/// (a BGP session), `DEV/ospf/ROUTER-ID` (an OSPF adjacency) or `DEV/radius/SERVER` (the
/// device's RADIUS client entry for one server). Ids without a `/` are plain entities (a device,
/// a link, a site...). The device part ends at the first `/`.
///
/// # Examples
/// ```
/// use ispvm_model::{EntityId, IdPath};
/// let agg1: EntityId = "agg1".parse()?;
/// let peer = agg1.bgp_session("192.0.2.1")?;
/// assert_eq!(peer, "agg1/bgp/192.0.2.1");
/// assert_eq!(peer.path(), IdPath::BgpSession { device: "agg1", remote: "192.0.2.1" });
/// assert_eq!(peer.device(), "agg1");
/// assert_eq!(agg1.path(), IdPath::Plain("agg1"));
/// # Ok::<(), ispvm_model::IdError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdPath<'a> {
    /// No `/`: a device or any other top-level entity.
    Plain(&'a str),
    /// `DEV/IFNAME` (also any child that matches no other convention).
    Interface {
        /// The device part.
        device: &'a str,
        /// Everything after the device and its `/`.
        name: &'a str,
    },
    /// `DEV/bgp/REMOTE-ADDRESS`.
    BgpSession {
        /// The device part.
        device: &'a str,
        /// The peer's remote address.
        remote: &'a str,
    },
    /// `DEV/ospf/ROUTER-ID`.
    OspfAdjacency {
        /// The device part.
        device: &'a str,
        /// The neighbour's router id.
        router_id: &'a str,
    },
    /// `DEV/radius/SERVER-ADDRESS`.
    RadiusClient {
        /// The device part.
        device: &'a str,
        /// The RADIUS server's address.
        server: &'a str,
    },
}

impl EntityId {
    /// Separator between the parts of a child id.
    pub const SEPARATOR: char = '/';
    /// Path segment of BGP sessions (`DEV/bgp/REMOTE`).
    pub const BGP: &'static str = "bgp";
    /// Path segment of OSPF adjacencies (`DEV/ospf/ROUTER-ID`).
    pub const OSPF: &'static str = "ospf";
    /// Path segment of a device's RADIUS client entries (`DEV/radius/SERVER`).
    pub const RADIUS: &'static str = "radius";

    /// The id of something found on this entity: `SELF/part` (an interface, for a device).
    ///
    /// # Errors
    /// [`IdError`] when the result is not a valid id (too long, control character in `part`,
    /// empty `part`).
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::EntityId;
    /// let dev: EntityId = "agg1".parse()?;
    /// assert_eq!(dev.child("ether1")?, "agg1/ether1");
    /// assert!(dev.child("").is_err());
    /// # Ok::<(), ispvm_model::IdError>(())
    /// ```
    pub fn child(&self, part: &str) -> Result<EntityId, IdError> {
        self.child_path(&[part])
    }

    /// The id `SELF/part1/part2/...`.
    ///
    /// # Errors
    /// [`IdError`] when the result is not a valid id, or [`IdError::Empty`] when a part is empty.
    pub fn child_path(&self, parts: &[&str]) -> Result<EntityId, IdError> {
        if parts.is_empty() || parts.iter().any(|p| p.is_empty()) {
            return Err(IdError::Empty);
        }
        let mut id =
            String::with_capacity(self.0.len() + parts.iter().map(|p| p.len() + 1).sum::<usize>());
        id.push_str(&self.0);
        for p in parts {
            id.push(Self::SEPARATOR);
            id.push_str(p);
        }
        EntityId::new(id)
    }

    /// `SELF/bgp/REMOTE`: the BGP session of this device with `remote`.
    ///
    /// # Errors
    /// As [`EntityId::child`].
    pub fn bgp_session(&self, remote: &str) -> Result<EntityId, IdError> {
        self.child_path(&[Self::BGP, remote])
    }

    /// `SELF/ospf/ROUTER-ID`: the OSPF adjacency of this device with `router_id`.
    ///
    /// # Errors
    /// As [`EntityId::child`].
    pub fn ospf_adjacency(&self, router_id: &str) -> Result<EntityId, IdError> {
        self.child_path(&[Self::OSPF, router_id])
    }

    /// `SELF/radius/SERVER`: this device's RADIUS client entry for `server`.
    ///
    /// # Errors
    /// As [`EntityId::child`].
    pub fn radius_client(&self, server: &str) -> Result<EntityId, IdError> {
        self.child_path(&[Self::RADIUS, server])
    }

    /// The device part: everything before the first `/`, or the whole id.
    #[must_use]
    pub fn device(&self) -> &str {
        self.parent_device().unwrap_or(&self.0)
    }

    /// The device this entity was found on (the part before the first `/`), `None` for an id
    /// without `/`.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::EntityId;
    /// let port: EntityId = "agg1/ether1".parse()?;
    /// assert_eq!(port.parent_device(), Some("agg1"));
    /// assert_eq!("agg1".parse::<EntityId>()?.parent_device(), None);
    /// # Ok::<(), ispvm_model::IdError>(())
    /// ```
    #[must_use]
    pub fn parent_device(&self) -> Option<&str> {
        self.0.split_once(Self::SEPARATOR).map(|(head, _)| head)
    }

    /// Whether this id is below `ancestor` (`ANCESTOR/...`).
    #[must_use]
    pub fn is_below(&self, ancestor: &EntityId) -> bool {
        self.0
            .strip_prefix(&*ancestor.0)
            .is_some_and(|rest| rest.starts_with(Self::SEPARATOR))
    }

    /// The id read through the path conventions (see [`IdPath`]).
    #[must_use]
    pub fn path(&self) -> IdPath<'_> {
        let Some((device, rest)) = self.0.split_once(Self::SEPARATOR) else {
            return IdPath::Plain(&self.0);
        };
        let under = |segment: &str| {
            rest.strip_prefix(segment)
                .and_then(|r| r.strip_prefix(Self::SEPARATOR))
                .filter(|r| !r.is_empty())
        };
        if let Some(remote) = under(Self::BGP) {
            IdPath::BgpSession { device, remote }
        } else if let Some(router_id) = under(Self::OSPF) {
            IdPath::OspfAdjacency { device, router_id }
        } else if let Some(server) = under(Self::RADIUS) {
            IdPath::RadiusClient { device, server }
        } else {
            IdPath::Interface { device, name: rest }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        assert_eq!(EntityId::new(""), Err(IdError::Empty));
        assert!(EntityId::new("a".repeat(MAX_ID_LEN)).is_ok());
        assert_eq!(
            EntityId::new("a".repeat(MAX_ID_LEN + 1)),
            Err(IdError::TooLong {
                len: MAX_ID_LEN + 1,
                max: MAX_ID_LEN
            })
        );
        assert_eq!(
            TenantId::new("ab\u{7f}"),
            Err(IdError::ControlCharacter {
                code: 0x7f,
                position: 2
            })
        );
        assert!(EntityId::new("pop-north/agg1 ether1 ü").is_ok());
    }

    #[test]
    fn paths() {
        let dev = EntityId::new("agg1").unwrap();
        assert_eq!(dev.child("ether1").unwrap(), "agg1/ether1");
        assert_eq!(
            dev.ospf_adjacency("10.0.0.1").unwrap(),
            "agg1/ospf/10.0.0.1"
        );
        assert_eq!(
            dev.radius_client("10.0.0.5").unwrap(),
            "agg1/radius/10.0.0.5"
        );
        assert_eq!(
            dev.child("a\nb"),
            Err(IdError::ControlCharacter {
                code: 10,
                position: 6
            })
        );
        assert_eq!(dev.child(""), Err(IdError::Empty));
        assert!(matches!(
            dev.child(&"x".repeat(MAX_ID_LEN)),
            Err(IdError::TooLong { .. })
        ));
        let p = |s: &str| EntityId::new(s).unwrap();
        assert_eq!(
            p("a/b/c").path(),
            IdPath::Interface {
                device: "a",
                name: "b/c"
            }
        );
        assert_eq!(
            p("a/bgp").path(),
            IdPath::Interface {
                device: "a",
                name: "bgp"
            }
        );
        assert_eq!(
            p("a/bgp/").path(),
            IdPath::Interface {
                device: "a",
                name: "bgp/"
            }
        );
        assert_eq!(
            p("a/bgpx/1").path(),
            IdPath::Interface {
                device: "a",
                name: "bgpx/1"
            }
        );
        assert_eq!(
            p("a/radius/10.0.0.5").path(),
            IdPath::RadiusClient {
                device: "a",
                server: "10.0.0.5"
            }
        );
        assert_eq!(p("a/ospf/1.1.1.1").device(), "a");
        assert_eq!(p("a").device(), "a");
        assert!(p("a/x").is_below(&p("a")));
        assert!(!p("ab/x").is_below(&p("a")));
        assert!(!p("a").is_below(&p("a")));
    }

    #[test]
    fn serde_rejects_invalid() {
        let err = serde_json::from_str::<EntityId>("\"\"").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let id: EntityId = serde_json::from_str("\"core1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"core1\"");
    }
}
