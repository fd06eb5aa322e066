//! Schedules: a cron expression in a time zone, with what to do about
//! ticks missed while no worker ran (`CatchUp`) and about a tick that
//! comes while the previous tick's run is still going (`Overlap`).
//!
//! Pure time arithmetic: nothing here reads the clock or the store; the
//! caller passes "now" and the last tick it handled.

pub mod cron;
pub mod next;

use serde::{Deserialize, Serialize};
use std::fmt;

pub use cron::{Cron, CronError};

/// Missed ticks (downtime) on coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CatchUp {
    /// Start nothing for missed ticks; wait for the next one.
    Skip,
    /// One run, for the latest missed tick (the default).
    #[default]
    One,
    /// One run per missed tick, oldest first (at most [`MAX_CATCH_UP`]).
    All,
}

/// A tick while the previous tick's run has not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Overlap {
    /// Start nothing for this tick (the default).
    #[default]
    Skip,
    /// Start the new run beside the old one.
    Allow,
    /// Cancel the previous run, then start the new one.
    CancelPrevious,
}

/// The most runs one catch-up starts under [`CatchUp::All`].
pub const MAX_CATCH_UP: usize = 1000;

/// A schedule as declared: the words a user wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleSpec {
    pub cron: String,
    /// An IANA time zone name; UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tz: Option<String>,
    #[serde(default)]
    pub catch_up: CatchUp,
    #[serde(default)]
    pub overlap: Overlap,
}

/// A schedule ready to compute ticks.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub spec: ScheduleSpec,
    cron: Cron,
    tz: jiff::tz::TimeZone,
}

/// Why a schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleError {
    Cron(CronError),
    /// The time zone is not in the IANA database cairn carries.
    Zone {
        name: String,
    },
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduleError::Cron(e) => e.fmt(f),
            ScheduleError::Zone { name } => write!(
                f,
                "time zone {name:?} is not an IANA time zone name \
                 (for example \"Europe/Paris\", \"America/New_York\", \"UTC\")"
            ),
        }
    }
}

impl std::error::Error for ScheduleError {}

impl Schedule {
    /// Checks the expression and the zone.
    pub fn new(spec: ScheduleSpec) -> Result<Schedule, ScheduleError> {
        let cron = Cron::parse(&spec.cron).map_err(ScheduleError::Cron)?;
        let tz = match spec.tz.as_deref() {
            None => jiff::tz::TimeZone::UTC,
            Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| ScheduleError::Zone {
                name: name.to_string(),
            })?,
        };
        Ok(Schedule { spec, cron, tz })
    }

    /// The first tick strictly after `after_ms`.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        next::next_after(&self.cron, &self.tz, after_ms)
    }

    /// The next `n` ticks after `after_ms` (for listings).
    pub fn upcoming(&self, after_ms: i64, n: usize) -> Vec<i64> {
        next::ticks_between(&self.cron, &self.tz, after_ms, i64::MAX, n)
    }

    /// The ticks to start runs for, given the last tick handled and now.
    /// `missed_before` is when this worker came up: ticks before it were
    /// missed (downtime) and follow the catch-up policy; later ones are on
    /// time and each starts a run, however late the loop noticed them.
    pub fn due(&self, last_ms: i64, now_ms: i64, missed_before: i64) -> Vec<i64> {
        let cut = missed_before.min(now_ms);
        let mut out = match self.spec.catch_up {
            CatchUp::Skip => Vec::new(),
            CatchUp::One => next::last_between(&self.cron, &self.tz, last_ms, cut)
                .into_iter()
                .collect(),
            CatchUp::All => next::ticks_between(&self.cron, &self.tz, last_ms, cut, MAX_CATCH_UP),
        };
        if out.len() < MAX_CATCH_UP {
            let from = last_ms.max(cut);
            out.extend(next::ticks_between(
                &self.cron,
                &self.tz,
                from,
                now_ms,
                MAX_CATCH_UP - out.len(),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(cron: &str, catch_up: CatchUp) -> Schedule {
        Schedule::new(ScheduleSpec {
            cron: cron.into(),
            tz: None,
            catch_up,
            overlap: Overlap::Skip,
        })
        .unwrap()
    }

    const MIN: i64 = 60_000;

    #[test]
    fn catch_up_policies_after_downtime() {
        // Last tick at minute 10, down until minute 15 (ticks 11..=15
        // missed), now minute 17 (16 and 17 on time).
        let (last, up, now) = (10 * MIN, 15 * MIN + 30_000, 17 * MIN);
        let due = |c| schedule("* * * * *", c).due(last, now, up);
        assert_eq!(due(CatchUp::Skip), vec![16 * MIN, 17 * MIN]);
        assert_eq!(due(CatchUp::One), vec![15 * MIN, 16 * MIN, 17 * MIN]);
        assert_eq!(
            due(CatchUp::All),
            (11..=17).map(|m| m * MIN).collect::<Vec<_>>()
        );
        // Nothing missed: the on-time ticks alone.
        assert_eq!(
            schedule("* * * * *", CatchUp::One).due(16 * MIN, now, up),
            vec![17 * MIN]
        );
        assert!(
            schedule("* * * * *", CatchUp::All)
                .due(now, now, up)
                .is_empty()
        );
    }

    #[test]
    fn one_catch_up_of_a_dense_schedule_finds_the_latest_tick() {
        // Every second, down for a week: the one catch-up run is for the
        // last second before coming up.
        let week = 7 * 24 * 3600 * 1000;
        let s = schedule("* * * * * *", CatchUp::One);
        assert_eq!(s.due(0, week + 500, week + 400), vec![week]);
        assert_eq!(s.due(0, week + 1500, week + 400), vec![week, week + 1000]);
        assert_eq!(
            schedule("* * * * * *", CatchUp::All)
                .due(0, week, week)
                .len(),
            MAX_CATCH_UP
        );
    }

    #[test]
    fn a_bad_zone_is_refused_by_name() {
        let e = Schedule::new(ScheduleSpec {
            cron: "0 9 * * *".into(),
            tz: Some("Europe/Pariss".into()),
            catch_up: CatchUp::One,
            overlap: Overlap::Skip,
        })
        .unwrap_err();
        assert!(e.to_string().contains("\"Europe/Pariss\""), "{e}");
    }

    #[test]
    fn policies_read_as_documented() {
        let s: ScheduleSpec = serde_json::from_str(
            r#"{"cron":"@daily","tz":"UTC","catch_up":"all","overlap":"cancel-previous"}"#,
        )
        .unwrap();
        assert_eq!(
            (s.catch_up, s.overlap),
            (CatchUp::All, Overlap::CancelPrevious)
        );
        let s: ScheduleSpec = serde_json::from_str(r#"{"cron":"@daily"}"#).unwrap();
        assert_eq!((s.catch_up, s.overlap), (CatchUp::One, Overlap::Skip));
    }
}
