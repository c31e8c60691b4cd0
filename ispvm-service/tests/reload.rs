//! A reload syncs the collector: new routers start, removed ones stop, changed ones restart,
//! the others keep their schedule.

use std::time::Duration;

use ispvm_service::Agent;

fn config(routers: &[(&str, u16)]) -> String {
    let mut s = String::from(
        "[polling]\nfast_seconds = 1\ntimeout_seconds = 1\n\n[[tenants]]\nid = \"acme\"\n\n",
    );
    for (id, port) in routers {
        s.push_str(&format!(
            "[[tenants.routers]]\nid = \"{id}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"ro\"\npassword_file = \"pw\"\n\n"
        ));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_adds_removes_and_restarts_only_what_changed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("pw"), "pw\n").unwrap();
    let file = d.path().join("agent.toml");
    std::fs::write(&file, config(&[("r1", 9), ("r2", 9), ("r3", 9)])).unwrap();
    let agent = Agent::start_from_config(&file).await.unwrap();
    let h = agent.tenant(&"acme".parse().unwrap()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), h.changed())
        .await
        .unwrap()
        .unwrap();
    // The same file: nothing restarts.
    let same = agent.reload().await.unwrap();
    assert!(
        same.contains("routers: 0 added, 0 changed, 0 removed, 3 unchanged"),
        "{same}"
    );
    // r1 moves to another port, r2 goes, r4 comes, r3 stays.
    std::fs::write(&file, config(&[("r1", 10), ("r3", 9), ("r4", 9)])).unwrap();
    let changed = agent.reload().await.unwrap();
    assert!(
        changed.contains("routers: 1 added, 1 changed, 1 removed, 1 unchanged"),
        "{changed}"
    );
    let polled: Vec<String> = h
        .poll_stats()
        .into_iter()
        .map(|(k, _)| k.target.to_string())
        .collect();
    assert_eq!(polled, ["r1", "r3", "r4"]);
    // A password change restarts the router too (its revision changed).
    std::fs::write(d.path().join("pw"), "other\n").unwrap();
    let pw = agent.reload().await.unwrap();
    assert!(
        pw.contains("routers: 0 added, 3 changed, 0 removed, 0 unchanged"),
        "{pw}"
    );
    // A broken file changes nothing.
    std::fs::write(&file, "[[tenants]]\nid = \"acme\"\nrouters = 5\n").unwrap();
    assert!(agent.reload().await.is_err());
    assert_eq!(h.poll_stats().len(), 3);
    agent.shutdown().await;
}
