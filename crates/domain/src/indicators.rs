//! The case indicators of the domain guide §2, with their denominators made explicit.
//!
//! For a period `[from, to)`:
//! - **accepted reports** (受理数): reports received in the period.
//! - **registered** (立案数): of those, the ones registered (self-resolved ones included).
//! - **dispatched** (派遣数): of those registered, the ones dispatched.
//! - **due for closure** (应结案数): registered cases whose deadline fell inside the period,
//!   together with those closed inside the period (each case once). With
//!   [`DueRule::ExcludeSuspended`], cases suspended (缓办) at the end of the period and not
//!   closed in it are left out, as one city's variant does.
//! - **closed** (结案数): cases closed inside the period; **on time**: of those, closed by
//!   their deadline; **reworked**: due cases with at least one failed check;
//!   **extended**: due cases with an approved extension.
//!
//! 结案率, 按期结案率, 返工率 and 延期率 all divide by the due count; 立案率 divides by
//! accepted reports and 派遣率 by registered. Rates are exact fractions, shown rounded half
//! up to two decimals of a percent.

use serde::Serialize;

/// What the indicators need to know about one case. Times are UTC milliseconds.
#[derive(Debug, Clone, Default)]
pub struct CaseFacts {
    pub reported_at: i64,
    pub registered: bool,
    pub dispatched: bool,
    /// The deadline, if the case was registered.
    pub deadline: Option<i64>,
    pub closed_at: Option<i64>,
    pub reworks: u32,
    pub extensions: u32,
    /// Suspended at the end of the period.
    pub suspended: bool,
    pub self_resolved: bool,
    /// 1–5, if the reporter rated it.
    pub rating: Option<u8>,
    /// Milliseconds from dispatch to acceptance, and from registration to closure.
    pub acceptance_ms: Option<i64>,
    pub handling_ms: Option<i64>,
}

/// Whether suspended cases count in the due denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DueRule {
    #[default]
    IncludeSuspended,
    ExcludeSuspended,
}

/// The counts behind the rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub accepted: u64,
    pub registered: u64,
    pub dispatched: u64,
    pub due: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub reworked: u64,
    pub extended: u64,
    pub self_resolved: u64,
    pub rated: u64,
    /// Rated 4 or 5.
    pub satisfied: u64,
    /// Open at the end of the period with the deadline passed.
    pub overdue: u64,
    pub acceptance_ms_sum: i64,
    pub acceptance_n: u64,
    pub handling_ms_sum: i64,
    pub handling_n: u64,
}

/// Counts of disjoint groups (the communities of a street) add up field by field.
impl std::ops::Add for Counts {
    type Output = Counts;

    fn add(self, o: Counts) -> Counts {
        Counts {
            accepted: self.accepted + o.accepted,
            registered: self.registered + o.registered,
            dispatched: self.dispatched + o.dispatched,
            due: self.due + o.due,
            closed: self.closed + o.closed,
            closed_on_time: self.closed_on_time + o.closed_on_time,
            reworked: self.reworked + o.reworked,
            extended: self.extended + o.extended,
            self_resolved: self.self_resolved + o.self_resolved,
            rated: self.rated + o.rated,
            satisfied: self.satisfied + o.satisfied,
            overdue: self.overdue + o.overdue,
            acceptance_ms_sum: self.acceptance_ms_sum + o.acceptance_ms_sum,
            acceptance_n: self.acceptance_n + o.acceptance_n,
            handling_ms_sum: self.handling_ms_sum + o.handling_ms_sum,
            handling_n: self.handling_n + o.handling_n,
        }
    }
}

/// An exact rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    /// Hundredths of a percent, rounded half up: 99.34% is 9934. `None` with no denominator.
    pub fn basis_points(self) -> Option<u64> {
        (self.den > 0).then(|| (self.num * 20_000 + self.den) / (2 * self.den))
    }

    /// `99.34%`, or `—` with no denominator.
    pub fn percent(self) -> String {
        match self.basis_points() {
            Some(bp) => format!("{}.{:02}%", bp / 100, bp % 100),
            None => "—".to_owned(),
        }
    }
}

impl Counts {
    /// Counts the cases of one period `[from, to)`.
    pub fn of(cases: &[CaseFacts], from: i64, to: i64, rule: DueRule) -> Counts {
        let inside = |t: i64| t >= from && t < to;
        let mut c = Counts::default();
        for case in cases {
            if inside(case.reported_at) {
                c.accepted += 1;
                if case.registered {
                    c.registered += 1;
                    if case.dispatched {
                        c.dispatched += 1;
                    }
                }
            }
            let closed_inside = case.closed_at.is_some_and(inside);
            let deadline_inside = case.registered && case.deadline.is_some_and(inside);
            let due = (closed_inside || deadline_inside)
                && !(rule == DueRule::ExcludeSuspended && case.suspended && !closed_inside);
            if due {
                c.due += 1;
                if case.reworks > 0 {
                    c.reworked += 1;
                }
                if case.extensions > 0 {
                    c.extended += 1;
                }
            }
            if closed_inside {
                c.closed += 1;
                if let (Some(closed), Some(deadline)) = (case.closed_at, case.deadline)
                    && closed <= deadline
                {
                    c.closed_on_time += 1;
                }
                if case.self_resolved {
                    c.self_resolved += 1;
                }
                if let Some(ms) = case.handling_ms {
                    c.handling_ms_sum += ms;
                    c.handling_n += 1;
                }
                if let Some(stars) = case.rating {
                    c.rated += 1;
                    if stars >= 4 {
                        c.satisfied += 1;
                    }
                }
            }
            if inside(case.reported_at)
                && let Some(ms) = case.acceptance_ms
            {
                c.acceptance_ms_sum += ms;
                c.acceptance_n += 1;
            }
            let open_at_end = case.registered && case.closed_at.is_none_or(|t| t >= to) && case.reported_at < to;
            if open_at_end && case.deadline.is_some_and(|d| d < to) && !case.suspended {
                c.overdue += 1;
            }
        }
        c
    }

    /// 立案率: registered / accepted reports.
    pub fn registration_rate(&self) -> Rate {
        Rate { num: self.registered, den: self.accepted }
    }
    /// 派遣率: dispatched / registered.
    pub fn dispatch_rate(&self) -> Rate {
        Rate { num: self.dispatched, den: self.registered }
    }
    /// 结案率: closed / due.
    pub fn closure_rate(&self) -> Rate {
        Rate { num: self.closed, den: self.due }
    }
    /// 按期结案率: closed on time / due.
    pub fn on_time_rate(&self) -> Rate {
        Rate { num: self.closed_on_time, den: self.due }
    }
    /// 返工率: reworked / due (not / registered).
    pub fn rework_rate(&self) -> Rate {
        Rate { num: self.reworked, den: self.due }
    }
    /// 延期率: extended / due.
    pub fn extension_rate(&self) -> Rate {
        Rate { num: self.extended, den: self.due }
    }
    /// Satisfaction: rated 4 or 5 / rated.
    pub fn satisfaction_rate(&self) -> Rate {
        Rate { num: self.satisfied, den: self.rated }
    }
    /// Self-resolved share: self-resolved / closed.
    pub fn self_resolved_share(&self) -> Rate {
        Rate { num: self.self_resolved, den: self.closed }
    }
    /// Average hours from registration to closure, one decimal.
    pub fn average_handling_hours(&self) -> Option<f64> {
        (self.handling_n > 0).then(|| (self.handling_ms_sum as f64 / self.handling_n as f64 / 360_000.0).round() / 10.0)
    }
    /// Average hours from dispatch to acceptance, one decimal.
    pub fn average_acceptance_hours(&self) -> Option<f64> {
        (self.acceptance_n > 0)
            .then(|| (self.acceptance_ms_sum as f64 / self.acceptance_n as f64 / 360_000.0).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_communities_add_up_to_the_streets() {
        let a = Counts { accepted: 10, registered: 9, due: 8, closed: 6, closed_on_time: 5, ..Counts::default() };
        let b = Counts { accepted: 30, registered: 21, due: 12, closed: 12, closed_on_time: 7, ..Counts::default() };
        let street = a + b;
        assert_eq!(street.registration_rate(), Rate { num: 30, den: 40 });
        assert_eq!(street.on_time_rate(), Rate { num: 12, den: 20 }, "not the mean of the two rates");
    }

    fn counts(accepted: u64, registered: u64, dispatched: u64, due: u64, closed: u64, on_time: u64) -> Counts {
        Counts { accepted, registered, dispatched, due, closed, closed_on_time: on_time, ..Default::default() }
    }

    #[test]
    fn the_guides_weekly_report_figures() {
        let mut c = counts(51_571, 51_229, 49_151, 52_434, 43_523, 40_394);
        c.reworked = 276;
        c.extended = 104;
        assert_eq!(c.registration_rate().percent(), "99.34%");
        assert_eq!(c.dispatch_rate().percent(), "95.94%");
        assert_eq!(c.closure_rate().percent(), "83.01%");
        assert_eq!(c.on_time_rate().percent(), "77.04%");
        assert_eq!(c.rework_rate().percent(), "0.53%");
        assert_eq!(Rate { num: 276, den: c.registered }.percent(), "0.54%", "the wrong denominator differs");
        assert_eq!(c.extension_rate().percent(), "0.20%");
    }

    #[test]
    fn the_second_citys_figures() {
        let c = counts(0, 0, 0, 972, 911, 737);
        assert_eq!(c.closure_rate().percent(), "93.72%");
        assert_eq!(c.on_time_rate().percent(), "75.82%");
        assert_eq!(Counts::default().closure_rate().percent(), "—");
    }

    const H: i64 = 3_600_000;

    #[test]
    fn due_is_deadline_inside_or_closed_inside_each_case_once() {
        let (from, to) = (100 * H, 200 * H);
        let cases = [
            // Deadline inside, closed inside, on time: due once, closed, on time.
            CaseFacts {
                reported_at: 90 * H,
                registered: true,
                deadline: Some(150 * H),
                closed_at: Some(120 * H),
                ..Default::default()
            },
            // Deadline inside, still open at the end: due, overdue.
            CaseFacts { reported_at: 110 * H, registered: true, deadline: Some(190 * H), ..Default::default() },
            // Deadline after the period, closed inside late? No: early, counts as due and on time.
            CaseFacts {
                reported_at: 150 * H,
                registered: true,
                deadline: Some(300 * H),
                closed_at: Some(160 * H),
                ..Default::default()
            },
            // Deadline before the period, closed inside: due, closed, late.
            CaseFacts {
                reported_at: 10 * H,
                registered: true,
                deadline: Some(50 * H),
                closed_at: Some(101 * H),
                reworks: 1,
                ..Default::default()
            },
            // Deadline after the period, open: not due.
            CaseFacts { reported_at: 150 * H, registered: true, deadline: Some(400 * H), ..Default::default() },
            // Refused report: accepted, not registered, never due.
            CaseFacts { reported_at: 120 * H, ..Default::default() },
            // Suspended with its deadline inside: due unless the variant excludes it.
            CaseFacts {
                reported_at: 120 * H,
                registered: true,
                deadline: Some(180 * H),
                suspended: true,
                ..Default::default()
            },
        ];
        let c = Counts::of(&cases, from, to, DueRule::IncludeSuspended);
        assert_eq!((c.accepted, c.registered), (5, 4));
        assert_eq!((c.due, c.closed, c.closed_on_time, c.reworked), (5, 3, 2, 1));
        assert_eq!(c.overdue, 1, "the suspended case is not overdue: its clock stopped");
        let variant = Counts::of(&cases, from, to, DueRule::ExcludeSuspended);
        assert_eq!(variant.due, 4);
    }

    #[test]
    fn satisfaction_and_self_resolved_share_and_averages() {
        let closed = |rating, self_resolved, handling_h| CaseFacts {
            reported_at: 0,
            registered: true,
            deadline: Some(10 * H),
            closed_at: Some(5 * H),
            rating,
            self_resolved,
            handling_ms: Some(handling_h * H),
            ..Default::default()
        };
        let cases = [closed(Some(5), true, 1), closed(Some(3), false, 4), closed(None, false, 7)];
        let c = Counts::of(&cases, 0, 100 * H, DueRule::default());
        assert_eq!(c.satisfaction_rate().percent(), "50.00%");
        assert_eq!(c.self_resolved_share().percent(), "33.33%");
        assert_eq!(c.average_handling_hours(), Some(4.0));
    }

    #[test]
    fn rounding_is_half_up_on_exact_fractions() {
        assert_eq!(Rate { num: 1, den: 8 }.percent(), "12.50%");
        assert_eq!(Rate { num: 1, den: 3 }.percent(), "33.33%");
        assert_eq!(Rate { num: 2, den: 3 }.percent(), "66.67%");
        assert_eq!(Rate { num: 1, den: 80_000 }.percent(), "0.00%");
        assert_eq!(Rate { num: 1, den: 20_000 }.percent(), "0.01%", "0.005% rounds up");
    }
}
