//! Supervising the property company: a scorecard per company and quarter from the cases
//! sent to it (the case indicators, scoped to the company), the owners' satisfaction surveys
//! and the good and bad records in force, scored by [`linli_domain::scorecard::score`].

use crate::cases::{Dimension, IndicatorScope};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::indicators::{Counts, DueRule, Rate};
use linli_domain::scorecard::{Inputs, RecordKind, Score, ScoreRules, quarter, score};

/// A good or bad record as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PropertyRecord {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: RecordKind,
    /// Tenths of a point.
    pub points: i64,
    pub title: String,
    pub evidence: String,
    pub occurred_on: String,
}

/// A record to enter, already checked.
#[derive(Debug, Clone)]
pub struct NewRecord {
    pub organisation_id: i64,
    pub kind: RecordKind,
    pub points: i64,
    pub title: String,
    pub evidence: String,
    pub occurred_on: String,
}

/// An owners' satisfaction survey of a quarter.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Survey {
    /// `owners_committee` or `residents_committee`.
    pub run_by: String,
    pub respondents: i64,
    pub satisfied: i64,
}

/// A company's quarter: the case counts, the surveys, the records in force and the score.
#[derive(Debug, Clone)]
pub struct Scorecard {
    pub quarter: String,
    pub counts: Counts,
    pub surveys: Vec<Survey>,
    pub records: Vec<PropertyRecord>,
    pub inputs: Inputs,
    pub score: Score,
}

impl Store {
    pub async fn add_property_record(&self, new: &NewRecord, by: i64) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO property_records (organisation_id, kind, points, title, evidence, occurred_on, recorded_by, \
                 recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            )
            .bind(new.organisation_id)
            .bind(new.kind.as_str())
            .bind(new.points)
            .bind(&new.title)
            .bind(&new.evidence)
            .bind(&new.occurred_on)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await
            })?
        })
    }

    /// The records of a company that occurred from `from` to `to` (China dates, inclusive).
    pub async fn property_records(
        &self,
        organisation_id: i64,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<PropertyRecord>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, kind, points, title, evidence, occurred_on FROM property_records \
             WHERE organisation_id = $1 AND occurred_on >= $2 AND occurred_on <= $3 ORDER BY occurred_on DESC, id DESC"
        )
        .bind(organisation_id)
        .bind(from)
        .bind(to)
        .fetch_all(db)
        .await?))
    }

    /// Records a quarter's survey, once per company, quarter and convener.
    pub async fn record_survey(
        &self,
        organisation_id: i64,
        quarter: &str,
        run_by: &str,
        respondents: i64,
        satisfied: i64,
        by: i64,
    ) -> StoreResult<()> {
        let tally = SurveyTally { organisation_id, quarter, run_by, respondents, satisfied };
        transaction!(self, |tx| record_survey_in(tx, &tally, by, crate::now_ms()).await?)
    }

    pub async fn property_surveys(&self, organisation_id: i64, quarter: &str) -> StoreResult<Vec<Survey>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT run_by, respondents, satisfied FROM property_surveys WHERE organisation_id = $1 AND quarter = $2 \
             ORDER BY run_by"
        )
        .bind(organisation_id)
        .bind(quarter)
        .fetch_all(db)
        .await?))
    }

    /// A company's scorecard for a quarter (`YYYY-Qn`): the cases it held in the quarter,
    /// the surveys of the quarter (pooled), and the records of the year up to its last day.
    pub async fn scorecard(
        &self,
        organisation_id: i64,
        quarter_code: &str,
        rules: ScoreRules,
    ) -> StoreResult<Scorecard> {
        let (first, last) =
            quarter(quarter_code).ok_or(StoreError::Invalid(FieldError::new("quarter", "error.scorecard.quarter")))?;
        let company = self.organisation(organisation_id).await?;
        let ms = |d: chrono::NaiveDate| linli_domain::worktime::utc_ms(d.and_hms_opt(0, 0, 0).unwrap_or_default());
        let scope = IndicatorScope {
            community_ids: vec![company.community_id],
            grid_ids: None,
            organisation_ids: Some(vec![organisation_id]),
        };
        let to = last.succ_opt().unwrap_or(last);
        let counts = self
            .case_indicators(&scope, ms(first), ms(to), DueRule::IncludeSuspended, Dimension::Community)
            .await?
            .into_iter()
            .fold(Counts::default(), |a, (_, c)| a + c);
        let surveys = self.property_surveys(organisation_id, quarter_code).await?;
        let since = last - chrono::Duration::days(rules.record_days - 1);
        let records = self.property_records(organisation_id, &since.to_string(), &last.to_string()).await?;
        let (respondents, satisfied) = surveys.iter().fold((0, 0), |(r, s), x| (r + x.respondents, s + x.satisfied));
        let sum = |k: RecordKind| records.iter().filter(|r| r.kind == k).map(|r| r.points).sum::<i64>();
        let inputs = Inputs {
            on_time: Some(counts.on_time_rate()),
            reworked: Some(counts.rework_rate()),
            satisfied: Some(counts.satisfaction_rate()),
            survey: (respondents > 0).then_some(Rate { num: satisfied as u64, den: respondents as u64 }),
            good: sum(RecordKind::Good),
            bad: sum(RecordKind::Bad),
        };
        Ok(Scorecard {
            quarter: quarter_code.to_owned(),
            counts,
            surveys,
            records,
            inputs,
            score: score(rules, inputs),
        })
    }

    /// The property companies of a street's communities.
    pub async fn street_property_companies(&self, street_id: i64) -> StoreResult<Vec<crate::admin::Organisation>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT o.id, o.community_id, o.kind, o.name, o.contact FROM organisations o \
             JOIN communities c ON c.id = o.community_id WHERE c.street_id = $1 AND o.kind = 'property_company' \
             ORDER BY o.community_id, o.id"
        )
        .bind(street_id)
        .fetch_all(db)
        .await?))
    }
}

/// A quarter's satisfaction survey of a company, as counted.
pub(crate) struct SurveyTally<'a> {
    pub organisation_id: i64,
    pub quarter: &'a str,
    pub run_by: &'a str,
    pub respondents: i64,
    pub satisfied: i64,
}

/// Records a survey's tally in a transaction: entered by hand, or counted from a survey of
/// the community's own when it closes ([`crate::surveys`]).
pub(crate) async fn record_survey_in(tx: &mut crate::Tx, s: &SurveyTally<'_>, by: i64, now: i64) -> StoreResult<()> {
    if s.respondents <= 0 {
        return Err(StoreError::Invalid(FieldError::new("respondents", "error.range")));
    }
    if !(0..=s.respondents).contains(&s.satisfied) {
        return Err(StoreError::Invalid(FieldError::new("satisfied", "error.range")));
    }
    let taken: Option<i64> = on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM property_surveys WHERE organisation_id = $1 AND quarter = $2 AND run_by = $3"
    )
    .bind(s.organisation_id)
    .bind(s.quarter)
    .bind(s.run_by)
    .fetch_optional(c)
    .await)?;
    if taken.is_some() {
        return Err(StoreError::Invalid(FieldError::new("quarter", "error.scorecard.survey_taken")));
    }
    exec!(
        tx,
        sqlx::query(
            "INSERT INTO property_surveys (organisation_id, quarter, run_by, respondents, satisfied, recorded_by, \
             recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(s.organisation_id)
        .bind(s.quarter)
        .bind(s.run_by)
        .bind(s.respondents)
        .bind(s.satisfied)
        .bind(by)
        .bind(now)
    )?;
    Ok(())
}
