//! Ingest + snapshot for a 10k-entity topology.
fn main() {}
