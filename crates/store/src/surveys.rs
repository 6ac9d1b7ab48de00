//! Surveys: written as a draft, sent (an invitation for everyone the audience reaches and
//! an inbox row for each of their accounts, set-based), answered once per person, counted
//! and exported. Answering turns one's invitation answered and writes the response in one
//! transaction, so a second answer, even a concurrent one, is refused and nothing is
//! half-written. A response has a random id and no time; in an anonymous survey it has no
//! person either, so the invitations (who answered) and the responses (what was answered)
//! cannot be joined. A property company's satisfaction survey goes into its scorecard when
//! it closes, early by hand or at the end of its window ([`Store::score_ended_surveys`]).

use crate::notifications::{Link, tell};
use crate::scorecards::{SurveyTally, record_survey_in};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::announcement::Audience;
use linli_domain::survey::{self, Draft, Given, Kind, MAX_QUESTIONS, Phase, Question};
use linli_domain::{FieldError, Role};
use std::collections::HashMap;

/// A checked survey to write.
#[derive(Debug, Clone)]
pub struct NewSurvey {
    pub community_id: i64,
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    pub audience: Audience,
    pub places: Vec<i64>,
    pub roles: Vec<Role>,
    /// `YYYY-MM-DD`, both included.
    pub opens_on: String,
    pub closes_on: String,
    /// A property company's satisfaction survey: the company, the quarter and who runs it
    /// (`owners_committee` or `residents_committee`).
    pub scorecard: Option<(i64, String, &'static str)>,
    pub by: i64,
}

/// A survey as lists and pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Survey {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    #[sqlx(try_from = "String")]
    pub audience: Audience,
    pub opens_on: String,
    pub closes_on: String,
    pub status: String,
    pub invited: i64,
    pub answered: i64,
    pub organisation_id: Option<i64>,
    pub quarter: Option<String>,
    pub scored_at: Option<i64>,
    pub created_at: i64,
}

impl Survey {
    pub fn phase(&self) -> Phase {
        survey::phase(&self.status, &self.opens_on, &self.closes_on, &crate::today().to_string())
    }
}

/// How many of one question's answers chose an option or gave a rating.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tally {
    pub question_id: i64,
    pub option_id: Option<i64>,
    pub value: Option<i64>,
    pub n: i64,
}

/// A survey's counts: per option or rating, and how many answered each question.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub tallies: Vec<Tally>,
    /// Question id to the number of responses that answered it.
    pub answered: HashMap<i64, i64>,
    /// Responses counted.
    pub responses: i64,
}

/// Who was sent a survey in a grid and how many answered (no grid: reached by role).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridRate {
    pub grid_id: Option<i64>,
    pub grid_name: Option<String>,
    pub invited: i64,
    pub answered: i64,
}

/// One free-text answer, with its author's name in a named survey.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TextAnswer {
    pub text: String,
    pub name: Option<String>,
}

/// One stored answer, as the export reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredAnswer {
    pub response_id: i64,
    pub grid_name: Option<String>,
    pub question_id: i64,
    pub option_id: Option<i64>,
    pub value: Option<i64>,
    pub text: Option<String>,
}

const COLUMNS: &str = "s.id, s.community_id, s.title, s.intro, s.anonymous, s.audience, s.opens_on, s.closes_on, \
     s.status, s.invited, (SELECT COUNT(*) FROM survey_responses r WHERE r.survey_id = s.id) AS answered, \
     s.organisation_id, s.quarter, s.scored_at, s.created_at";

/// The invitation `$2` (an account) or `$3` (its resident, or 0) answers by, in survey `$1`.
const MINE: &str = "survey_id = $1 AND (resident_id = $3 OR (resident_id IS NULL AND account_id = $2))";

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

async fn insert_question(tx: &mut crate::Tx, survey_id: i64, q: &Draft) -> StoreResult<()> {
    let id: i64 = on!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO survey_questions (survey_id, position, kind, prompt, required, min_choices, max_choices, scale, \
         show_if_option) VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM survey_questions WHERE survey_id = $1), \
         $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(survey_id)
    .bind(q.kind.as_str())
    .bind(&q.prompt)
    .bind(q.required)
    .bind(q.min_choices)
    .bind(q.max_choices)
    .bind(q.scale)
    .bind(q.show_if)
    .fetch_one(c)
    .await
    })?;
    for (i, label) in q.options.iter().enumerate() {
        exec!(
            tx,
            sqlx::query("INSERT INTO survey_options (question_id, position, label) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(i as i64 + 1)
                .bind(label)
        )?;
    }
    Ok(())
}

/// Takes the survey's row for the change and checks it is still a draft.
async fn draft_of(tx: &mut crate::Tx, survey_id: i64) -> StoreResult<()> {
    let status: Option<String> =
        on!(tx, |c| sqlx::query_scalar("UPDATE surveys SET status = status WHERE id = $1 RETURNING status")
            .bind(survey_id)
            .fetch_optional(c)
            .await)?;
    match status.as_deref() {
        None => Err(StoreError::NotFound),
        Some("draft") => Ok(()),
        Some(_) => Err(invalid("survey", "error.survey.sent")),
    }
}

impl Store {
    /// Writes a survey as a draft, with its first questions (a satisfaction survey's).
    pub async fn create_survey(&self, new: &NewSurvey, questions: &[Draft]) -> StoreResult<i64> {
        if new.closes_on < new.opens_on {
            return Err(invalid("answer_until", "error.survey.window"));
        }
        let targets = crate::audience::targets(new.audience, &new.places, &new.roles);
        let (org, quarter, run_by) = match &new.scorecard {
            Some((o, q, r)) => (Some(*o), Some(q.as_str()), Some(*r)),
            None => (None, None, None),
        };
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO surveys (community_id, title, intro, anonymous, audience, targets, opens_on, closes_on, \
                 organisation_id, quarter, run_by, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
            )
            .bind(new.community_id)
            .bind(&new.title)
            .bind(&new.intro)
            .bind(new.anonymous)
            .bind(new.audience.as_str())
            .bind(&targets)
            .bind(&new.opens_on)
            .bind(&new.closes_on)
            .bind(org)
            .bind(quarter)
            .bind(run_by)
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            for q in questions {
                insert_question(tx, id, q).await?;
            }
            id
        })
    }

    /// Adds a question at the end of a draft.
    pub async fn add_question(&self, survey_id: i64, q: &Draft) -> StoreResult<()> {
        transaction!(self, |tx| {
            draft_of(tx, survey_id).await?;
            let n: i64 = on!(tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM survey_questions WHERE survey_id = $1")
                .bind(survey_id)
                .fetch_one(c)
                .await)?;
            if n as usize >= MAX_QUESTIONS {
                return Err(invalid("prompt", "error.survey.too_many"));
            }
            insert_question(tx, survey_id, q).await?;
        })
    }

    /// Removes a question from a draft, unless a later question is asked only after one of
    /// its options.
    pub async fn remove_question(&self, survey_id: i64, question_id: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            draft_of(tx, survey_id).await?;
            let depended: i64 = on!(tx, |c| sqlx::query_scalar(
                "SELECT COUNT(*) FROM survey_questions q JOIN survey_options o ON o.id = q.show_if_option \
                 WHERE o.question_id = $1"
            )
            .bind(question_id)
            .fetch_one(c)
            .await)?;
            if depended > 0 {
                return Err(invalid("question", "error.survey.depended_on"));
            }
            exec!(
                tx,
                sqlx::query(
                    "DELETE FROM survey_options WHERE question_id IN \
                     (SELECT id FROM survey_questions WHERE id = $1 AND survey_id = $2)"
                )
                .bind(question_id)
                .bind(survey_id)
            )?;
            let gone = exec!(
                tx,
                sqlx::query("DELETE FROM survey_questions WHERE id = $1 AND survey_id = $2")
                    .bind(question_id)
                    .bind(survey_id)
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    /// Sends a draft: an invitation for everyone it reaches, told in their inbox; returns
    /// how many it reaches.
    pub async fn send_survey(&self, survey_id: i64, by: i64) -> StoreResult<i64> {
        let s = self.survey(survey_id).await?;
        if self.questions(survey_id).await?.is_empty() {
            return Err(invalid("survey", "error.survey.no_questions"));
        }
        let targets: String = read!(self, |db| sqlx::query_scalar("SELECT targets FROM surveys WHERE id = $1")
            .bind(survey_id)
            .fetch_one(db)
            .await?);
        let now = crate::now_ms();
        transaction!(self, |tx| {
            draft_of(tx, survey_id).await?;
            let reached = crate::audience::reached(s.audience);
            exec!(
                tx,
                sqlx::query(&format!(
                    "INSERT INTO survey_invitations (survey_id, resident_id, account_id, grid_id) \
                     SELECT $1, p.resident_id, p.account_id, p.grid_id FROM ({reached}) p"
                ))
                .bind(survey_id)
                .bind(s.community_id)
                .bind(crate::audience::adult_born_by())
                .bind(&targets)
            )?;
            let invited: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "UPDATE surveys SET status = 'sent', invited = (SELECT COUNT(*) FROM survey_invitations WHERE survey_id = $1) \
                 WHERE id = $1 RETURNING invited"
            )
            .bind(survey_id)
            .fetch_one(c)
            .await
            })?;
            let accounts = "SELECT account_id FROM survey_invitations WHERE survey_id = $1 AND account_id IS NOT NULL";
            tell(tx, Link::Survey(survey_id), s.community_id, "survey", &s.title, accounts, now).await?;
            let event = crate::audit::Event {
                account_id: Some(by),
                community_id: Some(s.community_id),
                action: "survey.sent",
                detail: &format!("#{survey_id} {invited}"),
                subject_resident_id: None,
            };
            crate::audit::in_tx(tx, event, now).await?;
            invited
        })
    }

    /// Closes a sent survey before its last day; a satisfaction survey goes into its
    /// company's scorecard at once.
    pub async fn close_survey(&self, survey_id: i64, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let closed = exec!(
                tx,
                sqlx::query("UPDATE surveys SET status = 'closed' WHERE id = $1 AND status = 'sent'").bind(survey_id)
            )?;
            if closed == 0 {
                return Err(invalid("survey", "error.survey.not_open"));
            }
            score(tx, survey_id, by, now).await?;
        })
    }

    /// Scores the satisfaction surveys whose window has ended; returns how many.
    pub async fn score_ended_surveys(&self) -> StoreResult<usize> {
        let ended: Vec<(i64, i64)> = read!(self, |db| sqlx::query_as(
            "SELECT id, created_by FROM surveys WHERE organisation_id IS NOT NULL AND scored_at IS NULL \
             AND status = 'sent' AND closes_on < $1"
        )
        .bind(crate::today().to_string())
        .fetch_all(db)
        .await?);
        let now = crate::now_ms();
        let mut n = 0;
        for (id, by) in ended {
            transaction!(self, |tx| score(tx, id, by, now).await?)?;
            n += 1;
        }
        Ok(n)
    }

    pub async fn survey(&self, id: i64) -> StoreResult<Survey> {
        let sql = format!("SELECT {COLUMNS} FROM surveys s WHERE s.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's surveys for a list: every one (`all`, for those who run them), or
    /// those sent to `account_id` (or its resident); newest first.
    pub async fn surveys(
        &self,
        community_id: i64,
        account_id: i64,
        resident_id: Option<i64>,
        all: bool,
    ) -> StoreResult<Vec<Survey>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM surveys s WHERE s.community_id = $1 AND ($4 OR (s.status <> 'draft' AND EXISTS \
             (SELECT 1 FROM survey_invitations i WHERE i.survey_id = s.id AND (i.resident_id = $3 \
              OR (i.resident_id IS NULL AND i.account_id = $2))))) ORDER BY s.created_at DESC LIMIT 200"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql)
            .bind(community_id)
            .bind(account_id)
            .bind(resident_id.unwrap_or(0))
            .bind(all)
            .fetch_all(db)
            .await?))
    }

    /// A survey's questions in order, with their options.
    pub async fn questions(&self, survey_id: i64) -> StoreResult<Vec<Question>> {
        type Row = (i64, String, String, bool, i64, i64, i64, Option<i64>);
        let rows: Vec<Row> = read!(self, |db| {
            sqlx::query_as(
            "SELECT id, kind, prompt, required, min_choices, max_choices, scale, show_if_option FROM survey_questions \
             WHERE survey_id = $1 ORDER BY position"
        )
        .bind(survey_id)
        .fetch_all(db)
        .await?
        });
        let options: Vec<(i64, i64, String)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT o.question_id, o.id, o.label FROM survey_options o JOIN survey_questions q ON q.id = o.question_id \
             WHERE q.survey_id = $1 ORDER BY o.question_id, o.position"
        )
        .bind(survey_id)
        .fetch_all(db)
        .await?
        });
        rows.into_iter()
            .map(|(id, kind, prompt, required, min_choices, max_choices, scale, show_if)| {
                Ok(Question {
                    id,
                    kind: Kind::parse(&kind)
                        .map_err(|_| sqlx::Error::Decode(format!("survey question {id} has kind {kind}").into()))?,
                    prompt,
                    required,
                    min_choices,
                    max_choices,
                    scale,
                    show_if,
                    options: options.iter().filter(|o| o.0 == id).map(|o| (o.1, o.2.clone())).collect(),
                })
            })
            .collect()
    }

    /// Whether the survey was sent to `account_id` (or its resident), and if so whether
    /// they have answered.
    pub async fn invitation(
        &self,
        survey_id: i64,
        account_id: i64,
        resident_id: Option<i64>,
    ) -> StoreResult<Option<bool>> {
        let sql = format!("SELECT answered FROM survey_invitations WHERE {MINE}");
        Ok(read!(self, |db| sqlx::query_scalar(&sql)
            .bind(survey_id)
            .bind(account_id)
            .bind(resident_id.unwrap_or(0))
            .fetch_optional(db)
            .await?))
    }

    /// Records one person's checked answers, once, within the window: by their account, or
    /// (a paper answer entered for them) by their resident record alone. In an anonymous
    /// survey the response keeps no person.
    pub async fn answer_survey(
        &self,
        s: &Survey,
        account_id: Option<i64>,
        resident_id: Option<i64>,
        answers: &[(i64, Given)],
    ) -> StoreResult<()> {
        if s.phase() != Phase::Open {
            return Err(invalid("survey", "error.survey.window"));
        }
        let response_id = rand::random::<i64>() & i64::MAX;
        let sql =
            format!("UPDATE survey_invitations SET answered = TRUE WHERE {MINE} AND NOT answered RETURNING grid_id");
        transaction!(self, |tx| {
            let grid: Option<Option<i64>> = on!(tx, |c| sqlx::query_scalar(&sql)
                .bind(s.id)
                .bind(account_id.unwrap_or(0))
                .bind(resident_id.unwrap_or(0))
                .fetch_optional(c)
                .await)?;
            let Some(grid_id) = grid else {
                return Err(invalid("survey", "error.survey.answered"));
            };
            let (who_resident, who_account) = if s.anonymous { (None, None) } else { (resident_id, account_id) };
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO survey_responses (id, survey_id, grid_id, resident_id, account_id) VALUES ($1, $2, $3, $4, $5)"
                )
                .bind(response_id)
                .bind(s.id)
                .bind(grid_id)
                .bind(who_resident)
                .bind(who_account)
            )?;
            for (question_id, given) in answers {
                let rows: Vec<(Option<i64>, Option<i64>, Option<&str>)> = match given {
                    Given::Choices(ids) => ids.iter().map(|o| (Some(*o), None, None)).collect(),
                    Given::Rating(v) => vec![(None, Some(*v), None)],
                    Given::Text(t) => vec![(None, None, Some(t.as_str()))],
                };
                for (option_id, value, text) in rows {
                    exec!(
                        tx,
                        sqlx::query(
                            "INSERT INTO survey_answers (survey_id, question_id, response_id, grid_id, option_id, value, text) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        )
                        .bind(s.id)
                        .bind(question_id)
                        .bind(response_id)
                        .bind(grid_id)
                        .bind(option_id)
                        .bind(value)
                        .bind(text)
                    )?;
                }
            }
        })
    }

    /// The counts of a survey, of one grid's responses when `grid_id` is given: one pass
    /// over the answers' index for every option, rating and text count; the responses that
    /// answered each multiple choice (several rows each) counted apart.
    pub async fn survey_results(&self, survey_id: i64, grid_id: Option<i64>) -> StoreResult<Results> {
        // Without a grid the condition is left out, so each count reads one covering index.
        let (grid, in_grid) = match grid_id {
            Some(g) => (g, "grid_id = $2"),
            None => (0, "$2 = 0"),
        };
        let tallies: Vec<Tally> = read!(self, |db| sqlx::query_as(&format!(
            "SELECT question_id, option_id, value, COUNT(*) AS n FROM survey_answers \
             WHERE survey_id = $1 AND {in_grid} GROUP BY question_id, option_id, value"
        ))
        .bind(survey_id)
        .bind(grid)
        .fetch_all(db)
        .await?);
        let multiple: Vec<(i64, i64)> = read!(self, |db| sqlx::query_as(&format!(
            "SELECT question_id, COUNT(DISTINCT response_id) FROM survey_answers \
             WHERE question_id IN (SELECT id FROM survey_questions WHERE survey_id = $1 AND kind = 'multiple') \
             AND {in_grid} GROUP BY question_id"
        ))
        .bind(survey_id)
        .bind(grid)
        .fetch_all(db)
        .await?);
        let responses: i64 = read!(self, |db| sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND {in_grid}"
        ))
        .bind(survey_id)
        .bind(grid)
        .fetch_one(db)
        .await?);
        // One row per response for the other kinds: their tallies add up to who answered.
        let mut answered: HashMap<i64, i64> = HashMap::new();
        for t in &tallies {
            *answered.entry(t.question_id).or_default() += t.n;
        }
        answered.extend(multiple);
        Ok(Results { tallies, answered, responses })
    }

    /// Invitations and answers by grid (people reached by role last).
    pub async fn survey_rates(&self, survey_id: i64) -> StoreResult<Vec<GridRate>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT i.grid_id, g.name AS grid_name, COUNT(*) AS invited, \
             COUNT(CASE WHEN i.answered THEN 1 END) AS answered \
             FROM survey_invitations i LEFT JOIN grids g ON g.id = i.grid_id WHERE i.survey_id = $1 \
             GROUP BY i.grid_id, g.name ORDER BY i.grid_id IS NULL, g.name"
        )
        .bind(survey_id)
        .fetch_all(db)
        .await?))
    }

    /// Up to `limit` free-text answers to a question (with names in a named survey).
    pub async fn text_answers(
        &self,
        question_id: i64,
        grid_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<TextAnswer>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT a.text, r.name FROM survey_answers a JOIN survey_responses p ON p.id = a.response_id \
             LEFT JOIN residents r ON r.id = p.resident_id \
             WHERE a.question_id = $1 AND ($2 = 0 OR a.grid_id = $2) AND a.text IS NOT NULL ORDER BY a.response_id LIMIT $3"
        )
        .bind(question_id)
        .bind(grid_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(db)
        .await?
        }))
    }

    /// Every answer of a survey, response by response, for the export.
    pub async fn survey_answers(&self, survey_id: i64) -> StoreResult<Vec<StoredAnswer>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT a.response_id, g.name AS grid_name, a.question_id, a.option_id, a.value, a.text FROM survey_answers a \
             LEFT JOIN grids g ON g.id = a.grid_id WHERE a.survey_id = $1 ORDER BY a.response_id, a.question_id, a.option_id"
        )
        .bind(survey_id)
        .fetch_all(db)
        .await?
        }))
    }
}

/// Puts a closed satisfaction survey's count into its company's scorecard, once: those who
/// rated its first rating question, and those who gave 4 or 5 of 5.
async fn score(tx: &mut crate::Tx, survey_id: i64, by: i64, now: i64) -> StoreResult<()> {
    type Row = (Option<i64>, Option<String>, Option<String>, Option<i64>);
    let (org, quarter, run_by, scored): Row =
        on!(tx, |c| sqlx::query_as("SELECT organisation_id, quarter, run_by, scored_at FROM surveys WHERE id = $1")
            .bind(survey_id)
            .fetch_one(c)
            .await)?;
    let (Some(organisation_id), Some(quarter), Some(run_by), None) = (org, quarter, run_by, scored) else {
        return Ok(());
    };
    let ratings: Vec<(i64, i64, i64)> = on!(tx, |c| sqlx::query_as(
        "SELECT q.scale, a.value, COUNT(*) FROM survey_answers a JOIN survey_questions q ON q.id = a.question_id \
         WHERE q.id = (SELECT MIN(id) FROM survey_questions WHERE survey_id = $1 AND kind = 'rating') \
         GROUP BY q.scale, a.value"
    )
    .bind(survey_id)
    .fetch_all(c)
    .await)?;
    let respondents: i64 = ratings.iter().map(|r| r.2).sum();
    let satisfied: i64 = ratings.iter().filter(|r| survey::satisfied(r.1, r.0)).map(|r| r.2).sum();
    exec!(tx, sqlx::query("UPDATE surveys SET scored_at = $1 WHERE id = $2").bind(now).bind(survey_id))?;
    let entered: i64 = on!(tx, |c| sqlx::query_scalar(
        "SELECT COUNT(*) FROM property_surveys WHERE organisation_id = $1 AND quarter = $2 AND run_by = $3"
    )
    .bind(organisation_id)
    .bind(&quarter)
    .bind(&run_by)
    .fetch_one(c)
    .await)?;
    // Nobody rated, or the quarter's count was already entered by hand (a paper survey):
    // the scorecard keeps what it has.
    if respondents == 0 || entered > 0 {
        return Ok(());
    }
    let tally = SurveyTally { organisation_id, quarter: &quarter, run_by: &run_by, respondents, satisfied };
    record_survey_in(tx, &tally, by, now).await
}
