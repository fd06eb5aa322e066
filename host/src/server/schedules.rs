//! `GET /v1/schedules`: the schedules of the active versions' workflows,
//! their recent ticks and next fire times. The view is also what
//! `cairn schedules --json` prints.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::runtime::outside::schedules::{ScheduleStatus, schedule_status};
use crate::schedule::{CatchUp, Overlap};

use super::{ApiResult, AppState};

/// How many next fire times a view lists.
const UPCOMING: usize = 5;

/// One schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleView {
    pub workflow: String,
    /// The cron expression as declared.
    pub cron: String,
    /// The IANA time zone its ticks are in.
    pub tz: String,
    /// `skip`, `one` or `all`: missed ticks after downtime.
    #[schema(value_type = String)]
    pub catch_up: CatchUp,
    /// `skip`, `allow` or `cancel-previous`: a tick while the previous
    /// run is still going.
    #[schema(value_type = String)]
    pub overlap: Overlap,
    /// When the schedule was first seen, in Unix ms (ticks before it never
    /// fire); absent once older than the recent ticks shown.
    pub since: Option<i64>,
    /// The latest ticks, newest first.
    pub recent: Vec<TickView>,
    /// The next fire times, in Unix ms.
    pub next: Vec<i64>,
}

/// One tick handled.
#[derive(Debug, Serialize, ToSchema)]
pub struct TickView {
    /// The tick's instant, in Unix ms.
    pub at: i64,
    /// The runs it started: none when it was skipped because the previous
    /// run was still going, or its start was refused (the log says why).
    pub runs: Vec<String>,
}

/// Every schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleList {
    pub schedules: Vec<ScheduleView>,
}

impl ScheduleView {
    /// The view of `s`, with fire times after `now`.
    pub fn of(s: ScheduleStatus, now: i64) -> ScheduleView {
        let spec = &s.scheduled.schedule.spec;
        ScheduleView {
            workflow: s.scheduled.workflow.clone(),
            cron: spec.cron.clone(),
            tz: spec.tz.clone().unwrap_or_else(|| "UTC".into()),
            catch_up: spec.catch_up,
            overlap: spec.overlap,
            since: s.since,
            next: s.scheduled.schedule.upcoming(now, UPCOMING),
            recent: s
                .recent
                .into_iter()
                .map(|(at, runs)| TickView { at, runs })
                .collect(),
        }
    }
}

/// Lists the schedules.
#[utoipa::path(get, path = "/v1/schedules", responses((status = 200, body = ScheduleList)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<ScheduleList>> {
    let now = crate::clock::now_ms();
    let schedules = schedule_status(&*state.rt.store).await?;
    Ok(Json(ScheduleList {
        schedules: schedules
            .into_iter()
            .map(|s| ScheduleView::of(s, now))
            .collect(),
    }))
}
