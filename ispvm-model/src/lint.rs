//! The topology linter: the operator style guide (`docs/style-guide.md`) applied to a topology.
//!
//! [`lint`] reads the parts of a topology *before* validation (so that an unknown reference is a
//! finding, not a refusal): the tenant, the entities, the dependency groups and the maintenance
//! windows. [`lint_topology`] does the same for a [`Topology`] that was already built. Each
//! [`Finding`] has a stable [`Code`], a [`LintSeverity`], the entity or group at fault and a
//! one-line fix. Pure logic, no I/O; the result does not depend on anything but the input (the
//! findings come sorted).
//!
//! | code | severity | what |
//! |------|----------|------|
//! | `L001` | error | two entities share an id |
//! | `L002` | error | a group or maintenance window names an entity that does not exist |
//! | `L003` | error | a link endpoint does not exist |
//! | `L004` | error | an interface, adjacency or RADIUS client whose device does not exist |
//! | `L005` | error | an entity of another tenant, or a group member of another tenant |
//! | `L101` | warning | an id or tenant breaking the grammar |
//! | `L102` | warning | the kind and the id's path disagree (a `bgp_session` not named `DEV/bgp/ADDR`...) |
//! | `L103` | warning | a link id that does not name its two ends `<a>-<b>` |
//! | `L201` | warning | a device without a site, or a site label breaking the grammar |
//! | `L202` | warning | a device without a role |
//! | `L301` | warning | an access router or concentrator with one upstream but links toward two |
//! | `L302` | warning | a `kofn` group with `k = n` (that is `all`) or `k = 1` (that is `any`) |
//! | `L401` | warning | a maintenance window longer than the limit |
//! | `L501` | hint | every device of a site hangs off one upstream |
//!
//! Ids declared as aliases ([`LintOptions::with_alias`], e.g. the topology id `transit1` that a
//! pipeline maps `core1/bgp/198.51.100.1` to) are exempt from the grammar checks.
//!
//! # Examples
//! ```
//! use ispvm_model::lint::{Code, LintOptions, LintSeverity, lint};
//! use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode, Role};
//! let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
//! let entities = vec![
//!     Entity::new(id("agg1"), EntityKind::Device).with_role(Role::Aggregation).with_site("pop-north"),
//!     Entity::new(id("acc1"), EntityKind::Device).with_role(Role::Access).with_site("pop-north"),
//! ];
//! let groups = vec![DependencyGroup::new(id("acc1"), GroupMode::All, vec![id("agg9")])];
//! let report = lint(&"demo-isp".parse()?, &entities, &groups, &[], &LintOptions::default());
//! assert_eq!(report.findings().len(), 1);
//! let f = &report.findings()[0];
//! assert_eq!((f.code, f.severity, f.subject.as_str()), (Code::UnknownReference, LintSeverity::Error, "dependency #0"));
//! assert_eq!(report.exit_code(), 2);
//! assert_eq!(
//!     f.to_string(),
//!     "error L002 dependency #0: acc1 needs agg9, which is not an entity; fix: add agg9 to the entities or correct the name"
//! );
//! # Ok::<(), ispvm_model::IdError>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::dependency::{DependencyGroup, GroupMode};
use crate::entity::{Entity, EntityKind, Role};
use crate::id::{EntityId, IdPath, TenantId};
use crate::maintenance::MaintenanceWindow;
use crate::quote::bounded;
use crate::topology::Topology;

/// How bad a [`Finding`] is. Ordered from the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LintSeverity {
    /// A structural fault: the topology is wrong (an unknown reference, another tenant's entity).
    Error,
    /// Breaks the style guide; the topology works but reads or behaves worse than it should.
    Warning,
    /// Worth a look (a likely single point of failure).
    Hint,
}

impl LintSeverity {
    /// `error`, `warning` or `hint`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            LintSeverity::Error => "error",
            LintSeverity::Warning => "warning",
            LintSeverity::Hint => "hint",
        }
    }
}

impl fmt::Display for LintSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stable code of a finding (`L001`...): what it is about, independent of its wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub enum Code {
    /// `L001`: two entities share an id.
    #[serde(rename = "L001")]
    DuplicateId,
    /// `L002`: a group or maintenance window names an entity that does not exist.
    #[serde(rename = "L002")]
    UnknownReference,
    /// `L003`: a link endpoint does not exist.
    #[serde(rename = "L003")]
    UnknownEndpoint,
    /// `L004`: an interface, adjacency or RADIUS client entry whose device does not exist.
    #[serde(rename = "L004")]
    MissingDevice,
    /// `L005`: an entity of another tenant, or a group member of another tenant.
    #[serde(rename = "L005")]
    CrossTenant,
    /// `L101`: an id or a tenant breaking the grammar.
    #[serde(rename = "L101")]
    Grammar,
    /// `L102`: the kind and the path of the id disagree.
    #[serde(rename = "L102")]
    KindMismatch,
    /// `L103`: a link id that does not name its two ends.
    #[serde(rename = "L103")]
    LinkName,
    /// `L201`: a device without a site, or a site label breaking the grammar.
    #[serde(rename = "L201")]
    Site,
    /// `L202`: a device without a role.
    #[serde(rename = "L202")]
    Role,
    /// `L301`: one upstream although links reach two routers toward the core.
    #[serde(rename = "L301")]
    SingleUpstream,
    /// `L302`: a `kofn` group that is really `all` or `any`.
    #[serde(rename = "L302")]
    DegenerateKofN,
    /// `L401`: a maintenance window longer than the limit.
    #[serde(rename = "L401")]
    LongMaintenance,
    /// `L501`: every device of a site hangs off one upstream.
    #[serde(rename = "L501")]
    SiteSinglePoint,
}

impl Code {
    /// Every code, in order.
    pub const ALL: [Code; 14] = [
        Code::DuplicateId,
        Code::UnknownReference,
        Code::UnknownEndpoint,
        Code::MissingDevice,
        Code::CrossTenant,
        Code::Grammar,
        Code::KindMismatch,
        Code::LinkName,
        Code::Site,
        Code::Role,
        Code::SingleUpstream,
        Code::DegenerateKofN,
        Code::LongMaintenance,
        Code::SiteSinglePoint,
    ];

    /// The code as written: `L001`...
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Code::DuplicateId => "L001",
            Code::UnknownReference => "L002",
            Code::UnknownEndpoint => "L003",
            Code::MissingDevice => "L004",
            Code::CrossTenant => "L005",
            Code::Grammar => "L101",
            Code::KindMismatch => "L102",
            Code::LinkName => "L103",
            Code::Site => "L201",
            Code::Role => "L202",
            Code::SingleUpstream => "L301",
            Code::DegenerateKofN => "L302",
            Code::LongMaintenance => "L401",
            Code::SiteSinglePoint => "L501",
        }
    }

    /// The severity every finding of this code has.
    #[must_use]
    pub const fn severity(self) -> LintSeverity {
        match self {
            Code::DuplicateId
            | Code::UnknownReference
            | Code::UnknownEndpoint
            | Code::MissingDevice
            | Code::CrossTenant => LintSeverity::Error,
            Code::SiteSinglePoint => LintSeverity::Hint,
            _ => LintSeverity::Warning,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing the linter found.
///
/// Shown as one line: `SEVERITY CODE SUBJECT: MESSAGE; fix: FIX`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Finding {
    /// How bad it is (always [`Code::severity`] of `code`).
    pub severity: LintSeverity,
    /// What it is about.
    pub code: Code,
    /// The entity id at fault, `dependency #N` (the group at position `N` of the input),
    /// `maintenance #N`, `site NAME` or `tenant NAME`.
    pub subject: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, in one sentence.
    pub fix: String,
}

impl Finding {
    fn new(code: Code, subject: impl Into<String>, message: String, fix: String) -> Self {
        Self {
            severity: code.severity(),
            code,
            subject: subject.into(),
            message,
            fix,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}: {}; fix: {}",
            self.severity, self.code, self.subject, self.message, self.fix
        )
    }
}

/// What the linter accepts beyond the style guide.
///
/// # Examples
/// ```
/// use ispvm_model::lint::LintOptions;
/// let options = LintOptions::default()
///     .with_alias("transit1".parse()?)
///     .with_max_maintenance(chrono::Duration::hours(4));
/// assert!(options.is_alias("transit1"));
/// assert_eq!(options.max_maintenance(), chrono::Duration::hours(4));
/// # Ok::<(), ispvm_model::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LintOptions {
    aliases: BTreeSet<EntityId>,
    max_maintenance: chrono::Duration,
}

impl LintOptions {
    /// The longest maintenance window accepted by default: 8 hours (a night).
    pub const DEFAULT_MAX_MAINTENANCE_HOURS: i64 = 8;

    /// Declares `id` an alias: a topology id that stands for a device-found id (the pipeline's
    /// alias table maps, e.g., `core1/bgp/198.51.100.1` to `transit1`). Aliases are exempt from
    /// the grammar checks (`L101`, `L102`, `L103`).
    #[must_use]
    pub fn with_alias(mut self, id: EntityId) -> Self {
        self.aliases.insert(id);
        self
    }

    /// Declares every id of `ids` an alias.
    #[must_use]
    pub fn with_aliases(mut self, ids: impl IntoIterator<Item = EntityId>) -> Self {
        self.aliases.extend(ids);
        self
    }

    /// Sets the longest maintenance window that is not reported (`L401`).
    #[must_use]
    pub fn with_max_maintenance(mut self, limit: chrono::Duration) -> Self {
        self.max_maintenance = limit;
        self
    }

    /// Whether `id` was declared an alias.
    #[must_use]
    pub fn is_alias(&self, id: &str) -> bool {
        self.aliases.contains(id)
    }

    /// The longest maintenance window that is not reported.
    #[must_use]
    pub fn max_maintenance(&self) -> chrono::Duration {
        self.max_maintenance
    }
}

impl Default for LintOptions {
    fn default() -> Self {
        Self {
            aliases: BTreeSet::new(),
            max_maintenance: chrono::Duration::hours(Self::DEFAULT_MAX_MAINTENANCE_HOURS),
        }
    }
}

/// The findings of one run, sorted (severity, code, subject, message).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "json-schema", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct LintReport {
    /// The findings, worst first (private: [`LintReport::new`] keeps them sorted).
    findings: Vec<Finding>,
}

impl LintReport {
    /// A report of `findings`, sorted.
    #[must_use]
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort();
        findings.dedup();
        Self { findings }
    }

    /// The findings, worst first.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// How many findings have `severity`.
    #[must_use]
    pub fn count(&self, severity: LintSeverity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    /// Whether any finding is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.count(LintSeverity::Error) > 0
    }

    /// The exit code of `ispvm-schema lint`: 0 clean (hints allowed), 1 warnings only, 2 errors.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        if self.has_errors() {
            2
        } else if self.count(LintSeverity::Warning) > 0 {
            1
        } else {
            0
        }
    }

    /// One line per finding, each ending in a newline (empty when clean).
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            out.push_str(&f.to_string());
            out.push('\n');
        }
        out
    }
}

/// Lints a topology given as parts, before validation.
///
/// Never panics, whatever the input; the findings depend only on the input (sorted, without
/// duplicates). Work and memory are linear in the size of the input.
#[must_use]
pub fn lint(
    tenant: &TenantId,
    entities: &[Entity],
    groups: &[DependencyGroup],
    maintenance: &[MaintenanceWindow],
    options: &LintOptions,
) -> LintReport {
    Linter::new(tenant, entities, groups, options).run(maintenance)
}

/// Lints a validated topology. The builder already refused duplicates, unknown references and
/// other tenants' entities, so the only errors left to find are a missing device (`L004`) and
/// an unknown entity in `maintenance` (`L002`).
///
/// # Examples
/// ```
/// use ispvm_model::lint::{LintOptions, lint_topology};
/// use ispvm_model::{Entity, EntityKind, Role, TopologyBuilder};
/// let mut b = TopologyBuilder::new("demo-isp".parse()?);
/// b.add_entity(Entity::new("core1".parse()?, EntityKind::Device).with_role(Role::Core).with_site("dc-central"));
/// let topology = b.build()?;
/// assert!(lint_topology(&topology, &[], &LintOptions::default()).findings().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn lint_topology(
    topology: &Topology,
    maintenance: &[MaintenanceWindow],
    options: &LintOptions,
) -> LintReport {
    lint(
        topology.tenant(),
        topology.entities(),
        topology.groups(),
        maintenance,
        options,
    )
}

/// A plain id, a site label: lower-case letters, digits, `-`, `_` and `.`, starting and ending
/// with a letter or digit (a host name, readable in a URL and a metric label).
fn plain_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let edge = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&f), Some(&l)) => {
            edge(f)
                && edge(l)
                && b.iter()
                    .all(|&c| edge(c) || c == b'-' || c == b'_' || c == b'.')
        }
        _ => false,
    }
}

/// An interface name as RouterOS shows it: printable, no space, no `/`.
fn ifname_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '/')
}

fn is_router(e: &Entity) -> bool {
    matches!(e.kind, EntityKind::Device | EntityKind::PppoeConcentrator)
}

fn is_toward_core(e: &Entity) -> bool {
    is_router(e) && matches!(e.role, Some(Role::Core | Role::Aggregation))
}

struct Linter<'a> {
    tenant: &'a TenantId,
    entities: &'a [Entity],
    groups: &'a [DependencyGroup],
    options: &'a LintOptions,
    index: HashMap<&'a str, usize>,
    findings: Vec<Finding>,
}

impl<'a> Linter<'a> {
    fn new(
        tenant: &'a TenantId,
        entities: &'a [Entity],
        groups: &'a [DependencyGroup],
        options: &'a LintOptions,
    ) -> Self {
        Self {
            tenant,
            entities,
            groups,
            options,
            index: HashMap::with_capacity(entities.len()),
            findings: Vec::new(),
        }
    }

    fn push(&mut self, code: Code, subject: impl Into<String>, message: String, fix: String) {
        self.findings
            .push(Finding::new(code, subject, message, fix));
    }

    fn get(&self, id: &str) -> Option<&'a Entity> {
        self.index.get(id).map(|&i| &self.entities[i])
    }

    fn run(mut self, maintenance: &[MaintenanceWindow]) -> LintReport {
        self.identities();
        self.tenant_grammar();
        self.entities_check();
        self.groups_check();
        self.upstreams();
        self.sites();
        self.maintenance(maintenance);
        LintReport::new(self.findings)
    }

    /// L001, L005 (entity).
    fn identities(&mut self) {
        let entities = self.entities;
        for (i, e) in entities.iter().enumerate() {
            if let Some(&first) = self.index.get(e.id.as_str()) {
                self.push(
                    Code::DuplicateId,
                    e.id.as_str(),
                    format!("entities #{first} and #{i} share this id"),
                    "give each entity its own id, or remove the repeat".into(),
                );
            } else {
                self.index.insert(e.id.as_str(), i);
            }
            if let Some(t) = &e.tenant {
                if t != self.tenant {
                    self.push(
                        Code::CrossTenant,
                        e.id.as_str(),
                        format!(
                            "declares tenant {}, the topology is of tenant {}",
                            bounded(t.as_str()),
                            bounded(self.tenant.as_str())
                        ),
                        "move it to its own tenant's topology, or drop its tenant field".into(),
                    );
                }
            }
        }
    }

    fn tenant_grammar(&mut self) {
        let t = self.tenant.as_str();
        let b = t.as_bytes();
        let ok = b.len() <= 63
            && b.first()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && b.iter()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        if !ok {
            self.push(
                Code::Grammar,
                format!("tenant {t}"),
                "a tenant id is [a-z0-9][a-z0-9-]{0,62} (it becomes a URL part, a bus subject token and a metric label)".into(),
                "rename the tenant in lower case, with letters, digits and '-' only".into(),
            );
        }
    }

    /// L003, L004, L101, L102, L103, L201, L202.
    fn entities_check(&mut self) {
        let entities = self.entities;
        for e in entities {
            let id = e.id.as_str();
            let alias = self.options.is_alias(id);
            let path = e.id.path();
            // L004: a device-found id whose device is missing.
            if let Some(dev) = e.id.parent_device() {
                if self.get(dev).is_none() {
                    self.push(
                        Code::MissingDevice,
                        id,
                        format!(
                            "is found on device {}, which is not an entity",
                            bounded(dev)
                        ),
                        format!("add the device {} or correct the id", bounded(dev)),
                    );
                }
            }
            if !alias {
                self.grammar(e, path);
            }
            if e.kind == EntityKind::Link {
                self.link(e, alias);
            }
            if is_router(e) {
                match &e.site {
                    None => self.push(
                        Code::Site,
                        id,
                        format!("{} without a site", e.kind),
                        "set \"site\" to its PoP or data centre (e.g. \"pop-north\")".into(),
                    ),
                    Some(s) if !plain_ok(s) => self.push(
                        Code::Site,
                        id,
                        format!("site label {:?} breaks the grammar", bounded(s)),
                        "name sites in lower case: KIND-PLACE such as pop-north or dc-central"
                            .into(),
                    ),
                    Some(_) => {}
                }
                if e.role.is_none() {
                    self.push(
                        Code::Role,
                        id,
                        format!("{} without a role", e.kind),
                        "set \"role\": core, aggregation, access, edge, upstream or cpe".into(),
                    );
                }
            }
        }
    }

    /// L101 and L102 for one entity that is not an alias.
    fn grammar(&mut self, e: &Entity, path: IdPath<'_>) {
        let id = e.id.as_str();
        let expected = match path {
            IdPath::Plain(_) => None,
            IdPath::Interface { .. } => Some(EntityKind::Interface),
            IdPath::BgpSession { .. } => Some(EntityKind::BgpSession),
            IdPath::OspfAdjacency { .. } => Some(EntityKind::OspfAdjacency),
            IdPath::RadiusClient { .. } => Some(EntityKind::RadiusServer),
        };
        let device_found = matches!(
            e.kind,
            EntityKind::Interface | EntityKind::BgpSession | EntityKind::OspfAdjacency
        );
        if expected.is_none() && device_found {
            let form = match e.kind {
                EntityKind::Interface => "DEVICE/IFNAME",
                EntityKind::BgpSession => "DEVICE/bgp/PEER-ADDRESS",
                _ => "DEVICE/ospf/ROUTER-ID",
            };
            self.push(
                Code::KindMismatch,
                id,
                format!("a {} is named {form}", e.kind),
                "rename it, or declare the id an alias of the device-found id".into(),
            );
        } else if let Some(k) = expected {
            // A RADIUS client entry may be modelled as a service or a radius_server alike.
            let radius_ok = k == EntityKind::RadiusServer
                && matches!(e.kind, EntityKind::RadiusServer | EntityKind::Service);
            if k != e.kind && !radius_ok {
                self.push(
                    Code::KindMismatch,
                    id,
                    format!("the id reads as a {k}, the kind is {}", e.kind),
                    format!("set \"kind\": \"{k}\" or rename the entity"),
                );
            }
        }
        let device = e.id.device();
        let bad = match path {
            IdPath::Plain(p) => (!plain_ok(p)).then_some(
                "a plain id is lower case: letters, digits, '-', '_' and '.' (e.g. agg1, pop-north)",
            ),
            IdPath::Interface { name, .. } => (!plain_ok(device) || !ifname_ok(name))
                .then_some("an interface is DEVICE/IFNAME: a plain device id, then the interface name as RouterOS shows it (no space)"),
            IdPath::BgpSession { remote, .. } => (!plain_ok(device) || remote.parse::<IpAddr>().is_err())
                .then_some("a BGP session is DEVICE/bgp/PEER-ADDRESS (the remote address, as the collector names it)"),
            IdPath::OspfAdjacency { router_id, .. } => (!plain_ok(device) || router_id.parse::<std::net::Ipv4Addr>().is_err())
                .then_some("an OSPF adjacency is DEVICE/ospf/ROUTER-ID (a dotted quad)"),
            IdPath::RadiusClient { server, .. } => (!plain_ok(device) || server.parse::<IpAddr>().is_err())
                .then_some("a RADIUS client entry is DEVICE/radius/SERVER-ADDRESS"),
        };
        if let Some(rule) = bad {
            self.push(
                Code::Grammar,
                id,
                format!("breaks the id grammar: {rule}"),
                "rename it, or declare the id an alias".into(),
            );
        }
    }

    /// The two ends of a link, as entity indices: its endpoints, else the split of `a-b`.
    fn link_ends(&self, e: &Entity) -> Option<(usize, usize)> {
        if let Some([a, b]) = &e.endpoints {
            let ai = *self.index.get(a.as_str())?;
            let bi = *self.index.get(b.as_str())?;
            return Some((ai, bi));
        }
        let id = e.id.as_str();
        id.match_indices('-').find_map(|(i, _)| {
            let (a, b) = (&id[..i], &id[i + 1..]);
            match (self.index.get(a), self.index.get(b)) {
                (Some(&ai), Some(&bi)) if ai != bi => Some((ai, bi)),
                _ => None,
            }
        })
    }

    /// L003 and L103.
    fn link(&mut self, e: &Entity, alias: bool) {
        let id = e.id.as_str();
        if let Some(ends) = &e.endpoints {
            for end in ends {
                if self.get(end.as_str()).is_none() {
                    self.push(
                        Code::UnknownEndpoint,
                        id,
                        format!("endpoint {} is not an entity", bounded(end.as_str())),
                        format!(
                            "add {} to the entities or correct the endpoint",
                            bounded(end.as_str())
                        ),
                    );
                }
            }
        }
        if alias {
            return;
        }
        let named = match &e.endpoints {
            Some([a, b]) => {
                let (a, b) = (a.device(), b.device());
                id == format!("{a}-{b}") || id == format!("{b}-{a}")
            }
            None => self.link_ends(e).is_some(),
        };
        if !named {
            let fix = match &e.endpoints {
                Some([a, b]) => format!("rename it {}-{}", a.device(), b.device()),
                None => "name it <a>-<b> after its two devices, or give its \"endpoints\"".into(),
            };
            self.push(
                Code::LinkName,
                id,
                "a link id names its two ends: <a>-<b>".into(),
                fix,
            );
        }
    }

    /// L002, L005 (members), L302.
    fn groups_check(&mut self) {
        let groups = self.groups;
        for (gi, g) in groups.iter().enumerate() {
            let subject = format!("dependency #{gi}");
            if self.get(g.dependent.as_str()).is_none() {
                self.push(
                    Code::UnknownReference,
                    subject.clone(),
                    format!(
                        "the dependent {} is not an entity",
                        bounded(g.dependent.as_str())
                    ),
                    format!(
                        "add {} to the entities or correct the name",
                        bounded(g.dependent.as_str())
                    ),
                );
            }
            for m in &g.members {
                match self.get(m.as_str()) {
                    None => self.push(
                        Code::UnknownReference,
                        subject.clone(),
                        format!(
                            "{} needs {}, which is not an entity",
                            bounded(g.dependent.as_str()),
                            bounded(m.as_str())
                        ),
                        format!(
                            "add {} to the entities or correct the name",
                            bounded(m.as_str())
                        ),
                    ),
                    Some(member) => {
                        if let Some(t) = member.tenant.as_ref().filter(|t| *t != self.tenant) {
                            self.push(
                                Code::CrossTenant,
                                subject.clone(),
                                format!(
                                    "{} needs {}, an entity of tenant {}",
                                    bounded(g.dependent.as_str()),
                                    bounded(m.as_str()),
                                    bounded(t.as_str())
                                ),
                                "a tenant's groups name only its own entities: model the shared element in this tenant".into(),
                            );
                        }
                    }
                }
            }
            if let GroupMode::KofN(k) = g.mode {
                let n = g.members.len();
                let k = usize::try_from(k).unwrap_or(usize::MAX);
                let (same, mode) = if n > 0 && k == n {
                    (true, "all")
                } else if k == 1 && n > 1 {
                    (true, "any")
                } else {
                    (false, "")
                };
                if same {
                    self.push(
                        Code::DegenerateKofN,
                        subject,
                        format!(
                            "{} needs {k} of {n} members, which is \"{mode}\"",
                            bounded(g.dependent.as_str())
                        ),
                        format!("write \"mode\": \"{mode}\" without k"),
                    );
                }
            }
        }
    }

    /// L301: an access router or concentrator with one upstream, linked to two routers toward
    /// the core.
    fn upstreams(&mut self) {
        // Routers toward the core linked to each entity.
        let mut linked: HashMap<usize, BTreeSet<usize>> = HashMap::new();
        for e in self.entities {
            if e.kind != EntityKind::Link {
                continue;
            }
            let Some((a, b)) = self.link_ends(e) else {
                continue;
            };
            let dev = |i: usize| -> Option<usize> {
                let d = self.entities[i].id.device();
                self.index.get(d).copied()
            };
            let (Some(a), Some(b)) = (dev(a), dev(b)) else {
                continue;
            };
            if a == b {
                continue;
            }
            if is_toward_core(&self.entities[b]) {
                linked.entry(a).or_default().insert(b);
            }
            if is_toward_core(&self.entities[a]) {
                linked.entry(b).or_default().insert(a);
            }
        }
        let mut groups_of: HashMap<&str, Vec<&DependencyGroup>> = HashMap::new();
        for g in self.groups {
            groups_of.entry(g.dependent.as_str()).or_default().push(g);
        }
        let mut found = Vec::new();
        for (i, e) in self.entities.iter().enumerate() {
            let edge_router =
                e.kind == EntityKind::PppoeConcentrator || e.role == Some(Role::Access);
            if !edge_router || !is_router(e) {
                continue;
            }
            let Some(peers) = linked.get(&i).filter(|p| p.len() >= 2) else {
                continue;
            };
            let groups = groups_of
                .get(e.id.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            // The routers it depends on, and whether any group tolerates the loss of one.
            let mut upstream: BTreeSet<&str> = BTreeSet::new();
            let mut redundant = false;
            for g in groups {
                let routers: Vec<&str> = g
                    .members
                    .iter()
                    .filter(|m| self.get(m.as_str()).is_some_and(is_router))
                    .map(EntityId::as_str)
                    .collect();
                if routers.len() >= 2 && g.mode.required(g.members.len()) < Some(g.members.len()) {
                    redundant = true;
                }
                upstream.extend(routers);
            }
            if upstream.len() == 1 && !redundant {
                let mut names: Vec<&str> = peers
                    .iter()
                    .map(|&p| self.entities[p].id.as_str())
                    .collect();
                names.sort_unstable();
                found.push(Finding::new(
                    Code::SingleUpstream,
                    e.id.as_str(),
                    format!(
                        "depends on {} alone, but links reach {}",
                        upstream.iter().next().copied().unwrap_or_default(),
                        bounded(&names.join(" and "))
                    ),
                    format!(
                        "make it {{\"mode\": \"any\", \"members\": [{}]}}",
                        bounded(
                            &names
                                .iter()
                                .map(|n| format!("\"{n}\""))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    ),
                ));
            }
        }
        self.findings.extend(found);
    }

    /// L501: a site (two devices or more) whose every device hangs off the same upstream.
    fn sites(&mut self) {
        let mut members_of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, e) in self.entities.iter().enumerate() {
            if let (Some(site), true) = (&e.site, is_router(e)) {
                members_of.entry(site.as_str()).or_default().push(i);
            }
        }
        let mut groups_of: HashMap<&str, Vec<&DependencyGroup>> = HashMap::new();
        for g in self.groups {
            groups_of.entry(g.dependent.as_str()).or_default().push(g);
        }
        let mut found = Vec::new();
        for (site, devices) in &members_of {
            if devices.len() < 2 {
                continue;
            }
            let ids: HashSet<&str> = devices
                .iter()
                .map(|&i| self.entities[i].id.as_str())
                .collect();
            let mut outside: BTreeSet<&str> = BTreeSet::new();
            let mut all_attached = true;
            for &d in devices {
                let mut attached = false;
                let id = self.entities[d].id.as_str();
                for g in groups_of.get(id).map(Vec::as_slice).unwrap_or_default() {
                    attached = true;
                    for m in &g.members {
                        let m = m.as_str();
                        let same_site = ids.contains(m)
                            || self
                                .get(m)
                                .is_some_and(|x| x.site.as_deref() == Some(*site));
                        if !same_site {
                            outside.insert(m);
                        }
                    }
                }
                all_attached &= attached;
            }
            if all_attached && outside.len() == 1 {
                let up = outside.iter().next().copied().unwrap_or_default();
                found.push(Finding::new(
                    Code::SiteSinglePoint,
                    format!("site {site}"),
                    format!(
                        "all {} devices hang off {} (a single point of failure)",
                        devices.len(),
                        bounded(up)
                    ),
                    "give the site a second uplink and an \"any\" group, or accept the risk".into(),
                ));
            }
        }
        self.findings.extend(found);
    }

    /// L002 (windows), L401.
    fn maintenance(&mut self, windows: &[MaintenanceWindow]) {
        for (wi, w) in windows.iter().enumerate() {
            let subject = format!("maintenance #{wi}");
            for e in w.entities() {
                if self.get(e.as_str()).is_none() {
                    self.push(
                        Code::UnknownReference,
                        subject.clone(),
                        format!("names {}, which is not an entity", bounded(e.as_str())),
                        format!(
                            "add {} to the entities or correct the name",
                            bounded(e.as_str())
                        ),
                    );
                }
            }
            let length = w.end() - w.start();
            let limit = self.options.max_maintenance();
            if length > limit {
                self.push(
                    Code::LongMaintenance,
                    subject,
                    format!(
                        "lasts {}, longer than the limit of {}",
                        human(length),
                        human(limit)
                    ),
                    "split the work into windows within the limit, or raise the limit for this change".into(),
                );
            }
        }
    }
}

/// `3h`, `1h30m`, `45m`, `2d4h`.
fn human(d: chrono::Duration) -> String {
    let minutes = d.num_minutes().max(0);
    let (days, hours, mins) = (minutes / 1440, (minutes / 60) % 24, minutes % 60);
    let mut out = String::new();
    if days > 0 {
        out.push_str(&format!("{days}d"));
    }
    if hours > 0 {
        out.push_str(&format!("{hours}h"));
    }
    if mins > 0 || out.is_empty() {
        out.push_str(&format!("{mins}m"));
    }
    out
}

#[cfg(test)]
mod tests;
