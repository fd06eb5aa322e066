//! Appends to one run's journal from several writers at once: the body and
//! the steps it spawned.
//!
//! A journal entry's `seq` is its position in the run's journal. The
//! activation's writers share one [`Appender`], which assigns the next seq
//! and queues the write under one lock, so seq order is queue order, and
//! queue order is commit order (the writer thread applies writes in the
//! order they were queued). Each writer keeps its own list of writes not
//! yet durable and waits on those alone (`BodyCx::barrier` for the body).

use std::sync::{Arc, Mutex};

use crate::journal::{
    JournalEntry, NewEntry, NewEvent, PendingWrite, StateEffect, Storage, WriteOp,
};

/// The journal of one run, as this activation appends to it.
pub struct Appender {
    store: Arc<dyn Storage>,
    run_id: String,
    owner: String,
    next_seq: Mutex<u32>,
}

impl Appender {
    /// Appends to `run_id` as `owner`, from `next_seq` on.
    pub fn new(store: Arc<dyn Storage>, run_id: String, owner: String, next_seq: u32) -> Appender {
        Appender {
            store,
            run_id,
            owner,
            next_seq: Mutex::new(next_seq),
        }
    }

    /// Gives `entry` the next seq and queues it, with `events`, as one
    /// write fenced on the owner. Returns the entry as written and the
    /// write to wait on.
    pub fn append(
        &self,
        mut entry: JournalEntry,
        effect: Option<StateEffect>,
        events: Vec<NewEvent>,
    ) -> (JournalEntry, PendingWrite) {
        let mut next = self.next_seq.lock().expect("journal seq");
        entry.seq = *next;
        *next += 1;
        let write = self.store.write(WriteOp::Append {
            run_id: self.run_id.clone(),
            owner: self.owner.clone(),
            entries: vec![NewEntry {
                entry: entry.clone(),
                effect,
            }],
            events,
        });
        (entry, write)
    }

    /// Queues events alone: not fenced (they describe, they do not
    /// decide), so they are written even for a run cancelled meanwhile.
    pub fn events(&self, events: Vec<NewEvent>) -> PendingWrite {
        self.store.write(WriteOp::Events {
            run_id: self.run_id.clone(),
            events,
        })
    }
}
