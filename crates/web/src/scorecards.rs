//! Supervising the property company on the web: a company's scorecard for a quarter (the
//! figures of the cases sent to it, linked to those cases, the owners' surveys, the good and
//! bad records in force, the credit score with its formula in figures, the grade), seen by
//! the company itself, the owners' committee that supervises it, the community's staff and
//! the street; the street's companies side by side with their red and black lists. The
//! community's staff and the street enter records with evidence; the owners' committee and
//! the residents' committee enter their quarter's survey.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::scorecard::{EVIDENCE, Grade, RECORD_TITLE, RecordKind, ScoreRules, points, quarter, quarter_of};
use linli_domain::{Action, FieldError, Role};
use linli_store::StoreError;
use linli_store::admin::{Community, Organisation};
use linli_store::scorecards::{NewRecord, Scorecard};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct QuarterQuery {
    #[serde(default)]
    pub quarter: String,
}

/// The quarter asked for, or the current one.
fn quarter_asked(raw: &str) -> Result<String, FieldError> {
    match raw.trim() {
        "" => Ok(quarter_of(linli_store::today())),
        q if quarter(q).is_some() => Ok(q.to_owned()),
        _ => Err(FieldError::new("quarter", "error.scorecard.quarter")),
    }
}

/// The four quarters before `q` and `q` itself, newest first, for the selector.
fn recent_quarters(q: &str) -> Vec<String> {
    let mut out = vec![q.to_owned()];
    let mut day = quarter(q).map(|(first, _)| first).unwrap_or_default();
    for _ in 0..4 {
        day = day.pred_opt().unwrap_or(day);
        out.push(quarter_of(day));
        day = quarter(out.last().map_or("", String::as_str)).map_or(day, |(first, _)| first);
    }
    out
}

/// The company and its community, if the caller sees its figures (else it does not exist).
pub(crate) async fn reachable(state: &AppState, user: &User, id: i64) -> AppResult<(Organisation, Community)> {
    let company = state.store.organisation(id).await?;
    let community = state.store.community(company.community_id).await?;
    let companies = crate::cases::property_companies(state, community.id).await?;
    if company.kind != "property_company"
        || !user.principal().sees_party_figures(community.id, community.street_id, company.id, &companies)
    {
        return Err(AppError::NotFound);
    }
    Ok((company, community))
}

/// Who may enter records: the community's staff and the street.
fn enters_records(user: &User, community: &Community) -> bool {
    let p = user.principal();
    p.is_staff_of(community.id) || p.can_in_street(Action::ViewStreet, community.street_id)
}

/// Who may enter a survey, and as which convener.
pub(crate) fn runs_survey(user: &User, community: &Community) -> Option<&'static str> {
    let p = user.principal();
    if !p.can_in_community(Action::ManageAssemblies, community.id, community.street_id) {
        return None;
    }
    Some(if p.has_role(Role::OwnersCommitteeMember) { "owners_committee" } else { "residents_committee" })
}

#[derive(Template)]
#[template(path = "scorecard.html")]
struct ScorecardPage {
    chrome: Chrome,
    community: Community,
    company: Organisation,
    heading: String,
    card: Scorecard,
    quarters: Vec<String>,
    /// The formula with this quarter's figures.
    formula: String,
    figures: Vec<(&'static str, String)>,
    cases_href: String,
    can_record: bool,
    survey_as: Option<&'static str>,
    today: String,
    error: Option<String>,
}

impl ScorecardPage {
    fn pts(&self, tenths: &i64) -> String {
        points(*tenths)
    }
}

fn formula(t: crate::i18n::Tr, rules: ScoreRules, card: &Scorecard) -> String {
    let s = card.score;
    let pct = |r: Option<linli_domain::indicators::Rate>| r.map_or_else(|| "—".to_owned(), |r| r.percent());
    t.fill(
        "scorecard.formula",
        &[
            ("base", &points(s.base)),
            ("service", &points(s.service)),
            ("on_time", &pct(card.inputs.on_time)),
            ("w_on_time", &points(rules.on_time)),
            ("satisfied", &pct(card.inputs.satisfied)),
            ("w_satisfied", &points(rules.satisfied)),
            ("rework", &pct(card.inputs.reworked)),
            ("w_rework", &points(rules.no_rework)),
            ("survey", &points(s.survey)),
            ("survey_rate", &pct(card.inputs.survey)),
            ("w_survey", &points(rules.survey)),
            ("good", &points(s.good)),
            ("bad", &points(s.bad)),
            ("total", &points(s.total)),
            ("grade", &s.grade.as_str()),
        ],
    )
}

async fn page(
    state: &AppState,
    user: &User,
    id: i64,
    raw_quarter: &str,
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let (company, community) = reachable(state, user, id).await?;
    let q = quarter_asked(raw_quarter).map_err(AppError::Invalid)?;
    let rules = state.store.self_governance().await?.score;
    let card = state.store.scorecard(company.id, &q, rules).await?;
    let t = user.0.tr();
    let c = &card.counts;
    let figures = vec![
        ("indicators.due", c.due.to_string()),
        ("indicators.rate.on_time", c.on_time_rate().percent()),
        ("indicators.rate.rework", c.rework_rate().percent()),
        ("indicators.rate.satisfaction", c.satisfaction_rate().percent()),
        (
            "indicators.acceptance_hours",
            c.average_acceptance_hours().map_or_else(|| "—".to_owned(), |h| format!("{h:.1}")),
        ),
    ];
    let heading = t.fill("scorecard.heading", &[("company", &company.name)]);
    let page = ScorecardPage {
        chrome: Chrome::new(&user.0, &heading),
        heading,
        formula: formula(t, rules, &card),
        quarters: recent_quarters(&q),
        figures,
        cases_href: format!(
            "/communities/{}/cases?state=all&holder={}",
            community.id,
            linli_store::cases::Holder::Party(company.id).value()
        ),
        can_record: enters_records(user, &community),
        survey_as: runs_survey(user, &community),
        today: linli_store::today().to_string(),
        error: error.map(|e| t.field_error(e.field, e.key)),
        card,
        company,
        community,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(q): Query<QuarterQuery>,
) -> AppResult<Response> {
    page(&state, &user, id, &q.quarter, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
pub struct RecordForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub points: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub evidence: String,
    #[serde(default)]
    pub occurred_on: String,
}

/// A good or bad record, with its evidence.
pub async fn add_record(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<RecordForm>,
) -> AppResult<Response> {
    let (company, community) = reachable(&state, &user, id).await?;
    if !enters_records(&user, &community) {
        return Err(AppError::NotFound);
    }
    let checked = (|| {
        let kind = RecordKind::parse(&f.kind)?;
        // Whole or tenths of points, 0.1 to 20.
        let pts = f
            .points
            .trim()
            .parse::<f64>()
            .ok()
            .map(|p| (p * 10.0).round() as i64)
            .filter(|p| (1..=200).contains(p))
            .ok_or(FieldError::new("points", "error.scorecard.points"))?;
        let title = RECORD_TITLE.parse("title", &f.title)?;
        let evidence = EVIDENCE.parse("evidence", &f.evidence)?;
        let day = crate::assemblies::day("occurred_on", &f.occurred_on)?;
        if day > linli_store::today() {
            return Err(FieldError::new("occurred_on", "error.committee.future"));
        }
        Ok(NewRecord { organisation_id: company.id, kind, points: pts, title, evidence, occurred_on: day.to_string() })
    })();
    match checked {
        Ok(new) => {
            state.store.add_property_record(&new, user.principal().account_id).await?;
            state
                .store
                .audit(Some(user.principal().account_id), None, "scorecard.record", &company.id.to_string())
                .await?;
            Ok(Redirect::to(&format!("/organisations/{id}/scorecard?quarter={}", quarter_of(linli_store::today())))
                .into_response())
        }
        Err(e) => page(&state, &user, id, "", StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct SurveyForm {
    #[serde(default)]
    pub quarter: String,
    #[serde(default)]
    pub respondents: String,
    #[serde(default)]
    pub satisfied: String,
}

/// The quarter's owners' satisfaction survey, as the owners' or residents' committee ran it.
pub async fn add_survey(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<SurveyForm>,
) -> AppResult<Response> {
    let (company, community) = reachable(&state, &user, id).await?;
    let Some(run_by) = runs_survey(&user, &community) else {
        return Err(AppError::NotFound);
    };
    let checked = (|| {
        let q = quarter_asked(&f.quarter)?;
        let respondents: i64 =
            f.respondents.trim().parse().map_err(|_| FieldError::new("respondents", "error.range"))?;
        let satisfied: i64 = f.satisfied.trim().parse().map_err(|_| FieldError::new("satisfied", "error.range"))?;
        Ok((q, respondents, satisfied))
    })();
    let done = match checked {
        Ok((q, respondents, satisfied)) => state
            .store
            .record_survey(company.id, &q, run_by, respondents, satisfied, user.principal().account_id)
            .await
            .map(|()| q),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match done {
        Ok(q) => Ok(Redirect::to(&format!("/organisations/{id}/scorecard?quarter={q}")).into_response()),
        Err(StoreError::Invalid(e)) => {
            page(&state, &user, id, &f.quarter, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "scorecards_street.html")]
struct StreetPage {
    chrome: Chrome,
    street_id: i64,
    quarter: String,
    quarters: Vec<String>,
    /// Each company, its community's name, and its card; best first.
    rows: Vec<(Organisation, String, Scorecard)>,
}

impl StreetPage {
    fn pts(&self, tenths: &i64) -> String {
        points(*tenths)
    }

    fn red(&self, g: &Grade) -> bool {
        *g == Grade::Aaa
    }

    fn black(&self, g: &Grade) -> bool {
        *g == Grade::C
    }
}

/// The street's property companies side by side for a quarter, with the red and black lists.
pub async fn street(
    State(state): State<AppState>,
    user: User,
    Path(street_id): Path<i64>,
    Query(q): Query<QuarterQuery>,
) -> AppResult<Response> {
    if !user.principal().can_in_street(Action::ViewStreet, street_id) {
        return Err(AppError::NotFound);
    }
    let quarter = quarter_asked(&q.quarter).map_err(AppError::Invalid)?;
    let rules = state.store.self_governance().await?.score;
    let mut rows = Vec::new();
    for company in state.store.street_property_companies(street_id).await? {
        let community = state.store.community(company.community_id).await?.name;
        let card = state.store.scorecard(company.id, &quarter, rules).await?;
        rows.push((company, community, card));
    }
    rows.sort_by(|a, b| b.2.score.total.cmp(&a.2.score.total).then(a.0.id.cmp(&b.0.id)));
    let page = StreetPage {
        chrome: Chrome::new(&user.0, user.0.tr().get("scorecard.street_heading")),
        quarters: recent_quarters(&quarter),
        street_id,
        quarter,
        rows,
    };
    Ok(render(StatusCode::OK, &page))
}
