//! The analysis as plain text: the one text renderer of ispvm, used by `ispvm-analyze --format
//! text` ([`TextLayout::Full`]) and by the demo's step summaries ([`TextLayout::Compact`]).
//!
//! Text is for a terminal: ids and summaries are written as they are (no escaping), with
//! optional ANSI colours in the compact layout. Output is deterministic: it follows the order
//! of the analysis (incidents, entity rows), groups are sorted by name.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use ispvm_model::{EntityStatus, Incident};
use ispvm_schemas::analysis::AnalysisDocument;

/// Which text layout [`text`](crate::text()) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TextLayout {
    /// Everything a person needs to act, in sections: a header with counts; every incident
    /// with its causes (role, kind, confidence), each cause's evidence, impacted entities and
    /// subscribers affected; the suppressed entities with what explains them and why; the other
    /// entities that need attention (down, degraded, flapping). The layout of
    /// `ispvm-analyze --format text`; never coloured.
    #[default]
    Full,
    /// A few indented lines per incident (id, primary cause, impact, causes with confidence,
    /// notes, summary), then one line per group of suppressed entities, maintenance, degraded
    /// entities and lost redundancy. The layout of the demo's step summaries.
    Compact,
}

/// How [`text`](crate::text()) writes an analysis: layout, colours, notes on incidents.
///
/// # Examples
/// ```
/// use ispvm_report::text::{TextLayout, TextOptions};
/// let options = TextOptions::compact()
///     .with_colour(true)
///     .with_incident_note("inc-1", "class", "radius_failure at bras1");
/// assert_eq!(options.layout, TextLayout::Compact);
/// assert!(options.colour);
/// assert_eq!(TextOptions::default().layout, TextLayout::Full);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TextOptions {
    /// The layout.
    pub layout: TextLayout,
    /// ANSI colours (compact layout only; the full layout is always plain).
    pub colour: bool,
    /// Extra lines shown under an incident in the compact layout: `(incident id, label,
    /// text)`, in the order given (for example a classification of the incident).
    pub incident_notes: Vec<(String, String, String)>,
}

impl TextOptions {
    /// The full layout ([`TextLayout::Full`]), the default.
    #[must_use]
    pub fn full() -> Self {
        Self::default()
    }

    /// The compact layout ([`TextLayout::Compact`]), without colours.
    #[must_use]
    pub fn compact() -> Self {
        Self {
            layout: TextLayout::Compact,
            ..Self::default()
        }
    }

    /// Turns ANSI colours on or off (compact layout).
    #[must_use]
    pub fn with_colour(mut self, colour: bool) -> Self {
        self.colour = colour;
        self
    }

    /// Adds a line `label: text` under the incident `incident` (compact layout).
    #[must_use]
    pub fn with_incident_note(
        mut self,
        incident: impl Into<String>,
        label: impl Into<String>,
        text: impl Into<String>,
    ) -> Self {
        self.incident_notes
            .push((incident.into(), label.into(), text.into()));
        self
    }
}

/// `1234567` as `1,234,567`: how the text layouts write subscriber counts.
///
/// # Examples
/// ```
/// assert_eq!(ispvm_report::text::thousands(3200), "3,200");
/// assert_eq!(ispvm_report::text::thousands(999), "999");
/// ```
#[must_use]
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub(crate) fn render(doc: &AnalysisDocument, options: &TextOptions) -> String {
    match options.layout {
        TextLayout::Compact => compact(doc, options),
        _ => full(doc),
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn full(doc: &AnalysisDocument) -> String {
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
            let _ = writeln!(
                s,
                "  {:<12} {} ({}, confidence {})",
                c.role.as_str(),
                c.entity,
                c.kind.as_str(),
                c.confidence
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
            let _ = writeln!(
                s,
                "  impacted ({}): {}",
                inc.impacted.len(),
                join(inc.impacted.iter().map(|i| i.as_str()), ", ")
            );
        }
        let _ = writeln!(s, "  subscribers affected: {}", inc.subscribers_affected);
    }
    if !suppressed.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "SUPPRESSED");
        for e in &suppressed {
            if e.explained_by.is_empty() {
                let _ = writeln!(s, "  {} ({})", e.id, e.status);
            } else {
                let _ = writeln!(
                    s,
                    "  {} ({}), explained by {}",
                    e.id,
                    e.status,
                    join(e.explained_by.iter().map(|i| i.as_str()), ", ")
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

fn join<'a>(items: impl Iterator<Item = &'a str>, sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(item);
    }
    out
}

/// ANSI colours, or plain text when off.
#[derive(Debug, Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn paint(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    fn cyan(self, s: &str) -> String {
        self.paint("36", s)
    }
}

fn compact(doc: &AnalysisDocument, options: &TextOptions) -> String {
    let p = Paint(options.colour);
    let mut s = String::new();
    if doc.incidents.is_empty() {
        let _ = writeln!(s, "   {}", p.green("no open incident"));
    } else {
        let _ = writeln!(s, "   open incidents ({}):", doc.incidents.len());
        for i in &doc.incidents {
            compact_incident(&mut s, p, i, options);
        }
    }
    compact_suppression(&mut s, p, doc);
    s
}

fn compact_incident(s: &mut String, p: Paint, i: &Incident, options: &TextOptions) {
    let primary = i
        .primary()
        .map_or("none (maintenance only)", |c| c.entity.as_str());
    let _ = writeln!(
        s,
        "   {} {}  primary {} · {} impacted · {} subscribers affected",
        p.red("●"),
        p.bold(&i.id),
        p.bold(primary),
        i.impacted.len(),
        p.bold(&thousands(i.subscribers_affected)),
    );
    for c in &i.root_causes {
        let _ = writeln!(
            s,
            "       {:<8} {:<13} {:<12} confidence {:.3}",
            c.entity.as_str(),
            c.role.as_str(),
            c.kind.as_str(),
            c.confidence.get(),
        );
    }
    if !i.impacted.is_empty() {
        let _ = writeln!(
            s,
            "       impacted: {}",
            join(i.impacted.iter().map(|e| e.as_str()), ", ")
        );
    }
    for (_, label, text) in options
        .incident_notes
        .iter()
        .filter(|(id, _, _)| *id == i.id)
    {
        let _ = writeln!(s, "       {label}: {}", p.yellow(text));
    }
    let _ = writeln!(s, "       {}", p.dim(&i.summary));
}

fn compact_suppression(s: &mut String, p: Paint, doc: &AnalysisDocument) {
    let mut by_cause: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut maintenance = Vec::new();
    let mut redundancy: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut degraded = Vec::new();
    for e in &doc.entities {
        if e.status == EntityStatus::Degraded && e.redundancy_lost.is_empty() {
            degraded.push(e.id.as_str());
        }
        if e.status == EntityStatus::Maintenance {
            maintenance.push(e.id.as_str());
        } else if e.suppressed {
            by_cause
                .entry(join(e.explained_by.iter().map(|c| c.as_str()), " + "))
                .or_default()
                .push(e.id.as_str());
        }
        for r in &e.redundancy_lost {
            redundancy
                .entry(r.as_str())
                .or_default()
                .push(e.id.as_str());
        }
    }
    if by_cause.is_empty() && maintenance.is_empty() {
        let _ = writeln!(s, "   suppressed: none");
    }
    for (causes, ids) in &by_cause {
        let _ = writeln!(
            s,
            "   suppressed ({}): {} — explained by {}",
            ids.len(),
            p.dim(&ids.join(", ")),
            p.bold(causes)
        );
    }
    if !maintenance.is_empty() {
        let _ = writeln!(
            s,
            "   in maintenance (suppressed): {}",
            p.cyan(&maintenance.join(", "))
        );
    }
    if !degraded.is_empty() {
        let _ = writeln!(s, "   degraded: {}", p.yellow(&degraded.join(", ")));
    }
    for (group, ids) in &redundancy {
        let _ = writeln!(
            s,
            "   redundancy lost: {} ({})",
            p.yellow(&ids.join(", ")),
            group
        );
    }
}
