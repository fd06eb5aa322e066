//! The conformance suite of the [`Storage`] trait: scenarios written once
//! against `Arc<dyn Storage>`, which every backend must pass.
//!
//! Each scenario is an `async fn(Arc<dyn Storage>)` that panics on the
//! first outcome or read that breaks the rules `WriteOp` documents.
//! [`storage_conformance!`](crate::storage_conformance) makes one `#[test]`
//! of each, so a backend runs them all with one line in a test module:
//!
//! ```ignore
//! cairn::storage_conformance!(|dir: &std::path::Path| open_my_backend(dir));
//! ```
//!
//! The opener gets an empty directory of the test's own and returns a
//! fresh, empty store. `runs.rs` holds the scenarios on runs and their
//! journals, `human.rs` those on answers and signals, `versions.rs` those
//! on deployed versions, `deliveries.rs` those on webhook deliveries and
//! schedule ticks, `ops.rs` those of operations (run counts),
//! `restart.rs` those on restarted runs, `differential.rs` random op
//! sequences checked
//! against a model of the rules.

pub mod deliveries;
pub mod differential;
pub mod human;
pub mod ops;
pub mod restart;
pub mod runs;
pub mod versions;

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use super::{
    EntryKind, JournalEntry, NewEntry, NewRun, Storage, StoreError, UnixMs, WriteOp, WriteOutcome,
};

/// Makes one `#[test]` per conformance scenario, each on a store from
/// `$open` (a `fn(&Path) -> Arc<dyn Storage>`, or a closure of that type).
#[macro_export]
macro_rules! storage_conformance {
    (@each $open:expr; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::journal::conformance::run(
                    $open,
                    $crate::journal::conformance::$module::$name,
                );
            }
        )*
    };
    ($open:expr) => {
        $crate::storage_conformance!(@each $open;
            runs::create_is_idempotent_by_key,
            runs::claim_takes_a_run_from_its_expected_owner_only,
            runs::of_two_racing_claims_one_wins,
            runs::append_is_fenced_on_the_owner,
            runs::append_is_fenced_after_cancel,
            runs::cancel_reports_the_previous_status,
            runs::journal_pages_by_seq,
            runs::events_are_read_after_an_id,
            human::of_two_racing_answers_one_wins,
            human::an_answer_needs_a_waiting_unowned_run_and_its_prompt,
            human::signals_are_taken_oldest_first_and_once,
            human::a_signal_is_refused_once_the_run_ended,
            versions::deploy_activates_and_reports_new_bytes,
            versions::gc_removes_versions_nothing_holds,
            deliveries::a_delivery_starts_its_runs_once_and_the_latest_is_read,
            ops::run_counts_group_by_workflow_and_status,
            restart::a_restart_creates_the_run_with_its_prefix_state_and_link,
            restart::a_restart_of_an_unknown_run_creates_nothing,
            differential::random_ops_agree_with_the_model,
        );
    };
}

/// Runs one scenario on a store `open` makes in a temporary directory,
/// on a runtime of its own.
pub fn run<O, S, F>(open: O, scenario: S)
where
    O: FnOnce(&Path) -> Arc<dyn Storage>,
    S: FnOnce(Arc<dyn Storage>) -> F,
    F: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(dir.path());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(scenario(store));
}

/// The time every fixture is written at.
pub const T0: UnixMs = 1_000_000;

/// A run of workflow `wf` on version `v1`, pending or owned by `owner`.
pub fn new_run(id: &str, owner: Option<&str>, key: Option<&str>) -> NewRun {
    NewRun {
        id: id.to_string(),
        workflow: "wf".to_string(),
        version: "v1".to_string(),
        input: "{}".to_string(),
        session_id: None,
        created_at: T0,
        seed: 7,
        owner: owner.map(String::from),
        idempotency_key: key.map(String::from),
    }
}

/// A journal entry without a state effect.
pub fn entry(seq: u32, kind: EntryKind, name: &str, occurrence: u32) -> NewEntry {
    NewEntry {
        entry: JournalEntry {
            seq,
            kind,
            name: name.to_string(),
            occurrence,
            input_hash: None,
            ok: true,
            value: Some(format!("{{\"seq\":{seq}}}")),
            created_at: T0 + i64::from(seq),
        },
        effect: None,
    }
}

/// Applies `op` and waits for its outcome.
pub async fn write(s: &Arc<dyn Storage>, op: WriteOp) -> Result<WriteOutcome, StoreError> {
    s.write(op).await
}

/// Creates run `id` owned by `owner` (running) or by nobody (pending).
pub async fn create(s: &Arc<dyn Storage>, id: &str, owner: Option<&str>) {
    let out = write(s, WriteOp::CreateRun(new_run(id, owner, None))).await;
    assert_eq!(
        out.expect("create"),
        WriteOutcome::Created {
            run_id: id.to_string(),
            existing: false
        }
    );
}

/// Appends `entries` as `owner`.
pub fn append(run_id: &str, owner: &str, entries: Vec<NewEntry>) -> WriteOp {
    WriteOp::Append {
        run_id: run_id.to_string(),
        owner: owner.to_string(),
        entries,
        events: Vec::new(),
    }
}

/// Claims `run_id` for `owner` if `expected` holds it.
pub fn claim(run_id: &str, owner: &str, expected: Option<&str>) -> WriteOp {
    WriteOp::Claim {
        run_id: run_id.to_string(),
        owner: owner.to_string(),
        expected_owner: expected.map(String::from),
    }
}

/// Cancels `run_id`.
pub fn cancel(run_id: &str) -> WriteOp {
    WriteOp::Cancel {
        run_id: run_id.to_string(),
        at: T0 + 500,
    }
}
