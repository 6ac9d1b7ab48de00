//! Disputes (矛盾纠纷): the community's list of disputes with their risk and mediation,
//! the screening sweeps of each grid this half-month and the last, and the forms that
//! record mediation on a dispute's case page (parties, risk, sessions, settlement,
//! referral, follow-up visit).

use crate::cases::{may_mediate, reachable_case};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use linli_domain::dispute::{
    FollowUp, MediationAction, Referral, Risk, SessionOutcome, Settlement, Side, half_month, half_month_bounds,
};
use linli_domain::identity::Phone;
use linli_domain::{FieldError, Role};
use linli_store::admin::Community;
use linli_store::cases::{CaseQuery, CaseRow};
use linli_store::disputes::{DisputeSummary, GridSweeps, NewParty, NewSession, NewSweep};
use serde::Deserialize;
use std::collections::HashMap;

fn parse_date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, "error.date"))?;
    if d > linli_store::today() {
        return Err(FieldError::new(field, "error.dispute.future"));
    }
    Ok(d)
}

/// One form for every mediation record; `action` says which.
#[derive(Deserialize, Default)]
pub struct MediationForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub side: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub risk: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub mediators: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub settlement: String,
    #[serde(default)]
    pub agreement: String,
    #[serde(default)]
    pub referral: String,
    #[serde(default)]
    pub follow_up: String,
}

async fn apply(state: &AppState, case_id: i64, by: Option<i64>, f: &MediationForm) -> AppResult<()> {
    let store = &state.store;
    match MediationAction::parse(&f.action)? {
        MediationAction::Party => {
            let phone = match f.phone.trim() {
                "" => None,
                p => Some(Phone::parse("phone", p)?),
            };
            let party = NewParty { side: Side::parse(&f.side)?, name: f.name.clone(), phone };
            store.add_dispute_party(case_id, by, &party).await?;
        }
        MediationAction::Risk => store.set_dispute_risk(case_id, by, Risk::parse(&f.risk)?).await?,
        MediationAction::Session => {
            let session = NewSession {
                held_on: parse_date("on", &f.on)?,
                mediators: f.mediators.clone(),
                outcome: SessionOutcome::parse(&f.outcome)?,
                notes: f.notes.clone(),
            };
            store.record_mediation(case_id, by, &session).await?;
        }
        MediationAction::Settle => {
            let on = parse_date("on", &f.on)?;
            store.settle_dispute(case_id, by, Settlement::parse(&f.settlement)?, on, &f.agreement).await?;
        }
        MediationAction::Refer => store.refer_dispute(case_id, by, Referral::parse(&f.referral)?).await?,
        MediationAction::FollowUp => {
            let on = parse_date("on", &f.on)?;
            store.record_follow_up(case_id, by, FollowUp::parse(&f.follow_up)?, on).await?;
        }
    }
    Ok(())
}

/// `POST /cases/{case_id}/mediation`: records one step of a mediation.
pub async fn record(
    State(state): State<AppState>,
    user: User,
    Path(case_id): Path<i64>,
    Form(form): Form<MediationForm>,
) -> AppResult<Response> {
    let (case, community) = reachable_case(&state, &user, case_id).await?;
    // An unknown action is bad input whoever sends it; a known one must be theirs.
    let action = MediationAction::parse(&form.action);
    let outcome = if let Err(e) = &action {
        Err(e.clone().into())
    } else if !may_mediate(user.principal(), &community, &case) {
        return Err(AppError::Forbidden);
    } else if case.state == linli_domain::case::State::Closed && action.as_ref().is_ok_and(|a| !a.on_closed_case()) {
        Err(FieldError::new("action", "error.mediation.closed").into())
    } else {
        apply(&state, case.id, Some(user.principal().account_id), &form).await
    };
    match outcome {
        Ok(()) => {
            // Say so when a threat of violence sent the case up.
            let done =
                if form.action == "risk" && form.risk == "violence" { "escalated" } else { form.action.as_str() };
            Ok(Redirect::to(&format!("/cases/{}?done=mediation.{done}", case.id)).into_response())
        }
        Err(AppError::Invalid(e)) => {
            let message = user.0.tr().field_error(e.field, e.key);
            let form = action.unwrap_or(MediationAction::Session).as_str();
            let error = Some((form, message));
            super::pages::case_page(&state, &user, case_id, StatusCode::UNPROCESSABLE_ENTITY, error, None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "disputes.html")]
struct DisputesPage {
    chrome: Chrome,
    community: Community,
    rows: Vec<(CaseRow, String, bool, Option<DisputeSummary>)>,
    total: i64,
    /// This half-month and the last, each with its first and last day and its grids.
    periods: Vec<(String, String, Vec<GridSweeps>)>,
    /// Grids this person may record a sweep for.
    sweep_grids: Vec<(i64, String)>,
    today: String,
    error: Option<String>,
    notice: Option<String>,
}

impl DisputesPage {
    fn risk_of(&self, s: &Option<DisputeSummary>) -> &'static str {
        s.as_ref().map_or(Risk::Normal, |s| s.risk).as_str()
    }
}

/// Grids of the community where this person screens: a worker's own grids, or every
/// grid for the community's staff.
fn sweep_grids(user: &User, community: &Community, grids: &[linli_store::admin::Grid]) -> Vec<(i64, String)> {
    let p = user.principal();
    let staff = p.is_staff_of(community.id);
    grids
        .iter()
        .filter(|g| staff || p.assignments.iter().any(|a| a.role == Role::GridWorker && a.grid_ids.contains(&g.id)))
        .map(|g| (g.id, g.name.clone()))
        .collect()
}

async fn disputes_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let p = user.principal();
    let scope = crate::cases::case_scope(state, p, &community).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let query = CaseQuery {
        community_id: community.id,
        scope: Some(scope),
        state: Some("open".into()),
        disputes_only: true,
        limit: 100,
        ..CaseQuery::default()
    };
    let (rows, total) = state.store.cases(&query).await?;
    let ids: Vec<i64> = rows.iter().map(|c| c.id).collect();
    let mut summaries: HashMap<i64, DisputeSummary> =
        state.store.dispute_summaries(&ids).await?.into_iter().map(|s| (s.case_id, s)).collect();
    let now = linli_store::now_ms();
    let mut seen = Vec::with_capacity(rows.len());
    for c in rows {
        let overdue = c.is_overdue(now);
        let at = format_ms(c.reported_at);
        let summary = summaries.remove(&c.id);
        seen.push((crate::cases::seen_by(state, p, &community, c).await?, at, overdue, summary));
    }
    let rows = seen;
    let today = linli_store::today();
    let (this_start, this_end) = half_month_bounds(today);
    let last_day = this_start.pred_opt().unwrap_or(this_start);
    let (last_start, last_end) = half_month_bounds(last_day);
    let mut periods = Vec::new();
    for (start, end) in [(this_start, this_end), (last_start, last_end)] {
        periods.push((
            start.to_string(),
            end.to_string(),
            state.store.sweeps_in(community.id, &half_month(start)).await?,
        ));
    }
    let grids = state.store.grids(community.id).await?;
    let t = user.0.tr();
    let page = DisputesPage {
        chrome: Chrome::new(&user.0, t.fill("disputes.title", &[("community", &community.name)])),
        sweep_grids: sweep_grids(user, &community, &grids),
        community,
        rows,
        total,
        periods,
        today: today.to_string(),
        error,
        notice,
    };
    Ok(render(status, &page))
}

/// `GET /communities/{community_id}/disputes`.
pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let notice = q.done.filter(|d| d == "sweep").map(|_| user.0.tr().get("disputes.sweep_saved").to_owned());
    disputes_page(&state, &user, community, StatusCode::OK, None, notice).await
}

#[derive(Deserialize, Default)]
pub struct SweepForm {
    #[serde(default)]
    pub grid_id: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub found: String,
    #[serde(default)]
    pub note: String,
}

/// `POST /communities/{community_id}/sweeps`: a grid's screening sweep, also one that
/// found nothing.
pub async fn record_sweep(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<SweepForm>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let grids = state.store.grids(community.id).await?;
    let allowed = sweep_grids(&user, &community, &grids);
    if allowed.is_empty() {
        return Err(AppError::Forbidden);
    }
    let read = || -> Result<NewSweep, FieldError> {
        let grid_id: i64 = form.grid_id.parse().map_err(|_| FieldError::new("grid_id", "error.choice"))?;
        if !allowed.iter().any(|(id, _)| *id == grid_id) {
            return Err(FieldError::new("grid_id", "error.choice"));
        }
        let found: i64 = form.found.trim().parse().map_err(|_| FieldError::new("found", "error.dispute.found"))?;
        Ok(NewSweep {
            community_id: community.id,
            grid_id,
            swept_on: parse_date("on", &form.on)?,
            account_id: Some(user.principal().account_id),
            found,
            note: form.note.clone(),
        })
    };
    let t = user.0.tr();
    let outcome = match read() {
        Ok(sweep) => state.store.record_sweep(&sweep).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/communities/{}/disputes?done=sweep", community.id)).into_response()),
        Err(AppError::Invalid(e)) => {
            let message = t.field_error(e.field, e.key);
            disputes_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}
