//! Unit tests of the pipeline's rules and bookkeeping, with exact outputs.
use super::*;

#[test]
fn a_pipeline_is_send_and_sync() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Pipeline>();
    check::<Snapshot>();
    check::<PipelineError>();
    check::<FeedbackError>();
}
