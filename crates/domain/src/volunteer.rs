//! Volunteers (志愿服务) and service points (服务积分 / 时间储蓄).
//!
//! Under the Volunteer Service Regulation (2017, Art. 19) and the Ministry of Civil Affairs'
//! record rules (order 67, 2021): "who organises records, who records certifies" — the
//! organiser of an activity records its volunteers' hours and is the issuer named on them.
//! A volunteer's record holds five categories: personal details, service
//! (project, date, hours, content), training, awards and evaluation; it is true, accurate,
//! complete, free of charge and timely, and the volunteer may ask for a correction. Personal
//! data is not shown to others without consent. Hours, and other actions a community
//! chooses ([`Action`]), earn points that are spent in the community's points shop; the
//! ledger is append-only and a balance is the sum of its entries, never below zero.

use crate::TextRule;

codes!(
    /// A group of volunteers: a standing team, or a project with an aim and an end.
    TeamKind, "team_kind" {
        Team => "team",
        Project => "project",
    }
);

codes!(
    /// The record's categories besides personal details and service hours.
    EntryKind, "entry_kind" {
        Training => "training",
        Award => "award",
        Evaluation => "evaluation",
    }
);

codes!(
    /// A request to correct an hours record: open until the organiser accepts or declines.
    CorrectionStatus, "status" {
        Open => "open",
        Accepted => "accepted",
        Declined => "declined",
    }
);

codes!(
    /// What earns points, with the points a community sets for it (0: it earns none).
    Action, "action" {
        VolunteerHour => "volunteer_hour",
        ActivityAttended => "activity_attended",
    }
);

codes!(
    /// Why a ledger entry was written.
    Reason, "reason" {
        VolunteerHour => "volunteer_hour",
        ActivityAttended => "activity_attended",
        Redemption => "redemption",
        Reversal => "reversal",
        Correction => "correction",
    }
);

codes!(
    /// A redemption: redeemed (points spent, the item held for the resident), handed over,
    /// or reversed (points given back, the item back in stock).
    RedemptionStatus, "status" {
        Redeemed => "redeemed",
        Handed => "handed",
        Reversed => "reversed",
    }
);

impl Action {
    /// Points a community earns by default for the action.
    pub fn default_points(self) -> i64 {
        match self {
            Action::VolunteerHour => 10,
            Action::ActivityAttended => 2,
        }
    }

    /// The ledger reason of an earning.
    pub fn reason(self) -> Reason {
        match self {
            Action::VolunteerHour => Reason::VolunteerHour,
            Action::ActivityAttended => Reason::ActivityAttended,
        }
    }
}

/// Points earned for `minutes` of volunteering at `per_hour` points an hour, rounded down
/// to whole points (a half hour at 10 earns 5).
pub fn hour_points(minutes: i64, per_hour: i64) -> i64 {
    minutes.max(0) * per_hour.max(0) / 60
}

/// Hours and minutes as a volunteer reads them: `3.5` for 210 minutes.
pub fn hours(minutes: i64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    if tenths % 10 == 0 { format!("{}", tenths / 10) } else { format!("{}.{}", tenths / 10, tenths % 10) }
}

/// A volunteer's skills, a team's or project's name.
pub const SKILLS: TextRule =
    TextRule { min: 0, max: 200, multiline: false, short: "error.volunteer.skills", long: "error.volunteer.skills" };
pub const TEAM_NAME: TextRule = TextRule::line(2, 40, "error.volunteer.team_name", "error.volunteer.team_name");
pub const TEAM_DESCRIPTION: TextRule = TextRule {
    min: 0,
    max: 1000,
    multiline: true,
    short: "error.volunteer.team_description",
    long: "error.volunteer.team_description",
};
/// A shift's role (签到引导, 秩序维护, …).
pub const SHIFT_ROLE: TextRule = TextRule::line(2, 30, "error.volunteer.shift_role", "error.volunteer.shift_role");
/// What was done in the hours recorded.
pub const CONTENT: TextRule = TextRule::line(2, 200, "error.volunteer.content", "error.volunteer.content");
/// The project named on an hours record.
pub const PROJECT: TextRule = TextRule::line(2, 60, "error.volunteer.project", "error.volunteer.project");
/// A training, award or evaluation.
pub const ENTRY_TITLE: TextRule = TextRule::line(2, 100, "error.volunteer.entry_title", "error.volunteer.entry_title");
/// Why a correction is asked, or declined.
pub const CORRECTION_REASON: TextRule =
    TextRule { min: 4, max: 500, multiline: true, short: "error.volunteer.reason", long: "error.volunteer.reason" };
/// A shop item's title and description.
pub const ITEM_TITLE: TextRule = TextRule::line(2, 40, "error.points.item_title", "error.points.item_title");
pub const ITEM_DESCRIPTION: TextRule = TextRule {
    min: 0,
    max: 500,
    multiline: true,
    short: "error.points.item_description",
    long: "error.points.item_description",
};
/// The reason staff give for a correction of points.
pub const POINTS_NOTE: TextRule =
    TextRule { min: 4, max: 200, multiline: false, short: "error.points.note", long: "error.points.note" };
/// The most minutes one hours record may hold (a long day).
pub const MAX_MINUTES: i64 = 16 * 60;
/// The most points one correction or rule may give or take.
pub const MAX_POINTS: i64 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_for_hours_round_down_and_hours_read_in_tenths() {
        assert_eq!(hour_points(210, 10), 35);
        assert_eq!(hour_points(25, 10), 4);
        assert_eq!(hour_points(60, 0), 0);
        assert_eq!(hours(210), "3.5");
        assert_eq!(hours(120), "2");
        assert_eq!(hours(20), "0.3");
    }
}
