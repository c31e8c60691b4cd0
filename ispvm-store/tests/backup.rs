//! Online backup of the embedded database and restore into a fresh file.

mod common;

use common::{analysis, incident, t, tenant};
use ispvm_model::CauseRole;
use ispvm_store::{StateFilter, Store, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_restores_the_same_incidents() {
    let h = common::sqlite().await;
    let ten = tenant("isp-a");
    let a = incident(
        "inc-a",
        "2026-03-14T09:05:00Z",
        &[("agg2", CauseRole::Primary)],
        &["acc1"],
        4,
    );
    let b = incident(
        "inc-b",
        "2026-03-14T09:06:00Z",
        &[("agg1", CauseRole::Primary)],
        &[],
        0,
    );
    h.store
        .apply_analysis(
            &ten,
            &analysis(&ten, "2026-03-14T09:06:00Z", vec![a.clone(), b]),
        )
        .await
        .unwrap();
    h.store
        .apply_analysis(&ten, &analysis(&ten, "2026-03-14T09:07:00Z", vec![a]))
        .await
        .unwrap();
    h.store
        .set_feedback(
            &ten,
            "inc-a",
            &"agg2".parse().unwrap(),
            t("2026-03-14T09:08:00Z"),
            "alice",
        )
        .await
        .unwrap();
    h.store
        .save_weights(
            &ten,
            &[("ospf_down".into(), 2.0)],
            t("2026-03-14T09:08:00Z"),
        )
        .await
        .unwrap();

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("ispvm.sqlite");
    h.store.backup_sqlite_to(&file).await.unwrap();
    // The store stays usable, and a second backup to the same file is refused.
    assert!(matches!(
        h.store.backup_sqlite_to(&file).await,
        Err(StoreError::Invalid(_))
    ));

    // Restore: the backup file becomes the data directory's database.
    let restored = Store::open_data_dir(backups.path()).await.unwrap();
    assert_eq!(restored.check_integrity().await.unwrap(), ["ok"]);
    for state in [StateFilter::Open, StateFilter::Closed, StateFilter::All] {
        assert_eq!(
            restored.incidents(&ten, state).await.unwrap(),
            h.store.incidents(&ten, state).await.unwrap()
        );
    }
    assert_eq!(
        restored.weights(&ten).await.unwrap(),
        h.store.weights(&ten).await.unwrap()
    );
    assert_eq!(
        restored.audit_log(&ten, 10).await.unwrap(),
        h.store.audit_log(&ten, 10).await.unwrap()
    );
}
