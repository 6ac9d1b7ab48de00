//! Community consultation (城乡社区协商, domain guide §7) as a procedure of dated, recorded
//! steps. An ordinary consultation: the topic proposed after soliciting views → participants
//! fixed → participants briefed in advance → the consultation with its outcome (published) →
//! implementation → the report back with the implementation (published). A major matter
//! follows 四议两公开: the Party organisation proposes (提议) → the two committees discuss (商议,
//! a majority of those present) → the Party members' meeting reviews (审议: at least 2/3 of
//! members present, more than half of those present agree) → the residents' (representatives')
//! meeting decides (决议: more than half of members present, more than half of those present
//! agree) → the decision is published (决议公开) → the implementation result is published
//! (实施结果公开). A meeting without its quorum is no meeting: the step stays open. A vote that
//! fails ends the procedure.

use crate::FieldError;

codes!(
    /// An ordinary consultation, or a major matter under 四议两公开.
    Kind, "kind" {
        Ordinary => "ordinary",
        Major => "major",
    }
);

codes!(
    /// A step of a consultation.
    Step, "step" {
        Propose => "propose",
        Participants => "participants",
        Briefing => "briefing",
        Consult => "consult",
        Implement => "implement",
        Report => "report",
        Discuss => "discuss",
        Review => "review",
        Decide => "decide",
        PublishDecision => "publish_decision",
        PublishResult => "publish_result",
    }
);

/// The steps of each kind, in order.
pub fn steps(kind: Kind) -> &'static [Step] {
    match kind {
        Kind::Ordinary => {
            &[Step::Propose, Step::Participants, Step::Briefing, Step::Consult, Step::Implement, Step::Report]
        }
        Kind::Major => {
            &[Step::Propose, Step::Discuss, Step::Review, Step::Decide, Step::PublishDecision, Step::PublishResult]
        }
    }
}

/// The step due after `done` steps, if any.
pub fn next(kind: Kind, done: usize) -> Option<Step> {
    steps(kind).get(done).copied()
}

/// How a meeting's vote is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quorum {
    /// More than half of those present agree; any attendance.
    Majority,
    /// At least two thirds of members present; more than half of those present agree.
    TwoThirdsPresent,
    /// More than half of members present; more than half of those present agree.
    HalfPresent,
}

impl Step {
    /// The vote a step takes, if it is a meeting that decides.
    pub fn quorum(self) -> Option<Quorum> {
        match self {
            Step::Discuss => Some(Quorum::Majority),
            Step::Review => Some(Quorum::TwoThirdsPresent),
            Step::Decide => Some(Quorum::HalfPresent),
            _ => None,
        }
    }

    /// Whether the step's text goes on the public record, and as which kind.
    pub fn publishes(self) -> Option<crate::publicity::Kind> {
        match self {
            Step::Consult => Some(crate::publicity::Kind::Consultation),
            Step::PublishDecision => Some(crate::publicity::Kind::Decision),
            Step::Report | Step::PublishResult => Some(crate::publicity::Kind::Implementation),
            _ => None,
        }
    }
}

/// A meeting's figures: members, present, agreeing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vote {
    pub members: u32,
    pub present: u32,
    pub agree: u32,
}

/// Judges a vote: `Err` names the field when the figures contradict each other or the
/// meeting had no quorum (it is no meeting, and must be held again); `Ok(passed)`.
pub fn judge(quorum: Quorum, v: Vote) -> Result<bool, FieldError> {
    if v.members == 0 {
        return Err(FieldError::new("members", "error.consultation.members"));
    }
    if v.present > v.members {
        return Err(FieldError::new("present", "error.consultation.present"));
    }
    if v.agree > v.present {
        return Err(FieldError::new("agree", "error.consultation.agree"));
    }
    let (members, present, agree) = (u64::from(v.members), u64::from(v.present), u64::from(v.agree));
    let quorate = match quorum {
        Quorum::Majority => present > 0,
        Quorum::TwoThirdsPresent => present * 3 >= members * 2,
        Quorum::HalfPresent => present * 2 > members,
    };
    if !quorate {
        let key = match quorum {
            Quorum::TwoThirdsPresent => "error.consultation.two_thirds",
            _ => "error.consultation.half",
        };
        return Err(FieldError::new("present", key));
    }
    Ok(agree * 2 > present)
}

/// A consultation's title.
pub const TITLE: crate::TextRule = crate::TextRule::line(2, 80, "error.consultation.title", "error.consultation.title");
/// A step's record: what was done, the outcome, what is published.
pub const NOTE: crate::TextRule = crate::TextRule {
    min: 2,
    max: 4000,
    multiline: true,
    short: "error.consultation.note",
    long: "error.consultation.note",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn v(members: u32, present: u32, agree: u32) -> Vote {
        Vote { members, present, agree }
    }

    #[test]
    fn the_party_members_meeting_needs_two_thirds_present_and_a_majority_of_them() {
        // 30 members: 20 present is 2/3 exactly; 19 is not a meeting.
        assert_eq!(judge(Quorum::TwoThirdsPresent, v(30, 20, 11)), Ok(true));
        assert_eq!(judge(Quorum::TwoThirdsPresent, v(30, 20, 10)), Ok(false), "half is not more than half");
        assert_eq!(judge(Quorum::TwoThirdsPresent, v(30, 19, 19)).unwrap_err().field, "present");
    }

    #[test]
    fn the_residents_meeting_needs_more_than_half_present() {
        assert_eq!(judge(Quorum::HalfPresent, v(41, 21, 11)), Ok(true));
        assert_eq!(judge(Quorum::HalfPresent, v(40, 20, 20)).unwrap_err().key, "error.consultation.half");
        assert_eq!(judge(Quorum::HalfPresent, v(40, 30, 31)).unwrap_err().field, "agree");
        assert_eq!(judge(Quorum::HalfPresent, v(40, 41, 30)).unwrap_err().field, "present");
    }

    #[test]
    fn each_kind_runs_its_six_steps_in_order() {
        assert_eq!(next(Kind::Major, 0), Some(Step::Propose));
        assert_eq!(next(Kind::Major, 3), Some(Step::Decide));
        assert_eq!(next(Kind::Major, 6), None);
        assert_eq!(steps(Kind::Ordinary).len(), 6);
        assert_eq!(Step::PublishDecision.publishes(), Some(crate::publicity::Kind::Decision));
        assert_eq!(Step::Review.quorum(), Some(Quorum::TwoThirdsPresent));
    }
}
