//! NetBox import: devices, interfaces and cables as NetBox 4.x's REST API returns them
//! (`GET /api/dcim/devices/`, `/api/dcim/interfaces/`, `/api/dcim/cables/`), turned into
//! ispvm entities, links and proposed dependency groups, to be reviewed as a dry-run diff
//! ([`Store::plan_topology`](crate::Store::plan_topology)) before it is applied.
//!
//! Each response is a page `{"count", "next", "previous", "results": [...]}`; feed every page
//! (follow `next`) to [`NetboxInventory`]. Related objects are NetBox's nested
//! `{"id", "url", "display", "name", ...}` objects; a cable's ends are `a_terminations` and
//! `b_terminations`, lists of `{"object_type", "object_id", "object"}`.
//!
//! Mapping:
//! - a device becomes a `device` entity named after the device (`netbox-device-<id>` when it
//!   has no name; `<name>-<id>` when the name is taken), its `role.slug` mapped to an ispvm
//!   role when it is one of `upstream`, `edge`, `core`, `aggregation` (or `distribution`),
//!   `access`, `cpe`, and its site's name as site;
//! - a connected cable between interfaces of two different devices becomes a `link` entity
//!   `<a-device>-<b-device>` (suffixed `-<cable id>` for a parallel cable) with those devices as
//!   endpoints; cables to anything else (circuits, power, console) and cables not `connected`
//!   are skipped with a note;
//! - dependency groups are **proposed** from roles, ranked upstream < edge < core <
//!   aggregation < access < cpe: a device needs its neighbours of a lower rank, `any` of them
//!   when it has two or more (dual-homed), `all` of the single one otherwise. Devices without a
//!   known role get no group (their direction is unknown) and a note.
//!
//! Nothing here talks to NetBox: fetching the pages (with the operator's token) is the caller's.
//!
//! # Examples
//! ```
//! use ispvm_store::netbox::NetboxInventory;
//! let mut inv = NetboxInventory::new();
//! let next = inv.add_devices_page(r#"{"count": 2, "next": null, "previous": null, "results": [
//!   {"id": 1, "url": "https://nb/api/dcim/devices/1/", "display": "agg1", "name": "agg1",
//!    "role": {"id": 3, "url": "https://nb/api/dcim/device-roles/3/", "display": "Aggregation", "name": "Aggregation", "slug": "aggregation"},
//!    "site": {"id": 1, "url": "https://nb/api/dcim/sites/1/", "display": "POP North", "name": "POP North", "slug": "pop-north"}},
//!   {"id": 2, "url": "https://nb/api/dcim/devices/2/", "display": "acc1", "name": "acc1",
//!    "role": {"id": 4, "url": "https://nb/api/dcim/device-roles/4/", "display": "Access", "name": "Access", "slug": "access"}, "site": null}
//! ]}"#)?;
//! assert_eq!(next, None);
//! let proposal = inv.proposal();
//! assert_eq!(proposal.entities.len(), 2);
//! assert!(proposal.groups.is_empty()); // no cables yet
//! # Ok::<(), ispvm_store::netbox::NetboxError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ispvm_model::{DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Role};
use serde::Deserialize;

/// Why a NetBox response could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetboxError {
    /// The text is not a NetBox list page of the expected objects.
    #[error("{what} page: {message} at line {line}, column {column}")]
    Json {
        /// `devices`, `interfaces` or `cables`.
        what: &'static str,
        /// serde's message.
        message: String,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// A name from NetBox is not a valid ispvm identifier.
    #[error("{what} {id}: {message}")]
    InvalidName {
        /// What was named.
        what: &'static str,
        /// The NetBox id.
        id: i64,
        /// Why the name is refused.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
struct Page<T> {
    #[serde(default)]
    next: Option<String>,
    results: Vec<T>,
}

/// NetBox's nested object `{id, url, display, name, slug}` (only what the import reads).
#[derive(Debug, Clone, Deserialize)]
struct Nested {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    slug: Option<String>,
    #[serde(default)]
    display: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Device {
    id: i64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    role: Option<Nested>,
    #[serde(default)]
    site: Option<Nested>,
}

#[derive(Debug, Deserialize)]
struct Interface {
    id: i64,
    device: Nested,
}

#[derive(Debug, Deserialize)]
struct Choice {
    value: String,
}

#[derive(Debug, Deserialize)]
struct Termination {
    object_type: String,
    object_id: i64,
    #[serde(default)]
    object: Option<TerminationObject>,
}

#[derive(Debug, Deserialize)]
struct TerminationObject {
    #[serde(default)]
    device: Option<Nested>,
}

#[derive(Debug, Deserialize)]
struct Cable {
    id: i64,
    #[serde(default)]
    a_terminations: Vec<Termination>,
    #[serde(default)]
    b_terminations: Vec<Termination>,
    #[serde(default)]
    status: Option<Choice>,
}

/// What NetBox pages have been read so far.
#[derive(Debug, Default)]
pub struct NetboxInventory {
    devices: BTreeMap<i64, Device>,
    /// Interface id -> device id.
    interfaces: HashMap<i64, i64>,
    cables: BTreeMap<i64, Cable>,
}

/// The topology proposed from a NetBox inventory.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NetboxProposal {
    /// Device and link entities.
    pub entities: Vec<Entity>,
    /// Proposed dependency groups.
    pub groups: Vec<DependencyGroup>,
    /// What was skipped or guessed, one line each, for the operator reviewing the diff.
    pub notes: Vec<String>,
}

fn page<T: serde::de::DeserializeOwned>(
    what: &'static str,
    json: &str,
) -> Result<Page<T>, NetboxError> {
    serde_json::from_str(json).map_err(|e| NetboxError::Json {
        what,
        message: e.to_string(),
        line: e.line(),
        column: e.column(),
    })
}

fn role_of(slug: &str) -> Option<Role> {
    match slug {
        "upstream" | "transit" => Some(Role::Upstream),
        "edge" | "border" => Some(Role::Edge),
        "core" => Some(Role::Core),
        "aggregation" | "distribution" => Some(Role::Aggregation),
        "access" => Some(Role::Access),
        "cpe" => Some(Role::Cpe),
        _ => None,
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Upstream => 0,
        Role::Edge => 1,
        Role::Core => 2,
        Role::Aggregation => 3,
        Role::Access => 4,
        _ => 5,
    }
}

impl NetboxInventory {
    /// An empty inventory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one page of `GET /api/dcim/devices/`; returns its `next` URL (fetch it too).
    ///
    /// # Errors
    /// [`NetboxError::Json`] when the text is not a device list page.
    pub fn add_devices_page(&mut self, json: &str) -> Result<Option<String>, NetboxError> {
        let p: Page<Device> = page("devices", json)?;
        for d in p.results {
            self.devices.insert(d.id, d);
        }
        Ok(p.next)
    }

    /// Reads one page of `GET /api/dcim/interfaces/`; returns its `next` URL.
    ///
    /// # Errors
    /// [`NetboxError::Json`] when the text is not an interface list page.
    pub fn add_interfaces_page(&mut self, json: &str) -> Result<Option<String>, NetboxError> {
        let p: Page<Interface> = page("interfaces", json)?;
        for i in p.results {
            self.interfaces.insert(i.id, i.device.id);
        }
        Ok(p.next)
    }

    /// Reads one page of `GET /api/dcim/cables/`; returns its `next` URL.
    ///
    /// # Errors
    /// [`NetboxError::Json`] when the text is not a cable list page.
    pub fn add_cables_page(&mut self, json: &str) -> Result<Option<String>, NetboxError> {
        let p: Page<Cable> = page("cables", json)?;
        for c in p.results {
            self.cables.insert(c.id, c);
        }
        Ok(p.next)
    }

    /// The device an interface termination belongs to.
    fn device_of(&self, t: &Termination) -> Option<i64> {
        if t.object_type != "dcim.interface" {
            return None;
        }
        t.object
            .as_ref()
            .and_then(|o| o.device.as_ref().map(|d| d.id))
            .or_else(|| self.interfaces.get(&t.object_id).copied())
    }

    /// The entities, links and proposed groups of everything read so far, with notes on what
    /// was skipped. Names that are not valid identifiers are replaced by `netbox-device-<id>`
    /// (and noted).
    #[must_use]
    pub fn proposal(&self) -> NetboxProposal {
        let mut out = NetboxProposal::default();
        let mut ids: HashMap<i64, EntityId> = HashMap::new();
        let mut roles: HashMap<i64, Role> = HashMap::new();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        for d in self.devices.values() {
            let fallback = format!("netbox-device-{}", d.id);
            let mut name = d
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| {
                    out.notes
                        .push(format!("device {} has no name: named {fallback}", d.id));
                    fallback.clone()
                });
            if taken.contains(&name) {
                let renamed = format!("{name}-{}", d.id);
                out.notes.push(format!(
                    "device {}: name {name} is taken, named {renamed}",
                    d.id
                ));
                name = renamed;
            }
            let id: EntityId = match name.parse() {
                Ok(id) => id,
                Err(e) => {
                    out.notes.push(format!(
                        "device {}: name refused ({e}), named {fallback}",
                        d.id
                    ));
                    match fallback.parse() {
                        Ok(id) => id,
                        Err(_) => continue,
                    }
                }
            };
            taken.insert(id.as_str().to_string());
            let mut e = Entity::new(id.clone(), EntityKind::Device);
            match d.role.as_ref() {
                Some(r) => {
                    let slug = r
                        .slug
                        .clone()
                        .or_else(|| r.name.as_ref().map(|n| n.to_lowercase()))
                        .unwrap_or_default();
                    match role_of(&slug) {
                        Some(role) => {
                            e.role = Some(role);
                            roles.insert(d.id, role);
                        }
                        None => out.notes.push(format!(
                            "device {id}: role {slug:?} is not an ispvm role; no group proposed"
                        )),
                    }
                }
                None => out
                    .notes
                    .push(format!("device {id}: no role; no group proposed")),
            }
            e.site = d.site.as_ref().and_then(|s| {
                s.name
                    .clone()
                    .or_else(|| s.display.clone())
                    .or_else(|| s.slug.clone())
            });
            ids.insert(d.id, id);
            out.entities.push(e);
        }
        // Links, and each device's neighbours.
        let mut neighbours: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
        for c in self.cables.values() {
            if let Some(s) = c.status.as_ref().filter(|s| s.value != "connected") {
                out.notes
                    .push(format!("cable {}: status {}, skipped", c.id, s.value));
                continue;
            }
            let end = |ts: &[Termination]| ts.iter().find_map(|t| self.device_of(t));
            let (Some(a), Some(b)) = (end(&c.a_terminations), end(&c.b_terminations)) else {
                out.notes.push(format!(
                    "cable {}: not between two device interfaces, skipped",
                    c.id
                ));
                continue;
            };
            let (Some(ia), Some(ib)) = (ids.get(&a), ids.get(&b)) else {
                out.notes.push(format!(
                    "cable {}: a device it connects was not imported, skipped",
                    c.id
                ));
                continue;
            };
            if a == b {
                out.notes
                    .push(format!("cable {}: both ends on {ia}, skipped", c.id));
                continue;
            }
            let mut name = format!("{ia}-{ib}");
            if taken.contains(&name) {
                name = format!("{name}-{}", c.id);
            }
            let Ok(link) = name.parse::<EntityId>() else {
                out.notes.push(format!(
                    "cable {}: link name {name:?} refused, skipped",
                    c.id
                ));
                continue;
            };
            taken.insert(name);
            out.entities
                .push(Entity::new(link, EntityKind::Link).with_endpoints(ia.clone(), ib.clone()));
            neighbours.entry(a).or_default().insert(b);
            neighbours.entry(b).or_default().insert(a);
        }
        // Proposed groups: a device needs its neighbours closer to the core.
        for (dev, ns) in &neighbours {
            let Some(my) = roles.get(dev) else { continue };
            let mut up: Vec<EntityId> = ns
                .iter()
                .filter(|n| roles.get(n).is_some_and(|r| rank(*r) < rank(*my)))
                .filter_map(|n| ids.get(n).cloned())
                .collect();
            up.sort();
            let Some(me) = ids.get(dev) else { continue };
            match up.len() {
                0 => {}
                1 => out
                    .groups
                    .push(DependencyGroup::new(me.clone(), GroupMode::All, up)),
                _ => out
                    .groups
                    .push(DependencyGroup::new(me.clone(), GroupMode::Any, up)),
            }
        }
        out.groups.sort_by(|a, b| a.dependent.cmp(&b.dependent));
        out
    }
}
