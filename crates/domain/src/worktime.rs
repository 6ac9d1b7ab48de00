//! Case time limits (domain guide §2): in working hours, working days, or calendar hours
//! for urgent categories. Working days follow an editable calendar, because China moves
//! working days around public holidays: a holiday may fall on a weekday, and a weekend day
//! may be a working day (调休). Working hours are 09:00–12:00 and 13:30–17:30 by default.
//! Time a case spends suspended (缓办) does not count.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use std::collections::BTreeSet;

/// China Standard Time, UTC+8 all year (no daylight saving): working hours are local.
/// The one definition of the offset; everything that writes China time uses it.
const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;

/// China Standard Time as a chrono offset, for dates written with their zone (`+08:00`).
pub fn china_offset() -> chrono::FixedOffset {
    use chrono::Offset;
    // Eight hours is within a day, so the offset is always in range.
    chrono::FixedOffset::east_opt((CHINA_OFFSET_MS / 1000) as i32).unwrap_or_else(|| chrono::Utc.fix())
}

/// A stored UTC millisecond timestamp as the local time in China.
pub fn china_time(utc_ms: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(utc_ms + CHINA_OFFSET_MS).map(|t| t.naive_utc()).unwrap_or_default()
}

/// The date in China at a stored UTC millisecond timestamp: every "today" and every default
/// date of a form is this, never the UTC date (which is yesterday until 08:00).
pub fn china_date(utc_ms: i64) -> NaiveDate {
    china_time(utc_ms).date()
}

/// A local time in China as a UTC millisecond timestamp.
pub fn utc_ms(china: NaiveDateTime) -> i64 {
    china.and_utc().timestamp_millis() - CHINA_OFFSET_MS
}

/// How a category's limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    WorkingHours,
    WorkingDays,
    CalendarHours,
    /// Whole days, weekends and holidays included (mediation's 30 days).
    CalendarDays,
}

impl LimitKind {
    pub fn parse(s: &str) -> Option<LimitKind> {
        match s {
            "working_hours" => Some(LimitKind::WorkingHours),
            "working_days" => Some(LimitKind::WorkingDays),
            "calendar_hours" => Some(LimitKind::CalendarHours),
            "calendar_days" => Some(LimitKind::CalendarDays),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::WorkingHours => "working_hours",
            LimitKind::WorkingDays => "working_days",
            LimitKind::CalendarHours => "calendar_hours",
            LimitKind::CalendarDays => "calendar_days",
        }
    }
}

/// A time limit: so many units of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub amount: u32,
    pub kind: LimitKind,
}

/// Which days are worked, and when.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Days off that would otherwise be worked (public holidays on weekdays).
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are worked (调休上班).
    pub workdays: BTreeSet<NaiveDate>,
    /// Working periods of a day, in order, not overlapping.
    pub periods: Vec<(NaiveTime, NaiveTime)>,
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            holidays: BTreeSet::new(),
            workdays: BTreeSet::new(),
            periods: vec![(hm(9, 0), hm(12, 0)), (hm(13, 30), hm(17, 30))],
        }
    }
}

impl Calendar {
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// Working time between two moments (zero if `to` is not after `from`).
    pub fn working_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Duration {
        let mut total = Duration::zero();
        let mut day = from.date();
        while day <= to.date() {
            if self.is_working_day(day) {
                for (start, end) in &self.periods {
                    let a = day.and_time(*start).max(from);
                    let b = day.and_time(*end).min(to);
                    if b > a {
                        total += b - a;
                    }
                }
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        total
    }

    /// The moment `amount` of working time after `from`.
    fn add_working(&self, from: NaiveDateTime, amount: Duration) -> NaiveDateTime {
        let mut left = amount;
        let mut day = from.date();
        // A limit is at most a few hundred days of work: the loop is bounded by that.
        for _ in 0..3660 {
            if self.is_working_day(day) {
                for (start, end) in &self.periods {
                    let a = day.and_time(*start).max(from);
                    let b = day.and_time(*end);
                    if b > a {
                        if b - a >= left {
                            return a + left;
                        }
                        left -= b - a;
                    }
                }
            }
            day = match day.succ_opt() {
                Some(d) => d,
                None => break,
            };
        }
        from + amount
    }

    /// A deadline pushed back by a suspension from `from` to `to`, counted in the limit's
    /// own kind (working hours, whole working days, or calendar hours).
    pub fn resumed(
        &self,
        deadline: NaiveDateTime,
        kind: LimitKind,
        from: NaiveDateTime,
        to: NaiveDateTime,
    ) -> NaiveDateTime {
        self.deadline(deadline, Limit { amount: 0, kind }, &[(from, to)])
    }

    /// The deadline of a case registered at `from`, pushed back by the time it spent
    /// suspended (each interval counted in the limit's own kind).
    pub fn deadline(
        &self,
        from: NaiveDateTime,
        limit: Limit,
        suspended: &[(NaiveDateTime, NaiveDateTime)],
    ) -> NaiveDateTime {
        match limit.kind {
            LimitKind::CalendarHours | LimitKind::CalendarDays => {
                let paused: Duration = suspended.iter().map(|(a, b)| *b - *a).filter(|d| *d > Duration::zero()).sum();
                let span = if limit.kind == LimitKind::CalendarDays {
                    Duration::days(i64::from(limit.amount))
                } else {
                    Duration::hours(i64::from(limit.amount))
                };
                from + span + paused
            }
            LimitKind::WorkingHours => {
                let paused: Duration = suspended.iter().map(|(a, b)| self.working_between(*a, *b)).sum();
                self.add_working(from, Duration::hours(i64::from(limit.amount)) + paused)
            }
            LimitKind::WorkingDays => {
                // N working days: the end of the N-th working day after the day of
                // registration, plus whole working days spent suspended.
                let paused_days: i64 = suspended
                    .iter()
                    .map(|(a, b)| {
                        let mut n = 0;
                        let mut d = a.date();
                        while d < b.date() {
                            if self.is_working_day(d) {
                                n += 1;
                            }
                            d = d.succ_opt().unwrap_or(d);
                            if n > 3660 {
                                break;
                            }
                        }
                        n
                    })
                    .sum();
                let mut left = i64::from(limit.amount) + paused_days;
                let mut day = from.date();
                let end_of_day = self.periods.last().map_or(hm(17, 30), |p| p.1);
                while left > 0 {
                    day = match day.succ_opt() {
                        Some(d) => d,
                        None => break,
                    };
                    if self.is_working_day(day) {
                        left -= 1;
                    }
                }
                day.and_time(end_of_day)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn national_day_2026() -> Calendar {
        // 2026: 1–7 October off (weekdays among them are holidays); Sunday 27 September
        // and Saturday 10 October are worked.
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        Calendar {
            holidays: ["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
                .iter()
                .map(|s| d(s))
                .collect(),
            workdays: ["2026-09-27", "2026-10-10"].iter().map(|s| d(s)).collect(),
            ..Calendar::default()
        }
    }

    #[test]
    fn working_hours_skip_lunch_nights_and_weekends() {
        let c = Calendar::default();
        // Friday 16:30 + 4 working hours: 1 h on Friday, 3 h on Monday from 09:00.
        let due = c.deadline(at("2026-11-27 16:30"), Limit { amount: 4, kind: LimitKind::WorkingHours }, &[]);
        assert_eq!(due, at("2026-11-30 12:00"));
        // 11:00 + 2 working hours crosses lunch: 12:00 → 13:30, then one more hour.
        let due = c.deadline(at("2026-11-26 11:00"), Limit { amount: 2, kind: LimitKind::WorkingHours }, &[]);
        assert_eq!(due, at("2026-11-26 14:30"));
    }

    #[test]
    fn working_days_follow_the_holiday_calendar() {
        let c = national_day_2026();
        // Registered Wednesday 30 September; 3 working days: 8, 9 and Saturday 10 October.
        let due = c.deadline(at("2026-09-30 10:00"), Limit { amount: 3, kind: LimitKind::WorkingDays }, &[]);
        assert_eq!(due, at("2026-10-10 17:30"));
        assert!(c.is_working_day(NaiveDate::from_ymd_opt(2026, 9, 27).unwrap()), "a worked Sunday");
        assert!(!c.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap()), "a Monday off");
    }

    #[test]
    fn urgent_limits_run_in_calendar_hours() {
        let c = Calendar::default();
        let due = c.deadline(at("2026-11-28 22:00"), Limit { amount: 2, kind: LimitKind::CalendarHours }, &[]);
        assert_eq!(due, at("2026-11-29 00:00"));
    }

    #[test]
    fn mediation_days_run_through_holidays_and_stop_while_suspended() {
        let c = Calendar::default();
        let thirty = Limit { amount: 30, kind: LimitKind::CalendarDays };
        assert_eq!(c.deadline(at("2026-09-20 10:00"), thirty, &[]), at("2026-10-20 10:00"), "National Day counts");
        let paused = [(at("2026-09-21 10:00"), at("2026-09-23 10:00"))];
        assert_eq!(c.deadline(at("2026-09-20 10:00"), thirty, &paused), at("2026-10-22 10:00"));
    }

    #[test]
    fn suspension_stops_the_clock() {
        let c = Calendar::default();
        let limit = Limit { amount: 4, kind: LimitKind::WorkingHours };
        // Suspended for the whole Thursday afternoon (4 working hours): due a day later.
        let paused = [(at("2026-11-26 13:30"), at("2026-11-26 17:30"))];
        assert_eq!(c.deadline(at("2026-11-26 09:00"), limit, &[]), at("2026-11-26 14:30"));
        assert_eq!(c.deadline(at("2026-11-26 09:00"), limit, &paused), at("2026-11-27 10:00"));
        let urgent = Limit { amount: 2, kind: LimitKind::CalendarHours };
        assert_eq!(
            c.deadline(at("2026-11-26 09:00"), urgent, &[(at("2026-11-26 09:30"), at("2026-11-26 10:00"))]),
            at("2026-11-26 11:30")
        );
    }

    #[test]
    fn working_time_between_two_moments() {
        let c = Calendar::default();
        assert_eq!(c.working_between(at("2026-11-27 08:00"), at("2026-11-30 10:00")), Duration::hours(8));
        assert_eq!(c.working_between(at("2026-11-30 10:00"), at("2026-11-27 08:00")), Duration::zero());
    }

    #[test]
    fn one_in_the_morning_in_china_is_already_the_next_day() {
        // 2026-12-02 17:00 UTC is 2026-12-03 01:00 in China.
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap().and_hms_opt(17, 0, 0).unwrap();
        let utc = at.and_utc().timestamp_millis();
        assert_eq!(china_date(utc), NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        assert_eq!(china_date(utc - 3_600_001), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(), "23:59 the day before");
    }
}
