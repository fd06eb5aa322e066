//! Counting runs for `GET /metrics`: one grouped scan of `runs`.

use rusqlite::Connection;

use crate::journal::{RunCount, RunStatus, StoreError};

pub(super) fn run_counts(conn: &Connection) -> Result<Vec<RunCount>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT workflow, status, count(*) FROM runs GROUP BY workflow, status \
         ORDER BY workflow, status",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut counts = Vec::new();
    for row in rows {
        let (workflow, status, count) = row?;
        let status = RunStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("a run has the status `{status}`")))?;
        counts.push(RunCount {
            workflow,
            status,
            count: count.max(0) as u64,
        });
    }
    Ok(counts)
}
