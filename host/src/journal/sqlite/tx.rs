//! [`Tx`] on SQLite: the primitives the lifecycle rules (`journal/rules/`)
//! are written over, each one statement on the writer's connection inside
//! the op's savepoint. No rule lives here: a primitive reads or writes the
//! rows it is told to. The ops on versions are in `versions.rs`.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use super::read::read_run;
use super::versions;
use crate::journal::rules::{RunHead, RunPatch, Tx};
use crate::journal::{
    EntryKind, ErrorRecord, JournalEntry, LlmUsage, NewEvent, NewRun, NewSignal, RunRecord,
    RunStatus, StateKey, StoreError, UnixMs, VersionRecord, WorkerRecord,
};

/// The writer's connection, inside one op's savepoint.
pub(super) struct SqliteTx<'c>(pub &'c Connection);

pub(super) fn error_json(e: &ErrorRecord) -> String {
    serde_json::to_string(e).expect("error records serialize")
}

fn status_of(s: String) -> Result<RunStatus, StoreError> {
    RunStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("run status {s}")))
}

/// The `SET` list and values of a patch, in a fixed column order.
fn patch_columns(p: &RunPatch) -> (Vec<&'static str>, Vec<Value>) {
    fn text(v: Option<String>) -> Value {
        v.map_or(Value::Null, Value::Text)
    }
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    let mut set = |col: &'static str, v: Value| {
        cols.push(col);
        vals.push(v);
    };
    if let Some(s) = p.status {
        set("status", Value::Text(s.as_str().to_string()));
    }
    if let Some(o) = &p.output {
        set("output", text(o.clone()));
    }
    if let Some(e) = &p.error {
        set("error", text(e.as_ref().map(error_json)));
    }
    if let Some(w) = p.wake_at {
        set("wake_at", w.map_or(Value::Null, Value::Integer));
    }
    if let Some(o) = &p.owner {
        set("owner", text(o.clone()));
    }
    if let Some(a) = p.activations {
        set("activations", Value::Integer(i64::from(a)));
    }
    if let Some(v) = &p.version {
        set("version", Value::Text(v.clone()));
    }
    if let Some(c) = &p.checked_version {
        set("checked_version", text(c.clone()));
    }
    if let Some(u) = p.updated_at {
        set("updated_at", Value::Integer(u));
    }
    if let Some(o) = &p.restarted_from {
        set("restarted_from", Value::Text(o.run_id.clone()));
        set("restart_seq", Value::Integer(i64::from(o.seq)));
        set("restart_clock", Value::Integer(o.clock_origin));
    }
    (cols, vals)
}

impl Tx for SqliteTx<'_> {
    fn run_head(&mut self, run_id: &str) -> Result<Option<RunHead>, StoreError> {
        let row: Option<(String, Option<String>, String)> = self
            .0
            .prepare_cached("SELECT status, owner, version FROM runs WHERE id = ?1")?
            .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        row.map(|(status, owner, version)| {
            Ok(RunHead {
                status: status_of(status)?,
                owner,
                version,
            })
        })
        .transpose()
    }

    fn run(&mut self, run_id: &str) -> Result<Option<RunRecord>, StoreError> {
        read_run(self.0, run_id)
    }

    fn insert_run(
        &mut self,
        run: &NewRun,
        status: RunStatus,
        activations: u32,
    ) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO runs (id, workflow, version, status, input, session_id, created_at,
                                   updated_at, owner, activations, seed)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                run.id,
                run.workflow,
                run.version,
                status.as_str(),
                run.input,
                run.session_id,
                run.created_at,
                run.owner,
                activations,
                run.seed as i64,
            ])?;
        Ok(())
    }

    fn update_run(&mut self, run_id: &str, patch: &RunPatch) -> Result<(), StoreError> {
        let (cols, mut vals) = patch_columns(patch);
        if cols.is_empty() {
            return Ok(());
        }
        let set: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ?{}", i + 2))
            .collect();
        let sql = format!("UPDATE runs SET {} WHERE id = ?1", set.join(", "));
        vals.insert(0, Value::Text(run_id.to_string()));
        self.0
            .prepare_cached(&sql)?
            .execute(rusqlite::params_from_iter(vals))?;
        Ok(())
    }

    fn add_llm_usage(&mut self, run_id: &str, u: &LlmUsage) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE runs SET llm_calls = llm_calls + ?2,
                        llm_input_tokens = llm_input_tokens + ?3,
                        llm_output_tokens = llm_output_tokens + ?4
                 WHERE id = ?1",
            )?
            .execute(params![
                run_id,
                u.calls as i64,
                u.input_tokens as i64,
                u.output_tokens as i64
            ])?;
        Ok(())
    }

    fn release_runs_of(&mut self, worker: &str) -> Result<(), StoreError> {
        self.0
            .execute("UPDATE runs SET owner = NULL WHERE owner = ?1", [worker])?;
        Ok(())
    }

    fn run_of_key(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT run_id FROM run_keys WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn insert_run_key(&mut self, key: &str, run_id: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO run_keys (key, run_id) VALUES (?1, ?2)")?
            .execute(params![key, run_id])?;
        Ok(())
    }

    fn insert_entry(&mut self, run_id: &str, j: &JournalEntry) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO journal (run_id, seq, kind, name, occurrence, input_hash, ok, value,
                                      created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                run_id,
                j.seq,
                j.kind.as_str(),
                j.name,
                j.occurrence,
                j.input_hash,
                j.ok,
                j.value,
                j.created_at
            ])?;
        Ok(())
    }

    fn has_entry(
        &mut self,
        run_id: &str,
        kind: EntryKind,
        name: &str,
        occurrence: u32,
    ) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "SELECT 1 FROM journal
                 WHERE run_id = ?1 AND kind = ?2 AND name = ?3 AND occurrence = ?4 LIMIT 1",
            )?
            .query_row(params![run_id, kind.as_str(), name, occurrence], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn next_seq(&mut self, run_id: &str) -> Result<u32, StoreError> {
        Ok(self
            .0
            .prepare_cached("SELECT coalesce(max(seq) + 1, 0) FROM journal WHERE run_id = ?1")?
            .query_row([run_id], |r| r.get(0))?)
    }

    fn last_entry_kind(&mut self, run_id: &str) -> Result<Option<EntryKind>, StoreError> {
        let kind: Option<String> = self
            .0
            .prepare_cached("SELECT kind FROM journal WHERE run_id = ?1 ORDER BY seq DESC LIMIT 1")?
            .query_row([run_id], |r| r.get(0))
            .optional()?;
        Ok(kind.as_deref().and_then(EntryKind::parse))
    }

    fn insert_events(&mut self, run_id: &str, events: &[NewEvent]) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut stmt = self.0.prepare_cached(
            "INSERT INTO events (run_id, at, kind, data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in events {
            stmt.execute(params![run_id, e.at, e.kind.as_str(), e.data.to_string()])?;
        }
        Ok(())
    }

    fn put_state(&mut self, key: &StateKey, value: &str, at: UnixMs) -> Result<(), StoreError> {
        match key {
            StateKey::Run { run_id, key } => self
                .0
                .prepare_cached(
                    "INSERT INTO run_state (run_id, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (run_id, key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![run_id, key, value])?,
            StateKey::Session { session_id, key } => self
                .0
                .prepare_cached(
                    "INSERT INTO session_state (session_id, key, value, updated_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (session_id, key) DO UPDATE
                     SET value = excluded.value, updated_at = excluded.updated_at",
                )?
                .execute(params![session_id, key, value, at])?,
        };
        Ok(())
    }

    fn delete_state(&mut self, key: &StateKey) -> Result<(), StoreError> {
        match key {
            StateKey::Run { run_id, key } => self
                .0
                .prepare_cached("DELETE FROM run_state WHERE run_id = ?1 AND key = ?2")?
                .execute(params![run_id, key])?,
            StateKey::Session { session_id, key } => self
                .0
                .prepare_cached("DELETE FROM session_state WHERE session_id = ?1 AND key = ?2")?
                .execute(params![session_id, key])?,
        };
        Ok(())
    }

    fn insert_signal(&mut self, s: &NewSignal) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO signals (run_id, name, payload, sent_at, sent_by)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![s.run_id, s.name, s.payload, s.sent_at, s.sent_by])?;
        Ok(())
    }

    fn take_signal(&mut self, run_id: &str, id: i64, at: UnixMs) -> Result<bool, StoreError> {
        let taken = self
            .0
            .prepare_cached(
                "UPDATE signals SET consumed_at = ?3
                 WHERE seq = ?1 AND run_id = ?2 AND consumed_at IS NULL",
            )?
            .execute(params![id, run_id, at])?;
        Ok(taken == 1)
    }

    fn put_worker(&mut self, w: &WorkerRecord) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO workers (id, hostname, pid, proc_start, started_at, heartbeat_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
            )?
            .execute(params![
                w.id,
                w.hostname,
                w.pid,
                w.proc_start.map(|s| s as i64),
                w.heartbeat_at
            ])?;
        Ok(())
    }

    fn delete_worker(&mut self, id: &str) -> Result<(), StoreError> {
        self.0.execute("DELETE FROM workers WHERE id = ?1", [id])?;
        Ok(())
    }

    fn insert_version(&mut self, version: &VersionRecord) -> Result<bool, StoreError> {
        versions::insert_version(self.0, version)
    }
    fn set_active_version(&mut self, workflow: &str, sha: &str) -> Result<(), StoreError> {
        versions::set_active_version(self.0, workflow, sha)
    }
    fn unreferenced_versions(&mut self) -> Result<Vec<String>, StoreError> {
        versions::unreferenced_versions(self.0)
    }
    fn delete_version(&mut self, sha: &str) -> Result<(), StoreError> {
        self.0
            .execute("DELETE FROM versions WHERE sha = ?1", [sha])?;
        Ok(())
    }
    fn delete_orphan_compiled(&mut self) -> Result<(), StoreError> {
        self.0.execute(
            "DELETE FROM compiled WHERE sha NOT IN (SELECT sha FROM versions)",
            [],
        )?;
        Ok(())
    }
    fn put_compiled(
        &mut self,
        sha: &str,
        engine_hash: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        self.0.execute(
            "INSERT OR REPLACE INTO compiled (sha, engine_hash, bytes) VALUES (?1, ?2, ?3)",
            params![sha, engine_hash, bytes],
        )?;
        Ok(())
    }
    fn delivery(&mut self, source: &str, id: &str) -> Result<Option<Vec<String>>, StoreError> {
        versions::delivery(self.0, source, id)
    }
    fn insert_delivery(
        &mut self,
        source: &str,
        id: &str,
        at: UnixMs,
        runs: &[String],
    ) -> Result<(), StoreError> {
        versions::insert_delivery(self.0, (source, id), at, runs)
    }
}
