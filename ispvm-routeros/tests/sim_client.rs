//! The real client against the real simulator over loopback TCP and TLS.
#![cfg(feature = "sim")]

use std::time::Duration;

use futures::StreamExt;
use ispvm_model::DeviceAdapter;
use ispvm_routeros::client::{Client, ClientConfig, ClientError, TlsOptions};
use ispvm_routeros::proto::{Command, Query, ReplyKind, TrapCategory};
use ispvm_routeros::sim::{SimHandle, SimRouter, SimState, TextEncoding};
use ispvm_routeros::{RouterOsAdapter, Secret};

async fn sim(state: SimState) -> SimHandle {
    SimRouter::builder()
        .state(state)
        .user("monitor", "pw")
        .start()
        .await
        .unwrap()
}

fn config(sim: &SimHandle) -> ClientConfig {
    ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw"))
        .with_port(sim.addr().port())
        .with_command_timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn plain_login_on_v7_and_md5_on_old_v6() {
    for version in ["7.18.2", "6.49.10", "6.42"] {
        let s = sim(SimState::default_aggregation().with_version(version)).await;
        let c = Client::connect(&config(&s))
            .await
            .unwrap_or_else(|e| panic!("{version}: {e}"));
        let r = c
            .command(Command::new("/system/identity/print"))
            .await
            .unwrap();
        assert_eq!(r.rows[0].get("name").unwrap().to_str_lossy(), "agg1");
    }
}

#[tokio::test]
async fn wrong_password_is_a_login_error_without_the_password() {
    for version in ["7.18.2", "6.42"] {
        let s = sim(SimState::default_aggregation().with_version(version)).await;
        let cfg = ClientConfig::new("127.0.0.1", "monitor", Secret::new("wrong-secret"))
            .with_port(s.addr().port());
        let err = Client::connect(&cfg).await.unwrap_err();
        assert_eq!(
            err,
            ClientError::Login {
                message: "invalid user name or password (6)".into()
            },
            "{version}"
        );
        assert!(!err.to_string().contains("wrong-secret"));
    }
}

#[tokio::test]
async fn count_only_queries_proplist_and_empty() {
    let s = sim(SimState::concentrator("bras1", 3200)).await;
    s.update(|st| st.pppoe.other_sessions = 7);
    let c = Client::connect(&config(&s)).await.unwrap();
    let count = |q: Option<Query>| {
        let c = c.clone();
        async move {
            let mut cmd = Command::new("/ppp/active/print").flag("count-only");
            if let Some(q) = q {
                cmd = cmd.query(q);
            }
            c.command(cmd).await.unwrap().count()
        }
    };
    assert_eq!(count(None).await, Some(3207));
    assert_eq!(count(Some(Query::eq("service", "pppoe"))).await, Some(3200));
    assert_eq!(count(Some(!Query::eq("service", "pppoe"))).await, Some(7));
    assert_eq!(
        count(Some(
            Query::eq("service", "l2tp").or(Query::eq("name", "sub000001"))
        ))
        .await,
        Some(8)
    );
    // .proplist limits the attributes.
    let r = c
        .command(
            Command::new("/interface/print")
                .proplist(&["name", "running"])
                .query(Query::eq("name", "sfp1")),
        )
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 1);
    let names: Vec<String> = r.rows[0].attributes().map(|(n, _)| n.to_string()).collect();
    assert_eq!(names, ["name", "running"]);
    // No match on 7.18+: !empty then !done.
    let r = c
        .command(Command::new("/interface/print").query(Query::eq("name", "nope")))
        .await
        .unwrap();
    assert!(r.empty && r.rows.is_empty());
    // Before 7.18: just !done.
    let old = sim(SimState::access("sw1").with_version("7.17")).await;
    let c2 = Client::connect(&config(&old)).await.unwrap();
    let r = c2
        .command(Command::new("/interface/print").query(Query::eq("name", "nope")))
        .await
        .unwrap();
    assert!(!r.empty && r.rows.is_empty());
    // =stats= adds counters.
    let r = c
        .command(Command::new("/interface/print").flag("stats"))
        .await
        .unwrap();
    assert!(r.rows[0].get("rx-packet").is_some());
}

#[tokio::test]
async fn unknown_path_gives_two_traps_then_done_and_the_connection_lives_on() {
    let s = sim(SimState::default_aggregation()).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    let err = c.command(Command::new("/nope/print")).await.unwrap_err();
    let ClientError::Trap { command, traps } = err else {
        panic!("{err:?}")
    };
    assert_eq!(command, "/nope/print");
    assert_eq!(traps.len(), 2);
    assert_eq!(traps[0].category, Some(TrapCategory::MissingItem));
    assert_eq!(traps[1].message, "no such command prefix");
    assert!(
        c.command(Command::new("/system/resource/print"))
            .await
            .is_ok()
    );
    // v7 has no /routing/bgp/peer.
    assert!(matches!(
        c.command(Command::new("/routing/bgp/peer/print")).await,
        Err(ClientError::Trap { .. })
    ));
}

#[tokio::test]
async fn concurrent_tagged_commands_get_their_own_replies() {
    let s = sim(SimState::concentrator("bras1", 2000)).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    let mut jobs = Vec::new();
    for i in 0..20 {
        let c = c.clone();
        jobs.push(tokio::spawn(async move {
            if i % 2 == 0 {
                let r = c.command(Command::new("/ppp/active/print")).await.unwrap();
                assert_eq!(r.rows.len(), 2000);
            } else {
                let r = c
                    .command(Command::new("/system/identity/print"))
                    .await
                    .unwrap();
                assert_eq!(r.rows[0].get("name").unwrap().to_str_lossy(), "bras1");
            }
        }));
    }
    for j in jobs {
        j.await.unwrap();
    }
}

#[tokio::test]
async fn listen_streams_changes_until_cancel() {
    let s = sim(SimState::default_aggregation()).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    let mut stream = c.stream(Command::new("/interface/listen")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(s.set_link("ether1", false));
    let row = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(row.kind(), ReplyKind::Re);
    assert_eq!(row.get("name").unwrap().to_str_lossy(), "ether1");
    assert_eq!(row.get("running").unwrap().as_bool(), Some(false));
    stream.cancel().await.unwrap();
    // The connection still works after the cancel.
    assert!(
        c.command(Command::new("/system/identity/print"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn monitor_stream_and_count_limited_ping() {
    let s = sim(SimState::default_aggregation()).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    let mut mon = c
        .stream(
            Command::new("/interface/monitor-traffic")
                .attr("interface", "ether1")
                .attr("interval", "20ms"),
        )
        .await
        .unwrap();
    for _ in 0..3 {
        let r = mon.next().await.unwrap().unwrap();
        assert_eq!(
            r.get("rx-bits-per-second").unwrap().parse::<u64>(),
            Some(300_000_000)
        );
    }
    mon.cancel().await.unwrap();
    let r = c
        .command(
            Command::new("/ping")
                .attr("address", "10.0.0.1")
                .attr("count", "3")
                .attr("interval", "10ms"),
        )
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 3);
}

#[tokio::test]
async fn timeout_poisons_the_connection() {
    let s = sim(SimState::default_aggregation()).await;
    let cfg = config(&s).with_command_timeout(Duration::from_millis(200));
    let c = Client::connect(&cfg).await.unwrap();
    s.set_reply_delay(Duration::from_millis(600));
    let err = c
        .command(Command::new("/system/identity/print"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Timeout { ref operation, .. } if operation == "/system/identity/print"),
        "{err:?}"
    );
    assert!(c.is_closed());
    s.set_reply_delay(Duration::ZERO);
    // Never reused: the late reply cannot be read as the answer to a new command.
    let err = c
        .command(Command::new("/system/resource/print"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    // A new connection works.
    let c = Client::connect(&cfg).await.unwrap();
    assert!(
        c.command(Command::new("/system/resource/print"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn reply_cut_mid_sentence_and_garbage_are_errors_not_hangs() {
    let s = sim(SimState::default_aggregation()).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    s.cut_next_reply();
    let err = c
        .command(Command::new("/interface/print"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Closed { ref reason, .. } if reason.contains("middle of a sentence")),
        "{err:?}"
    );
    let c = Client::connect(&config(&s)).await.unwrap();
    s.garbage_next_reply();
    let err = c
        .command(Command::new("/interface/print"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Decode(_)), "{err:?}");
}

#[tokio::test]
async fn quit_gets_fatal() {
    let s = sim(SimState::default_aggregation()).await;
    let c = Client::connect(&config(&s)).await.unwrap();
    let err = c.command(Command::new("/quit")).await.unwrap_err();
    assert_eq!(
        err,
        ClientError::Fatal {
            reason: "session terminated on request".into()
        }
    );
    assert!(c.is_closed());
}

#[tokio::test]
async fn unreachable_port_is_a_connect_error() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let cfg = ClientConfig::new("127.0.0.1", "u", Secret::default()).with_port(port);
    let err = Client::connect(&cfg).await.unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert!(err.is_unreachable());
    // The system's error is kept as the source, not flattened into a string.
    let io = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<ispvm_model::ErrorCause>())
        .and_then(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    assert_eq!(io, Some(std::io::ErrorKind::ConnectionRefused), "{err:?}");
}

fn certs() -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    (ck.cert.pem(), ck.key_pair.serialize_pem())
}

#[tokio::test]
async fn tls_with_custom_ca_and_refused_without_it() {
    let (cert, key) = certs();
    let s = SimRouter::builder()
        .user("monitor", "pw")
        .tls("127.0.0.1:0".parse().unwrap(), cert.clone(), key)
        .start()
        .await
        .unwrap();
    let port = s.tls_addr().unwrap().port();
    let cfg = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw"))
        .with_tls(TlsOptions::new().with_ca_pem(cert.clone()))
        .with_port(port);
    let c = Client::connect(&cfg).await.unwrap();
    let r = c
        .command(Command::new("/system/identity/print"))
        .await
        .unwrap();
    assert_eq!(r.rows[0].get("name").unwrap().to_str_lossy(), "agg1");
    // Wrong CA: refused during the handshake.
    let (other, _) = certs();
    let cfg = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw"))
        .with_tls(TlsOptions::new().with_ca_pem(other))
        .with_port(port);
    assert!(matches!(
        Client::connect(&cfg).await,
        Err(ClientError::Tls { .. })
    ));
    // Name mismatch.
    let cfg = ClientConfig::new("127.0.0.1", "monitor", Secret::new("pw"))
        .with_tls(
            TlsOptions::new()
                .with_ca_pem(cert)
                .with_server_name("router.example"),
        )
        .with_port(port);
    assert!(matches!(
        Client::connect(&cfg).await,
        Err(ClientError::Tls { .. })
    ));
}

fn value(c: &ispvm_model::Collection, metric: &str, entity: &str) -> f64 {
    c.samples
        .iter()
        .find(|s| s.metric_name == metric && s.entity_id.as_str() == entity)
        .unwrap_or_else(|| panic!("no {metric} for {entity}"))
        .as_f64()
        .unwrap()
}

#[tokio::test]
async fn adapter_reads_v7_and_v6_alike() {
    for version in ["7.18.2", "6.49.10"] {
        let s = sim(SimState::default_aggregation().with_version(version)).await;
        let a = RouterOsAdapter::new(config(&s));
        let id = a.identity().await.unwrap();
        assert_eq!(id.device_id.as_str(), "agg1");
        assert_eq!(id.version.as_deref(), Some(&*format!("{version} (stable)")));
        let c = a.collect().await.unwrap();
        assert!(c.warnings.is_empty(), "{version}: {:?}", c.warnings);
        assert_eq!(value(&c, "device.up", "agg1"), 1.0);
        assert_eq!(value(&c, "device.cpu_pct", "agg1"), 12.0);
        assert!(value(&c, "device.uptime_seconds", "agg1") >= 1_919_829.0);
        assert_eq!(
            value(&c, "device.mem_total_bytes", "agg1"),
            f64::from(1u32 << 30)
        );
        assert_eq!(
            value(&c, "device.mem_used_bytes", "agg1"),
            f64::from((1u32 << 30) - (700 << 20))
        );
        assert_eq!(value(&c, "interface.oper_up", "agg1/ether1"), 1.0);
        assert_eq!(value(&c, "interface.admin_up", "agg1/ether1"), 1.0);
        assert!(value(&c, "interface.rx_bytes_total", "agg1/sfp-sfpplus1") >= 9e12);
        assert_eq!(value(&c, "bgp.peer.up", "agg1/bgp/10.255.0.1"), 1.0);
        assert_eq!(
            value(&c, "bgp.peer.prefixes_in", "agg1/bgp/10.255.0.1"),
            912_345.0
        );
        assert_eq!(value(&c, "ospf.neighbor.up", "agg1/ospf/10.255.0.2"), 1.0);
        assert_eq!(value(&c, "pppoe.sessions.active", "agg1"), 1200.0);
        assert_eq!(
            value(&c, "radius.requests_total", "agg1/radius/10.0.0.10"),
            48_210.0
        );
        // Faults show up in the next collection.
        s.set_link("ether1", false);
        s.set_bgp_established("10.255.0.1", false);
        s.set_pppoe_sessions(50);
        s.add_radius_timeouts(30);
        s.update(|st| st.ospf_neighbors[1].state = "Init".into());
        let c = a.collect().await.unwrap();
        assert_eq!(value(&c, "interface.oper_up", "agg1/ether1"), 0.0);
        assert_eq!(value(&c, "bgp.peer.up", "agg1/bgp/10.255.0.1"), 0.0);
        assert_eq!(
            value(&c, "bgp.peer.prefixes_in", "agg1/bgp/10.255.0.1"),
            0.0
        );
        assert_eq!(value(&c, "ospf.neighbor.up", "agg1/ospf/10.255.0.2"), 0.0);
        assert_eq!(value(&c, "pppoe.sessions.active", "agg1"), 50.0);
        assert_eq!(
            value(&c, "radius.timeouts_total", "agg1/radius/10.0.0.10"),
            30.0
        );
        let bgp = c
            .samples
            .iter()
            .find(|s| s.metric_name == "bgp.peer.up")
            .unwrap();
        assert_eq!(bgp.labels["remote_as"], "65000");
        assert_eq!(bgp.labels["remote_address"], "10.255.0.1");
    }
}

#[tokio::test]
async fn adapter_skips_missing_menus_with_a_warning_and_survives_non_utf8() {
    let mut st = SimState::access("sw1");
    st.missing_menus = vec!["/routing/ospf".into(), "/radius".into()];
    st.text_encoding = TextEncoding::Windows1252;
    st.interfaces[2].name = "ether1-São".into();
    st.interfaces[2].comment = Some("Ligação".into());
    let s = sim(st).await;
    let a = RouterOsAdapter::new(config(&s)).with_device_id("access-7".parse().unwrap());
    let c = a.collect().await.unwrap();
    assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    assert!(
        c.warnings[0].starts_with("/routing/ospf/neighbor/print skipped"),
        "{:?}",
        c.warnings
    );
    let s = c
        .samples
        .iter()
        .find(|s| {
            s.metric_name == "interface.oper_up" && s.labels["if_name"].starts_with("ether1-S")
        })
        .unwrap();
    assert_eq!(s.entity_id.as_str(), "access-7/ether1-S\u{FFFD}o");
    assert_eq!(s.quality, ispvm_model::Quality::Uncertain);
    assert!(
        c.samples
            .iter()
            .all(|s| s.entity_id.as_str().starts_with("access-7"))
    );
    assert!(
        !c.samples
            .iter()
            .any(|s| s.metric_name.starts_with("pppoe.")),
        "not a concentrator"
    );
}

#[tokio::test]
async fn adapter_maps_errors() {
    let s = sim(SimState::default_aggregation()).await;
    let cfg =
        ClientConfig::new("127.0.0.1", "monitor", Secret::new("bad")).with_port(s.addr().port());
    let err = RouterOsAdapter::new(cfg).collect().await.unwrap_err();
    assert!(
        matches!(err, ispvm_model::AdapterError::Authentication { .. }),
        "{err:?}"
    );
    // Backoff after a failure: the next attempt fails fast without connecting.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let a = RouterOsAdapter::new(
        ClientConfig::new("127.0.0.1", "u", Secret::default()).with_port(port),
    );
    assert!(matches!(
        a.collect().await,
        Err(ispvm_model::AdapterError::Unreachable { .. })
    ));
    let err = a.collect().await.unwrap_err();
    assert!(err.to_string().contains("not reconnecting"), "{err}");
    // The chain goes adapter error -> client backoff -> the last connect error -> io::Error.
    let mut chain = Vec::new();
    let mut next = std::error::Error::source(&err);
    while let Some(e) = next {
        chain.push(e.to_string());
        next = e.source();
    }
    assert_eq!(chain.len(), 3, "{chain:?}");
    assert!(chain[0].starts_with("not reconnecting"), "{chain:?}");
    assert!(
        chain[1].starts_with("cannot connect to 127.0.0.1:"),
        "{chain:?}"
    );
}

#[tokio::test]
async fn adapter_samples_pass_the_schemas_conformance_kit() {
    let mut odd = SimState::access("sw1");
    odd.text_encoding = TextEncoding::Windows1252;
    odd.interfaces[0].name = "uplink-Açaí".into();
    odd.missing_menus = vec!["/routing/bgp".into(), "/radius".into()];
    for state in [
        SimState::default_aggregation(),
        SimState::default_aggregation().with_version("6.49.10"),
        SimState::core("core1").with_version("7.12"),
        SimState::concentrator("bras1", 3000).with_version("6.42"),
        odd,
    ] {
        let version = state.version.clone();
        let s = sim(state).await;
        let c = RouterOsAdapter::new(config(&s)).collect().await.unwrap();
        assert!(c.samples.len() > 5, "{version}");
        let violations = ispvm_schemas::conformance::check_samples(&c.samples);
        assert!(violations.is_empty(), "{version}: {violations:?}");
    }
}

/// The `.id`s of the PPPoE sessions in one full `/ppp/active` print, in reply order.
async fn pppoe_ids(c: &Client) -> Vec<String> {
    let r = c
        .command(
            Command::new("/ppp/active/print")
                .proplist(&[".id"])
                .query(Query::eq("service", "pppoe")),
        )
        .await
        .unwrap();
    r.rows
        .iter()
        .map(|row| row.get(".id").unwrap().to_str_lossy().into_owned())
        .collect()
}

#[tokio::test]
async fn churn_replaces_the_oldest_sessions_with_never_used_ids() {
    use std::collections::BTreeSet;
    let s = sim(SimState::concentrator("bras1", 1000)).await;
    s.update(|st| st.pppoe.other_sessions = 3);
    let c = Client::connect(&config(&s)).await.unwrap();
    let id = |n: u64| format!("*{:X}", 0x8000_0000u64 + n);
    let before = pppoe_ids(&c).await;
    assert_eq!(before, (1..=1000).map(id).collect::<Vec<_>>());
    let mut seen: BTreeSet<String> = before.iter().cloned().collect();

    // 300 leave, 20 log in: exactly the 300 oldest are gone, exactly 20 new ids appear.
    assert_eq!(s.churn_pppoe_sessions(300, 20), 300);
    let after = pppoe_ids(&c).await;
    let (b, a): (BTreeSet<_>, BTreeSet<_>) = (
        before.iter().cloned().collect(),
        after.iter().cloned().collect(),
    );
    let gone: Vec<&String> = before.iter().filter(|x| !a.contains(*x)).collect();
    let new: Vec<&String> = after.iter().filter(|x| !b.contains(*x)).collect();
    assert_eq!(
        gone,
        (1..=300)
            .map(id)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        new,
        (1001..=1020)
            .map(id)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(after.len(), 720);
    assert!(new.iter().all(|x| !seen.contains(*x)));
    seen.extend(after.iter().cloned());

    // Recovery: 10 leave, 2,500 log back in, none with an id seen before.
    assert_eq!(s.churn_pppoe_sessions(10, 2500), 10);
    let again = pppoe_ids(&c).await;
    assert_eq!(again.len(), 3210);
    let fresh: Vec<&String> = again.iter().filter(|x| !a.contains(*x)).collect();
    assert_eq!(fresh.len(), 2500);
    assert!(fresh.iter().all(|x| !seen.contains(*x)));
    assert_eq!(again.first(), Some(&id(311)));
    assert_eq!(again.last(), Some(&id(3520)));
    // The same state prints the same rows (deterministic), names follow the ids.
    assert_eq!(pppoe_ids(&c).await, again);
    let r = c
        .command(Command::new("/ppp/active/print").query(Query::eq("name", "sub000311")))
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 1);
    assert_eq!(r.rows[0].get(".id").unwrap().to_str_lossy(), id(311));
    // The L2TP sessions still follow, and count-only agrees with the print.
    let count = c
        .command(Command::new("/ppp/active/print").flag("count-only"))
        .await
        .unwrap()
        .count();
    assert_eq!(count, Some(3213));
    // Disconnecting more than are active empties the concentrator without panicking.
    assert_eq!(s.churn_pppoe_sessions(u32::MAX, 0), 3210);
    assert!(pppoe_ids(&c).await.is_empty());
    assert_eq!(s.state().pppoe.first_session(), 3521);
}
