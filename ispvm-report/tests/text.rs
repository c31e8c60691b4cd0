//! Exact output of the text renderer, both layouts, on a small analysis.

use ispvm_model::{
    CauseKind, CauseRole, Confidence, EntityId, EntityReport, EntityStatus, Evidence, Incident,
    RootCause, SignalState,
};
use ispvm_report::TextOptions;
use ispvm_schemas::analysis::AnalysisDocument;

fn id(s: &str) -> EntityId {
    s.parse().unwrap()
}

/// agg1 down (primary, two pieces of evidence), agg2 in maintenance (contributing), acc1 and
/// acc2 unreachable, bras1 degraded and flapping with redundancy lost.
fn analysis() -> AnalysisDocument {
    let t = "2026-01-01T00:10:00Z".parse().unwrap();
    let mut acc1 = EntityReport::new(id("acc1"), EntityStatus::Unreachable);
    acc1.explained_by = vec![id("agg1"), id("agg2")];
    acc1.reasons = vec!["any of [agg1, agg2]: no member available".into()];
    let mut acc2 = EntityReport::new(id("acc2"), EntityStatus::Unreachable);
    acc2.explained_by = vec![id("agg1"), id("agg2")];
    let mut bras1 = EntityReport::new(id("bras1"), EntityStatus::Degraded);
    bras1.flapping = true;
    bras1.redundancy_lost = vec!["any of [agg1, agg3]".into()];
    let primary = RootCause::new(
        id("agg1"),
        CauseRole::Primary,
        CauseKind::Failure,
        Confidence::new(0.62).unwrap(),
        vec![
            Evidence::signal("reachability", SignalState::Down, t, 0.5).with_source("poller"),
            Evidence::signal("link", SignalState::Down, t, 0.25).with_note("uplink down"),
        ],
    );
    let maintenance = RootCause::new(
        id("agg2"),
        CauseRole::Contributing,
        CauseKind::Maintenance,
        Confidence::new(0.4).unwrap(),
        vec![],
    );
    AnalysisDocument::new(
        "demo-isp".parse().unwrap(),
        t,
        vec![
            acc1,
            acc2,
            EntityReport::new(id("agg1"), EntityStatus::Down),
            EntityReport::new(id("agg2"), EntityStatus::Maintenance),
            bras1,
        ],
        vec![Incident::new(
            "inc-agg1",
            t,
            vec![primary, maintenance],
            vec![id("acc1"), id("acc2")],
            3200,
            "agg1 down, with agg2 in maintenance; 2 entities unreachable",
        )],
    )
}

#[test]
fn full_layout_is_exact() {
    let want = "\
ispvm analysis of demo-isp at 2026-01-01T00:10:00Z
5 entities, 1 incident(s), 3 suppressed

INCIDENT inc-agg1 (opened 2026-01-01T00:10:00Z)
  agg1 down, with agg2 in maintenance; 2 entities unreachable
  primary      agg1 (failure, confidence 0.62)
      - reachability down at 2026-01-01T00:10:00Z, weight 0.5, from poller
      - link down at 2026-01-01T00:10:00Z, weight 0.25: uplink down
  contributing agg2 (maintenance, confidence 0.40)
  impacted (2): acc1, acc2
  subscribers affected: 3200

SUPPRESSED
  acc1 (unreachable), explained by agg1, agg2
      any of [agg1, agg2]: no member available
  acc2 (unreachable), explained by agg1, agg2
  agg2 (maintenance)

DOWN, DEGRADED OR FLAPPING
  agg1 (down)
  bras1 (degraded), flapping, redundancy lost: any of [agg1, agg3]
";
    assert_eq!(ispvm_report::text(&analysis(), &TextOptions::full()), want);
    // The full layout ignores colours.
    assert_eq!(
        ispvm_report::text(&analysis(), &TextOptions::full().with_colour(true)),
        want
    );
}

#[test]
fn compact_layout_is_exact() {
    let options = TextOptions::compact().with_incident_note(
        "inc-agg1",
        "class",
        "uplink failure at agg1 (confidence 0.70)",
    );
    let want = "   open incidents (1):
   ● inc-agg1  primary agg1 · 2 impacted · 3,200 subscribers affected
       agg1     primary       failure      confidence 0.620
       agg2     contributing  maintenance  confidence 0.400
       impacted: acc1, acc2
       class: uplink failure at agg1 (confidence 0.70)
       agg1 down, with agg2 in maintenance; 2 entities unreachable
   suppressed (2): acc1, acc2 — explained by agg1 + agg2
   in maintenance (suppressed): agg2
   redundancy lost: bras1 (any of [agg1, agg3])
";
    assert_eq!(ispvm_report::text(&analysis(), &options), want);
}

#[test]
fn compact_layout_colours_only_when_asked() {
    let plain = ispvm_report::text(&analysis(), &TextOptions::compact());
    assert!(!plain.contains('\x1b'));
    let coloured = ispvm_report::text(&analysis(), &TextOptions::compact().with_colour(true));
    assert!(coloured.contains("\x1b[31m●\x1b[0m \x1b[1minc-agg1\x1b[0m"));
    assert!(coloured.contains("in maintenance (suppressed): \x1b[36magg2\x1b[0m"));
    // Without the escapes, the same text.
    let stripped = coloured
        .split('\x1b')
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part
            } else {
                part.split_once('m').map_or(part, |(_, rest)| rest)
            }
        })
        .collect::<String>();
    assert_eq!(stripped, plain);
}

#[test]
fn notes_of_other_incidents_are_not_shown() {
    let options = TextOptions::compact().with_incident_note("inc-other", "class", "nope");
    assert!(!ispvm_report::text(&analysis(), &options).contains("nope"));
}
