//! [`RouterOsAdapter`]: RouterOS menus to canonical samples (the reference `DeviceAdapter`).
//!
//! ```text
//! /system/identity, /system/resource          -> device.*            (entity DEV)
//! /interface                                  -> interface.*         (DEV/IFNAME)
//! /routing/bgp/session (v7) | bgp/peer (v6)   -> bgp.peer.*          (DEV/bgp/REMOTE-ADDRESS)
//! /routing/ospf/neighbor                      -> ospf.neighbor.up    (DEV/ospf/ROUTER-ID)
//! /ppp/active (count-only, service=pppoe)     -> pppoe.sessions.active (DEV, pppoe_concentrator)
//! /radius + /radius/monitor                   -> radius.*_total      (DEV/radius/SERVER-ADDRESS)
//! ```
//!
//! Menus run concurrently on one connection (tag multiplexing). A menu the device lacks is
//! skipped with a warning in [`Collection::warnings`]. Values that are not UTF-8 are decoded
//! lossily and their samples marked [`Quality::Uncertain`]; they never abort a poll. Dynamic
//! per-subscriber interfaces (`pppoe-in`, `l2tp-in`...) are not reported: they are counted as
//! sessions instead.

mod parse;

use ispvm_model::names;
use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ispvm_model::{
    AdapterError, Collection, DeviceAdapter, DeviceIdentity, EntityId, EntityKind, Quality, Sample,
    SampleValue,
};

pub use parse::{RouterOsVersion, VersionError, parse_datetime, parse_duration};

use crate::client::{Backoff, Client, ClientConfig, ClientError, Response, Session};
use crate::proto::{Command, Query, Reply};

/// The `source` of every sample this adapter produces.
pub const SOURCE: &str = "routeros_api";

/// Reads a RouterOS device (v6 or v7) over the API and produces canonical samples.
///
/// # Examples
/// ```no_run
/// use ispvm_model::DeviceAdapter;
/// use ispvm_routeros::{RouterOsAdapter, Secret};
/// use ispvm_routeros::client::ClientConfig;
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let adapter = RouterOsAdapter::new(ClientConfig::new("10.0.0.1", "monitor", Secret::new("pw")))
///     .with_device_id("agg1".parse()?);
/// let collection = adapter.collect().await?;
/// for w in &collection.warnings { eprintln!("warning: {w}"); }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RouterOsAdapter {
    session: Session,
    device_id: Option<EntityId>,
}

impl RouterOsAdapter {
    /// An adapter for the device of `config`, reconnecting with the default backoff.
    #[must_use]
    pub fn new(config: ClientConfig) -> Self {
        Self {
            session: Session::new(config),
            device_id: None,
        }
    }

    /// Uses this entity id for the device instead of its `/system/identity` name.
    #[must_use]
    pub fn with_device_id(mut self, id: EntityId) -> Self {
        self.device_id = Some(id);
        self
    }

    /// Uses this reconnection backoff.
    #[must_use]
    pub fn with_backoff(self, backoff: Backoff) -> Self {
        Self {
            session: Session::with_backoff(self.session.config().clone(), backoff),
            device_id: self.device_id,
        }
    }

    fn device_name(&self) -> String {
        self.session.config().address()
    }

    async fn client(&self) -> Result<Client, AdapterError> {
        self.session
            .client()
            .await
            .map_err(|e| to_adapter_error(&self.device_name(), e))
    }
}

/// Maps a client error to the adapter error a poller acts on.
#[must_use]
pub fn to_adapter_error(device: &str, e: ClientError) -> AdapterError {
    let device = device.to_owned();
    match e {
        ClientError::Login { .. } => AdapterError::Authentication { device },
        ClientError::Timeout { operation, .. } => AdapterError::Timeout { device, operation },
        e if e.is_unreachable() => AdapterError::unreachable(device, e),
        e => AdapterError::protocol(device, e),
    }
}

#[async_trait]
impl DeviceAdapter for RouterOsAdapter {
    async fn identity(&self) -> Result<DeviceIdentity, AdapterError> {
        let client = self.client().await?;
        let (identity, _, _) = read_identity(&client, self.device_id.as_ref())
            .await
            .map_err(|e| to_adapter_error(&self.device_name(), e))?;
        Ok(identity)
    }

    async fn collect(&self) -> Result<Collection, AdapterError> {
        let client = self.client().await?;
        collect_from(&client, self.device_id.as_ref(), Utc::now())
            .await
            .map_err(|e| to_adapter_error(&self.device_name(), e))
    }
}

/// Runs a menu; a trap (missing menu, missing package) becomes a warning and `None`.
async fn menu(
    client: &Client,
    cmd: Command,
    warnings: &mut Vec<String>,
) -> Result<Option<Response>, ClientError> {
    match client.command(cmd).await {
        Ok(r) => Ok(Some(r)),
        Err(ClientError::Trap { command, traps }) => {
            let why = traps
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            tracing::warn!(%command, %why, "menu skipped");
            warnings.push(format!("{command} skipped: {why}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn text(row: &Reply, name: &str) -> Option<(String, bool)> {
    row.get(name)
        .map(|v| (v.to_str_lossy().into_owned(), v.is_utf8()))
}

async fn read_identity(
    client: &Client,
    device_id: Option<&EntityId>,
) -> Result<(DeviceIdentity, Option<Reply>, Option<RouterOsVersion>), ClientError> {
    let (ident, resource) = futures::join!(
        client.command(Command::new("/system/identity/print")),
        client.command(Command::new("/system/resource/print")),
    );
    let name = ident?
        .rows
        .first()
        .and_then(|r| text(r, "name"))
        .map(|(n, _)| n);
    let resource = resource?.rows.into_iter().next();
    let id = match (device_id, &name) {
        (Some(id), _) => id.clone(),
        (None, Some(n)) => EntityId::new(n.clone()).map_err(|e| ClientError::Unexpected {
            message: format!("device identity {n:?} is not a valid entity id: {e}"),
        })?,
        (None, None) => {
            return Err(ClientError::Unexpected {
                message: "device has no /system/identity name; give a device id".into(),
            });
        }
    };
    let mut identity = DeviceIdentity::new(id, "mikrotik");
    let mut version = None;
    if let Some(r) = &resource {
        if let Some((b, _)) = text(r, "board-name") {
            identity = identity.with_model(b);
        }
        if let Some((v, _)) = text(r, "version") {
            version = v.parse().ok();
            identity = identity.with_version(v);
        }
    }
    Ok((identity, resource, version))
}

struct Out {
    ts: DateTime<Utc>,
    samples: Vec<Sample>,
    warnings: Vec<String>,
}

impl Out {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: &str,
        kind: EntityKind,
        entity: &EntityId,
        value: f64,
        unit: &str,
        labels: &[(&str, &str)],
        lossy: bool,
    ) {
        let mut s = Sample::new(
            self.ts,
            name,
            kind,
            entity.clone(),
            SampleValue::Num(value),
            unit,
            SOURCE,
        );
        s.labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>();
        if lossy {
            s = s.with_quality(Quality::Uncertain);
        }
        self.samples.push(s);
    }

    /// `DEVICE/part/...` (see [`EntityId::child_path`]), or a warning when that is no valid id.
    fn child(&mut self, device: &EntityId, parts: &[&str]) -> Option<EntityId> {
        match device.child_path(parts) {
            Ok(id) => Some(id),
            Err(e) => {
                let id = format!("{device}/{}", parts.join("/"));
                self.warnings.push(format!("skipped entity {id:?}: {e}"));
                None
            }
        }
    }
}

fn num(row: &Reply, name: &str) -> Option<f64> {
    row.get(name)?.parse::<f64>()
}

fn b(v: bool) -> f64 {
    if v { 1.0 } else { 0.0 }
}

/// Collects one round of samples over a logged-in client. All samples share `ts`.
///
/// # Errors
/// [`ClientError`] when the connection fails; missing menus are warnings, not errors.
pub async fn collect_from(
    client: &Client,
    device_id: Option<&EntityId>,
    ts: DateTime<Utc>,
) -> Result<Collection, ClientError> {
    let (identity, resource, version) = read_identity(client, device_id).await?;
    let dev = identity.device_id.clone();
    let mut out = Out {
        ts,
        samples: Vec::new(),
        warnings: Vec::new(),
    };
    let v7 = version.is_none_or(|v| v.is_v7());
    out.push(
        names::DEVICE_UP,
        EntityKind::Device,
        &dev,
        1.0,
        "bool",
        &[],
        false,
    );
    if let Some(r) = &resource {
        match r
            .get("uptime")
            .and_then(|v| v.as_str())
            .and_then(parse_duration)
        {
            Some(d) => out.push(
                names::DEVICE_UPTIME_SECONDS,
                EntityKind::Device,
                &dev,
                d.as_secs_f64().floor(),
                "s",
                &[],
                false,
            ),
            None => out
                .warnings
                .push("/system/resource: unreadable uptime".into()),
        }
        if let Some(c) = num(r, "cpu-load") {
            out.push(
                names::DEVICE_CPU_PCT,
                EntityKind::Device,
                &dev,
                c,
                "%",
                &[],
                false,
            );
        }
        if let (Some(total), Some(free)) = (num(r, "total-memory"), num(r, "free-memory")) {
            out.push(
                names::DEVICE_MEM_USED_BYTES,
                EntityKind::Device,
                &dev,
                (total - free).max(0.0),
                "By",
                &[],
                false,
            );
            out.push(
                names::DEVICE_MEM_TOTAL_BYTES,
                EntityKind::Device,
                &dev,
                total,
                "By",
                &[],
                false,
            );
        }
    }

    let bgp_cmd = if v7 {
        Command::new("/routing/bgp/session/print")
    } else {
        Command::new("/routing/bgp/peer/print")
    };
    let mut w = [
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    ];
    let [w0, w1, w2, w3, w4, w5] = &mut w;
    let (ifaces, bgp, ospf, ppp, pppoe_servers, radius) = futures::join!(
        menu(
            client,
            Command::new("/interface/print").proplist(&[
                "name", "type", "running", "disabled", "dynamic", "rx-byte", "tx-byte", "rx-error",
                "tx-error",
            ]),
            w0
        ),
        menu(client, bgp_cmd, w1),
        menu(
            client,
            Command::new("/routing/ospf/neighbor/print").proplist(&[
                "router-id",
                "address",
                "interface",
                "state"
            ]),
            w2
        ),
        menu(
            client,
            Command::new("/ppp/active/print")
                .flag("count-only")
                .query(Query::eq("service", "pppoe")),
            w3
        ),
        menu(
            client,
            Command::new("/interface/pppoe-server/server/print").flag("count-only"),
            w4
        ),
        menu(
            client,
            Command::new("/radius/print").proplist(&[".id", "address", "service"]),
            w5
        ),
    );
    for ws in w {
        out.warnings.extend(ws);
    }

    if let Some(r) = ifaces? {
        for row in &r.rows {
            interface_samples(&mut out, &dev, row);
        }
    }
    if let Some(r) = bgp? {
        for row in &r.rows {
            bgp_samples(&mut out, &dev, row, v7);
        }
    }
    if let Some(r) = ospf? {
        for row in &r.rows {
            ospf_samples(&mut out, &dev, row);
        }
    }
    let servers = pppoe_servers?.and_then(|r| r.count()).unwrap_or(0);
    if let Some(r) = ppp? {
        match r.count() {
            Some(n) if n > 0 || servers > 0 => out.push(
                names::PPPOE_SESSIONS_ACTIVE,
                EntityKind::PppoeConcentrator,
                &dev,
                n as f64,
                "1",
                &[],
                false,
            ),
            Some(_) => {}
            None => out
                .warnings
                .push("/ppp/active: no count in the count-only reply".into()),
        }
    }
    if let Some(r) = radius? {
        radius_samples(&mut out, client, &dev, &r.rows).await?;
    }
    let mut c = Collection::new();
    c.samples = out.samples;
    c.warnings = out.warnings;
    Ok(c)
}

fn interface_samples(out: &mut Out, dev: &EntityId, row: &Reply) {
    let Some((name, name_ok)) = text(row, "name") else {
        return;
    };
    let (if_type, type_ok) = text(row, "type").unwrap_or_default();
    let dynamic = row.get("dynamic").and_then(|v| v.as_bool()) == Some(true);
    if dynamic && if_type.ends_with("-in") {
        return;
    }
    let Some(id) = out.child(dev, &[&name]) else {
        return;
    };
    let lossy = !(name_ok && type_ok);
    let labels = [("if_name", name.as_str()), ("if_type", if_type.as_str())];
    let flag = |n| row.get(n).and_then(|v| v.as_bool());
    if let Some(running) = flag("running") {
        out.push(
            names::INTERFACE_OPER_UP,
            EntityKind::Interface,
            &id,
            b(running),
            "bool",
            &labels,
            lossy,
        );
    }
    if let Some(disabled) = flag("disabled") {
        out.push(
            names::INTERFACE_ADMIN_UP,
            EntityKind::Interface,
            &id,
            b(!disabled),
            "bool",
            &labels,
            lossy,
        );
    }
    for (field, metric, unit) in [
        ("rx-byte", names::INTERFACE_RX_BYTES_TOTAL, "By"),
        ("tx-byte", names::INTERFACE_TX_BYTES_TOTAL, "By"),
        ("rx-error", names::INTERFACE_RX_ERRORS_TOTAL, "1"),
        ("tx-error", names::INTERFACE_TX_ERRORS_TOTAL, "1"),
    ] {
        if let Some(v) = num(row, field) {
            out.push(metric, EntityKind::Interface, &id, v, unit, &labels, lossy);
        }
    }
}

fn bgp_samples(out: &mut Out, dev: &EntityId, row: &Reply, v7: bool) {
    if row.get("disabled").and_then(|v| v.as_bool()) == Some(true) {
        return;
    }
    let (addr_f, as_f) = if v7 {
        ("remote.address", "remote.as")
    } else {
        ("remote-address", "remote-as")
    };
    let Some((addr, addr_ok)) = text(row, addr_f) else {
        return;
    };
    let (remote_as, as_ok) = text(row, as_f).unwrap_or_default();
    let (name, name_ok) = text(row, "name").unwrap_or_default();
    let up = if v7 {
        row.get("established").and_then(|v| v.as_bool()) == Some(true)
    } else {
        row.get("state").and_then(|v| v.as_str()) == Some("established")
    };
    let Some(id) = out.child(dev, &[EntityId::BGP, &addr]) else {
        return;
    };
    let lossy = !(addr_ok && as_ok && name_ok);
    let labels = [
        ("remote_address", addr.as_str()),
        ("remote_as", remote_as.as_str()),
        ("peer_name", name.as_str()),
    ];
    out.push(
        names::BGP_PEER_UP,
        EntityKind::BgpSession,
        &id,
        b(up),
        "bool",
        &labels,
        lossy,
    );
    let prefixes = num(row, "prefix-count").or_else(|| num(row, "remote.prefix-count"));
    match prefixes {
        Some(p) => out.push(
            names::BGP_PEER_PREFIXES_IN,
            EntityKind::BgpSession,
            &id,
            p,
            "1",
            &labels,
            lossy,
        ),
        None if !up => out.push(
            names::BGP_PEER_PREFIXES_IN,
            EntityKind::BgpSession,
            &id,
            0.0,
            "1",
            &labels,
            lossy,
        ),
        None => {}
    }
}

fn ospf_samples(out: &mut Out, dev: &EntityId, row: &Reply) {
    let Some((rid, rid_ok)) = text(row, "router-id") else {
        return;
    };
    let (address, a_ok) = text(row, "address").unwrap_or_default();
    let (iface, i_ok) = text(row, "interface").unwrap_or_default();
    let (state, s_ok) = text(row, "state").unwrap_or_default();
    let Some(id) = out.child(dev, &[EntityId::OSPF, &rid]) else {
        return;
    };
    let up = state.eq_ignore_ascii_case("full");
    let labels = [
        ("router_id", rid.as_str()),
        ("address", address.as_str()),
        ("interface", iface.as_str()),
        ("state", state.as_str()),
    ];
    out.push(
        names::OSPF_NEIGHBOR_UP,
        EntityKind::OspfAdjacency,
        &id,
        b(up),
        "bool",
        &labels,
        !(rid_ok && a_ok && i_ok && s_ok),
    );
}

async fn radius_samples(
    out: &mut Out,
    client: &Client,
    dev: &EntityId,
    servers: &[Reply],
) -> Result<(), ClientError> {
    let mut jobs = Vec::new();
    for row in servers {
        let (Some((id, _)), Some((addr, a_ok))) = (text(row, ".id"), text(row, "address")) else {
            continue;
        };
        let (service, s_ok) = text(row, "service").unwrap_or_default();
        jobs.push((id, addr, service, a_ok && s_ok));
    }
    let mut warnings = vec![Vec::new(); jobs.len()];
    let replies =
        futures::future::join_all(jobs.iter().zip(warnings.iter_mut()).map(|((id, ..), w)| {
            menu(
                client,
                Command::new("/radius/monitor")
                    .attr("numbers", id)
                    .flag("once"),
                w,
            )
        }))
        .await;
    for w in warnings {
        out.warnings.extend(w);
    }
    for ((_, addr, service, ok), reply) in jobs.iter().zip(replies) {
        let Some(reply) = reply? else { continue };
        let Some(row) = reply.rows.first() else {
            continue;
        };
        let Some(id) = out.child(dev, &[EntityId::RADIUS, addr]) else {
            continue;
        };
        let labels = [("address", addr.as_str()), ("service", service.as_str())];
        for (field, metric) in [
            ("requests", names::RADIUS_REQUESTS_TOTAL),
            ("accepts", names::RADIUS_ACCEPTS_TOTAL),
            ("rejects", names::RADIUS_REJECTS_TOTAL),
            ("timeouts", names::RADIUS_TIMEOUTS_TOTAL),
        ] {
            if let Some(v) = num(row, field) {
                out.push(metric, EntityKind::RadiusServer, &id, v, "1", &labels, !ok);
            }
        }
    }
    Ok(())
}
