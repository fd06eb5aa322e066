//! Conformance scenarios of what operators use: run counts for
//! `/metrics`.

use std::sync::Arc;

use super::{cancel, create, new_run, write};
use crate::journal::{RunCount, RunStatus, Storage, WriteOp};

/// Runs are counted per workflow and status, only the pairs that have any.
pub async fn run_counts_group_by_workflow_and_status(s: Arc<dyn Storage>) {
    assert_eq!(s.run_counts().await.unwrap(), Vec::new());
    create(&s, "a", None).await;
    create(&s, "b", None).await;
    create(&s, "c", Some("w1")).await;
    let mut other = new_run("d", None, None);
    other.workflow = "other".into();
    write(&s, WriteOp::CreateRun(other)).await.unwrap();
    write(&s, cancel("b")).await.unwrap();
    let count = |workflow: &str, status, count| RunCount {
        workflow: workflow.into(),
        status,
        count,
    };
    let mut counts = s.run_counts().await.unwrap();
    counts.sort_by(|x, y| (&x.workflow, x.status.as_str()).cmp(&(&y.workflow, y.status.as_str())));
    assert_eq!(
        counts,
        vec![
            count("other", RunStatus::Pending, 1),
            count("wf", RunStatus::Cancelled, 1),
            count("wf", RunStatus::Pending, 1),
            count("wf", RunStatus::Running, 1),
        ]
    );
}
