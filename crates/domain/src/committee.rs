//! The owners' committee's duties after it is elected (domain guide §3), as tracked tasks:
//! its first meeting (electing the chair and vice chair) within 7 days of the result,
//! filing (备案) with the street within 30 days, a committee meeting at least every two
//! months, and each committee decision, signed by more than half of ALL members,
//! published within 3 days. The days are settings; dates are China dates counted as days.

use crate::FieldError;

/// The committee's deadlines, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitteeCalendar {
    pub first_meeting_days: i64,
    pub filing_days: i64,
    /// The longest gap between two committee meetings (two months).
    pub meeting_every_days: i64,
    pub publish_decision_days: i64,
    /// A duty is "due soon" this many days before its deadline.
    pub warn_days: i64,
}

impl Default for CommitteeCalendar {
    fn default() -> Self {
        CommitteeCalendar {
            first_meeting_days: 7,
            filing_days: 30,
            meeting_every_days: 61,
            publish_decision_days: 3,
            warn_days: 2,
        }
    }
}

codes!(
    /// A duty of the committee.
    Duty, "duty" {
        /// The first meeting, which elects the chair and vice chair.
        FirstMeeting => "first_meeting",
        /// Filing the election's result with the street office.
        Filing => "filing",
        /// The next regular committee meeting.
        Meeting => "meeting",
        /// Publishing a decision the members have signed.
        PublishDecision => "publish_decision",
    }
);

/// Where a duty stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DutyState {
    Overdue,
    DueSoon,
    Pending,
}

/// One open duty: what, by which day (days since the epoch), and its state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenDuty {
    pub duty: Duty,
    /// For a decision to publish: which.
    pub decision: Option<i64>,
    pub due: i64,
    pub state: DutyState,
}

/// What the committee has done so far, as days since the epoch.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The day the election's final result was published: the term's first day.
    pub elected_on: i64,
    pub first_meeting: Option<i64>,
    pub filed: Option<i64>,
    /// The latest committee meeting (the first one included).
    pub last_meeting: Option<i64>,
    /// Decisions passed (signed by a majority of all members) and not yet published: id and day.
    pub unpublished: Vec<(i64, i64)>,
}

/// The duties still open on `today`, most urgent first.
pub fn open_duties(cal: CommitteeCalendar, r: &Record, today: i64) -> Vec<OpenDuty> {
    let state = |due: i64| {
        if today > due {
            DutyState::Overdue
        } else if due - today <= cal.warn_days {
            DutyState::DueSoon
        } else {
            DutyState::Pending
        }
    };
    let mut out = Vec::new();
    let mut open =
        |duty: Duty, decision: Option<i64>, due: i64| out.push(OpenDuty { duty, decision, due, state: state(due) });
    match r.first_meeting {
        None => open(Duty::FirstMeeting, None, r.elected_on + cal.first_meeting_days),
        Some(_) => {
            let last = r.last_meeting.or(r.first_meeting).unwrap_or(r.elected_on);
            open(Duty::Meeting, None, last + cal.meeting_every_days);
        }
    }
    if r.filed.is_none() {
        open(Duty::Filing, None, r.elected_on + cal.filing_days);
    }
    for (id, decided) in &r.unpublished {
        open(Duty::PublishDecision, Some(*id), decided + cal.publish_decision_days);
    }
    out.sort_by_key(|d| (d.state, d.due));
    out
}

/// A committee decision stands when more than half of ALL members sign (过半数: half is not
/// enough, and members absent or not signing count against it).
pub fn decision_passes(signatures: i64, members: i64) -> bool {
    crate::assembly::more_than(signatures, members, 1, 2)
}

/// A decision's title: 2–100 characters on one line.
pub const DECISION_TITLE: crate::TextRule =
    crate::TextRule::line(2, 100, "error.committee.title", "error.committee.title");

/// A decision's text or a meeting's minutes: 2–4,000 characters.
pub const MINUTES: crate::TextRule = crate::TextRule {
    min: 2,
    max: 4000,
    multiline: true,
    short: "error.committee.minutes",
    long: "error.committee.minutes",
};

/// The chair and vice chair are two different members.
pub fn check_officers(chair: i64, vice_chair: i64, members: &[i64]) -> Result<(), FieldError> {
    if !members.contains(&chair) {
        return Err(FieldError::new("chair", "error.choice"));
    }
    if !members.contains(&vice_chair) || vice_chair == chair {
        return Err(FieldError::new("vice_chair", "error.committee.officers"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duties(r: &Record, today: i64) -> Vec<(Duty, i64, DutyState)> {
        open_duties(CommitteeCalendar::default(), r, today).into_iter().map(|d| (d.duty, d.due, d.state)).collect()
    }

    #[test]
    fn a_new_committee_owes_its_first_meeting_in_seven_days_and_its_filing_in_thirty() {
        let r = Record { elected_on: 100, ..Record::default() };
        assert_eq!(
            duties(&r, 100),
            vec![(Duty::FirstMeeting, 107, DutyState::Pending), (Duty::Filing, 130, DutyState::Pending)]
        );
        assert_eq!(duties(&r, 105)[0].2, DutyState::DueSoon);
        assert_eq!(duties(&r, 107)[0].2, DutyState::DueSoon, "the last day is still in time");
        assert_eq!(duties(&r, 108)[0], (Duty::FirstMeeting, 107, DutyState::Overdue));
    }

    #[test]
    fn after_the_first_meeting_the_next_is_due_two_months_after_the_last() {
        let r = Record {
            elected_on: 100,
            first_meeting: Some(104),
            last_meeting: Some(150),
            filed: Some(120),
            ..Record::default()
        };
        assert_eq!(duties(&r, 160), vec![(Duty::Meeting, 211, DutyState::Pending)]);
        assert_eq!(duties(&r, 212), vec![(Duty::Meeting, 211, DutyState::Overdue)]);
    }

    #[test]
    fn a_signed_decision_is_published_within_three_days_and_overdue_ones_come_first() {
        let r = Record {
            elected_on: 100,
            first_meeting: Some(104),
            last_meeting: Some(104),
            filed: None,
            unpublished: vec![(7, 110)],
        };
        let d = open_duties(CommitteeCalendar::default(), &r, 114);
        assert_eq!(
            (d[0].duty, d[0].decision, d[0].due, d[0].state),
            (Duty::PublishDecision, Some(7), 113, DutyState::Overdue)
        );
    }

    #[test]
    fn a_decision_needs_more_than_half_of_all_members() {
        assert!(decision_passes(3, 5) && !decision_passes(2, 5));
        assert!(!decision_passes(3, 6) && decision_passes(4, 6), "half is not more than half");
    }

    #[test]
    fn the_chair_and_vice_chair_are_two_members() {
        assert!(check_officers(1, 2, &[1, 2, 3]).is_ok());
        assert_eq!(check_officers(1, 1, &[1, 2, 3]).unwrap_err().field, "vice_chair");
        assert_eq!(check_officers(9, 2, &[1, 2, 3]).unwrap_err().field, "chair");
    }
}
