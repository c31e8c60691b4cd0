//! Terminal rendering of the timeline: colours (ANSI, optional), wrapping, compact incidents.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use ispvm_model::{CauseKind, CauseRole, EntityStatus, Incident};
use ispvm_schemas::analysis::AnalysisDocument;

/// ANSI colours, or plain text when off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    on: bool,
}

impl Palette {
    pub(crate) fn new(on: bool) -> Self {
        Self { on }
    }
    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub(crate) fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    pub(crate) fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    pub(crate) fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub(crate) fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    pub(crate) fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    pub(crate) fn cyan(self, s: &str) -> String {
        self.paint("36", s)
    }
    /// The progress line is rewritten in place only on a terminal (colours on).
    pub(crate) fn is_on(self) -> bool {
        self.on
    }
}

/// Wraps `text` at `width` columns, every line starting with `indent`.
pub(crate) fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn role(r: CauseRole) -> &'static str {
    match r {
        CauseRole::Primary => "primary",
        CauseRole::Contributing => "contributing",
        _ => "cause",
    }
}

fn kind(k: CauseKind) -> &'static str {
    match k {
        CauseKind::Failure => "failure",
        CauseKind::Maintenance => "maintenance",
        CauseKind::Degradation => "degradation",
        _ => "cause",
    }
}

/// One incident in compact form (id, primary, causes with confidence, impact), with an
/// optional class line.
pub(crate) fn incident(p: Palette, i: &Incident, class: Option<&str>) -> String {
    let mut s = String::new();
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
            role(c.role),
            kind(c.kind),
            c.confidence.get(),
        );
    }
    if !i.impacted.is_empty() {
        let ids: Vec<&str> = i.impacted.iter().map(|e| e.as_str()).collect();
        let _ = writeln!(s, "       impacted: {}", ids.join(", "));
    }
    if let Some(class) = class {
        let _ = writeln!(s, "       class: {}", p.yellow(class));
    }
    let _ = writeln!(s, "       {}", p.dim(&i.summary));
    s
}

/// Suppressed entities (with what explains them) and groups that lost redundancy.
pub(crate) fn suppression(p: Palette, doc: &AnalysisDocument) -> String {
    let mut s = String::new();
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
            let causes: Vec<&str> = e.explained_by.iter().map(|c| c.as_str()).collect();
            by_cause
                .entry(causes.join(" + "))
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
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_formats() {
        assert_eq!(wrap("a bb ccc dddd", "  ", 8), "  a bb\n  ccc\n  dddd\n");
        assert_eq!(wrap("", "  ", 8), "");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3200), "3,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(Palette::new(false).red("x"), "x");
        assert_eq!(Palette::new(true).red("x"), "\x1b[31mx\x1b[0m");
    }
}
