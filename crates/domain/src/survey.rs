//! Surveys (问卷调查): a questionnaire of single-choice, multiple-choice (with a least and a
//! most), rating and free-text questions, each required or not, some shown only when an
//! earlier question was answered with a given option; sent to a community, some grids, some
//! buildings or some roles, for a window of days; named or anonymous, one answer per person.
//! This module holds the rules a question and an answer must keep; storing and counting are
//! the store's.

use crate::{FieldError, TextRule};
use std::collections::{HashMap, HashSet};

codes!(
    /// What a question asks for.
    Kind, "kind" {
        Single => "single",
        Multiple => "multiple",
        Rating => "rating",
        Text => "text",
    }
);

codes!(
    /// Where a survey stands: being written, sent but not yet open, open for answers, over.
    Phase, "phase" {
        Draft => "draft",
        Upcoming => "upcoming",
        Open => "open",
        Closed => "closed",
    }
);

/// A survey's phase on `today` from its stored status (`draft`, `sent` or `closed`, closed
/// early) and its window of days, both ends included.
pub fn phase(status: &str, opens_on: &str, closes_on: &str, today: &str) -> Phase {
    match status {
        "draft" => Phase::Draft,
        "sent" if today < opens_on => Phase::Upcoming,
        "sent" if today <= closes_on => Phase::Open,
        _ => Phase::Closed,
    }
}

/// A survey's title.
pub const TITLE: TextRule = TextRule::line(2, 60, "error.survey.title", "error.survey.title");
/// Its introduction, shown above the questions.
pub const INTRO: TextRule =
    TextRule { min: 0, max: 2000, multiline: true, short: "error.survey.intro", long: "error.survey.intro" };
/// A question's text.
pub const PROMPT: TextRule = TextRule::line(2, 200, "error.survey.prompt", "error.survey.prompt");
/// One option of a choice question.
pub const OPTION: TextRule = TextRule::line(1, 60, "error.survey.option", "error.survey.option");
/// A free-text answer.
pub const ANSWER: TextRule =
    TextRule { min: 1, max: 1000, multiline: true, short: "error.survey.required", long: "error.survey.text" };
/// Questions in one survey, and options in one question.
pub const MAX_QUESTIONS: usize = 40;
pub const MAX_OPTIONS: usize = 20;
/// The scale a rating question takes unless told otherwise, and the largest.
pub const DEFAULT_SCALE: i64 = 5;
pub const MAX_SCALE: i64 = 10;

/// A question as it is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub id: i64,
    pub kind: Kind,
    pub prompt: String,
    pub required: bool,
    /// For a multiple choice: how few and how many options may be chosen.
    pub min_choices: i64,
    pub max_choices: i64,
    /// For a rating: the top of the 1..=scale range.
    pub scale: i64,
    /// Shown only when this option (of an earlier question) was chosen.
    pub show_if: Option<i64>,
    /// Its options, for a choice question: (id, label) in order.
    pub options: Vec<(i64, String)>,
}

/// A question being written: checked by [`draft`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: Kind,
    pub prompt: String,
    pub required: bool,
    pub options: Vec<String>,
    pub min_choices: i64,
    pub max_choices: i64,
    pub scale: i64,
    pub show_if: Option<i64>,
}

/// The raw form of a question: options one per line; limits and scale as typed (blank for
/// the default); the condition an option id of an earlier choice question (`earlier`).
pub struct RawQuestion<'a> {
    pub kind: &'a str,
    pub prompt: &'a str,
    pub required: bool,
    pub options: &'a str,
    pub min_choices: &'a str,
    pub max_choices: &'a str,
    pub scale: &'a str,
    pub show_if: &'a str,
}

fn number(field: &'static str, raw: &str, default: i64) -> Result<i64, FieldError> {
    match raw.trim() {
        "" => Ok(default),
        n => n.parse().map_err(|_| FieldError::new(field, "error.range")),
    }
}

/// A checked question: a prompt; two to [`MAX_OPTIONS`] distinct options for a choice (a
/// single choice takes exactly one, a multiple choice between its least and most, the least
/// at most the most and the most at most the options); a scale of 2 to [`MAX_SCALE`] for a
/// rating; a condition among `earlier` options.
pub fn draft(raw: &RawQuestion<'_>, earlier: &[i64]) -> Result<Draft, FieldError> {
    let kind = Kind::parse(raw.kind)?;
    let prompt = PROMPT.parse("prompt", raw.prompt)?;
    let mut options = Vec::new();
    if matches!(kind, Kind::Single | Kind::Multiple) {
        for line in raw.options.lines().filter(|l| !l.trim().is_empty()) {
            let label = OPTION.parse("options", line)?;
            if options.contains(&label) {
                return Err(FieldError::new("options", "error.survey.option_twice"));
            }
            options.push(label);
        }
        if !(2..=MAX_OPTIONS).contains(&options.len()) {
            return Err(FieldError::new("options", "error.survey.options"));
        }
    }
    let n = options.len() as i64;
    let (min_choices, max_choices) = match kind {
        Kind::Single => (1, 1),
        Kind::Multiple => {
            let min = number("min_choices", raw.min_choices, 1)?;
            let max = number("max_choices", raw.max_choices, n)?;
            if !(1..=n).contains(&max) {
                return Err(FieldError::new("max_choices", "error.survey.limits"));
            }
            if !(0..=max).contains(&min) {
                return Err(FieldError::new("min_choices", "error.survey.limits"));
            }
            (min, max)
        }
        _ => (0, 0),
    };
    let scale = if kind == Kind::Rating { number("scale", raw.scale, DEFAULT_SCALE)? } else { 0 };
    if kind == Kind::Rating && !(2..=MAX_SCALE).contains(&scale) {
        return Err(FieldError::new("scale", "error.survey.scale"));
    }
    let show_if = match raw.show_if.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>().ok().filter(|o| earlier.contains(o)).ok_or(FieldError::new("show_if", "error.choice"))?,
        ),
    };
    Ok(Draft { kind, prompt, required: raw.required, options, min_choices, max_choices, scale, show_if })
}

/// What one person gave to one question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    /// Option ids, for a choice question.
    Choices(Vec<i64>),
    Rating(i64),
    Text(String),
}

/// An answer that breaks a rule: which question (its number, from 1) and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerError {
    pub number: usize,
    pub key: &'static str,
}

/// The answers kept from a person's raw form (question id to the values sent), checked in
/// order: a question hidden by its condition keeps no answer (whatever was sent); one shown
/// and required must be answered; choices must be options of the question, within its
/// limits (a single choice one); a rating 1..=scale; a text within [`ANSWER`]. An optional
/// question left blank keeps no answer.
pub fn check(questions: &[Question], raw: &HashMap<i64, Vec<String>>) -> Result<Vec<(i64, Given)>, AnswerError> {
    let mut chosen: HashSet<i64> = HashSet::new();
    let mut kept = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let fail = |key| AnswerError { number: i + 1, key };
        if q.show_if.is_some_and(|o| !chosen.contains(&o)) {
            continue;
        }
        let values: Vec<&str> =
            raw.get(&q.id).map(|v| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect()).unwrap_or_default();
        if values.is_empty() {
            if q.required {
                return Err(fail("error.survey.required"));
            }
            continue;
        }
        let given = match q.kind {
            Kind::Single | Kind::Multiple => {
                let mut ids = Vec::new();
                for v in &values {
                    let id = v.parse::<i64>().ok().filter(|id| q.options.iter().any(|(o, _)| o == id));
                    let id = id.ok_or(fail("error.choice"))?;
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                let n = ids.len() as i64;
                if q.kind == Kind::Single && n != 1 {
                    return Err(fail("error.survey.one_choice"));
                }
                if q.kind == Kind::Multiple && (n < q.min_choices.max(1) || n > q.max_choices) {
                    return Err(fail("error.survey.choices"));
                }
                chosen.extend(&ids);
                Given::Choices(ids)
            }
            Kind::Rating => {
                let v = values[0].parse::<i64>().ok().filter(|v| (1..=q.scale).contains(v));
                Given::Rating(v.ok_or(fail("error.survey.rating"))?)
            }
            Kind::Text => Given::Text(ANSWER.parse("answer", values[0]).map_err(|e| fail(e.key))?),
        };
        kept.push((q.id, given));
    }
    Ok(kept)
}

/// Whether a rating counts as satisfied for the property scorecard: at least four fifths of
/// the scale (4 or 5 of 5).
pub fn satisfied(value: i64, scale: i64) -> bool {
    value * 5 >= scale * 4
}

/// The questions a property company's quarterly satisfaction survey starts with, the first
/// rating being the one the scorecard counts: (kind, prompt key, options' keys).
pub const SATISFACTION: [(Kind, &str, &[&str]); 6] = [
    (Kind::Rating, "survey.sat.overall", &[]),
    (Kind::Rating, "survey.sat.cleaning", &[]),
    (Kind::Rating, "survey.sat.security", &[]),
    (Kind::Rating, "survey.sat.repairs", &[]),
    (
        Kind::Multiple,
        "survey.sat.concerns",
        &["survey.sat.parking", "survey.sat.greenery", "survey.sat.lifts", "survey.sat.fees", "survey.sat.noise"],
    ),
    (Kind::Text, "survey.sat.suggestions", &[]),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn q(id: i64, kind: Kind, required: bool, options: &[i64], show_if: Option<i64>) -> Question {
        Question {
            id,
            kind,
            prompt: format!("Q{id}"),
            required,
            min_choices: if kind == Kind::Multiple { 1 } else { 0 },
            max_choices: if kind == Kind::Multiple { 2 } else { 0 },
            scale: 5,
            show_if,
            options: options.iter().map(|o| (*o, format!("O{o}"))).collect(),
        }
    }

    fn raw(pairs: &[(i64, &[&str])]) -> HashMap<i64, Vec<String>> {
        pairs.iter().map(|(id, v)| (*id, v.iter().map(|s| (*s).to_owned()).collect())).collect()
    }

    #[test]
    fn a_conditional_question_is_asked_only_after_its_option() {
        let qs = [
            q(1, Kind::Single, true, &[11, 12], None),
            q(2, Kind::Text, true, &[], Some(12)),
            q(3, Kind::Rating, false, &[], None),
        ];
        // 11 chosen: question 2 is hidden, so its answer is dropped and it is not required.
        let kept = check(&qs, &raw(&[(1, &["11"]), (2, &["不该保留"])])).unwrap();
        assert_eq!(kept, vec![(1, Given::Choices(vec![11]))]);
        // 12 chosen: question 2 is shown and required.
        assert_eq!(
            check(&qs, &raw(&[(1, &["12"])])).unwrap_err(),
            AnswerError { number: 2, key: "error.survey.required" }
        );
        let kept = check(&qs, &raw(&[(1, &["12"]), (2, &["电梯"]), (3, &["4"])])).unwrap();
        assert_eq!(kept.len(), 3);
    }

    #[test]
    fn choices_keep_to_their_options_and_limits() {
        let qs = [q(1, Kind::Multiple, true, &[1, 2, 3], None), q(2, Kind::Rating, true, &[], None)];
        assert_eq!(check(&qs, &raw(&[(1, &["1", "2", "3"]), (2, &["3"])])).unwrap_err().key, "error.survey.choices");
        assert_eq!(check(&qs, &raw(&[(1, &["9"]), (2, &["3"])])).unwrap_err().key, "error.choice", "not its option");
        assert_eq!(
            check(&qs, &raw(&[(1, &["1"]), (2, &["6"])])).unwrap_err(),
            AnswerError { number: 2, key: "error.survey.rating" }
        );
        assert_eq!(check(&qs, &raw(&[(1, &["1", "1"]), (2, &["5"])])).unwrap()[0].1, Given::Choices(vec![1]));
        let single = [q(1, Kind::Single, false, &[1, 2], None)];
        assert_eq!(check(&single, &raw(&[(1, &["1", "2"])])).unwrap_err().key, "error.survey.one_choice");
        assert!(check(&single, &raw(&[])).unwrap().is_empty(), "an optional question may stay blank");
    }

    #[test]
    fn a_question_is_written_with_sound_options_limits_and_scale() {
        let base = RawQuestion {
            kind: "multiple",
            prompt: "您最关心哪些问题？",
            required: true,
            options: "停车\n\n绿化\n电梯\n",
            min_choices: "",
            max_choices: "2",
            scale: "",
            show_if: "",
        };
        let d = draft(&base, &[]).unwrap();
        assert_eq!((d.options.len(), d.min_choices, d.max_choices), (3, 1, 2));
        assert_eq!(draft(&RawQuestion { max_choices: "4", ..base }, &[]).unwrap_err().field, "max_choices");
        assert_eq!(draft(&RawQuestion { min_choices: "3", ..base }, &[]).unwrap_err().field, "min_choices");
        assert_eq!(
            draft(&RawQuestion { options: "停车\n停车", ..base }, &[]).unwrap_err().key,
            "error.survey.option_twice"
        );
        assert_eq!(draft(&RawQuestion { options: "停车", ..base }, &[]).unwrap_err().key, "error.survey.options");
        assert_eq!(draft(&RawQuestion { show_if: "7", ..base }, &[8]).unwrap_err().field, "show_if");
        let rating = RawQuestion { kind: "rating", scale: "11", ..base };
        assert_eq!(draft(&rating, &[]).unwrap_err().field, "scale");
        assert_eq!(draft(&RawQuestion { scale: "", ..rating }, &[]).unwrap().scale, 5);
    }

    #[test]
    fn four_or_five_of_five_is_satisfied() {
        assert!(satisfied(4, 5) && satisfied(5, 5) && satisfied(8, 10));
        assert!(!satisfied(3, 5) && !satisfied(7, 10));
    }
}
