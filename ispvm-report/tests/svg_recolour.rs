//! A live page recolours the SVG by changing classes only: loads the drawing and
//! `svg::STYLE` in headless Chromium, swaps a node's and an edge's `status-*` class from a
//! script, and checks the computed colours before and after.
//!
//! Needs the Debian package `chromium` (see `report_html.rs`); without it the test fails when
//! `CI=true` and otherwise prints why and passes.

use ispvm_model::{
    DependencyGroup, Entity, EntityKind, EntityReport, EntityStatus, GroupMode, TopologyBuilder,
};
use ispvm_report::SvgOptions;
use ispvm_schemas::analysis::AnalysisDocument;

#[path = "support/chromium.rs"]
mod chromium;

const SCRIPT: &str = r#"
document.addEventListener('DOMContentLoaded', function () {
  var node = document.querySelector('[data-entity="agg1"]');
  var edge = document.querySelector('[data-from="agg1"][data-to="acc1"]');
  var rect = node.querySelector('rect');
  function look() {
    return getComputedStyle(rect).fill + '|' + getComputedStyle(rect).stroke + '|' +
      getComputedStyle(edge).stroke;
  }
  document.body.setAttribute('data-before', look());
  node.classList.replace('status-up', 'status-down');
  node.querySelector('.status-text').textContent = 'down';
  edge.classList.replace('status-up', 'status-down');
  document.body.setAttribute('data-after', look());
});
"#;

#[test]
fn changing_the_status_class_recolours_without_relayout() {
    let id = |s: &str| s.parse::<ispvm_model::EntityId>().unwrap();
    let mut b = TopologyBuilder::new("t".parse().unwrap());
    b.add_entity(Entity::new(id("agg1"), EntityKind::Device).with_site("pop-a"));
    b.add_entity(Entity::new(id("acc1"), EntityKind::Device).with_site("pop-a"));
    b.add_group(DependencyGroup::new(
        id("acc1"),
        GroupMode::All,
        vec![id("agg1")],
    ));
    let topology = b.build().unwrap();
    let analysis = AnalysisDocument::new(
        "t".parse().unwrap(),
        "2026-01-01T00:00:00Z".parse().unwrap(),
        vec![
            EntityReport::new(id("agg1"), EntityStatus::Up),
            EntityReport::new(id("acc1"), EntityStatus::Up),
        ],
        vec![],
    );
    let svg = ispvm_report::svg(&topology, &analysis, &SvgOptions::default());
    let page = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><style>{}</style></head><body>\
         {svg}<script>{SCRIPT}</script></body></html>\n",
        ispvm_report::svg::STYLE
    );

    let Some(binary) = chromium::find() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.html");
    std::fs::write(&path, page).unwrap();
    let dom = chromium::dump_dom(&binary, dir.path(), &path);
    // up: fill #d7f0d8, stroke #2e7d32; edge #607d8b.
    assert!(
        dom.contains("data-before=\"rgb(215, 240, 216)|rgb(46, 125, 50)|rgb(96, 125, 139)\""),
        "{dom}"
    );
    // down: fill #f8c4c4, stroke #c62828; edge leaving a down entity #c62828.
    assert!(
        dom.contains("data-after=\"rgb(248, 196, 196)|rgb(198, 40, 40)|rgb(198, 40, 40)\""),
        "{dom}"
    );
    assert!(dom.contains("<tspan class=\"status-text\">down</tspan>"));
}
