//! Entities: the things an ISP runs and monitors, with their [`EntityKind`] and optional [`Role`].

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::id::{EntityId, TenantId};

/// What an entity is. Unknown kinds are refused when a document is read.
///
/// The serialized names (`device`, `pppoe_concentrator`, ...) are part of the scenario contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntityKind {
    /// A router or switch.
    Device,
    /// An interface of a device (`DEVICE/IFNAME`).
    Interface,
    /// A link between two endpoints (usually devices or interfaces).
    Link,
    /// A site or PoP.
    Site,
    /// A service (internet access, an upstream, DNS...).
    Service,
    /// A PPPoE concentrator (BRAS/BNG).
    PppoeConcentrator,
    /// A RADIUS (AAA) server.
    RadiusServer,
    /// A BGP session (`DEVICE/bgp/PEER`).
    BgpSession,
    /// An OSPF adjacency (`DEVICE/ospf/ROUTER-ID`).
    OspfAdjacency,
    /// An active probe (ping, HTTP, DNS check) or its vantage point.
    Probe,
}

impl EntityKind {
    /// Every kind, in declaration order.
    pub const ALL: [EntityKind; 10] = [
        EntityKind::Device,
        EntityKind::Interface,
        EntityKind::Link,
        EntityKind::Site,
        EntityKind::Service,
        EntityKind::PppoeConcentrator,
        EntityKind::RadiusServer,
        EntityKind::BgpSession,
        EntityKind::OspfAdjacency,
        EntityKind::Probe,
    ];

    /// The serialized name, e.g. `pppoe_concentrator`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            EntityKind::Device => "device",
            EntityKind::Interface => "interface",
            EntityKind::Link => "link",
            EntityKind::Site => "site",
            EntityKind::Service => "service",
            EntityKind::PppoeConcentrator => "pppoe_concentrator",
            EntityKind::RadiusServer => "radius_server",
            EntityKind::BgpSession => "bgp_session",
            EntityKind::OspfAdjacency => "ospf_adjacency",
            EntityKind::Probe => "probe",
        }
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The network role of an entity, when it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Role {
    /// Core router.
    Core,
    /// Aggregation (distribution) router, often in a ring.
    Aggregation,
    /// Access switch or router.
    Access,
    /// Edge (border) router.
    Edge,
    /// Upstream transit or peering.
    Upstream,
    /// Customer premises equipment.
    Cpe,
}

impl Role {
    /// The serialized name, e.g. `aggregation`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Core => "core",
            Role::Aggregation => "aggregation",
            Role::Access => "access",
            Role::Edge => "edge",
            Role::Upstream => "upstream",
            Role::Cpe => "cpe",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One monitored thing.
///
/// Build one with [`Entity::new`] and the `with_*` methods; the struct is `#[non_exhaustive]` so
/// that fields can be added without breaking you.
///
/// # Examples
/// ```
/// use ispvm_model::{Entity, EntityKind, Role};
/// let agg1 = Entity::new("agg1".parse().unwrap(), EntityKind::Device)
///     .with_role(Role::Aggregation)
///     .with_site("pop-north");
/// assert_eq!(agg1.role, Some(Role::Aggregation));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Entity {
    /// Unique id within the tenant.
    pub id: EntityId,
    /// What the entity is.
    pub kind: EntityKind,
    /// Network role, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Site or PoP label (free text, not a reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The two ends of a link; both must be entities of the same topology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoints: Option<[EntityId; 2]>,
    /// Owning tenant, when the entity says so. `None` means "the topology's tenant"; any other
    /// tenant is refused by the [`TopologyBuilder`](crate::TopologyBuilder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
}

impl Entity {
    /// A new entity with no role, site, endpoints or explicit tenant.
    #[must_use]
    pub fn new(id: EntityId, kind: EntityKind) -> Self {
        Self {
            id,
            kind,
            role: None,
            site: None,
            endpoints: None,
            tenant: None,
        }
    }

    /// Sets the role.
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        self.role = Some(role);
        self
    }

    /// Sets the site label.
    #[must_use]
    pub fn with_site(mut self, site: impl Into<String>) -> Self {
        self.site = Some(site.into());
        self
    }

    /// Sets the two endpoints (for links).
    #[must_use]
    pub fn with_endpoints(mut self, a: EntityId, b: EntityId) -> Self {
        self.endpoints = Some([a, b]);
        self
    }

    /// Sets the owning tenant explicitly.
    #[must_use]
    pub fn with_tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_match_serde() {
        for kind in EntityKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!(serde_json::from_str::<EntityKind>("\"router\"").is_err());
    }

    #[test]
    fn entity_ignores_unknown_optional_fields() {
        let e: Entity = serde_json::from_str(
            r#"{"id":"agg1","kind":"device","role":"aggregation","site":"pop-north","vendor":"mikrotik"}"#,
        )
        .unwrap();
        assert_eq!(e.site.as_deref(), Some("pop-north"));
        assert_eq!(e.role, Some(Role::Aggregation));
    }
}
