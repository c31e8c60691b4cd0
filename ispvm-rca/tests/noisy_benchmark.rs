//! The noisy benchmark (`examples/noisy_benchmark.rs`) as a test: with the seed and size of
//! `docs/research/noisy-benchmark.md` it reproduces the published numbers, and they meet the
//! targets (confidence AUC >= 0.95, paged precision and recall >= 0.9, Brier better than a
//! constant and better still after 50 labelled incidents).

#[allow(dead_code)]
#[path = "../examples/noisy_benchmark.rs"]
mod bench;

use bench::{Noise, auc, brier, brier_constant, ratio, run, train};
use chrono::Duration;
use ispvm_rca::EngineConfig;

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[test]
fn the_published_numbers_and_the_targets() {
    let noise = Noise {
        missed: 0.10,
        false_down: 0.02,
        vp_isolation: 0.0,
    };
    let config = EngineConfig::builder()
        .poll_interval(Some(Duration::seconds(60)))
        .build();
    let (eng, naive, _) = run(16, 400, noise, &config);
    assert_eq!((eng.visible, eng.incidents, eng.causes), (775, 1097, 1343));
    let paged_precision = ratio(eng.paged_right, eng.paged);
    let paged_recall = ratio(eng.visible_paged, eng.visible);
    let (a, b, b0) = (
        auc(&eng.scored),
        brier(&eng.scored),
        brier_constant(&eng.scored),
    );
    assert_eq!(
        (eng.paged, r3(paged_precision), r3(paged_recall), r3(a)),
        (735, 0.921, 0.951, 0.975)
    );
    assert_eq!(
        (format!("{b:.4}"), format!("{b0:.4}")),
        ("0.0994".into(), "0.2470".into())
    );
    assert_eq!(r3(ratio(naive.paged_right, naive.paged)), 0.504);
    assert!(a >= 0.95 && paged_precision >= 0.9 && paged_recall >= 0.9 && b < b0);
    let trained = train(16 ^ 0x5EED, 50, noise, &config);
    let (after, _, _) = run(16, 400, noise, &trained);
    let b50 = brier(&after.scored);
    assert_eq!(format!("{b50:.4}"), "0.0856");
    assert!(b50 < b);
}
