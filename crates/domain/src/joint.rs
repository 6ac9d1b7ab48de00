//! The joint mechanism (联席会议, domain guide §7): an issues ledger (问题台账) of problems no
//! single party can solve, each raised from where it came (a case, a dispute, a recurring
//! alarm, a grid visit, a residents' proposal, an owners' committee motion, a party's
//! request); monthly joint meetings convened by the Party secretary whose agenda is built
//! from it; and resolutions, each with a responsible party and a deadline, followed up
//! (督办) and struck off (销号) with evidence. A resolution's progress is its own figure, or
//! its case's where it opened one, or its children's: their weighted sum where weights are
//! set, else their mean (Decidim accountability).

use crate::admin::OrganisationKind;
use crate::case::State;
use crate::{FieldError, Role};
use chrono::NaiveDate;

codes!(
    /// Where a ledger item came from.
    Source, "source" {
        /// An escalated or long-overdue case.
        Case => "case",
        /// A dispute that mediation at the grid could not settle.
        Dispute => "dispute",
        /// An alarm that keeps coming back.
        Alarm => "alarm",
        /// What a grid worker heard on a visit.
        Visit => "visit",
        /// A residents' proposal accepted for the joint meeting.
        Proposal => "proposal",
        /// A motion of the owners' committee.
        Motion => "motion",
        /// The request of a party (the property company, a social organisation …).
        PartyRequest => "party_request",
    }
);

impl Source {
    /// Whether the item names a case of the community it came from.
    pub fn names_case(self) -> bool {
        matches!(self, Source::Case | Source::Dispute)
    }
}

codes!(
    /// Where a ledger item stands.
    ItemStatus, "status" {
        Open => "open",
        /// On a joint meeting's agenda.
        OnAgenda => "on_agenda",
        /// Every resolution on it is struck off.
        Resolved => "resolved",
        /// Dropped, with the reason the one who raised it reads.
        Dropped => "dropped",
    }
);

impl ItemStatus {
    /// Still waiting for the parties.
    pub fn is_live(self) -> bool {
        matches!(self, ItemStatus::Open | ItemStatus::OnAgenda)
    }
}

/// A ledger item's or a resolution's title.
pub const TITLE: crate::TextRule = crate::TextRule::line(2, 100, "error.joint.title", "error.joint.title");
/// A ledger item's account of the problem.
pub const BODY: crate::TextRule =
    crate::TextRule { min: 0, max: 2000, multiline: true, short: "error.joint.body", long: "error.joint.body" };
/// A meeting's minutes (纪要).
pub const MINUTES: crate::TextRule = crate::TextRule {
    min: 10,
    max: 20_000,
    multiline: true,
    short: "error.joint.minutes",
    long: "error.joint.minutes",
};
/// A meeting's place.
pub const PLACE: crate::TextRule = crate::TextRule::line(2, 60, "error.joint.place", "error.joint.place");
/// An invited guest (name and unit).
pub const GUEST: crate::TextRule = crate::TextRule::line(2, 60, "error.joint.guest", "error.joint.guest");
/// Why an item is dropped; the evidence a resolution is done; a follow-up's note.
pub const REASON: crate::TextRule =
    crate::TextRule { min: 2, max: 1000, multiline: true, short: "error.joint.reason", long: "error.joint.reason" };

/// A progress figure in percent, 0–100.
pub fn parse_progress(field: &'static str, raw: &str) -> Result<u8, FieldError> {
    raw.trim()
        .trim_end_matches('%')
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or(FieldError::new(field, "error.joint.progress"))
}

/// A child's share of its parent, in percent (1–100), or none.
pub fn parse_weight(field: &'static str, raw: &str) -> Result<Option<u8>, FieldError> {
    let raw = raw.trim().trim_end_matches('%');
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u8>()
        .ok()
        .filter(|w| (1..=100).contains(w))
        .map(Some)
        .ok_or(FieldError::new(field, "error.joint.weight"))
}

/// A parent's progress from its children's (weight in percent where set, progress): the
/// weighted sum when every child has a weight (normalised, so weights that do not add up to
/// 100 still give a figure within 0–100), else their mean. No children: none.
pub fn rollup(children: &[(Option<u8>, u8)]) -> Option<u8> {
    if children.is_empty() {
        return None;
    }
    let weighted = children.iter().all(|(w, _)| w.is_some());
    let (sum, total) = children.iter().fold((0u32, 0u32), |(sum, total), (w, p)| {
        let w = if weighted { u32::from(w.unwrap_or(1)) } else { 1 };
        (sum + w * u32::from(*p), total + w)
    });
    // Rounded down, so 99.5 is not shown as done.
    u8::try_from(sum / total.max(1)).ok()
}

/// How far a case in the loop has gone, as a resolution's progress.
pub fn case_progress(state: State) -> u8 {
    match state {
        State::Reported | State::Refused => 0,
        State::Registered => 10,
        State::Dispatched => 25,
        State::Accepted | State::Suspended => 40,
        State::Handled => 80,
        State::Closed => 100,
    }
}

/// Where a resolution stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    Overdue,
    DueSoon,
    OnTrack,
    Done,
}

impl Standing {
    /// A resolution due on `due`, struck off or not, seen on `today`; due soon within
    /// `warn_days`.
    pub fn of(due: NaiveDate, done: bool, today: NaiveDate, warn_days: i64) -> Standing {
        if done {
            Standing::Done
        } else if due < today {
            Standing::Overdue
        } else if (due - today).num_days() <= warn_days {
            Standing::DueSoon
        } else {
            Standing::OnTrack
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Overdue => "overdue",
            Standing::DueSoon => "due_soon",
            Standing::OnTrack => "on_track",
            Standing::Done => "done",
        }
    }
}

/// Whether someone holding `role` in the community acts for a party of kind `kind` of it
/// without belonging to it by name: the Party secretary (the director's role) for the Party
/// branch, the staff for the residents' committee, its members for the owners' committee.
/// Property and social organisation staff act for their own organisation only.
pub fn acts_for(role: Role, kind: OrganisationKind) -> bool {
    matches!(
        (role, kind),
        (Role::CommunityDirector, OrganisationKind::PartyBranch)
            | (Role::CommunityStaff | Role::CommunityDirector, OrganisationKind::ResidentsCommittee)
            | (Role::OwnersCommitteeMember, OrganisationKind::OwnersCommittee)
    )
}

/// The sources someone holding `role` may raise a ledger item from: staff any, a grid
/// worker what a visit found, the owners' committee a motion, a party its request.
pub fn sources_for(role: Role) -> &'static [Source] {
    match role {
        Role::CommunityStaff | Role::CommunityDirector => {
            &[Source::Case, Source::Dispute, Source::Alarm, Source::Visit, Source::Proposal, Source::PartyRequest]
        }
        Role::GridWorker => &[Source::Visit, Source::Case, Source::Dispute],
        Role::OwnersCommitteeMember => &[Source::Motion],
        Role::PropertyStaff | Role::SocialOrgStaff => &[Source::PartyRequest],
        _ => &[],
    }
}

/// Days before a resolution's deadline when its party is reminded.
pub const WARN_DAYS: i64 = 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_takes_the_weighted_sum_where_weights_are_set_else_the_mean() {
        assert_eq!(rollup(&[]), None);
        assert_eq!(rollup(&[(None, 100), (None, 0)]), Some(50));
        assert_eq!(rollup(&[(Some(80), 100), (Some(20), 0)]), Some(80));
        // One weight missing: the mean, as Decidim does.
        assert_eq!(rollup(&[(Some(80), 100), (None, 0)]), Some(50));
        // Weights that do not add up to 100 are taken as shares.
        assert_eq!(rollup(&[(Some(30), 100), (Some(30), 50)]), Some(75));
        assert_eq!(rollup(&[(None, 100), (None, 100), (None, 99)]), Some(99), "not done until all are");
    }

    #[test]
    fn progress_and_weight_are_checked_naming_the_field() {
        assert_eq!(parse_progress("progress", " 60% "), Ok(60));
        assert_eq!(parse_progress("progress", "101").unwrap_err().field, "progress");
        assert_eq!(parse_weight("weight", ""), Ok(None));
        assert_eq!(parse_weight("weight", "0").unwrap_err().key, "error.joint.weight");
    }

    #[test]
    fn standing_orders_overdue_first() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let day = |d: i64| today + chrono::Duration::days(d);
        assert_eq!(Standing::of(day(-1), false, today, 3), Standing::Overdue);
        assert_eq!(Standing::of(day(3), false, today, 3), Standing::DueSoon);
        assert_eq!(Standing::of(day(4), false, today, 3), Standing::OnTrack);
        assert_eq!(Standing::of(day(-9), true, today, 3), Standing::Done);
        assert!(Standing::Overdue < Standing::DueSoon && Standing::OnTrack < Standing::Done);
        assert_eq!(case_progress(State::Closed), 100);
    }
}
