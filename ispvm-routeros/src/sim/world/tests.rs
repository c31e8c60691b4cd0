//! Each fault's effect on what a real client polling the simulators sees.

use std::time::Duration;

use ispvm_model::{AdapterError, Collection, DeviceAdapter, EntityId, SampleValue, names};

use super::*;
use crate::RouterOsAdapter;
use crate::client::{Backoff, ClientConfig};

/// core1 (root) ── agg1 ── agg2 ── acc1, core1 ── agg2, agg1 ── bras1 (RADIUS client).
fn spec() -> WorldSpec {
    WorldSpec::new()
        .router(WorldRouter::new("core1", SimState::core("core1")).root())
        .router(WorldRouter::new("agg1", SimState::aggregation("agg1")))
        .router(WorldRouter::new("agg2", SimState::aggregation("agg2")))
        .router(WorldRouter::new("acc1", SimState::access("acc1")))
        .router(WorldRouter::new(
            "bras1",
            SimState::concentrator("bras1", 1000),
        ))
        .link(WorldLink::new("core1", "sfp28-1", "agg1", "sfp-sfpplus1"))
        .link(WorldLink::new("core1", "sfp28-2", "agg2", "sfp-sfpplus1"))
        .link(WorldLink::new(
            "agg1",
            "sfp-sfpplus2",
            "agg2",
            "sfp-sfpplus2",
        ))
        .link(WorldLink::new("agg2", "ether1", "acc1", "sfp-sfpplus1"))
        .link(WorldLink::new("agg1", "ether1", "bras1", "sfp1"))
}

async fn world() -> SimWorld {
    let options = WorldOptions::new("ro", "pw")
        .with_tick(Duration::from_millis(20))
        .with_reload(Duration::from_millis(300));
    SimWorld::start(spec(), options).await.unwrap()
}

/// Polls a router with the real adapter over a fresh connection.
async fn poll(world: &SimWorld, router: &str) -> Result<Collection, AdapterError> {
    let addr = world.addr(router).await.unwrap();
    let config = ClientConfig::new("127.0.0.1", "ro", Secret::new("pw"))
        .with_port(addr.api.port())
        .with_connect_timeout(Duration::from_secs(1))
        .with_login_timeout(Duration::from_secs(1))
        .with_command_timeout(Duration::from_secs(2));
    let adapter = RouterOsAdapter::new(config)
        .with_device_id(EntityId::new(router).unwrap())
        .with_backoff(Backoff::new(Duration::ZERO, Duration::ZERO));
    adapter.collect().await
}

fn num(c: &Collection, metric: &str, entity: &str) -> Option<f64> {
    c.samples.iter().find_map(|s| {
        (s.metric_name == metric && s.entity_id.as_str() == entity).then_some(match &s.value {
            SampleValue::Num(n) => Some(*n),
            _ => None,
        })?
    })
}

fn oper_up(c: &Collection, entity: &str) -> Option<f64> {
    num(c, names::INTERFACE_OPER_UP, entity)
}

#[tokio::test]
async fn power_off_darkens_the_router_its_links_and_what_hangs_only_off_it() {
    let w = world().await;
    assert_eq!(
        w.links().await,
        [
            "core1-agg1",
            "core1-agg2",
            "agg1-agg2",
            "agg2-acc1",
            "agg1-bras1"
        ]
    );
    let before = poll(&w, "agg1").await.unwrap();
    assert_eq!(oper_up(&before, "agg1/sfp-sfpplus2"), Some(1.0));
    let id = w
        .inject(Fault::new(FaultKind::PowerOff, "agg2"))
        .await
        .unwrap();
    assert_eq!(id.as_str(), "f1");
    assert!(poll(&w, "agg2").await.is_err());
    assert!(!w.ping("agg2").await);
    // acc1 hangs only off agg2: the poller cannot reach it any more.
    assert!(poll(&w, "acc1").await.is_err());
    assert!(!w.ping("acc1").await);
    // Neighbours see their links to agg2 down, the others up.
    let agg1 = poll(&w, "agg1").await.unwrap();
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus2"), Some(0.0));
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus1"), Some(1.0));
    let core1 = poll(&w, "core1").await.unwrap();
    assert_eq!(oper_up(&core1, "core1/sfp28-2"), Some(0.0));
    assert_eq!(oper_up(&core1, "core1/sfp28-1"), Some(1.0));
    assert_eq!(w.link_up("agg2-acc1").await, Some(false));
    assert_eq!(
        w.faults().await,
        [(id.clone(), Fault::new(FaultKind::PowerOff, "agg2"))]
    );

    w.repair(&id).await.unwrap();
    let agg2 = poll(&w, "agg2").await.unwrap();
    assert!(
        num(&agg2, names::DEVICE_UPTIME_SECONDS, "agg2").unwrap() < 60.0,
        "a fresh boot"
    );
    assert_eq!(oper_up(&agg2, "agg2/ether1"), Some(1.0));
    assert!(poll(&w, "acc1").await.is_ok());
    let agg1 = poll(&w, "agg1").await.unwrap();
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus2"), Some(1.0));
    assert!(w.faults().await.is_empty());
    w.shutdown().await;
}

#[tokio::test]
async fn api_down_stops_only_the_api() {
    let w = world().await;
    let id = w
        .inject(Fault::new(FaultKind::ApiDown, "agg2"))
        .await
        .unwrap();
    assert!(poll(&w, "agg2").await.is_err());
    assert!(w.ping("agg2").await, "it still answers pings");
    // It still forwards: acc1 behind it answers, and the links stay up.
    let acc1 = poll(&w, "acc1").await.unwrap();
    assert_eq!(oper_up(&acc1, "acc1/sfp-sfpplus1"), Some(1.0));
    let agg1 = poll(&w, "agg1").await.unwrap();
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus2"), Some(1.0));
    w.repair(&id).await.unwrap();
    let agg2 = poll(&w, "agg2").await.unwrap();
    assert!(
        num(&agg2, names::DEVICE_UPTIME_SECONDS, "agg2").unwrap() > 86_400.0,
        "no reboot"
    );
    w.shutdown().await;
}

#[tokio::test]
async fn link_down_takes_both_ends_down_and_nothing_else() {
    let w = world().await;
    let id = w
        .inject(Fault::new(FaultKind::LinkDown, "agg1-agg2"))
        .await
        .unwrap();
    let agg1 = poll(&w, "agg1").await.unwrap();
    let agg2 = poll(&w, "agg2").await.unwrap();
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus2"), Some(0.0));
    assert_eq!(oper_up(&agg2, "agg2/sfp-sfpplus2"), Some(0.0));
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus1"), Some(1.0));
    assert_eq!(oper_up(&agg2, "agg2/sfp-sfpplus1"), Some(1.0));
    assert!(w.ping("agg2").await, "still reachable through core1");
    w.repair(&id).await.unwrap();
    let agg1 = poll(&w, "agg1").await.unwrap();
    assert_eq!(oper_up(&agg1, "agg1/sfp-sfpplus2"), Some(1.0));
    // A link fault needs a link, the others a router.
    assert_eq!(
        w.inject(Fault::new(FaultKind::LinkDown, "agg1")).await,
        Err(WorldError::BadTarget {
            kind: FaultKind::LinkDown,
            target: "agg1".into()
        })
    );
    assert_eq!(
        w.inject(Fault::new(FaultKind::PowerOff, "agg1-agg2")).await,
        Err(WorldError::BadTarget {
            kind: FaultKind::PowerOff,
            target: "agg1-agg2".into()
        })
    );
    assert_eq!(
        w.repair(&id).await,
        Err(WorldError::UnknownFault("f1".into()))
    );
    w.shutdown().await;
}

#[tokio::test]
async fn radius_timeout_counts_timeouts_and_drops_sessions() {
    let w = world().await;
    let radius = "bras1/radius/10.0.0.10";
    let before = poll(&w, "bras1").await.unwrap();
    assert_eq!(
        num(&before, names::PPPOE_SESSIONS_ACTIVE, "bras1"),
        Some(1000.0)
    );
    let t0 = num(&before, names::RADIUS_TIMEOUTS_TOTAL, radius).unwrap();
    let id = w
        .inject(Fault::new(FaultKind::RadiusTimeout, "bras1"))
        .await
        .unwrap();
    let first = poll(&w, "bras1").await.unwrap();
    assert_eq!(
        num(&first, names::PPPOE_SESSIONS_ACTIVE, "bras1"),
        Some(200.0)
    );
    let t1 = num(&first, names::RADIUS_TIMEOUTS_TOTAL, radius).unwrap();
    assert!(t1 >= t0 + 800.0, "{t0} -> {t1}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let later = poll(&w, "bras1").await.unwrap();
    assert!(
        num(&later, names::RADIUS_TIMEOUTS_TOTAL, radius).unwrap() > t1,
        "timeouts keep growing"
    );
    w.repair(&id).await.unwrap();
    let after = poll(&w, "bras1").await.unwrap();
    assert_eq!(
        num(&after, names::PPPOE_SESSIONS_ACTIVE, "bras1"),
        Some(1000.0)
    );
    // Aggregation routers of this world have a RADIUS client; the access switch has none.
    assert!(matches!(
        w.inject(Fault::new(FaultKind::RadiusTimeout, "acc1")).await,
        Err(WorldError::BadTarget { .. })
    ));
    w.shutdown().await;
}

#[tokio::test]
async fn maintenance_reloads_the_target_inside_the_window() {
    let w = world().await;
    let id = w
        .inject(Fault::new(FaultKind::Maintenance, "agg1"))
        .await
        .unwrap();
    assert!(poll(&w, "agg1").await.is_err(), "reloading");
    assert!(!w.ping("agg1").await);
    let mut back = None;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Ok(c) = poll(&w, "agg1").await {
            back = Some(c);
            break;
        }
    }
    let back = back.expect("agg1 is back after its reload");
    assert!(num(&back, names::DEVICE_UPTIME_SECONDS, "agg1").unwrap() < 60.0);
    // The fault (the window) stays until repaired.
    assert_eq!(w.faults().await.len(), 1);
    w.repair(&id).await.unwrap();
    assert!(w.faults().await.is_empty());
    w.shutdown().await;
}

#[test]
fn fault_kinds_have_stable_wire_names() {
    let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "power_off",
            "api_down",
            "link_down",
            "radius_timeout",
            "maintenance"
        ]
    );
    for k in FaultKind::ALL {
        assert_eq!(k.as_str().parse::<FaultKind>(), Ok(k));
    }
    assert_eq!(
        "reboot".parse::<FaultKind>(),
        Err(WorldError::UnknownKind("reboot".into()))
    );
}

#[tokio::test]
async fn inconsistent_worlds_are_refused() {
    let bad_link = spec().link(WorldLink::new("agg1", "x", "nowhere", "y"));
    let e = SimWorld::start(bad_link, WorldOptions::new("ro", "pw"))
        .await
        .unwrap_err();
    assert_eq!(
        e,
        WorldError::Spec("link agg1-nowhere names an unknown router nowhere".into())
    );
    let tls = WorldSpec::new().router(WorldRouter::new("core1", SimState::core("core1")).tls());
    assert!(matches!(
        SimWorld::start(tls, WorldOptions::new("ro", "pw")).await,
        Err(WorldError::Spec(_))
    ));
}
