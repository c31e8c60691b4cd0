//! NetBox import from REST API pages (fixtures written from NetBox 4.x's serializer fields):
//! proposal, dry-run diff, apply, on both backends.

mod common;

use common::Harness;
use ispvm_model::GroupMode;
use ispvm_store::ImportMode;
use ispvm_store::netbox::{NetboxError, NetboxInventory};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/netbox/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn inventory() -> NetboxInventory {
    let mut inv = NetboxInventory::new();
    let next = inv
        .add_devices_page(&fixture("devices-page1.json"))
        .unwrap();
    assert_eq!(
        next.as_deref(),
        Some("https://netbox.example.net/api/dcim/devices/?limit=4&offset=4")
    );
    assert_eq!(
        inv.add_devices_page(&fixture("devices-page2.json"))
            .unwrap(),
        None
    );
    assert_eq!(
        inv.add_interfaces_page(&fixture("interfaces.json"))
            .unwrap(),
        None
    );
    assert_eq!(inv.add_cables_page(&fixture("cables.json")).unwrap(), None);
    inv
}

#[test]
fn proposal_maps_devices_cables_and_dual_homing() {
    let p = inventory().proposal();
    let entities: Vec<String> = p
        .entities
        .iter()
        .map(|e| {
            let mut s = format!("{} {}", e.id, e.kind);
            if let Some(r) = e.role {
                s.push_str(&format!(" {r}"));
            }
            if let Some(site) = &e.site {
                s.push_str(&format!(" @{site}"));
            }
            if let Some([a, b]) = &e.endpoints {
                s.push_str(&format!(" {a}<->{b}"));
            }
            s
        })
        .collect();
    assert_eq!(
        entities,
        [
            "core1 device core @POP North",
            "agg1 device aggregation @POP North",
            "agg2 device aggregation @POP South",
            "acc1 device access @POP North",
            "acc2 device access @POP South",
            "oob-sw1 device @POP North",
            "netbox-device-7 device access @POP South",
            "core1-agg1 link core1<->agg1",
            "core1-agg2 link core1<->agg2",
            "agg1-agg2 link agg1<->agg2",
            "acc1-agg1 link acc1<->agg1",
            "acc1-agg2 link acc1<->agg2",
            "acc2-agg1 link acc2<->agg1",
        ]
    );
    let groups: Vec<String> = p
        .groups
        .iter()
        .map(|g| format!("{}: {g}", g.dependent))
        .collect();
    assert_eq!(
        groups,
        [
            "acc1: any of [agg1, agg2]",
            "acc2: all of [agg1]",
            "agg1: all of [core1]",
            "agg2: all of [core1]"
        ]
    );
    assert_eq!(
        p.groups[0].mode,
        GroupMode::Any,
        "the dual-homed access switch"
    );
    assert_eq!(
        p.notes,
        [
            "device oob-sw1: role \"oob\" is not an ispvm role; no group proposed",
            "device 7 has no name: named netbox-device-7",
            "cable 207: status planned, skipped",
            "cable 208: not between two device interfaces, skipped",
        ]
    );
}

#[test]
fn malformed_pages_are_reported_with_their_place() {
    let mut inv = NetboxInventory::new();
    let err = inv
        .add_cables_page("{\"count\": 1, \"results\": [{\"id\": \"x\"}]}")
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetboxError::Json {
                what: "cables",
                line: 1,
                ..
            }
        ),
        "{err:?}"
    );
    let err = inv.add_devices_page("[]").unwrap_err();
    assert!(
        matches!(
            err,
            NetboxError::Json {
                what: "devices",
                ..
            }
        ),
        "{err:?}"
    );
}

both_backends!(dry_run_diff_then_apply);

async fn dry_run_diff_then_apply(h: Harness) {
    let s = &h.store;
    let ten = common::tenant("isp-nb");
    let p = inventory().proposal();
    let plan = s
        .plan_topology(
            &ten,
            p.entities.clone(),
            p.groups.clone(),
            ImportMode::Merge,
        )
        .await
        .unwrap();
    assert_eq!(
        plan.diff.to_string(),
        "\
+ entity acc1 (device, role access, site POP North)
+ entity acc1-agg1 (link, acc1 <-> agg1)
+ entity acc1-agg2 (link, acc1 <-> agg2)
+ entity acc2 (device, role access, site POP South)
+ entity acc2-agg1 (link, acc2 <-> agg1)
+ entity agg1 (device, role aggregation, site POP North)
+ entity agg1-agg2 (link, agg1 <-> agg2)
+ entity agg2 (device, role aggregation, site POP South)
+ entity core1 (device, role core, site POP North)
+ entity core1-agg1 (link, core1 <-> agg1)
+ entity core1-agg2 (link, core1 <-> agg2)
+ entity netbox-device-7 (device, role access, site POP South)
+ entity oob-sw1 (device, site POP North)
+ group acc1: any of [agg1, agg2]
+ group acc2: all of [agg1]
+ group agg1: all of [core1]
+ group agg2: all of [core1]
"
    );
    // The dry run wrote nothing.
    assert!(s.export_scenario(&ten).await.unwrap().entities.is_empty());
    s.apply_topology(&plan, "netbox-sync").await.unwrap();
    let doc = s.export_scenario(&ten).await.unwrap();
    assert_eq!(doc.entities.len(), 13);
    assert_eq!(doc.dependencies, p.groups);
    doc.into_scenario().unwrap();
    // Importing the same inventory again is a no-op.
    let again = s
        .plan_topology(&ten, p.entities, p.groups, ImportMode::Merge)
        .await
        .unwrap();
    assert!(again.diff.is_empty(), "{}", again.diff);
}
