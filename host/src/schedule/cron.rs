//! Cron expressions: five fields (minute hour day-of-month month
//! day-of-week) as in Vixie cron, or six with seconds first, or one of the
//! `@hourly` / `@daily` / `@weekly` / `@monthly` / `@yearly` shorthands.
//!
//! Each field is a comma-separated list of `*`, `N`, `A-B`, with an
//! optional `/STEP` (`*/15`, `10-50/20`, `5/10` = from 5 to the end by 10);
//! months and weekdays also by name (`JAN`, `mon-fri`); weekday 7 is Sunday
//! like 0. When both day-of-month and day-of-week are restricted (neither
//! is `*`), a day matches either, as in Vixie cron.

use std::fmt;

/// A parsed cron expression: the set of allowed values of each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    /// Bit i set: second i allowed (only second 0 for five fields).
    pub(super) seconds: u64,
    pub(super) minutes: u64,
    pub(super) hours: u32,
    /// Bit d set: day of month d (1..=31).
    pub(super) days: u32,
    /// Bit m set: month m (1..=12).
    pub(super) months: u16,
    /// Bit w set: weekday w, 0 = Sunday (7 folded into 0).
    pub(super) weekdays: u8,
    /// The day-of-month field was `*` (or `?`).
    pub(super) any_day: bool,
    /// The day-of-week field was `*` (or `?`).
    pub(super) any_weekday: bool,
}

/// Why an expression was refused: which field, where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronError {
    /// The expression as given.
    pub expr: String,
    /// 1-based character column of the offending text (0: the whole).
    pub column: usize,
    /// The field's name (`minute`, `day-of-week`, ...), if one is at fault.
    pub field: Option<&'static str>,
    pub message: String,
}

impl fmt::Display for CronError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cron expression {:?}: ", self.expr)?;
        match (self.field, self.column) {
            (Some(field), c) if c > 0 => write!(f, "{field} at column {c}: ")?,
            (Some(field), _) => write!(f, "{field}: ")?,
            (None, c) if c > 0 => write!(f, "at column {c}: ")?,
            (None, _) => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CronError {}

/// One field's rules: its name, range, and names for values.
struct FieldSpec {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const SECOND: FieldSpec = FieldSpec {
    name: "second",
    min: 0,
    max: 59,
    names: &[],
};
const MINUTE: FieldSpec = FieldSpec {
    name: "minute",
    min: 0,
    max: 59,
    names: &[],
};
const HOUR: FieldSpec = FieldSpec {
    name: "hour",
    min: 0,
    max: 23,
    names: &[],
};
const DAY: FieldSpec = FieldSpec {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: FieldSpec = FieldSpec {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const WEEKDAY: FieldSpec = FieldSpec {
    name: "day-of-week",
    min: 0,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};

/// The most days each month can have (February: 29).
const MONTH_DAYS: [u32; 12] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

impl Cron {
    /// Parses `expr`; the error names the field and column at fault.
    pub fn parse(expr: &str) -> Result<Cron, CronError> {
        let err = |column, field, message: String| CronError {
            expr: expr.to_string(),
            column,
            field,
            message,
        };
        let trimmed = expr.trim();
        if let Some(rest) = trimmed.strip_prefix('@') {
            let full = match rest.to_ascii_lowercase().as_str() {
                "yearly" | "annually" => "0 0 1 1 *",
                "monthly" => "0 0 1 * *",
                "weekly" => "0 0 * * 0",
                "daily" | "midnight" => "0 0 * * *",
                "hourly" => "0 * * * *",
                _ => {
                    return Err(err(
                        1,
                        None,
                        format!(
                            "unknown shorthand @{rest} (expected @yearly, @annually, \
                             @monthly, @weekly, @daily, @midnight or @hourly)"
                        ),
                    ));
                }
            };
            return Cron::parse(full).map_err(|mut e| {
                e.expr = expr.to_string();
                e
            });
        }
        let fields = split_fields(expr);
        let specs: &[&FieldSpec] = match fields.len() {
            5 => &[&MINUTE, &HOUR, &DAY, &MONTH, &WEEKDAY],
            6 => &[&SECOND, &MINUTE, &HOUR, &DAY, &MONTH, &WEEKDAY],
            0 => return Err(err(0, None, "the expression is empty".into())),
            n => {
                return Err(err(
                    0,
                    None,
                    format!(
                        "{n} fields; expected 5 (minute hour day-of-month month \
                         day-of-week) or 6 (second first)"
                    ),
                ));
            }
        };
        let mut sets = Vec::with_capacity(6);
        for (&(column, text), spec) in fields.iter().zip(specs) {
            let set = parse_field(text, spec)
                .map_err(|(offset, m)| err(column + offset, Some(spec.name), m))?;
            sets.push((set, text == "*" || text == "?"));
        }
        if fields.len() == 5 {
            sets.insert(0, (1, false));
        }
        let weekdays = sets[5].0;
        let cron = Cron {
            seconds: sets[0].0,
            minutes: sets[1].0,
            hours: sets[2].0 as u32,
            days: sets[3].0 as u32,
            months: sets[4].0 as u16,
            weekdays: ((weekdays | (weekdays >> 7)) & 0x7f) as u8,
            any_day: sets[3].1,
            any_weekday: sets[5].1,
        };
        cron.check_possible().map_err(|m| err(0, None, m))?;
        Ok(cron)
    }

    /// Refuses a day-of-month no allowed month has (`0 0 30 2 *`).
    fn check_possible(&self) -> Result<(), String> {
        if !self.any_weekday && !self.any_day {
            return Ok(()); // either field matching is enough
        }
        if self.any_day {
            return Ok(());
        }
        let possible = (1..=12u32)
            .filter(|m| self.months & (1 << m) != 0)
            .any(|m| (1..=MONTH_DAYS[m as usize - 1]).any(|d| self.days & (1 << d) != 0));
        if possible {
            Ok(())
        } else {
            Err("it never fires: no allowed month has that day of the month".into())
        }
    }

    /// Whether the date matches the day-of-month, month and weekday rules.
    pub(super) fn matches_day(&self, month: u32, day: u32, weekday: u32) -> bool {
        if self.months & (1 << month) == 0 {
            return false;
        }
        let by_day = self.days & (1 << day) != 0;
        let by_weekday = self.weekdays & (1 << weekday) != 0;
        match (self.any_day, self.any_weekday) {
            (false, false) => by_day || by_weekday,
            (false, true) => by_day,
            (true, false) => by_weekday,
            (true, true) => true,
        }
    }

    /// Whether every hour of the day is allowed (the expression follows
    /// elapsed time through a repeated hour instead of wall-clock time).
    pub(super) fn every_hour(&self) -> bool {
        self.hours == (1 << 24) - 1
    }

    /// The allowed values of a field, ascending.
    pub(super) fn hours(&self) -> impl Iterator<Item = i8> + '_ {
        (0..24)
            .filter(|h| self.hours & (1 << h) != 0)
            .map(|h| h as i8)
    }

    pub(super) fn minutes(&self) -> impl Iterator<Item = i8> + '_ {
        (0..60)
            .filter(|m| self.minutes & (1 << m) != 0)
            .map(|m| m as i8)
    }

    pub(super) fn seconds(&self) -> impl Iterator<Item = i8> + '_ {
        (0..60)
            .filter(|s| self.seconds & (1 << s) != 0)
            .map(|s| s as i8)
    }
}

/// The whitespace-separated fields with their 1-based columns.
fn split_fields(expr: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in expr.char_indices() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push((expr[..s].chars().count() + 1, &expr[s..i]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((expr[..s].chars().count() + 1, &expr[s..]));
    }
    out
}

/// Parses one field into a bit set; an error carries the offset of the
/// offending part within the field.
fn parse_field(text: &str, spec: &FieldSpec) -> Result<u64, (usize, String)> {
    let mut set = 0u64;
    let mut offset = 0;
    for part in text.split(',') {
        set |= parse_part(part, spec).map_err(|(o, m)| (offset + o, m))?;
        offset += part.chars().count() + 1;
    }
    Ok(set)
}

fn parse_part(part: &str, spec: &FieldSpec) -> Result<u64, (usize, String)> {
    if part.is_empty() {
        return Err((0, "an empty list item".into()));
    }
    let (range, step) = match part.split_once('/') {
        Some((r, s)) => {
            let at = r.chars().count() + 1;
            let step: u32 = s
                .parse()
                .map_err(|_| (at, format!("step {s:?} is not a number")))?;
            if step == 0 {
                return Err((at, "a step of 0".into()));
            }
            (r, Some(step))
        }
        None => (part, None),
    };
    let (lo, hi) = if range == "*" || range == "?" {
        (spec.min, spec.max)
    } else if let Some((a, b)) = range.split_once('-') {
        let lo = value(a, spec).map_err(|m| (0, m))?;
        let hi = value(b, spec).map_err(|m| (a.chars().count() + 1, m))?;
        if lo > hi {
            return Err((0, format!("range {a}-{b} runs backwards")));
        }
        (lo, hi)
    } else {
        let v = value(range, spec).map_err(|m| (0, m))?;
        // `5/10`: from 5 to the end by 10.
        (v, if step.is_some() { spec.max } else { v })
    };
    let step = step.unwrap_or(1);
    Ok((lo..=hi).step_by(step as usize).fold(0, |s, v| s | 1 << v))
}

/// One value: a number in the field's range or one of its names.
fn value(text: &str, spec: &FieldSpec) -> Result<u32, String> {
    if let Some(i) = spec.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        return Ok(i as u32 + spec.min);
    }
    let v: u32 = text.parse().map_err(|_| {
        if spec.names.is_empty() {
            format!("{text:?} is not a number")
        } else {
            format!(
                "{text:?} is neither a number nor a name ({})",
                spec.names.join(", ")
            )
        }
    })?;
    if v < spec.min || v > spec.max {
        return Err(format!("{v} is out of range {}-{}", spec.min, spec.max));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_fields_with_lists_ranges_steps_and_names() {
        let c = Cron::parse("*/15 9-17 * JAN,jul mon-FRI").unwrap();
        assert_eq!(c.minutes().collect::<Vec<_>>(), vec![0, 15, 30, 45]);
        assert_eq!(c.hours().count(), 9);
        assert_eq!(c.seconds().collect::<Vec<_>>(), vec![0]);
        assert_eq!(c.months, 1 << 1 | 1 << 7);
        assert_eq!(c.weekdays, 0b0111110);
        assert!(c.any_day && !c.any_weekday);
        assert!(c.matches_day(1, 5, 1));
        assert!(!c.matches_day(1, 4, 0));
        assert!(!c.matches_day(2, 5, 1));
    }

    #[test]
    fn six_fields_put_seconds_first_and_seven_is_sunday() {
        let c = Cron::parse("*/20 0 0 * * 7").unwrap();
        assert_eq!(c.seconds().collect::<Vec<_>>(), vec![0, 20, 40]);
        assert_eq!(c.weekdays, 1);
        assert_eq!(Cron::parse("5/20 * * * *").unwrap().minutes().count(), 3);
    }

    #[test]
    fn restricted_day_and_weekday_match_either() {
        let c = Cron::parse("0 0 13 * FRI").unwrap();
        assert!(c.matches_day(3, 13, 2));
        assert!(c.matches_day(3, 14, 5));
        assert!(!c.matches_day(3, 14, 4));
    }

    #[test]
    fn shorthands_expand() {
        assert_eq!(
            Cron::parse("@daily").unwrap(),
            Cron::parse("0 0 * * *").unwrap()
        );
        assert_eq!(
            Cron::parse("@weekly").unwrap(),
            Cron::parse("0 0 * * sun").unwrap()
        );
    }

    #[test]
    fn errors_name_the_field_and_column() {
        let e = Cron::parse("0 9 * * 8").unwrap_err();
        assert_eq!((e.field, e.column), (Some("day-of-week"), 9));
        assert_eq!(
            e.to_string(),
            "cron expression \"0 9 * * 8\": day-of-week at column 9: 8 is out of range 0-7"
        );
        let e = Cron::parse("0 9,25 * * *").unwrap_err();
        assert_eq!((e.field, e.column), (Some("hour"), 5));
        let e = Cron::parse("0 0 1 FOO *").unwrap_err();
        assert_eq!((e.field, e.column), (Some("month"), 7));
        assert!(e.message.contains("JAN"), "{e}");
        let e = Cron::parse("*/0 * * * *").unwrap_err();
        assert_eq!((e.field, e.column), (Some("minute"), 3));
        let e = Cron::parse("0 0 * * 5-2").unwrap_err();
        assert!(e.message.contains("backwards"), "{e}");
        assert!(
            Cron::parse("0 0 * *")
                .unwrap_err()
                .message
                .contains("4 fields")
        );
        assert!(Cron::parse("").unwrap_err().message.contains("empty"));
        assert_eq!(Cron::parse("@often").unwrap_err().column, 1);
        let e = Cron::parse("0 0 30 2 *").unwrap_err();
        assert!(e.message.contains("never fires"), "{e}");
        assert!(Cron::parse("0 0 29 2 *").is_ok());
        assert!(Cron::parse("0 0 30 2 MON").is_ok());
    }
}
