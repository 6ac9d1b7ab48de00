//! The platform's settings for its administrator: the holiday calendar (holidays and the
//! weekend days moved to working days, 调休), each category's time limit, and what a
//! rating the reporter never gives means, and the rules of owners' self-governance (the
//! assembly's calendar, the committee's size and duties, the scorecard's weights). Changes
//! apply to what is computed from then on.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use linli_domain::FieldError;
use linli_domain::rules::{FIELDS, Group, SelfGovernance};
use linli_store::cases::Category;
use linli_store::settings::SATISFIED_AFTER_DAYS;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A group of rules as the form shows it: the group, and each field's name, value, min and max.
type RuleGroup = (&'static str, Vec<(&'static str, i64, i64, i64)>);

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    year: i32,
    days: Vec<(String, String, String)>,
    categories: Vec<Category>,
    satisfied_after_days: i64,
    /// The rules of owners' self-governance by group: each field's name and value as entered.
    rules: Vec<RuleGroup>,
    error: Option<String>,
    notice: Option<String>,
}

#[derive(Deserialize)]
pub struct SettingsQuery {
    pub year: Option<i32>,
    pub done: Option<String>,
}

async fn page(
    state: &AppState,
    user: &User,
    year: i32,
    status: StatusCode,
    error: Option<String>,
    notice: Option<String>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let page = SettingsPage {
        chrome: Chrome::new(&user.0, t.get("settings.title")),
        year,
        days: state.store.calendar_days(year).await?,
        categories: state.store.case_categories().await?,
        satisfied_after_days: state.store.satisfied_after_days().await?,
        rules: {
            let rules = state.store.self_governance().await?;
            Group::ALL
                .iter()
                .map(|g| {
                    let fields = FIELDS.iter().filter(|f| f.group == *g);
                    (g.as_str(), fields.map(|f| (f.name, f.shown(&rules), f.min, f.max)).collect())
                })
                .collect()
        },
        error,
        notice,
    };
    Ok(render(status, &page))
}

fn this_year() -> i32 {
    linli_store::today().year()
}

pub async fn show(State(state): State<AppState>, user: User, Query(q): Query<SettingsQuery>) -> AppResult<Response> {
    let notice = q.done.map(|_| user.0.tr().get("inbox.saved").to_owned());
    let year = q.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(this_year);
    page(&state, &user, year, StatusCode::OK, None, notice).await
}

/// Answers a settings form: back to the page, or the page with the error.
async fn answer(state: &AppState, user: &User, year: i32, outcome: AppResult<()>, anchor: &str) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/admin/settings?year={year}&done={anchor}")).into_response()),
        Err(AppError::Invalid(e)) => {
            let message = user.0.tr().field_error(e.field, e.key);
            page(state, user, year, StatusCode::UNPROCESSABLE_ENTITY, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct DayForm {
    #[serde(default)]
    pub day: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// Set to remove the day from the calendar.
    pub remove: Option<String>,
}

pub async fn calendar(State(state): State<AppState>, user: User, Form(f): Form<DayForm>) -> AppResult<Response> {
    let day = NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d");
    let year = day.as_ref().map(|d| d.year()).unwrap_or_else(|_| this_year());
    let outcome = match day {
        Err(_) => Err(FieldError::new("day", "error.settings.day").into()),
        Ok(d) if f.remove.is_some() => state.store.remove_calendar_day(d).await.map_err(AppError::from),
        Ok(d) => state.store.set_calendar_day(d, &f.kind, &f.name).await.map_err(AppError::from),
    };
    answer(&state, &user, year, outcome, "calendar").await
}

#[derive(Deserialize)]
pub struct LimitForm {
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub limit_amount: String,
    #[serde(default)]
    pub limit_kind: String,
}

pub async fn limit(State(state): State<AppState>, user: User, Form(f): Form<LimitForm>) -> AppResult<Response> {
    let outcome = async {
        let id: i64 = f.category_id.parse().map_err(|_| FieldError::new("category_id", "error.choice"))?;
        let amount: i64 =
            f.limit_amount.trim().parse().map_err(|_| FieldError::new("limit_amount", "error.settings.limit"))?;
        state.store.set_category_limit(id, amount, &f.limit_kind).await?;
        Ok(())
    };
    let outcome = outcome.await;
    answer(&state, &user, this_year(), outcome, "limits").await
}

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    pub satisfied_after_days: String,
}

pub async fn rating(State(state): State<AppState>, user: User, Form(f): Form<RatingForm>) -> AppResult<Response> {
    let outcome = match f.satisfied_after_days.trim().parse::<i64>() {
        Ok(days) if (0..=90).contains(&days) => {
            state.store.set_setting(SATISFIED_AFTER_DAYS, &days.to_string()).await.map_err(AppError::from)
        }
        _ => Err(FieldError::new("satisfied_after_days", "error.settings.days").into()),
    };
    answer(&state, &user, this_year(), outcome, "rating").await
}

/// The rules of owners' self-governance, all at once; the change is audited.
pub async fn self_governance(
    State(state): State<AppState>,
    user: User,
    Form(f): Form<BTreeMap<String, String>>,
) -> AppResult<Response> {
    let outcome = match SelfGovernance::from_form(&f) {
        Ok(rules) => state.store.set_self_governance(&rules, user.principal().account_id).await.map_err(AppError::from),
        Err(e) => Err(e.into()),
    };
    answer(&state, &user, this_year(), outcome, "self-governance").await
}
