//! Property tests of the confidence formula ([`Confidence::combine`]): corroboration by
//! independent sources raises it, repeated reports of one source do not, counter-evidence lowers
//! it, and it always stays in `[0.01, 0.99]`.

use ispvm_model::Confidence;
use proptest::prelude::*;

/// A supporting item: (source number, weight).
fn arb_items() -> impl Strategy<Value = Vec<(u8, f64)>> {
    prop::collection::vec((0u8..6, 0.0f64..60.0), 0..8)
}

fn arb_counter() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0f64..60.0, 0..4)
}

fn conf(items: &[(u8, f64)], counter: &[f64]) -> f64 {
    Confidence::combine(items.iter().copied(), counter.iter().copied(), 1.0).get()
}

proptest! {
    #[test]
    fn bounds_are_kept(items in arb_items(), counter in arb_counter(), factor in -2.0f64..3.0) {
        let c = Confidence::combine(items.iter().copied(), counter.iter().copied(), factor).get();
        prop_assert!((0.01..=0.99).contains(&c), "{c}");
    }

    #[test]
    fn independent_corroboration_never_lowers_and_raises_when_it_can(
        items in arb_items(), counter in arb_counter(), w in 1.0f64..60.0,
    ) {
        let before = conf(&items, &counter);
        let mut more = items.clone();
        more.push((200, w)); // a source no other item has
        let after = conf(&more, &counter);
        prop_assert!(after >= before, "{before} -> {after}");
        if counter.is_empty() && before < 0.9 {
            prop_assert!(after > before, "{before} -> {after}");
        }
    }

    #[test]
    fn repeated_reports_of_one_source_do_not_raise(
        items in arb_items().prop_filter("non-empty", |v| !v.is_empty()),
        counter in arb_counter(),
        pick in any::<prop::sample::Index>(),
        times in 1usize..5,
    ) {
        let before = conf(&items, &counter);
        let again = items[pick.index(items.len())];
        let mut more = items.clone();
        for _ in 0..times {
            more.push(again);
        }
        prop_assert_eq!(conf(&more, &counter), before);
        // A weaker repeat of the same source does not raise it either.
        more.push((again.0, again.1 / 2.0));
        prop_assert_eq!(conf(&more, &counter), before);
    }

    #[test]
    fn counter_evidence_lowers(items in arb_items(), counter in arb_counter(), v in 1.0f64..60.0) {
        let before = conf(&items, &counter);
        let mut more = counter.clone();
        more.push(v);
        let after = conf(&items, &more);
        prop_assert!(after <= before, "{before} -> {after}");
        if before >= 0.2 {
            prop_assert!(after < before, "{before} -> {after}");
        }
    }

    #[test]
    fn distinct_keys_without_counter_evidence_is_from_weights(
        ws in prop::collection::vec(0.0f64..60.0, 0..8), factor in 0.0f64..1.0,
    ) {
        let keyed = Confidence::combine(ws.iter().copied().enumerate(), [], factor);
        prop_assert_eq!(keyed, Confidence::from_weights(ws.iter().copied(), factor));
    }
}

#[test]
fn one_source_never_exceeds_the_single_signal_cap() {
    let c = Confidence::combine([("vp1", 1e12), ("vp1", 1e12)], [], 1.0).get();
    assert!(c <= Confidence::SINGLE_SIGNAL_CAP, "{c}");
    // Two sources that agree go beyond it.
    let c = Confidence::combine([("vp1", 1e12), ("vp2", 1e12)], [], 1.0).get();
    assert_eq!(c, 0.96);
    assert_eq!(
        Confidence::combine([("vp1", f64::NAN)], [f64::INFINITY], 1.0).get(),
        0.01
    );
}
