//! The property company's scorecard for a quarter (domain guide §9): a credit score of a
//! base, plus service points from the cases sent to it, plus points from the owners'
//! satisfaction survey, plus good records, minus bad records (each record counts for a year),
//! graded AAA ≥ 85, AA ≥ 80, A ≥ 70, B ≥ 60, C below; AAA companies are on the red list, C
//! on the black list. No city publishes the weights for satisfaction, so every weight is a
//! setting ([`ScoreRules`]) and the formula is shown beside the score with its figures.
//!
//! Points are kept in tenths, on integers; rates are exact fractions.

use crate::indicators::Rate;

/// The weights and thresholds, in tenths of a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScoreRules {
    pub base: i64,
    /// Service points at full marks: closed on time, reporters satisfied, no rework.
    pub on_time: i64,
    pub satisfied: i64,
    pub no_rework: i64,
    /// Survey points at full marks: every respondent satisfied.
    pub survey: i64,
    /// Grade thresholds: AAA, AA, A, B (C below).
    pub grades: [i64; 4],
    /// How long a record counts, in days.
    pub record_days: i64,
}

impl Default for ScoreRules {
    fn default() -> Self {
        ScoreRules {
            base: 600,
            on_time: 100,
            satisfied: 60,
            no_rework: 40,
            survey: 100,
            grades: [850, 800, 700, 600],
            record_days: 365,
        }
    }
}

codes!(
    /// A credit grade.
    Grade, "grade" {
        Aaa => "AAA",
        Aa => "AA",
        A => "A",
        B => "B",
        C => "C",
    }
);

codes!(
    /// A good or bad record entered with evidence.
    RecordKind, "kind" {
        Good => "good",
        Bad => "bad",
    }
);

/// What the score is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Inputs {
    /// Of the cases due in the quarter: closed on time, and reworked.
    pub on_time: Option<Rate>,
    pub reworked: Option<Rate>,
    /// Of the rated cases: rated 4 or 5.
    pub satisfied: Option<Rate>,
    /// The owners' survey: satisfied of respondents, if one was held.
    pub survey: Option<Rate>,
    /// Points of the good and bad records in force, in tenths.
    pub good: i64,
    pub bad: i64,
}

/// The score, its parts (all in tenths) and the grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    pub base: i64,
    pub service: i64,
    pub survey: i64,
    pub good: i64,
    pub bad: i64,
    pub total: i64,
    pub grade: Grade,
}

impl Score {
    pub fn red_list(&self) -> bool {
        self.grade == Grade::Aaa
    }

    pub fn black_list(&self) -> bool {
        self.grade == Grade::C
    }
}

/// `weight × num / den`, rounded half up; a rate with nothing to count earns the full
/// weight (no case was late, no reporter was unhappy).
fn share(weight: i64, rate: Option<Rate>) -> i64 {
    match rate {
        Some(r) if r.den > 0 => (weight * r.num as i64 * 2 + r.den as i64) / (2 * r.den as i64),
        _ => weight,
    }
}

/// Scores a quarter.
pub fn score(rules: ScoreRules, i: Inputs) -> Score {
    let no_rework = i.reworked.map(|r| Rate { num: r.den - r.num.min(r.den), den: r.den });
    let service =
        share(rules.on_time, i.on_time) + share(rules.satisfied, i.satisfied) + share(rules.no_rework, no_rework);
    // No survey held: no survey points (the formula says so).
    let survey = i.survey.filter(|r| r.den > 0).map_or(0, |r| share(rules.survey, Some(r)));
    let total = rules.base + service + survey + i.good - i.bad;
    let [aaa, aa, a, b] = rules.grades;
    let grade = match total {
        t if t >= aaa => Grade::Aaa,
        t if t >= aa => Grade::Aa,
        t if t >= a => Grade::A,
        t if t >= b => Grade::B,
        _ => Grade::C,
    };
    Score { base: rules.base, service, survey, good: i.good, bad: i.bad, total, grade }
}

/// Tenths as a figure: `82.7`.
pub fn points(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    format!("{sign}{}.{}", tenths.abs() / 10, tenths.abs() % 10)
}

/// A quarter `YYYY-Qn` and its first and last China dates.
pub fn quarter(raw: &str) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    let (y, q) = raw.trim().split_once("-Q")?;
    let (y, q): (i32, u32) = (y.parse().ok()?, q.parse().ok()?);
    if !(1..=4).contains(&q) {
        return None;
    }
    let first = chrono::NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1)?;
    let next = if q == 4 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        chrono::NaiveDate::from_ymd_opt(y, q * 3 + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

/// The quarter a day falls in, as `YYYY-Qn`.
pub fn quarter_of(day: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

/// A record's title and evidence.
pub const RECORD_TITLE: crate::TextRule =
    crate::TextRule::line(2, 100, "error.scorecard.title", "error.scorecard.title");
pub const EVIDENCE: crate::TextRule = crate::TextRule {
    min: 4,
    max: 1000,
    multiline: true,
    short: "error.scorecard.evidence",
    long: "error.scorecard.evidence",
};

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(num: u64, den: u64) -> Option<Rate> {
        Some(Rate { num, den })
    }

    #[test]
    fn the_score_adds_service_survey_and_records_to_the_base() {
        let s = score(
            ScoreRules::default(),
            Inputs {
                on_time: rate(95, 100),
                reworked: rate(3, 100),
                satisfied: rate(44, 50),
                survey: rate(170, 200),
                good: 30,
                bad: 50,
            },
        );
        // 95 + 52.8 → 53 + 38.8 → 39 = 187; survey 85; 600 + 187 + 85 + 30 − 50 = 852.
        assert_eq!((s.service, s.survey, s.total, s.grade), (187, 85, 852, Grade::Aaa));
        assert!(s.red_list() && !s.black_list());
        assert_eq!(points(s.total), "85.2");
    }

    #[test]
    fn grades_meet_their_thresholds_exactly() {
        let with = |bad: i64| score(ScoreRules::default(), Inputs { bad, ..Inputs::default() });
        // Nothing to count: full service marks (200), no survey: 800 before records.
        assert_eq!(with(0).total, 800);
        assert_eq!(with(0).grade, Grade::Aa, "80 is AA");
        assert_eq!(with(1).grade, Grade::A, "79.9 is A");
        assert_eq!(with(100).grade, Grade::A, "70 is A");
        assert_eq!(with(200).grade, Grade::B);
        assert_eq!(with(201).grade, Grade::C, "59.9 is C");
        assert!(with(201).black_list());
    }

    #[test]
    fn quarters_read_and_bound() {
        let (a, b) = quarter("2026-Q4").unwrap();
        assert_eq!((a.to_string(), b.to_string()), ("2026-10-01".into(), "2026-12-31".into()));
        assert_eq!(quarter("2026-Q1").unwrap().1.to_string(), "2026-03-31");
        assert!(quarter("2026-Q5").is_none() && quarter("x").is_none());
        assert_eq!(quarter_of(b), "2026-Q4");
        assert_eq!(points(-15), "-1.5");
    }
}
