//! `report.html`: one self-contained page (inline CSS, inline SVG, one tiny inline script).

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use ispvm_model::{CauseRole, EntityReport, EntityStatus, Evidence, Incident, Topology};
use ispvm_schemas::analysis::AnalysisDocument;
use sha2::{Digest, Sha256};

use super::ReportOptions;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::escape::{html, html_into, number};
use super::svg;
use super::view::{self, CAUSE_STROKE, LEGEND, View};

/// The inline script: records load errors and CSP violations into the DOM (so that a headless
/// browser test can see them) and marks the document as loaded.
const SCRIPT: &str = r#"
(function () {
  'use strict';
  var errors = [];
  function show() {
    var box = document.getElementById('report-errors');
    if (box && errors.length) { box.textContent = errors.join('\n'); box.hidden = false; }
  }
  function record(message) {
    errors.push(String(message));
    document.documentElement.setAttribute('data-errors', String(errors.length));
    show();
  }
  window.addEventListener('error', function (e) {
    record('error: ' + (e.message || (e.target && e.target.tagName) || e.type));
  }, true);
  document.addEventListener('securitypolicyviolation', function (e) {
    record('blocked by policy: ' + e.violatedDirective + ' ' + e.blockedURI);
  });
  document.addEventListener('DOMContentLoaded', function () {
    show();
    document.documentElement.setAttribute('data-loaded', 'true');
  });
})();
"#;

/// The fixed part of the style sheet (status swatches are generated from the same colours as
/// the drawing).
const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --cause: #7f0000; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 1280px; padding: 24px 28px 48px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.3em; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.1em; margin: 0 0 8px; }
h4 { font-size: 1em; margin: 14px 0 6px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.92em;
  background: #f3f4f6; padding: 0 3px; border-radius: 3px; overflow-wrap: anywhere; }
.meta, .hint, .note { color: var(--muted); }
.summary { display: flex; flex-wrap: wrap; gap: 10px; list-style: none; padding: 0; margin: 14px 0 0; }
.summary li { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 140px; }
.summary .n { display: block; font-size: 1.6em; font-weight: 700; }
.summary li.alert { border-color: #c62828; background: #fdecec; }
.figure { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; padding: 8px; background: #fff; }
@media screen and (min-width: 1000px) {
  /* The drawing may use the whole window width, not only the text column. */
  .figure { width: calc(100vw - 64px); margin-left: calc(50% - 50vw + 32px); }
}
svg.ispvm-topology { display: block; margin: 0 auto; max-width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 10px 0 0; padding: 0; list-style: none; font-size: 0.92em; }
.legend li { display: flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 26px; height: 16px; border-radius: 4px; border: 2px solid; }
.sw.cause { background: #fff; border: 4px solid var(--cause); }
.sw.edge, .sw.edge-redundant { height: 0; border-width: 2px 0 0; border-radius: 0; border-color: #607d8b; }
.sw.edge-redundant { border-top-style: dashed; }
.sw.edge-lost { height: 0; border-width: 2px 0 0; border-radius: 0; border-color: #c62828; }
article.incident { border: 1px solid var(--line); border-left: 6px solid var(--cause); border-radius: 8px;
  padding: 14px 18px; margin: 14px 0; break-inside: avoid-page; }
article.incident:target { box-shadow: 0 0 0 3px #ffb4a9; }
.num { color: var(--muted); font-weight: 400; margin-right: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.cause { border-top: 1px dashed var(--line); padding-top: 8px; margin-top: 8px; }
.cause-head { margin: 0 0 6px; display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.tag { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 0.85em; border: 1px solid var(--line); background: #f6f8fa; }
.tag.primary { background: var(--cause); border-color: var(--cause); color: #fff; }
meter { width: 90px; height: 12px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 0.94em; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f6f8fa; font-weight: 600; }
td.num-cell { text-align: right; font-variant-numeric: tabular-nums; }
ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
ol.timeline li { padding: 3px 0 3px 14px; }
ol.timeline time { font-variant-numeric: tabular-nums; color: var(--muted); margin-right: 10px; }
.status { font-weight: 600; }
#report-errors { color: #b00020; border: 2px solid #b00020; padding: 8px; white-space: pre-wrap; }
footer { margin-top: 40px; color: var(--muted); font-size: 0.88em; border-top: 1px solid var(--line); padding-top: 8px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  .figure { overflow: visible; border: none; padding: 0; break-inside: avoid; }
  svg.ispvm-topology { max-height: 24cm; }
  h2 { break-after: avoid; }
  tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

fn time(t: &DateTime<Utc>) -> String {
    let s = t.to_rfc3339_opts(SecondsFormat::Secs, true);
    format!("<time datetime=\"{s}\">{}</time>", s.replace('T', " "))
}

fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        BASE64.encode(Sha256::digest(text.as_bytes()))
    )
}

fn style_sheet() -> String {
    let mut css = String::from(STYLE);
    css.push_str(svg::STYLE);
    for (status, _) in LEGEND {
        let look = view::look(Some(status));
        let _ = writeln!(
            css,
            ".sw.s-{} {{ background: {}; border-color: {};{} }}",
            status.as_str(),
            look.fill,
            look.stroke,
            if look.dashed {
                " border-style: dashed;"
            } else {
                ""
            }
        );
        let _ = writeln!(
            css,
            ".status.s-{} {{ color: {}; }}",
            status.as_str(),
            look.stroke
        );
    }
    css
}

fn status_span(out: &mut String, status: EntityStatus) {
    let _ = write!(
        out,
        "<span class=\"status s-{s}\">{s}</span>",
        s = status.as_str()
    );
}

fn id_list(out: &mut String, ids: &[impl AsRef<str>]) {
    if ids.is_empty() {
        out.push_str("none");
        return;
    }
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str("<code>");
        html_into(out, id.as_ref());
        out.push_str("</code>");
    }
}

/// Renders the whole page (see [`render_html`](super::render_html)).
pub(crate) fn render(
    topology: &Topology,
    analysis: &AnalysisDocument,
    options: &ReportOptions,
) -> String {
    let view = View::new(analysis);
    let css = style_sheet();
    let mut out = String::with_capacity(
        32 * 1024 + topology.entities().len() * 700 + analysis.incidents.len() * 2048,
    );
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src {}; \
         style-src {}; img-src data:; base-uri 'none'; form-action 'none'\">",
        csp_hash(SCRIPT),
        csp_hash(&css)
    );
    out.push_str("<meta name=\"generator\" content=\"ispvm\">\n<title>");
    html_into(&mut out, &options.title);
    out.push_str("</title>\n<style>");
    out.push_str(&css);
    out.push_str("</style>\n<script>");
    out.push_str(SCRIPT);
    out.push_str("</script>\n</head>\n<body>\n");

    header(&mut out, analysis, options);
    out.push_str("<main>\n");
    topology_section(&mut out, topology, &view, options);
    incidents_section(&mut out, analysis);
    suppressed_section(&mut out, analysis);
    redundancy_section(&mut out, analysis);
    timeline_section(&mut out, options);
    entities_section(&mut out, topology, analysis, &view);
    out.push_str("</main>\n<footer>Generated by ispvm from an <code>");
    html_into(&mut out, &analysis.schema);
    out.push_str(
        "</code> document. This file is self-contained: it loads nothing from the network.\
         </footer>\n<pre id=\"report-errors\" hidden></pre>\n</body>\n</html>\n",
    );
    out
}

fn header(out: &mut String, analysis: &AnalysisDocument, options: &ReportOptions) {
    out.push_str("<header>\n<h1>");
    html_into(out, &options.title);
    out.push_str("</h1>\n<p class=\"meta\">Tenant <b>");
    html_into(out, analysis.tenant.as_str());
    let _ = writeln!(
        out,
        "</b> · evaluated at {} · {} entities</p>",
        time(&analysis.evaluated_at),
        analysis.entities.len()
    );
    let count = |s: EntityStatus| analysis.entities.iter().filter(|e| e.status == s).count();
    let suppressed = analysis.entities.iter().filter(|e| e.suppressed).count();
    let redundancy = analysis
        .entities
        .iter()
        .filter(|e| !e.redundancy_lost.is_empty())
        .count();
    let subscribers = analysis
        .incidents
        .iter()
        .fold(0u64, |acc, i| acc.saturating_add(i.subscribers_affected));
    out.push_str("<ul class=\"summary\">\n");
    let items: [(u64, &str, bool); 5] = [
        (analysis.incidents.len() as u64, "open incidents", true),
        (subscribers, "subscribers affected", true),
        (count(EntityStatus::Down) as u64, "entities down", true),
        (suppressed as u64, "entities suppressed", false),
        (redundancy as u64, "with redundancy lost", false),
    ];
    for (value, text, can_alert) in items {
        let _ = writeln!(
            out,
            "<li{}><span class=\"n\">{value}</span>{text}</li>",
            if can_alert && value > 0 {
                " class=\"alert\""
            } else {
                ""
            }
        );
    }
    out.push_str("</ul>\n</header>\n");
}

fn topology_section(
    out: &mut String,
    topology: &Topology,
    view: &View<'_>,
    options: &ReportOptions,
) {
    out.push_str(
        "<section id=\"topology-section\">\n<h2>Topology</h2>\n<p class=\"hint\">Upstream at \
         the top: each arrow points from what is needed to what needs it. Dashed arrows belong \
         to redundant groups (any of n, k of n), red ones leave an entity that is not available. \
         Root causes have a thick dark red outline; click one to jump to its incident. \
         The entities of one site are drawn inside a box labelled with its name.</p>\n\
         <div class=\"figure\">\n",
    );
    let entities = topology.entities().len();
    if entities > options.max_drawn_entities {
        let _ = writeln!(
            out,
            "<p class=\"note\" id=\"topology-too-large\">The topology has {entities} entities, \
             more than the {} this report draws. Render <code>topology.dot</code> with \
             Graphviz to see it; the tables below list every incident and suppressed entity.</p>",
            options.max_drawn_entities
        );
    } else {
        svg::render(out, topology, view, &options.svg);
    }
    out.push_str("</div>\n<ul class=\"legend\">\n");
    for (status, meaning) in LEGEND {
        let _ = writeln!(
            out,
            "<li><span class=\"sw s-{s}\"></span><b>{s}</b> {meaning}</li>",
            s = status.as_str()
        );
    }
    let _ = writeln!(
        out,
        "<li><span class=\"sw cause\"></span><b>root cause</b> (outline {CAUSE_STROKE})</li>\n\
         <li><span class=\"sw edge\"></span>needs all</li>\n\
         <li><span class=\"sw edge-redundant\"></span>needs any / k of n</li>\n\
         <li><span class=\"sw edge-lost\"></span>from an unavailable entity</li>"
    );
    out.push_str("</ul>\n</section>\n");
}

fn incidents_section(out: &mut String, analysis: &AnalysisDocument) {
    let _ = writeln!(
        out,
        "<section id=\"incidents\">\n<h2>Incidents ({} open)</h2>",
        analysis.incidents.len()
    );
    if analysis.incidents.is_empty() {
        out.push_str("<p class=\"ok\">No open incident.</p>\n");
    }
    for (i, incident) in analysis.incidents.iter().enumerate() {
        incident_article(out, i + 1, incident);
    }
    out.push_str("</section>\n");
}

fn incident_article(out: &mut String, number: usize, incident: &Incident) {
    let _ = write!(
        out,
        "<article class=\"incident\" id=\"incident-{number}\" data-incident-id=\"{}\">\n\
         <h3><span class=\"num\">#{number}</span>",
        html(&incident.id)
    );
    html_into(out, &incident.summary);
    out.push_str("</h3>\n<dl class=\"facts\">\n<dt>Incident id</dt><dd><code>");
    html_into(out, &incident.id);
    let _ = write!(
        out,
        "</code></dd>\n<dt>Opened at</dt><dd>{}</dd>\n\
         <dt>Subscribers affected</dt><dd><b>{}</b></dd>\n<dt>Primary cause</dt><dd>",
        time(&incident.opened_at),
        incident.subscribers_affected
    );
    match incident.primary() {
        Some(p) => {
            out.push_str("<code>");
            html_into(out, p.entity.as_str());
            out.push_str("</code>");
        }
        None => out.push_str("none (maintenance only)"),
    }
    let _ = write!(
        out,
        "</dd>\n<dt>Impacted ({})</dt><dd>",
        incident.impacted.len()
    );
    id_list(out, &incident.impacted);
    out.push_str("</dd>\n</dl>\n");
    let _ = writeln!(out, "<h4>Root causes ({})</h4>", incident.root_causes.len());
    for cause in &incident.root_causes {
        let primary = cause.role == CauseRole::Primary;
        let _ = write!(
            out,
            "<div class=\"cause{}\" data-entity=\"{}\">\n<p class=\"cause-head\"><code>",
            if primary { " primary" } else { "" },
            html(cause.entity.as_str())
        );
        html_into(out, cause.entity.as_str());
        let c = cause.confidence.get();
        let _ = writeln!(
            out,
            "</code><span class=\"tag{}\">{}</span><span class=\"tag\">{}</span>\
             <span>confidence <b>{:.2}</b></span><meter min=\"0\" max=\"1\" low=\"0.4\" \
             high=\"0.75\" optimum=\"1\" value=\"{c:.3}\">{c:.2}</meter></p>",
            if primary { " primary" } else { "" },
            cause.role.as_str(),
            cause.kind.as_str(),
            c,
        );
        evidence_table(out, &cause.evidence);
        out.push_str("</div>\n");
    }
    out.push_str("</article>\n");
}

fn evidence_table(out: &mut String, evidence: &[Evidence]) {
    if evidence.is_empty() {
        out.push_str("<p class=\"note\">No evidence recorded.</p>\n");
        return;
    }
    let total: f64 = evidence.iter().map(|e| e.weight).sum();
    out.push_str(
        "<table class=\"evidence\">\n<caption>Evidence</caption>\n<thead><tr><th>Signal</th>\
         <th>Observed</th><th>At</th><th>Weight</th><th>Source</th><th>Note</th></tr></thead>\n<tbody>\n",
    );
    for e in evidence {
        out.push_str("<tr><td><code>");
        html_into(out, &e.signal);
        out.push_str("</code></td><td>");
        match (&e.state, e.value) {
            (Some(s), _) => html_into(out, s.as_str()),
            (None, Some(v)) => out.push_str(&number(v)),
            (None, None) => out.push('—'),
        }
        let _ = write!(
            out,
            "</td><td>{}</td><td class=\"num-cell\">{}</td><td>",
            time(&e.at),
            number(e.weight)
        );
        html_into(out, e.source.as_deref().unwrap_or("—"));
        out.push_str("</td><td>");
        html_into(out, e.note.as_deref().unwrap_or(""));
        out.push_str("</td></tr>\n");
    }
    let _ = writeln!(
        out,
        "</tbody>\n<tfoot><tr><th colspan=\"3\">Total weight</th><td class=\"num-cell\">{}</td>\
         <td colspan=\"2\"></td></tr></tfoot>\n</table>",
        number(total)
    );
}

fn suppressed_section(out: &mut String, analysis: &AnalysisDocument) {
    let rows: Vec<&EntityReport> = analysis.entities.iter().filter(|e| e.suppressed).collect();
    let _ = writeln!(
        out,
        "<section id=\"suppressed\">\n<h2>Suppressed entities ({})</h2>",
        rows.len()
    );
    if rows.is_empty() {
        out.push_str("<p>Nothing is suppressed.</p>\n</section>\n");
        return;
    }
    out.push_str(
        "<p class=\"hint\">Their alerts are held back: they are explained by the root causes \
         listed, or by planned maintenance.</p>\n<table>\n<thead><tr><th>Entity</th>\
         <th>Status</th><th>Explained by</th><th>Reasons</th></tr></thead>\n<tbody>\n",
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr data-entity=\"{}\"><td><code>",
            html(r.id.as_str())
        );
        html_into(out, r.id.as_str());
        out.push_str("</code></td><td>");
        status_span(out, r.status);
        out.push_str("</td><td>");
        id_list(out, &r.explained_by);
        out.push_str("</td><td>");
        if r.reasons.is_empty() {
            out.push('—');
        }
        lines_into(out, &r.reasons);
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// Appends `lines`, HTML-escaped, one per line (`<br>` between them).
fn lines_into(out: &mut String, lines: &[String]) {
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push_str("<br>");
        }
        html_into(out, line);
    }
}

fn redundancy_section(out: &mut String, analysis: &AnalysisDocument) {
    let rows: Vec<&EntityReport> = analysis
        .entities
        .iter()
        .filter(|e| !e.redundancy_lost.is_empty())
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"redundancy\">\n<h2>Redundancy lost ({})</h2>\n<p class=\"hint\">Still \
         working, but one more failure away from an outage.</p>\n<table>\n<thead><tr>\
         <th>Entity</th><th>Status</th><th>Groups that lost redundancy</th></tr></thead>\n<tbody>",
        rows.len()
    );
    for r in rows {
        let _ = write!(
            out,
            "<tr data-entity=\"{}\"><td><code>",
            html(r.id.as_str())
        );
        html_into(out, r.id.as_str());
        out.push_str("</code></td><td>");
        status_span(out, r.status);
        out.push_str("</td><td>");
        lines_into(out, &r.redundancy_lost);
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn timeline_section(out: &mut String, options: &ReportOptions) {
    out.push_str("<section id=\"timeline\">\n<h2>Timeline</h2>\n");
    if options.timeline.is_empty() {
        out.push_str("<p class=\"note\">No timeline was recorded.</p>\n</section>\n");
        return;
    }
    out.push_str("<ol class=\"timeline\">\n");
    for entry in &options.timeline {
        let _ = write!(out, "<li>{}", time(&entry.at));
        html_into(out, &entry.text);
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n</section>\n");
}

fn entities_section(
    out: &mut String,
    topology: &Topology,
    analysis: &AnalysisDocument,
    view: &View<'_>,
) {
    let _ = writeln!(
        out,
        "<section id=\"entities\">\n<h2>All entities</h2>\n<details>\n<summary>{} entities \
         with their status</summary>\n<table>\n<thead><tr><th>Entity</th><th>Kind</th>\
         <th>Status</th><th>Root cause</th></tr></thead>\n<tbody>",
        analysis.entities.len()
    );
    for r in &analysis.entities {
        let id = r.id.as_str();
        let _ = write!(out, "<tr><td><code>");
        html_into(out, id);
        out.push_str("</code></td><td>");
        match topology.entity(id) {
            Some(e) => {
                out.push_str(e.kind.as_str());
                if let Some(role) = e.role {
                    let _ = write!(out, " ({})", role.as_str());
                }
            }
            None => out.push_str("not in the topology"),
        }
        out.push_str("</td><td>");
        status_span(out, r.status);
        out.push_str("</td><td>");
        match view.cause(id) {
            Some(c) => {
                let _ = write!(
                    out,
                    "<a href=\"#incident-{}\">{} (incident #{})</a>",
                    c.incident + 1,
                    c.label(),
                    c.incident + 1
                );
            }
            None => out.push('—'),
        }
        out.push_str("</td></tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</details>\n</section>\n");
}
