//! Scenarios on restarts: a run created with a copied journal prefix and
//! a link to its origin, in one write.

use std::sync::Arc;

use super::{T0, create, entry, new_run, write};
use crate::journal::{
    EntryKind, RestartOrigin, StateEffect, StateKey, Storage, StoreError, WriteOp, WriteOutcome,
};

fn origin(run_id: &str) -> RestartOrigin {
    RestartOrigin {
        run_id: run_id.to_string(),
        seq: 2,
        clock_origin: T0 - 5,
    }
}

pub async fn a_restart_creates_the_run_with_its_prefix_state_and_link(s: Arc<dyn Storage>) {
    create(&s, "old", None).await;
    let mut set = entry(1, EntryKind::StateSet, "run:k", 0);
    set.effect = Some(StateEffect::Set {
        key: StateKey::Run {
            run_id: "new".into(),
            key: "k".into(),
        },
        value: "\"v\"".into(),
    });
    let op = WriteOp::Restart {
        run: Box::new(new_run("new", None, None)),
        origin: origin("old"),
        entries: vec![entry(0, EntryKind::Step, "a", 0), set],
    };
    assert_eq!(
        write(&s, op).await.unwrap(),
        WriteOutcome::Created {
            run_id: "new".into(),
            existing: false
        }
    );
    let run = s.run("new").await.unwrap().expect("the new run");
    assert_eq!(run.restarted_from, Some(origin("old")));
    let journal = s.journal("new").await.unwrap();
    let kinds: Vec<EntryKind> = journal.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [EntryKind::Step, EntryKind::StateSet]);
    assert_eq!(
        s.run_state("new").await.unwrap(),
        vec![("k".to_string(), "\"v\"".to_string())]
    );
    assert_eq!(s.run("old").await.unwrap().unwrap().restarted_from, None);
}

pub async fn a_restart_of_an_unknown_run_creates_nothing(s: Arc<dyn Storage>) {
    let op = WriteOp::Restart {
        run: Box::new(new_run("new", None, None)),
        origin: origin("ghost"),
        entries: vec![entry(0, EntryKind::Step, "a", 0)],
    };
    let err = write(&s, op).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
    assert_eq!(s.run("new").await.unwrap(), None);
    assert!(s.journal("new").await.unwrap().is_empty());
}
