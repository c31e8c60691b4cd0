//! The four PPPoE incident classes, each built from canonical sample series (as the RouterOS
//! adapter and the RADIUS probe emit them) and run through `ConcentratorSignals::from_samples`.

use chrono::{DateTime, Duration, Utc};
use ispvm_model::{CauseKind, CauseRole, EntityId, EntityKind, Sample, SampleValue};
use ispvm_pppoe::classes::{ClassifierConfig, ConcentratorSignals, IncidentClass, Point, classify};
use proptest::prelude::*;

fn t(m: i64) -> DateTime<Utc> {
    "2026-03-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(m)
}

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

/// One sample per minute for minutes `0..=60` where `f` gives a value.
fn series(
    metric: &str,
    entity: &str,
    kind: EntityKind,
    f: impl Fn(i64) -> Option<f64>,
) -> Vec<Sample> {
    (0..=60)
        .filter_map(|m| {
            f(m).map(|v| {
                Sample::new(
                    t(m),
                    metric,
                    kind,
                    id(entity),
                    SampleValue::Num(v),
                    "1",
                    "test",
                )
            })
        })
        .collect()
}

/// Cumulative RADIUS counters of `bras1/radius/10.0.0.5`: `per_min(m)` gives the requests and
/// failures (rejects, timeouts) of minute `m`.
fn counters(per_min: impl Fn(i64) -> (u64, u64, u64)) -> Vec<Sample> {
    let (mut req, mut acc, mut rej, mut tmo) = (50_000u64, 49_000u64, 900u64, 100u64);
    let mut out = Vec::new();
    for m in 0..=60 {
        let (r, j, o) = per_min(m);
        req += r;
        rej += j;
        tmo += o;
        acc += r - j - o;
        for (name, v) in [
            ("radius.requests_total", req),
            ("radius.accepts_total", acc),
            ("radius.rejects_total", rej),
            ("radius.timeouts_total", tmo),
        ] {
            #[allow(clippy::cast_precision_loss)]
            out.push(Sample::new(
                t(m),
                name,
                EntityKind::RadiusServer,
                id("bras1/radius/10.0.0.5"),
                SampleValue::Num(v as f64),
                "1",
                "routeros_api",
            ));
        }
    }
    out
}

/// A healthy concentrator: about 3200 sessions (with poll noise), CPU 35%, 8 ms, no loss,
/// uplink at 55%, churn 4/min, 1% RADIUS failures.
struct Healthy {
    samples: Vec<Sample>,
}

impl Healthy {
    fn new() -> Self {
        let d = EntityKind::Device;
        let c = EntityKind::PppoeConcentrator;
        let mut s = Vec::new();
        #[allow(clippy::cast_precision_loss)]
        s.extend(series("pppoe.sessions.active", "bras1", c, |m| {
            Some(3200.0 + ((m * 7) % 11) as f64 - 5.0)
        }));
        s.extend(series("pppoe.sessions.churn_per_min", "bras1", c, |_| {
            Some(4.0)
        }));
        s.extend(series("device.up", "bras1", d, |_| Some(1.0)));
        s.extend(series("device.cpu_pct", "bras1", d, |_| Some(35.0)));
        s.extend(series("probe.ping.rtt_ms", "bras1", d, |_| Some(8.0)));
        s.extend(series("probe.ping.loss_pct", "bras1", d, |_| Some(0.0)));
        s.extend(series(
            "interface.utilization_pct",
            "bras1/sfp1",
            EntityKind::Interface,
            |_| Some(55.0),
        ));
        s.extend(counters(|_| (100, 1, 0)));
        Self { samples: s }
    }

    /// Replaces `metric` of `entity` from minute `from` on with `v` (or removes it with `None`).
    fn since_minute(mut self, from: i64, metric: &str, entity: &str, v: Option<f64>) -> Self {
        self.samples.retain(|s| {
            !(s.metric_name == metric && s.entity_id.as_str() == entity && s.ts >= t(from))
        });
        if let Some(v) = v {
            let kind = self
                .samples
                .iter()
                .find(|s| s.metric_name == metric)
                .map_or(EntityKind::Device, |s| s.entity_type);
            self.samples
                .extend(series(metric, entity, kind, |m| (m >= from).then_some(v)));
        }
        self
    }

    fn with(mut self, more: Vec<Sample>) -> Self {
        self.samples.extend(more);
        self
    }

    fn signals(&self) -> ConcentratorSignals {
        ConcentratorSignals::from_samples(
            &id("bras1"),
            &self.samples,
            &[id("bras1/sfp1")],
            &[id("radius1")],
        )
    }

    fn classify(&self) -> Vec<ispvm_pppoe::classes::Classification> {
        classify(
            &id("bras1"),
            &self.signals(),
            t(60),
            &ClassifierConfig::default(),
        )
    }
}

fn classes(found: &[ispvm_pppoe::classes::Classification]) -> Vec<IncidentClass> {
    found.iter().map(|c| c.class).collect()
}

fn signals_of(c: &ispvm_pppoe::classes::Classification) -> Vec<&str> {
    let mut v: Vec<&str> = c.evidence.iter().map(|e| e.signal.as_str()).collect();
    v.sort_unstable();
    v
}

#[test]
fn healthy_concentrator_fits_no_class() {
    assert_eq!(classes(&Healthy::new().classify()), vec![]);
    // One wild poll (CPU 100%, 900 ms) does not make an incident.
    let noisy = Healthy::new().with(vec![
        Sample::new(
            t(59),
            "device.cpu_pct",
            EntityKind::Device,
            id("bras1"),
            SampleValue::Num(100.0),
            "%",
            "x",
        ),
        Sample::new(
            t(59),
            "probe.ping.rtt_ms",
            EntityKind::Device,
            id("bras1"),
            SampleValue::Num(900.0),
            "ms",
            "x",
        ),
    ]);
    assert_eq!(classes(&noisy.classify()), vec![]);
}

#[test]
fn concentrator_down_when_unreachable() {
    // At 10:57 the API stops answering and ping loses everything; no session counts arrive.
    let h = Healthy::new()
        .since_minute(57, "device.up", "bras1", Some(0.0))
        .since_minute(57, "probe.ping.loss_pct", "bras1", Some(100.0))
        .since_minute(57, "pppoe.sessions.active", "bras1", None);
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::ConcentratorDown]);
    let c = &found[0];
    assert_eq!(signals_of(c), vec!["device.up", "probe.ping.loss_pct"]);
    assert_eq!(c.suspect, id("bras1"));
    assert_eq!(c.root_cause(CauseRole::Primary).kind, CauseKind::Failure);
    assert_eq!(c.runbook(), "docs/runbooks/concentrator-down.md");
    let two = c.confidence.get();
    assert!((0.55..0.8).contains(&two), "{two}");

    // One signal alone is weaker: conservative confidence.
    let one = Healthy::new()
        .since_minute(57, "device.up", "bras1", Some(0.0))
        .since_minute(57, "pppoe.sessions.active", "bras1", None)
        .classify();
    assert_eq!(classes(&one), vec![IncidentClass::ConcentratorDown]);
    assert!(one[0].confidence.get() < two);
    assert!(one[0].confidence.get() < 0.5);
}

#[test]
fn concentrator_down_when_sessions_fall_to_near_zero() {
    let h = Healthy::new().since_minute(57, "pppoe.sessions.active", "bras1", Some(20.0));
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::ConcentratorDown]);
    assert_eq!(signals_of(&found[0]), vec!["pppoe.sessions.active"]);
    // The box answers: it could be the access side, so the confidence stays modest.
    assert!(found[0].confidence.get() < 0.45, "{}", found[0].confidence);
}

#[test]
fn bras_cpu_exhaustion() {
    let h = Healthy::new()
        .since_minute(56, "device.cpu_pct", "bras1", Some(97.0))
        .since_minute(56, "probe.ping.rtt_ms", "bras1", Some(45.0));
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::BrasCpuExhaustion]);
    let c = &found[0];
    assert_eq!(signals_of(c), vec!["device.cpu_pct", "probe.ping.rtt_ms"]);
    assert_eq!(
        c.root_cause(CauseRole::Primary).kind,
        CauseKind::Degradation
    );
    let full = c.confidence.get();
    assert!((0.5..0.8).contains(&full), "{full}");
    // CPU high but latency normal: the box copes, nothing to report.
    let coping = Healthy::new().since_minute(56, "device.cpu_pct", "bras1", Some(97.0));
    assert_eq!(classes(&coping.classify()), vec![]);
    // Without uplink utilisation congestion cannot be ruled out: lower confidence.
    let mut blind = h;
    blind
        .samples
        .retain(|s| s.metric_name != "interface.utilization_pct");
    let b = blind.classify();
    assert_eq!(classes(&b), vec![IncidentClass::BrasCpuExhaustion]);
    assert!(b[0].confidence.get() < full);
    // Sessions falling is not "experience degraded": CPU class needs stable sessions.
    let falling = Healthy::new()
        .since_minute(56, "device.cpu_pct", "bras1", Some(97.0))
        .since_minute(56, "probe.ping.rtt_ms", "bras1", Some(45.0))
        .since_minute(56, "pppoe.sessions.active", "bras1", Some(2000.0));
    assert!(!classes(&falling.classify()).contains(&IncidentClass::BrasCpuExhaustion));
}

#[test]
fn radius_failure() {
    // From 10:55: 70% of requests fail, churn jumps, sessions fall 19%; box healthy.
    let h = Healthy::new()
        .since_minute(55, "pppoe.sessions.active", "bras1", Some(2600.0))
        .since_minute(55, "pppoe.sessions.churn_per_min", "bras1", Some(90.0))
        .with(Vec::new());
    let mut h = h;
    h.samples.retain(|s| !s.metric_name.starts_with("radius."));
    let h = h.with(counters(
        |m| if m >= 55 { (400, 80, 200) } else { (100, 1, 0) },
    ));
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::RadiusFailure]);
    let c = &found[0];
    assert_eq!(
        signals_of(c),
        vec![
            "pppoe.sessions.active",
            "pppoe.sessions.churn_per_min",
            "radius.failure_rate"
        ]
    );
    let rate = c
        .evidence
        .iter()
        .find(|e| e.signal == "radius.failure_rate")
        .unwrap();
    assert_eq!(rate.value, Some(0.7));
    assert_eq!(c.suspect, id("bras1"));
    assert!(
        (0.7..0.95).contains(&c.confidence.get()),
        "{}",
        c.confidence
    );

    // The probe also sees the server dead: it becomes the suspect, confidence grows.
    let probe = series("radius.up", "radius1", EntityKind::RadiusServer, |m| {
        Some(if m >= 55 { 0.0 } else { 1.0 })
    });
    let with_probe = Healthy {
        samples: h.samples.clone(),
    }
    .with(probe);
    let p = with_probe.classify();
    assert_eq!(classes(&p), vec![IncidentClass::RadiusFailure]);
    assert_eq!(p[0].suspect, id("radius1"));
    assert!(p[0].confidence.get() > c.confidence.get());

    // The same symptoms with the CPU pegged: not a RADIUS failure (box not healthy).
    let busy = Healthy {
        samples: h.samples.clone(),
    }
    .since_minute(55, "device.cpu_pct", "bras1", Some(99.0));
    assert!(!classes(&busy.classify()).contains(&IncidentClass::RadiusFailure));

    // Rejects up over too few requests: not enough to call it.
    let mut quiet = Healthy::new();
    quiet
        .samples
        .retain(|s| !s.metric_name.starts_with("radius."));
    let quiet = quiet.with(counters(|m| if m >= 55 { (1, 1, 0) } else { (1, 0, 0) }));
    assert_eq!(classes(&quiet.classify()), vec![]);
}

#[test]
fn upstream_congestion() {
    let h = Healthy::new()
        .since_minute(55, "interface.utilization_pct", "bras1/sfp1", Some(98.0))
        .since_minute(55, "probe.ping.loss_pct", "bras1", Some(4.0))
        .since_minute(55, "probe.ping.rtt_ms", "bras1", Some(60.0));
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::UpstreamCongestion]);
    let c = &found[0];
    assert_eq!(c.suspect, id("bras1/sfp1"));
    assert_eq!(
        signals_of(c),
        vec![
            "interface.utilization_pct",
            "probe.ping.loss_pct",
            "probe.ping.rtt_ms"
        ]
    );
    let clear = c.confidence.get();
    assert!((0.75..0.95).contains(&clear), "{clear}");

    // A full uplink with good experience is capacity planning, not an incident.
    let full_ok =
        Healthy::new().since_minute(55, "interface.utilization_pct", "bras1/sfp1", Some(98.0));
    assert_eq!(classes(&full_ok.classify()), vec![]);

    // CPU pegged as well: both classes fit, each less certain.
    let both = h
        .since_minute(55, "device.cpu_pct", "bras1", Some(97.0))
        .classify();
    let mut got = classes(&both);
    got.sort();
    assert_eq!(
        got,
        vec![
            IncidentClass::BrasCpuExhaustion,
            IncidentClass::UpstreamCongestion
        ]
    );
    assert!(both.iter().all(|c| c.confidence.get() < clear));
}

#[test]
fn plain_inputs_work_without_samples() {
    let s = ConcentratorSignals::new()
        .with_cpu_pct(
            (0..=60)
                .map(|m| Point::new(t(m), if m > 55 { 95.0 } else { 30.0 }))
                .collect(),
        )
        .with_rtt_ms(
            (0..=60)
                .map(|m| Point::new(t(m), if m > 55 { 40.0 } else { 5.0 }))
                .collect(),
        )
        .with_sessions(
            (0..=60)
                .map(|m| ispvm_model::SessionReading::new(t(m), 1000.0))
                .collect(),
        );
    let found = classify(&id("bras9"), &s, t(60), &ClassifierConfig::default());
    assert_eq!(classes(&found), vec![IncidentClass::BrasCpuExhaustion]);
    // Signals after the evaluation time are ignored.
    assert_eq!(
        classify(&id("bras9"), &s, t(50), &ClassifierConfig::default()),
        vec![]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Arbitrary series never panic and never give a confidence of 0.95 or more.
    #[test]
    fn never_panics_and_stays_conservative(
        vals in proptest::collection::vec((0usize..7, 0i64..70, prop_oneof![
            Just(f64::NAN), Just(f64::INFINITY), Just(-1.0), 0.0f64..5000.0]), 0..200)
    ) {
        let names = ["pppoe.sessions.active", "device.up", "device.cpu_pct", "probe.ping.rtt_ms",
                     "probe.ping.loss_pct", "pppoe.sessions.churn_per_min", "interface.utilization_pct"];
        let samples: Vec<Sample> = vals.iter().map(|&(k, m, v)| {
            let ent = if k == 6 { "bras1/sfp1" } else { "bras1" };
            Sample::new(t(m), names[k], EntityKind::Device, id(ent), SampleValue::Num(v), "1", "p")
        }).collect();
        let s = ConcentratorSignals::from_samples(&id("bras1"), &samples, &[id("bras1/sfp1")], &[]);
        for c in classify(&id("bras1"), &s, t(60), &ClassifierConfig::default()) {
            prop_assert!(c.confidence.get() < 0.95 + 1e-9);
            prop_assert!(!c.evidence.is_empty());
        }
    }
}

#[test]
fn one_incomplete_counter_group_does_not_hide_the_others() {
    let mut h = Healthy::new();
    h.samples.retain(|s| !s.metric_name.starts_with("radius."));
    let mut c = counters(|m| if m >= 55 { (400, 80, 200) } else { (100, 1, 0) });
    // Minute 57 lost its timeouts counter (a partial poll).
    c.retain(|s| !(s.ts == t(57) && s.metric_name == "radius.timeouts_total"));
    let h = h
        .with(c)
        .since_minute(55, "pppoe.sessions.churn_per_min", "bras1", Some(90.0));
    let found = h.classify();
    assert_eq!(classes(&found), vec![IncidentClass::RadiusFailure]);
    let rate = found[0]
        .evidence
        .iter()
        .find(|e| e.signal == "radius.failure_rate")
        .unwrap();
    assert_eq!(rate.value, Some(0.7));
}
