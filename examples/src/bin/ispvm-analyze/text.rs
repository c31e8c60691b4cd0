//! `--format text`: the analysis for a person. Incidents first, then suppressed entities, then
//! the other entities that need attention (down, degraded, flapping).

use std::fmt::Write;

use ispvm_model::{CauseKind, CauseRole, EntityStatus};
use ispvm_schemas::analysis::AnalysisDocument;

fn time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Renders the document as text.
pub fn render(doc: &AnalysisDocument) -> String {
    let mut s = String::new();
    let suppressed: Vec<_> = doc.entities.iter().filter(|e| e.suppressed).collect();
    let attention: Vec<_> = doc
        .entities
        .iter()
        .filter(|e| {
            !e.suppressed
                && (matches!(e.status, EntityStatus::Down | EntityStatus::Degraded) || e.flapping)
        })
        .collect();
    let _ = writeln!(
        s,
        "ispvm analysis of {} at {}",
        doc.tenant,
        time(doc.evaluated_at)
    );
    let _ = writeln!(
        s,
        "{} entities, {} incident(s), {} suppressed",
        doc.entities.len(),
        doc.incidents.len(),
        suppressed.len()
    );
    for inc in &doc.incidents {
        let _ = writeln!(s);
        let _ = writeln!(s, "INCIDENT {} (opened {})", inc.id, time(inc.opened_at));
        let _ = writeln!(s, "  {}", inc.summary);
        for c in &inc.root_causes {
            let role = match c.role {
                CauseRole::Primary => "primary",
                _ => "contributing",
            };
            let kind = match c.kind {
                CauseKind::Failure => "failure",
                CauseKind::Maintenance => "maintenance",
                CauseKind::Degradation => "degradation",
                _ => "other",
            };
            let _ = writeln!(
                s,
                "  {role:<12} {} ({kind}, confidence {})",
                c.entity, c.confidence
            );
            for ev in &c.evidence {
                let what = match (ev.state, ev.value) {
                    (Some(state), _) => format!("{} {state}", ev.signal),
                    (None, Some(v)) => format!("{} = {v}", ev.signal),
                    (None, None) => ev.signal.clone(),
                };
                let _ = write!(s, "      - {what} at {}, weight {}", time(ev.at), ev.weight);
                if let Some(src) = &ev.source {
                    let _ = write!(s, ", from {src}");
                }
                if let Some(note) = &ev.note {
                    let _ = write!(s, ": {note}");
                }
                let _ = writeln!(s);
            }
        }
        if inc.impacted.is_empty() {
            let _ = writeln!(s, "  impacted: none");
        } else {
            let ids: Vec<&str> = inc.impacted.iter().map(|i| i.as_str()).collect();
            let _ = writeln!(s, "  impacted ({}): {}", ids.len(), ids.join(", "));
        }
        let _ = writeln!(s, "  subscribers affected: {}", inc.subscribers_affected);
    }
    if !suppressed.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "SUPPRESSED");
        for e in &suppressed {
            let by: Vec<&str> = e.explained_by.iter().map(|i| i.as_str()).collect();
            if by.is_empty() {
                let _ = writeln!(s, "  {} ({})", e.id, e.status);
            } else {
                let _ = writeln!(
                    s,
                    "  {} ({}), explained by {}",
                    e.id,
                    e.status,
                    by.join(", ")
                );
            }
            for r in &e.reasons {
                let _ = writeln!(s, "      {r}");
            }
        }
    }
    if !attention.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "DOWN, DEGRADED OR FLAPPING");
        for e in &attention {
            let _ = write!(s, "  {} ({})", e.id, e.status);
            if e.flapping {
                let _ = write!(s, ", flapping");
            }
            if !e.redundancy_lost.is_empty() {
                let _ = write!(s, ", redundancy lost: {}", e.redundancy_lost.join("; "));
            }
            let _ = writeln!(s);
        }
    }
    s
}
