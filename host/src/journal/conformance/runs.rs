//! Conformance scenarios on runs and their journals: creation, claims,
//! fencing, cancel, journal paging and events.

use std::sync::Arc;

use super::{T0, append, cancel, claim, create, entry, new_run, write};
use crate::journal::{
    EntryKind, EventKind, NewEvent, RunStatus, Storage, StoreError, WriteOp, WriteOutcome,
};

/// A second create with the same idempotency key answers with the first
/// run and writes nothing; a run created with an owner is running.
pub async fn create_is_idempotent_by_key(s: Arc<dyn Storage>) {
    let first = write(&s, WriteOp::CreateRun(new_run("a", None, Some("k")))).await;
    let again = write(&s, WriteOp::CreateRun(new_run("b", None, Some("k")))).await;
    assert_eq!(
        first.unwrap(),
        WriteOutcome::Created {
            run_id: "a".into(),
            existing: false
        }
    );
    assert_eq!(
        again.unwrap(),
        WriteOutcome::Created {
            run_id: "a".into(),
            existing: true
        }
    );
    assert!(
        s.run("b").await.unwrap().is_none(),
        "the second run is not written"
    );
    let a = s.run("a").await.unwrap().expect("run a");
    assert_eq!(
        (a.status, a.owner, a.activations),
        (RunStatus::Pending, None, 0)
    );
    assert_eq!((a.workflow.as_str(), a.seed, a.created_at), ("wf", 7, T0));
    create(&s, "c", Some("w1")).await;
    let c = s.run("c").await.unwrap().expect("run c");
    assert_eq!(c.status, RunStatus::Running);
    assert_eq!((c.owner.as_deref(), c.activations), (Some("w1"), 1));
    assert_eq!(s.list_runs(&Default::default()).await.unwrap().len(), 2);
}

/// A claim succeeds only while the run's owner is the expected one, counts
/// an activation, and never takes a run that ended.
pub async fn claim_takes_a_run_from_its_expected_owner_only(s: Arc<dyn Storage>) {
    create(&s, "r", None).await;
    let WriteOutcome::Claimed(Some(r)) = write(&s, claim("r", "w1", None)).await.unwrap() else {
        panic!("the first claim takes the run");
    };
    assert_eq!(
        (r.status, r.owner.as_deref()),
        (RunStatus::Running, Some("w1"))
    );
    assert_eq!(r.activations, 1);
    let out = write(&s, claim("r", "w2", None)).await.unwrap();
    assert_eq!(out, WriteOutcome::Claimed(None), "w1 holds it");
    let WriteOutcome::Claimed(Some(r)) = write(&s, claim("r", "w2", Some("w1"))).await.unwrap()
    else {
        panic!("a claim from the expected owner takes the run");
    };
    assert_eq!((r.owner.as_deref(), r.activations), (Some("w2"), 2));
    assert_eq!(s.owned_by("w2").await.unwrap(), vec!["r".to_string()]);
    write(&s, cancel("r")).await.unwrap();
    let out = write(&s, claim("r", "w3", Some("w2"))).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Claimed(None),
        "an ended run is not claimed"
    );
}

/// Two claims queued together for an unowned run: exactly one wins.
pub async fn of_two_racing_claims_one_wins(s: Arc<dyn Storage>) {
    create(&s, "r", None).await;
    let a = s.write(claim("r", "w1", None));
    let b = s.write(claim("r", "w2", None));
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let won: Vec<_> = [a, b]
        .into_iter()
        .filter_map(|o| match o {
            WriteOutcome::Claimed(r) => r,
            other => panic!("a claim answered {other:?}"),
        })
        .collect();
    assert_eq!(won.len(), 1, "one claim wins");
    let run = s.run("r").await.unwrap().unwrap();
    assert_eq!(run.owner, won[0].owner);
    assert_eq!(run.activations, 1);
}

/// Once another worker has claimed a run, the first one's appends and
/// status changes are refused with `LeaseLost` and write nothing.
pub async fn append_is_fenced_on_the_owner(s: Arc<dyn Storage>) {
    create(&s, "r", Some("w1")).await;
    let e0 = entry(0, EntryKind::Step, "a", 0);
    write(&s, append("r", "w1", vec![e0.clone()]))
        .await
        .unwrap();
    write(&s, claim("r", "w2", Some("w1"))).await.unwrap();
    let late = write(
        &s,
        append("r", "w1", vec![entry(1, EntryKind::Step, "b", 0)]),
    )
    .await;
    assert!(
        matches!(late, Err(StoreError::LeaseLost { .. })),
        "{late:?}"
    );
    let status = write(
        &s,
        WriteOp::SetStatus {
            run_id: "r".into(),
            owner: "w1".into(),
            status: RunStatus::Completed,
            output: Some("1".into()),
            error: None,
            wake_at: None,
            release: true,
            events: Vec::new(),
        },
    )
    .await;
    assert!(
        matches!(status, Err(StoreError::LeaseLost { .. })),
        "{status:?}"
    );
    assert_eq!(s.journal("r").await.unwrap(), vec![e0.entry]);
    assert_eq!(
        s.run("r").await.unwrap().unwrap().status,
        RunStatus::Running
    );
    let missing = write(&s, append("nope", "w1", Vec::new())).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
    write(
        &s,
        append("r", "w2", vec![entry(1, EntryKind::Step, "b", 0)]),
    )
    .await
    .expect("the new owner appends");
    assert_eq!(s.journal("r").await.unwrap().len(), 2);
}

/// The owner of a cancelled run can no longer append to it.
pub async fn append_is_fenced_after_cancel(s: Arc<dyn Storage>) {
    create(&s, "r", Some("w1")).await;
    write(&s, cancel("r")).await.unwrap();
    let late = write(
        &s,
        append("r", "w1", vec![entry(0, EntryKind::Step, "a", 0)]),
    )
    .await;
    assert!(
        matches!(late, Err(StoreError::LeaseLost { .. })),
        "{late:?}"
    );
    assert!(s.journal("r").await.unwrap().is_empty());
    assert_eq!(
        s.cancelled_owned("w1").await.unwrap(),
        vec!["r".to_string()]
    );
}

/// Cancel says what the run was; it ends a run once and leaves an ended
/// one as it was.
pub async fn cancel_reports_the_previous_status(s: Arc<dyn Storage>) {
    create(&s, "r", None).await;
    let out = write(&s, cancel("r")).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Cancelled {
            previous: RunStatus::Pending
        }
    );
    let r = s.run("r").await.unwrap().unwrap();
    assert_eq!(r.status, RunStatus::Cancelled);
    assert_eq!(r.error.map(|e| e.code).as_deref(), Some("cancelled"));
    let out = write(&s, cancel("r")).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Cancelled {
            previous: RunStatus::Cancelled
        }
    );
    create(&s, "done", Some("w1")).await;
    write(
        &s,
        WriteOp::SetStatus {
            run_id: "done".into(),
            owner: "w1".into(),
            status: RunStatus::Completed,
            output: Some("42".into()),
            error: None,
            wake_at: None,
            release: true,
            events: Vec::new(),
        },
    )
    .await
    .unwrap();
    let out = write(&s, cancel("done")).await.unwrap();
    assert_eq!(
        out,
        WriteOutcome::Cancelled {
            previous: RunStatus::Completed
        }
    );
    let done = s.run("done").await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.output.as_deref()),
        (RunStatus::Completed, Some("42"))
    );
    assert_eq!(done.owner, None, "release gives the run up");
    let missing = write(&s, cancel("nope")).await;
    assert!(
        matches!(missing, Err(StoreError::NotFound(_))),
        "{missing:?}"
    );
}

/// `journal_page` returns at most `limit` entries after a seq, in order,
/// and the pages put together are the journal.
pub async fn journal_pages_by_seq(s: Arc<dyn Storage>) {
    create(&s, "r", Some("w1")).await;
    let entries: Vec<_> = (0..5).map(|i| entry(i, EntryKind::Step, "s", i)).collect();
    write(&s, append("r", "w1", entries.clone())).await.unwrap();
    let seqs = |page: Vec<crate::journal::JournalEntry>| -> Vec<u32> {
        page.into_iter().map(|e| e.seq).collect()
    };
    assert_eq!(
        seqs(s.journal_page("r", None, 2).await.unwrap()),
        vec![0, 1]
    );
    assert_eq!(
        seqs(s.journal_page("r", Some(1), 2).await.unwrap()),
        vec![2, 3]
    );
    assert_eq!(
        seqs(s.journal_page("r", Some(3), 10).await.unwrap()),
        vec![4]
    );
    assert!(s.journal_page("r", Some(4), 10).await.unwrap().is_empty());
    let all: Vec<_> = entries.into_iter().map(|e| e.entry).collect();
    assert_eq!(s.journal("r").await.unwrap(), all);
}

/// `events(run, id)` returns the run's events with a greater id, oldest
/// first; ids grow.
pub async fn events_are_read_after_an_id(s: Arc<dyn Storage>) {
    create(&s, "r", None).await;
    create(&s, "other", None).await;
    let before = s.events("r", 0).await.unwrap();
    let last = before.last().expect("creating a run records its status").id;
    let event = |kind: EventKind, n: i64| NewEvent {
        at: T0 + n,
        kind,
        data: serde_json::json!({ "n": n }),
    };
    let events = |run: &str, list: Vec<NewEvent>| WriteOp::Events {
        run_id: run.to_string(),
        events: list,
    };
    write(
        &s,
        events(
            "r",
            vec![event(EventKind::Log, 1), event(EventKind::Emit, 2)],
        ),
    )
    .await
    .unwrap();
    write(&s, events("other", vec![event(EventKind::Log, 3)]))
        .await
        .unwrap();
    let after = s.events("r", last).await.unwrap();
    let kinds: Vec<_> = after.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EventKind::Log, EventKind::Emit]);
    assert!(after[0].id > last && after[1].id > after[0].id);
    assert_eq!(after[1].data, serde_json::json!({ "n": 2 }));
    assert!(s.events("r", after[1].id).await.unwrap().is_empty());
}
