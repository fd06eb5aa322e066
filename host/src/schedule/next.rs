//! When a cron expression fires in a time zone, as instants.
//!
//! Ticks are wall-clock times in the schedule's zone. Daylight-saving
//! changes are defined so that each wall-clock tick fires exactly once:
//! - a tick in a skipped hour (a *gap*: 02:30 on the night clocks go from
//!   02:00 to 03:00) fires the same length of time past the gap, at 03:30 —
//!   the "compatible" rule of RFC 5545 and JavaScript's Temporal. Ticks
//!   that land on the same instant fire once.
//! - a tick in a repeated hour (a *fold*: 02:30 twice on the night clocks
//!   go back from 03:00 to 02:00) fires at its first occurrence only;
//!   except that an expression allowing every hour (`*/10 * * * *`) follows
//!   elapsed time and fires in both, as Vixie cron does.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};

use super::cron::Cron;

/// How many days ahead the search looks: enough for 29 February (eight
/// years apart around 2100), bounded for an expression that never fires.
const HORIZON_DAYS: u32 = 366 * 9;

/// The first tick strictly after `after_ms` (Unix milliseconds), or `None`
/// when there is none within the horizon.
pub fn next_after(cron: &Cron, tz: &TimeZone, after_ms: i64) -> Option<i64> {
    let after = Timestamp::from_millisecond(after_ms).ok()?;
    // Start a day early: a tick of yesterday's date can fall after `after`
    // when the zone's offset moves across midnight.
    let mut date = after.to_zoned(tz.clone()).date().yesterday().ok()?;
    let mut best: Option<i64> = None;
    for _ in 0..HORIZON_DAYS {
        if best.is_some_and(|b| bounds(tz, date.at(0, 0, 0, 0)).0 > b) {
            break;
        }
        let weekday = date.weekday().to_sunday_zero_offset() as u32;
        if cron.matches_day(date.month() as u32, date.day() as u32, weekday) {
            first_on(cron, tz, date, after_ms, &mut best);
        }
        date = date.tomorrow().ok()?;
    }
    best
}

/// Lowers `best` to the first tick of `date` after `after_ms`, skipping
/// whole hours and minutes that end before it.
fn first_on(cron: &Cron, tz: &TimeZone, date: Date, after_ms: i64, best: &mut Option<i64>) {
    let beyond = |lo: i64, best: &Option<i64>| best.is_some_and(|b| lo > b);
    for h in cron.hours() {
        if beyond(bounds(tz, date.at(h, 0, 0, 0)).0, best) {
            return;
        }
        if bounds(tz, date.at(h, 59, 59, 999_999_999)).1 <= after_ms {
            continue;
        }
        for m in cron.minutes() {
            if beyond(bounds(tz, date.at(h, m, 0, 0)).0, best) {
                break;
            }
            if bounds(tz, date.at(h, m, 59, 999_999_999)).1 <= after_ms {
                continue;
            }
            for s in cron.seconds() {
                for t in instants(cron, tz, date.at(h, m, s, 0)) {
                    if t > after_ms && !beyond(t, best) {
                        *best = Some(t);
                    }
                }
            }
        }
    }
}

/// Every tick in `(after_ms, upto_ms]`, ascending, at most `limit`.
pub fn ticks_between(
    cron: &Cron,
    tz: &TimeZone,
    after_ms: i64,
    upto_ms: i64,
    limit: usize,
) -> Vec<i64> {
    let mut out = Vec::new();
    let mut t = after_ms;
    while out.len() < limit {
        match next_after(cron, tz, t) {
            Some(n) if n <= upto_ms => {
                out.push(n);
                t = n;
            }
            _ => break,
        }
    }
    out
}

/// The last tick in `(after_ms, upto_ms]`, found by looking back over
/// windows that double, so a dense schedule does not walk every tick.
pub fn last_between(cron: &Cron, tz: &TimeZone, after_ms: i64, upto_ms: i64) -> Option<i64> {
    let mut window = 1_000i64;
    loop {
        let from = upto_ms.saturating_sub(window).max(after_ms);
        let found = ticks_between(cron, tz, from, upto_ms, usize::MAX);
        if let Some(&t) = found.last() {
            return Some(t);
        }
        if from == after_ms {
            return None;
        }
        window = window.saturating_mul(2);
    }
}

/// The earliest and latest instant a wall-clock time can denote.
fn bounds(tz: &TimeZone, dt: DateTime) -> (i64, i64) {
    let at = |o: Offset| o.to_timestamp(dt).map_or(0, |t| t.as_millisecond());
    match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => (at(offset), at(offset)),
        AmbiguousOffset::Gap { before, after } | AmbiguousOffset::Fold { before, after } => {
            let (a, b) = (at(before), at(after));
            (a.min(b), a.max(b))
        }
    }
}

/// The instants one wall-clock tick fires at (see the module's rules).
fn instants(cron: &Cron, tz: &TimeZone, dt: DateTime) -> impl Iterator<Item = i64> {
    let at = |o: Offset| o.to_timestamp(dt).ok().map(|t| t.as_millisecond());
    let (first, second) = match tz.to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => (at(offset), None),
        // The offset before the gap puts the wall time past its end.
        AmbiguousOffset::Gap { before, .. } => (at(before), None),
        AmbiguousOffset::Fold { before, after } => {
            (at(before), cron.every_hour().then(|| at(after)).flatten())
        }
    };
    first.into_iter().chain(second)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn show(t: i64, tz: &TimeZone) -> String {
        Timestamp::from_millisecond(t)
            .unwrap()
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    }

    fn ticks(expr: &str, zone: &str, from: &str, to: &str) -> Vec<String> {
        let tz = TimeZone::get(zone).unwrap();
        let cron = Cron::parse(expr).unwrap();
        ticks_between(&cron, &tz, ms(from), ms(to), 100)
            .into_iter()
            .map(|t| show(t, &tz))
            .collect()
    }

    #[test]
    fn weekday_mornings_in_paris() {
        // Friday 2026-03-06 .. Tuesday 2026-03-10, 09:00 Paris (+01:00).
        assert_eq!(
            ticks(
                "0 9 * * 1-5",
                "Europe/Paris",
                "2026-03-06T00:00:00Z",
                "2026-03-10T23:00:00Z"
            ),
            vec![
                "2026-03-06 09:00:00 +01:00",
                "2026-03-09 09:00:00 +01:00",
                "2026-03-10 09:00:00 +01:00",
            ]
        );
    }

    #[test]
    fn a_tick_in_the_skipped_hour_fires_past_the_gap() {
        // Paris skips 02:00-03:00 on 2026-03-29.
        assert_eq!(
            ticks(
                "30 2 * * *",
                "Europe/Paris",
                "2026-03-28T00:00:00Z",
                "2026-03-30T12:00:00Z"
            ),
            vec![
                "2026-03-28 02:30:00 +01:00",
                "2026-03-29 03:30:00 +02:00",
                "2026-03-30 02:30:00 +02:00",
            ]
        );
        // Every 30 minutes: 02:00 and 02:30 land on 03:00 and 03:30, which
        // are ticks already; each instant fires once.
        assert_eq!(
            ticks(
                "*/30 * * * *",
                "Europe/Paris",
                "2026-03-29T00:15:00Z",
                "2026-03-29T02:00:00Z"
            ),
            vec![
                "2026-03-29 01:30:00 +01:00",
                "2026-03-29 03:00:00 +02:00",
                "2026-03-29 03:30:00 +02:00",
                "2026-03-29 04:00:00 +02:00",
            ]
        );
    }

    #[test]
    fn a_repeated_hour_fires_once_unless_every_hour_is_allowed() {
        // Paris repeats 02:00-03:00 on 2026-10-25 (+02:00 then +01:00).
        assert_eq!(
            ticks(
                "30 2 * * *",
                "Europe/Paris",
                "2026-10-24T12:00:00Z",
                "2026-10-25T12:00:00Z"
            ),
            vec!["2026-10-25 02:30:00 +02:00"]
        );
        assert_eq!(
            ticks(
                "30 * * * *",
                "Europe/Paris",
                "2026-10-24T23:45:00Z",
                "2026-10-25T02:45:00Z"
            ),
            vec![
                "2026-10-25 02:30:00 +02:00",
                "2026-10-25 02:30:00 +01:00",
                "2026-10-25 03:30:00 +01:00",
            ]
        );
    }

    #[test]
    fn seconds_leap_days_and_utc() {
        assert_eq!(
            ticks(
                "*/20 * * * * *",
                "UTC",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:01:00Z"
            ),
            vec![
                "2026-01-01 00:00:20 +00:00",
                "2026-01-01 00:00:40 +00:00",
                "2026-01-01 00:01:00 +00:00",
            ]
        );
        let tz = TimeZone::UTC;
        let cron = Cron::parse("0 0 29 2 *").unwrap();
        let t = next_after(&cron, &tz, ms("2026-12-01T00:00:00Z")).unwrap();
        assert_eq!(show(t, &tz), "2028-02-29 00:00:00 +00:00");
        // A tick exactly at `after` is not after it.
        let cron = Cron::parse("0 * * * *").unwrap();
        let t = next_after(&cron, &tz, ms("2026-01-01T05:00:00Z")).unwrap();
        assert_eq!(show(t, &tz), "2026-01-01 06:00:00 +00:00");
        assert_eq!(ticks_between(&cron, &tz, 0, 36_000_000, 3).len(), 3);
    }
}
