//! Arbitrary bytes through the FreeRADIUS detail importer (`ispvm_pppoe::accounting`).
//!
//! - Never panics, and always ends (the iterator is fused after the end).
//! - Bounded: the importer's buffers stay within a few times the line limit, and it yields at
//!   most one item per line plus one.
//! - Errors carry a line number within the input; under the default (aggregate) privacy no
//!   record carries a subscriber id, and with opt-in every record with a `User-Name` is hashed.
#![no_main]

use ispvm_pppoe::accounting::{DetailLimits, DetailReader};
use ispvm_pppoe::privacy::{Privacy, SubscriberHasher, SubscriberSecret};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DetailLimits::default();
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;

    let mut reader = DetailReader::with_limits(data, Privacy::Aggregate, limits);
    let mut items = 0u64;
    while let Some(item) = reader.next() {
        items += 1;
        match item {
            Ok(r) => {
                assert!(r.subscriber.is_none());
                assert!(r.line >= 1 && r.line <= lines);
            }
            Err(e) => assert!(e.line <= lines, "{e} beyond {lines} lines"),
        }
        assert!(reader.buffered_bytes() <= 4 * limits.max_line_len + 1024);
    }
    assert!(items <= lines + 1, "{items} items from {lines} lines");
    assert!(reader.next().is_none());

    // Opted in: the same records, hashed.
    let secret = SubscriberSecret::from_hex("00112233445566778899aabbccddeeff").expect("hex");
    let hasher = SubscriberHasher::new("fuzz".parse().expect("tenant"), &secret);
    let hashed: Vec<_> = DetailReader::with_limits(data, Privacy::Subscriber(hasher), limits)
        .filter_map(Result::ok)
        .collect();
    let plain: Vec<_> = DetailReader::with_limits(data, Privacy::Aggregate, limits)
        .filter_map(Result::ok)
        .collect();
    assert_eq!(hashed.len(), plain.len());
});
