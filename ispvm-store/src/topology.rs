//! Topology: import as a reviewed plan (a dry-run diff, then apply), export as a scenario.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use chrono::Utc;
use ispvm_model::{DependencyGroup, Entity, EntityId, EntityKind, GroupMode, Role, TenantId};
use ispvm_schemas::scenario::ScenarioDocument;

use crate::audit::{ensure_tenant, insert_audit};
use crate::store::{begin_write, micros, on_pool};
use crate::{Store, StoreError};

/// How an import treats what is stored but not in the import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportMode {
    /// The import is the whole topology: stored entities and groups it lacks are removed.
    Replace,
    /// The import adds and updates: entities it lacks stay; a dependent named by an imported
    /// group gets exactly the imported groups, other dependents keep theirs.
    Merge,
}

/// The difference between the stored topology and an import; `Display` renders it as a
/// dry-run listing (`+` added, `-` removed, `~` changed), one line each.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TopologyDiff {
    /// Entities to add.
    pub added_entities: Vec<Entity>,
    /// Entities to remove (with their links and groups).
    pub removed_entities: Vec<EntityId>,
    /// Entities to change: (stored, imported).
    pub changed_entities: Vec<(Entity, Entity)>,
    /// Dependency groups to add.
    pub added_groups: Vec<DependencyGroup>,
    /// Dependency groups to remove.
    pub removed_groups: Vec<DependencyGroup>,
}

impl TopologyDiff {
    /// Whether applying it changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added_entities.is_empty()
            && self.removed_entities.is_empty()
            && self.changed_entities.is_empty()
            && self.added_groups.is_empty()
            && self.removed_groups.is_empty()
    }
}

fn describe(e: &Entity) -> String {
    let mut s = format!("{} ({}", e.id, e.kind);
    if let Some(r) = e.role {
        s.push_str(&format!(", role {r}"));
    }
    if let Some(site) = &e.site {
        s.push_str(&format!(", site {site}"));
    }
    if let Some([a, b]) = &e.endpoints {
        s.push_str(&format!(", {a} <-> {b}"));
    }
    s.push(')');
    s
}

impl fmt::Display for TopologyDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no change");
        }
        for e in &self.added_entities {
            writeln!(f, "+ entity {}", describe(e))?;
        }
        for (old, new) in &self.changed_entities {
            writeln!(f, "~ entity {} -> {}", describe(old), describe(new))?;
        }
        for id in &self.removed_entities {
            writeln!(f, "- entity {id}")?;
        }
        for g in &self.added_groups {
            writeln!(f, "+ group {}: {g}", g.dependent)?;
        }
        for g in &self.removed_groups {
            writeln!(f, "- group {}: {g}", g.dependent)?;
        }
        Ok(())
    }
}

/// A reviewed import: the diff to show, then [`Store::apply_topology`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopologyPlan {
    /// The tenant.
    pub tenant: TenantId,
    /// What applying it changes.
    pub diff: TopologyDiff,
    base: Snapshot,
}

/// A stored topology in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Snapshot {
    entities: BTreeMap<EntityId, Entity>,
    /// Canonical group key -> (stored id, group); ids are 0 for unsaved groups.
    groups: BTreeMap<GroupKey, (i64, DependencyGroup)>,
}

type GroupKey = (EntityId, &'static str, Option<u32>, Vec<EntityId>);

fn group_key(g: &DependencyGroup) -> GroupKey {
    let k = match g.mode {
        GroupMode::KofN(k) => Some(k),
        _ => None,
    };
    let mut members = g.members.clone();
    members.sort();
    (g.dependent.clone(), g.mode.as_str(), k, members)
}

fn canonical(e: &Entity) -> Entity {
    let mut e = e.clone();
    e.tenant = None;
    e
}

fn parse_kind(s: &str) -> Result<EntityKind, StoreError> {
    EntityKind::ALL
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| StoreError::corrupt(format!("entity kind {s:?}")))
}

fn parse_role(s: &str) -> Result<Role, StoreError> {
    [
        Role::Core,
        Role::Aggregation,
        Role::Access,
        Role::Edge,
        Role::Upstream,
        Role::Cpe,
    ]
    .into_iter()
    .find(|r| r.as_str() == s)
    .ok_or_else(|| StoreError::corrupt(format!("entity role {s:?}")))
}

fn id(s: String) -> Result<EntityId, StoreError> {
    s.parse()
        .map_err(|e| StoreError::corrupt(format!("entity id: {e}")))
}

type EntityRow = (String, String, Option<String>, Option<String>);
type LinkRow = (String, String, String);
type GroupRow = (i64, String, String, Option<i64>);
type MemberRow = (i64, String);

fn build_snapshot(
    entities: Vec<EntityRow>,
    links: Vec<LinkRow>,
    groups: Vec<GroupRow>,
    members: Vec<MemberRow>,
) -> Result<Snapshot, StoreError> {
    let mut snap = Snapshot::default();
    for (eid, kind, role, site) in entities {
        let mut e = Entity::new(id(eid)?, parse_kind(&kind)?);
        e.role = role.as_deref().map(parse_role).transpose()?;
        e.site = site;
        snap.entities.insert(e.id.clone(), e);
    }
    for (lid, a, b) in links {
        if let Some(e) = snap.entities.get_mut(lid.as_str()) {
            e.endpoints = Some([id(a)?, id(b)?]);
        }
    }
    let mut by_group: HashMap<i64, Vec<EntityId>> = HashMap::new();
    for (g, m) in members {
        by_group.entry(g).or_default().push(id(m)?);
    }
    for (gid, dependent, mode, k) in groups {
        let mode = match (mode.as_str(), k) {
            ("all", None) => GroupMode::All,
            ("any", None) => GroupMode::Any,
            ("kofn", Some(k)) => GroupMode::KofN(
                u32::try_from(k).map_err(|_| StoreError::corrupt(format!("group k {k}")))?,
            ),
            (m, k) => {
                return Err(StoreError::corrupt(format!(
                    "group mode {m:?} with k {k:?}"
                )));
            }
        };
        let g = DependencyGroup::new(
            id(dependent)?,
            mode,
            by_group.remove(&gid).unwrap_or_default(),
        );
        snap.groups.insert(group_key(&g), (gid, g));
    }
    Ok(snap)
}

macro_rules! read_snapshot {
    ($conn:expr, $t:expr) => {{
        let entities: Vec<EntityRow> = sqlx::query_as(
            "SELECT id, kind, role, site FROM entities WHERE tenant_id = $1 ORDER BY id")
            .bind($t).fetch_all(&mut *$conn).await?;
        let links: Vec<LinkRow> = sqlx::query_as(
            "SELECT id, endpoint_a, endpoint_b FROM links WHERE tenant_id = $1")
            .bind($t).fetch_all(&mut *$conn).await?;
        let groups: Vec<GroupRow> = sqlx::query_as(
            "SELECT id, entity_id, mode, k FROM dependency_groups WHERE tenant_id = $1 ORDER BY id")
            .bind($t).fetch_all(&mut *$conn).await?;
        let members: Vec<MemberRow> = sqlx::query_as(
            "SELECT m.group_id, m.entity_id FROM dependency_group_members m JOIN dependency_groups g ON g.id = m.group_id \
             WHERE g.tenant_id = $1 ORDER BY m.group_id, m.position")
            .bind($t).fetch_all(&mut *$conn).await?;
        build_snapshot(entities, links, groups, members)?
    }};
}

fn diff(base: &Snapshot, target: &Snapshot) -> TopologyDiff {
    let mut d = TopologyDiff::default();
    for (id, e) in &target.entities {
        match base.entities.get(id) {
            None => d.added_entities.push(e.clone()),
            Some(old) if old != e => d.changed_entities.push((old.clone(), e.clone())),
            Some(_) => {}
        }
    }
    for id in base.entities.keys() {
        if !target.entities.contains_key(id) {
            d.removed_entities.push(id.clone());
        }
    }
    for (k, (_, g)) in &target.groups {
        if !base.groups.contains_key(k) {
            d.added_groups.push(g.clone());
        }
    }
    for (k, (_, g)) in &base.groups {
        if !target.groups.contains_key(k) {
            d.removed_groups.push(g.clone());
        }
    }
    d
}

impl Store {
    async fn snapshot(&self, tenant: &TenantId) -> Result<Snapshot, StoreError> {
        let t = tenant.as_str();
        Ok(on_pool!(self, p => {
            let mut conn = p.acquire().await?;
            read_snapshot!(conn, t)
        }))
    }

    /// Plans an import of `entities` and `groups` into the tenant's stored topology: validates
    /// the resulting topology with the model's rules (unknown references, cycles, `k` out of
    /// range...) and computes the diff to review. Nothing is written.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the resulting topology does not validate (the message names
    /// the offending place); database errors.
    ///
    /// # Examples
    /// ```
    /// use ispvm_model::{DependencyGroup, Entity, EntityKind, GroupMode};
    /// use ispvm_store::{ImportMode, Store};
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// let dir = tempfile::tempdir()?;
    /// let store = Store::open_data_dir(dir.path()).await?;
    /// let tenant = "demo-isp".parse()?;
    /// let e = |s: &str| Entity::new(s.parse().unwrap(), EntityKind::Device);
    /// let group = DependencyGroup::new("acc1".parse()?, GroupMode::Any, vec!["agg1".parse()?, "agg2".parse()?]);
    /// let plan = store.plan_topology(&tenant, vec![e("agg1"), e("agg2"), e("acc1")], vec![group], ImportMode::Replace).await?;
    /// assert!(plan.diff.to_string().contains("+ group acc1: any of [agg1, agg2]"));
    /// store.apply_topology(&plan, "alice").await?;
    /// assert_eq!(store.export_scenario(&tenant).await?.entities.len(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn plan_topology(
        &self,
        tenant: &TenantId,
        entities: Vec<Entity>,
        groups: Vec<DependencyGroup>,
        mode: ImportMode,
    ) -> Result<TopologyPlan, StoreError> {
        let base = self.snapshot(tenant).await?;
        let mut target = match mode {
            ImportMode::Replace => Snapshot::default(),
            ImportMode::Merge => base.clone(),
        };
        let dependents: BTreeSet<&EntityId> = groups.iter().map(|g| &g.dependent).collect();
        if mode == ImportMode::Merge {
            target.groups.retain(|(d, ..), _| !dependents.contains(d));
        }
        for e in &entities {
            target.entities.insert(e.id.clone(), canonical(e));
        }
        for g in &groups {
            target.groups.insert(group_key(g), (0, g.clone()));
        }
        let doc = ScenarioDocument::new(
            tenant.clone(),
            target.entities.values().cloned().collect(),
            target.groups.values().map(|(_, g)| g.clone()).collect(),
            vec![],
            vec![],
        );
        doc.into_scenario()
            .map_err(|e| StoreError::Invalid(format!("topology: {e}")))?;
        let mut diff = diff(&base, &target);
        // New groups are created in the import's order (export lists them in creation order).
        let order: HashMap<GroupKey, usize> = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (group_key(g), i))
            .collect();
        diff.added_groups
            .sort_by_key(|g| order.get(&group_key(g)).copied().unwrap_or(usize::MAX));
        Ok(TopologyPlan {
            tenant: tenant.clone(),
            diff,
            base,
        })
    }

    /// Plans the import of a scenario document's topology (its entities and dependency groups;
    /// maintenance windows and observations are not topology and are ignored).
    ///
    /// # Errors
    /// As [`Store::plan_topology`].
    pub async fn plan_scenario_import(
        &self,
        doc: &ScenarioDocument,
        mode: ImportMode,
    ) -> Result<TopologyPlan, StoreError> {
        self.plan_topology(
            &doc.tenant,
            doc.entities.clone(),
            doc.dependencies.clone(),
            mode,
        )
        .await
    }

    /// Applies a reviewed plan in one transaction, with an audit entry (`topology.apply`) by
    /// `actor`.
    ///
    /// # Errors
    /// [`StoreError::PlanOutdated`] when the stored topology changed since the plan was made
    /// (nothing is written: plan again and review); database errors.
    pub async fn apply_topology(&self, plan: &TopologyPlan, actor: &str) -> Result<(), StoreError> {
        let t = plan.tenant.as_str();
        let d = &plan.diff;
        let now = micros(Utc::now());
        let detail = serde_json::json!({
            "added_entities": d.added_entities.len(),
            "removed_entities": d.removed_entities.len(),
            "changed_entities": d.changed_entities.len(),
            "added_groups": d.added_groups.len(),
            "removed_groups": d.removed_groups.len(),
        })
        .to_string();
        on_pool!(self, p => {
            let mut tx = begin_write!(p);
            ensure_tenant!(tx, t);
            let current = read_snapshot!(tx, t);
            if current != plan.base {
                return Err(StoreError::PlanOutdated);
            }
            for g in &d.removed_groups {
                if let Some((gid, _)) = current.groups.get(&group_key(g)) {
                    sqlx::query("DELETE FROM dependency_groups WHERE id = $1").bind(*gid).execute(&mut *tx).await?;
                }
            }
            for id in &d.removed_entities {
                sqlx::query("DELETE FROM entities WHERE tenant_id = $1 AND id = $2")
                    .bind(t).bind(id.as_str()).execute(&mut *tx).await?;
            }
            for (_, e) in &d.changed_entities {
                sqlx::query("UPDATE entities SET kind = $3, role = $4, site = $5 WHERE tenant_id = $1 AND id = $2")
                    .bind(t).bind(e.id.as_str()).bind(e.kind.as_str()).bind(e.role.map(|r| r.as_str()))
                    .bind(e.site.as_deref()).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM links WHERE tenant_id = $1 AND id = $2")
                    .bind(t).bind(e.id.as_str()).execute(&mut *tx).await?;
            }
            for chunk in d.added_entities.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO entities (tenant_id, id, kind, role, site) ");
                qb.push_values(chunk, |mut b, e| {
                    b.push_bind(t).push_bind(e.id.as_str()).push_bind(e.kind.as_str())
                        .push_bind(e.role.map(|r| r.as_str())).push_bind(e.site.as_deref());
                });
                qb.build().execute(&mut *tx).await?;
            }
            let links: Vec<&Entity> = d.added_entities.iter()
                .chain(d.changed_entities.iter().map(|(_, e)| e))
                .filter(|e| e.endpoints.is_some())
                .collect();
            for chunk in links.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO links (tenant_id, id, endpoint_a, endpoint_b) ");
                qb.push_values(chunk, |mut b, e| {
                    let [a, z] = e.endpoints.as_ref().map_or(["", ""], |[a, z]| [a.as_str(), z.as_str()]);
                    b.push_bind(t).push_bind(e.id.as_str()).push_bind(a).push_bind(z);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let kinds: HashMap<&EntityId, &'static str> = current.entities.values()
                .chain(d.added_entities.iter())
                .chain(d.changed_entities.iter().map(|(_, e)| e))
                .map(|e| (&e.id, e.kind.as_str()))
                .collect();
            for g in &d.added_groups {
                let k = match g.mode { GroupMode::KofN(k) => Some(i64::from(k)), _ => None };
                let gid: i64 = sqlx::query_scalar(
                    "INSERT INTO dependency_groups (tenant_id, entity_type, entity_id, mode, k, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(t).bind(kinds.get(&g.dependent).copied().unwrap_or("device"))
                    .bind(g.dependent.as_str()).bind(g.mode.as_str()).bind(k).bind(now)
                    .fetch_one(&mut *tx).await?;
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO dependency_group_members (group_id, position, tenant_id, entity_id) ");
                qb.push_values(g.members.iter().enumerate(), |mut b, (pos, m)| {
                    b.push_bind(gid).push_bind(pos as i64).push_bind(t).push_bind(m.as_str());
                });
                qb.build().execute(&mut *tx).await?;
            }
            insert_audit!(tx, t, now, actor, "topology.apply", t, detail);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The tenant's stored topology as a scenario document: entities by id, dependency groups
    /// in creation order, and the maintenance windows in force (planned, cut where ended
    /// early; cancelled ones left out). It has no observations.
    ///
    /// # Errors
    /// Database errors; [`StoreError::Corrupt`] when a row does not decode.
    pub async fn export_scenario(&self, tenant: &TenantId) -> Result<ScenarioDocument, StoreError> {
        let snap = self.snapshot(tenant).await?;
        let mut groups: Vec<(i64, DependencyGroup)> = snap.groups.into_values().collect();
        groups.sort_by_key(|(id, _)| *id);
        let windows = self
            .maintenance_windows(tenant, crate::WindowFilter::All)
            .await?
            .iter()
            .filter_map(crate::StoredMaintenance::effective)
            .collect();
        Ok(ScenarioDocument::new(
            tenant.clone(),
            snap.entities.into_values().collect(),
            groups.into_iter().map(|(_, g)| g).collect(),
            windows,
            vec![],
        ))
    }
}
