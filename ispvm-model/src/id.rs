//! Validated identifiers: [`TenantId`] and [`EntityId`].
//!
//! Identifiers arrive from files, devices and the network, so they are validated once, at the
//! border: non-empty, at most [`MAX_ID_LEN`] bytes, no control characters. Everything behind the
//! border can then rely on them. An id is shared, not copied, when cloned (a topology names each
//! entity many times: as itself, as a member, in every report row).

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Longest identifier accepted, in bytes (UTF-8).
pub const MAX_ID_LEN: usize = 256;

/// Why a string was refused as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The identifier is the empty string.
    #[error("identifier is empty")]
    Empty,
    /// The identifier is longer than [`MAX_ID_LEN`] bytes.
    #[error("identifier is {len} bytes long, the limit is {max}")]
    TooLong {
        /// Length of the refused identifier in bytes.
        len: usize,
        /// The limit, [`MAX_ID_LEN`].
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

fn validate(s: &str) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > MAX_ID_LEN {
        return Err(IdError::TooLong {
            len: s.len(),
            max: MAX_ID_LEN,
        });
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
    ($(#[$meta:meta])* $name:ident, $schema_name:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Arc<str>);

        impl $name {
            /// Validates `value` and wraps it.
            ///
            /// # Errors
            /// [`IdError`] when the value is empty, too long or holds a control character.
            pub fn new(value: impl Into<String>) -> Result<Self, IdError> {
                let value = value.into();
                validate(&value)?;
                Ok(Self(Arc::from(value)))
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
                String::from(&*id.0)
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
                    "maxLength": MAX_ID_LEN,
                    "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]+$",
                    "description": concat!(stringify!($name), ": non-empty, at most 256 bytes, no control characters.")
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
    "TenantId"
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
    "EntityId"
);

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
    fn serde_rejects_invalid() {
        let err = serde_json::from_str::<EntityId>("\"\"").unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let id: EntityId = serde_json::from_str("\"core1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"core1\"");
    }
}
