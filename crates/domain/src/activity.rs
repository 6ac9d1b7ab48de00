//! Community activities (社区活动): festivals, classes, free clinics, health talks and
//! children's activities, organised by the community, a social organisation, or residents
//! themselves (proposed by residents and approved by staff). An activity has places, who
//! may join (an age range, care tags, some grids), registration with a waiting line (the
//! same places as a service's slot, see [`crate::service::placement`]), check-in on the day
//! by the code on the resident's phone or the organiser's list, and a short report after.

use crate::TextRule;

codes!(
    /// What kind of activity it is.
    Kind, "kind" {
        Festival => "festival",
        Class => "class",
        Clinic => "clinic",
        Talk => "talk",
        Children => "children",
        Culture => "culture",
        Other => "other",
    }
);

codes!(
    /// Who organises it.
    Organiser, "organiser" {
        Community => "community",
        Organisation => "organisation",
        Residents => "residents",
    }
);

codes!(
    /// Where it stands: proposed by residents and waiting for staff, approved (open for
    /// registration until it begins), rejected with a reason, or cancelled.
    Status, "status" {
        Proposed => "proposed",
        Approved => "approved",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
);

/// An activity's title.
pub const TITLE: TextRule = TextRule::line(2, 60, "error.activity.title", "error.activity.title");
/// What happens, for whom, what to bring.
pub const DESCRIPTION: TextRule = TextRule {
    min: 0,
    max: 2000,
    multiline: true,
    short: "error.activity.description",
    long: "error.activity.description",
};
/// Where.
pub const VENUE: TextRule = TextRule::line(2, 60, "error.activity.venue", "error.activity.venue");
/// The report written afterwards.
pub const REPORT: TextRule =
    TextRule { min: 10, max: 2000, multiline: true, short: "error.activity.report", long: "error.activity.report" };
/// A reason for rejecting a residents' proposal.
pub const NOTE: TextRule =
    TextRule { min: 2, max: 500, multiline: true, short: "error.activity.note", long: "error.activity.note" };
/// Places in one activity.
pub const MAX_CAPACITY: i64 = 5000;
/// Photos in a report.
pub const MAX_PHOTOS: usize = 9;

/// The grids an activity is limited to, as stored (`''`: the whole community).
pub fn grids_code(grids: &[i64]) -> String {
    grids.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(",")
}

/// Reads the stored grids back.
pub fn parse_grids(code: &str) -> Vec<i64> {
    code.split(',').filter_map(|g| g.trim().parse().ok()).collect()
}

/// Whether a resident of `grid` may join an activity limited to `grids` (none: everyone).
pub fn admits_grid(grids: &[i64], grid: i64) -> bool {
    grids.is_empty() || grids.contains(&grid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_round_trip_and_an_empty_list_is_everyone() {
        assert_eq!(parse_grids(&grids_code(&[3, 5])), [3, 5]);
        assert!(admits_grid(&[], 9));
        assert!(admits_grid(&[3, 5], 5));
        assert!(!admits_grid(&[3, 5], 4));
    }
}
