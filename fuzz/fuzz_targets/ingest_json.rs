//! Arbitrary bytes as an ingest batch: parsing never panics, and every accepted batch
//! re-serializes to a document that parses to the same batch.
#![no_main]

use ispvm_schemas::ingest::IngestBatch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(batch) = IngestBatch::parse(data) {
        let json = batch.to_json();
        let again = IngestBatch::parse(json.as_bytes()).expect("a serialized batch parses again");
        assert_eq!(batch, again);
    }
});
