//! Residents' proposals (居民议事): a resident of the community proposes a topic; other
//! residents of it support it, once each, with a verified account; at a threshold (a share
//! of the community's adult residents, set per community, never fewer than [`MIN_SUPPORTS`])
//! it goes to triage, where the Party organisation and the residents' committee accept it
//! for the joint meeting, answer it, or reject it with a reason the proposer reads. The
//! proposer may edit it until the first support and withdraw it while it is open; anyone
//! may report it, and staff may hide it with a reason.

use crate::FieldError;

codes!(
    /// Where a proposal stands.
    Status, "status" {
        /// Collecting supports.
        Open => "open",
        /// Past its threshold: waiting for the community's answer.
        Triage => "triage",
        /// Taken to the joint meeting's ledger.
        Accepted => "accepted",
        /// Answered without a meeting.
        Answered => "answered",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        /// Hidden by staff, with the reason the proposer reads.
        Hidden => "hidden",
    }
);

impl Status {
    /// Still before the community's answer.
    pub fn is_live(self) -> bool {
        matches!(self, Status::Open | Status::Triage)
    }
}

codes!(
    /// What the community decides at triage.
    Decision, "decision" {
        Accept => "accept",
        Answer => "answer",
        Reject => "reject",
    }
);

impl Decision {
    pub fn status(self) -> Status {
        match self {
            Decision::Accept => Status::Accepted,
            Decision::Answer => Status::Answered,
            Decision::Reject => Status::Rejected,
        }
    }
}

/// A proposal's title.
pub const TITLE: crate::TextRule = crate::TextRule::line(4, 60, "error.proposal.title", "error.proposal.title");
/// What it proposes and why.
pub const BODY: crate::TextRule =
    crate::TextRule { min: 10, max: 2000, multiline: true, short: "error.proposal.body", long: "error.proposal.body" };
/// The community's answer, a rejection's or hiding's reason, a report's reason.
pub const ANSWER: crate::TextRule = crate::TextRule {
    min: 2,
    max: 1000,
    multiline: true,
    short: "error.proposal.answer",
    long: "error.proposal.answer",
};

/// The fewest supports any threshold asks for.
pub const MIN_SUPPORTS: i64 = 10;
/// The default share of adult residents, in per mille (2%).
pub const DEFAULT_PERMILLE: i64 = 20;

/// The supports a proposal needs: `permille` of `adults`, rounded up, at least
/// [`MIN_SUPPORTS`].
pub fn threshold(adults: i64, permille: i64) -> i64 {
    let share = (adults.max(0) * permille.max(0) + 999) / 1000;
    share.max(MIN_SUPPORTS)
}

/// A share setting in per mille: 1–200 (0.1% to 20%, the bar a residents' meeting has).
pub fn parse_permille(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (1..=200).contains(p))
        .ok_or(FieldError::new(field, "error.proposal.permille"))
}

/// A resident's name as other residents see it on a proposal: the surname and a mask.
pub fn public_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count().clamp(1, 2))),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_is_a_share_of_adults_rounded_up_with_a_floor() {
        assert_eq!(threshold(3_000, 20), 60);
        assert_eq!(threshold(3_001, 20), 61, "rounded up");
        assert_eq!(threshold(100, 20), MIN_SUPPORTS, "never fewer than the floor");
        assert_eq!(threshold(0, 20), MIN_SUPPORTS);
        assert!(parse_permille("share", "0").is_err() && parse_permille("share", "201").is_err());
        assert_eq!(parse_permille("share", " 50 "), Ok(50));
    }

    #[test]
    fn other_residents_see_a_surname() {
        assert_eq!(public_name("张伟"), "张*");
        assert_eq!(public_name("欧阳秀英"), "欧**");
        assert_eq!(public_name(""), "");
    }
}
