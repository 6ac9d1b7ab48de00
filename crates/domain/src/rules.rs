//! The rules of owners' self-governance that a city sets for itself, within the law: the
//! assembly's calendar (notice, voting window, objections, publication), the committee's
//! size and duties, and the weights and grades of the property company's scorecard. One
//! table of fields ([`FIELDS`]) serves the settings form, the stored form (a flat map of
//! names to integers) and the checks, so a rule has one name everywhere.

use crate::FieldError;
use crate::assembly::Calendar;
use crate::committee::CommitteeCalendar;
use crate::election::CommitteeRules;
use crate::scorecard::ScoreRules;
use std::collections::BTreeMap;

/// Every rule of owners' self-governance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SelfGovernance {
    pub assembly: Calendar,
    pub committee: CommitteeRules,
    pub duties: CommitteeCalendar,
    pub score: ScoreRules,
}

/// The group a field is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Assembly,
    Committee,
    Duties,
    Score,
}

impl Group {
    pub const ALL: [Group; 4] = [Group::Assembly, Group::Committee, Group::Duties, Group::Score];

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Assembly => "assembly",
            Group::Committee => "committee",
            Group::Duties => "duties",
            Group::Score => "score",
        }
    }
}

/// One rule: its name, group, the range a person may enter, and where it is kept.
/// Scorecard points are entered as points and kept in tenths (`scale` 10).
pub struct RuleField {
    pub name: &'static str,
    pub group: Group,
    pub min: i64,
    pub max: i64,
    pub scale: i64,
    get: fn(&SelfGovernance) -> i64,
    set: fn(&mut SelfGovernance, i64),
}

impl RuleField {
    /// The value as a person enters it.
    pub fn shown(&self, rules: &SelfGovernance) -> i64 {
        (self.get)(rules) / self.scale
    }
}

macro_rules! field {
    ($name:literal, $group:ident, $min:expr, $max:expr, $scale:expr, $($path:tt)+) => {
        RuleField {
            name: $name,
            group: Group::$group,
            min: $min,
            max: $max,
            scale: $scale,
            get: |r| r.$($path)+,
            set: |r, v| r.$($path)+ = v,
        }
    };
}

/// The rules, in the order the form shows them.
pub const FIELDS: [RuleField; 23] = [
    // The law asks for at least 15 days' notice (物业管理条例 Art. 13).
    field!("notice_days", Assembly, 15, 60, 1, assembly.notice_days),
    field!("min_window_days", Assembly, 1, 60, 1, assembly.min_window_days),
    field!("max_window_days", Assembly, 1, 120, 1, assembly.max_window_days),
    field!("objection_days", Assembly, 1, 30, 1, assembly.objection_days),
    field!("publish_days", Assembly, 1, 30, 1, assembly.publish_days),
    field!("min_seats", Committee, 3, 21, 1, committee.min_seats),
    field!("max_seats", Committee, 3, 21, 1, committee.max_seats),
    field!("small_estate_households", Committee, 0, 2000, 1, committee.small_estate_households),
    field!("small_estate_seats", Committee, 3, 21, 1, committee.small_estate_seats),
    field!("first_meeting_days", Duties, 1, 30, 1, duties.first_meeting_days),
    field!("filing_days", Duties, 1, 90, 1, duties.filing_days),
    field!("meeting_every_days", Duties, 7, 183, 1, duties.meeting_every_days),
    field!("publish_decision_days", Duties, 1, 30, 1, duties.publish_decision_days),
    field!("warn_days", Duties, 0, 14, 1, duties.warn_days),
    field!("score_base", Score, 0, 100, 10, score.base),
    field!("score_on_time", Score, 0, 100, 10, score.on_time),
    field!("score_satisfied", Score, 0, 100, 10, score.satisfied),
    field!("score_no_rework", Score, 0, 100, 10, score.no_rework),
    field!("score_survey", Score, 0, 100, 10, score.survey),
    field!("grade_aaa", Score, 1, 100, 10, score.grades[0]),
    field!("grade_aa", Score, 1, 100, 10, score.grades[1]),
    field!("grade_a", Score, 1, 100, 10, score.grades[2]),
    field!("grade_b", Score, 1, 100, 10, score.grades[3]),
];

impl SelfGovernance {
    /// The rules from what a person entered (points for the scorecard), every field
    /// required and within its range, then checked as a whole.
    pub fn from_form(values: &BTreeMap<String, String>) -> Result<SelfGovernance, FieldError> {
        let mut rules = SelfGovernance::default();
        for f in &FIELDS {
            let v = values
                .get(f.name)
                .and_then(|v| v.trim().parse::<i64>().ok())
                .filter(|v| (f.min..=f.max).contains(v))
                .ok_or(FieldError::new(f.name, "error.rules.range"))?;
            (f.set)(&mut rules, v * f.scale);
        }
        rules.check()?;
        Ok(rules)
    }

    /// The stored form: each rule by name, as kept.
    pub fn to_map(&self) -> BTreeMap<String, i64> {
        FIELDS.iter().map(|f| (f.name.to_owned(), (f.get)(self))).collect()
    }

    /// The rules from their stored form; a rule missing (stored before it existed) or
    /// out of range keeps its default.
    pub fn from_map(map: &BTreeMap<String, i64>) -> SelfGovernance {
        let mut rules = SelfGovernance::default();
        for f in &FIELDS {
            if let Some(v) = map.get(f.name).filter(|v| (f.min * f.scale..=f.max * f.scale).contains(*v)) {
                (f.set)(&mut rules, *v);
            }
        }
        if rules.check().is_ok() { rules } else { SelfGovernance::default() }
    }

    /// What the ranges alone cannot say: a window's shortest within its longest, seat
    /// numbers odd and in order, grades strictly descending.
    pub fn check(&self) -> Result<(), FieldError> {
        let a = &self.assembly;
        if a.min_window_days > a.max_window_days {
            return Err(FieldError::new("max_window_days", "error.rules.window"));
        }
        let c = &self.committee;
        for (name, seats) in
            [("min_seats", c.min_seats), ("max_seats", c.max_seats), ("small_estate_seats", c.small_estate_seats)]
        {
            if seats % 2 == 0 {
                return Err(FieldError::new(name, "error.rules.odd"));
            }
        }
        if c.min_seats > c.max_seats {
            return Err(FieldError::new("max_seats", "error.rules.seats"));
        }
        if c.small_estate_seats > c.min_seats {
            return Err(FieldError::new("small_estate_seats", "error.rules.seats"));
        }
        let g = &self.score.grades;
        if !(g[0] > g[1] && g[1] > g[2] && g[2] > g[3]) {
            return Err(FieldError::new("grade_aa", "error.rules.grades"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(rules: &SelfGovernance) -> BTreeMap<String, String> {
        FIELDS.iter().map(|f| (f.name.to_owned(), f.shown(rules).to_string())).collect()
    }

    #[test]
    fn the_defaults_are_the_laws_and_go_round_the_form_and_the_store_unchanged() {
        let d = SelfGovernance::default();
        assert_eq!(d.assembly.notice_days, 15);
        assert_eq!((d.committee.min_seats, d.committee.max_seats, d.committee.small_estate_seats), (5, 11, 3));
        assert_eq!(SelfGovernance::from_form(&form(&d)), Ok(d));
        assert_eq!(SelfGovernance::from_map(&d.to_map()), d);
        assert_eq!(FIELDS.iter().map(|f| f.name).collect::<std::collections::BTreeSet<_>>().len(), FIELDS.len());
    }

    #[test]
    fn a_rule_outside_the_law_or_out_of_order_is_refused_naming_it() {
        let d = SelfGovernance::default();
        let with = |name: &str, v: &str| {
            let mut f = form(&d);
            f.insert(name.to_owned(), v.to_owned());
            SelfGovernance::from_form(&f).map_err(|e| (e.field, e.key))
        };
        assert_eq!(with("notice_days", "14"), Err(("notice_days", "error.rules.range")), "less notice than the law");
        assert_eq!(with("notice_days", "x"), Err(("notice_days", "error.rules.range")));
        assert_eq!(with("min_window_days", "61"), Err(("min_window_days", "error.rules.range")));
        assert_eq!(with("min_window_days", "30").map(|r| r.assembly.min_window_days), Ok(30));
        assert_eq!(with("max_window_days", "4"), Err(("max_window_days", "error.rules.window")));
        assert_eq!(with("max_seats", "10"), Err(("max_seats", "error.rules.odd")));
        assert_eq!(with("small_estate_seats", "7"), Err(("small_estate_seats", "error.rules.seats")));
        assert_eq!(with("grade_aa", "85"), Err(("grade_aa", "error.rules.grades")), "AA must be below AAA");
        // Points are kept in tenths.
        assert_eq!(with("score_survey", "15").map(|r| r.score.survey), Ok(150));
    }

    #[test]
    fn stored_rules_that_no_longer_hold_fall_back_to_the_defaults() {
        let mut map = SelfGovernance::default().to_map();
        map.insert("min_seats".into(), 13);
        assert_eq!(SelfGovernance::from_map(&map), SelfGovernance::default(), "13 > 11 seats");
        map.insert("min_seats".into(), 7);
        map.remove("warn_days");
        let read = SelfGovernance::from_map(&map);
        assert_eq!((read.committee.min_seats, read.duties.warn_days), (7, 2));
    }
}
