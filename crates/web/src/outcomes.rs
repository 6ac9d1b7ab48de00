//! Outcomes of services and community culture, month by month, for a community's director
//! and staff (per grid) and a street's supervisor (per community): services delivered,
//! referrals served, attendance at activities per 100 residents and volunteer hours, each
//! with 环比 (against the month before) and 同比 (against the same month a year earlier).

use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::{Action, Reach};
use linli_store::outcomes::{Outcome, OutcomeScope, month_bounds};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
pub struct MonthQuery {
    /// `YYYY-MM`; the last full month by default.
    pub month: Option<String>,
}

/// The month asked for, or the last full one.
fn month_of(q: &MonthQuery) -> chrono::NaiveDate {
    let today = linli_store::today();
    q.month
        .as_deref()
        .and_then(|m| chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok())
        .filter(|d| *d <= today)
        .unwrap_or_else(|| month_bounds(today).0 - chrono::Months::new(1))
}

/// One figure: its value this month, the month before and a year before, as shown.
pub struct Figure {
    pub key: &'static str,
    pub now: String,
    pub before: String,
    pub mom: String,
    pub year_ago: String,
    pub yoy: String,
}

/// One place's row for the month.
pub struct Row {
    pub name: String,
    pub href: Option<String>,
    pub o: Outcome,
}

impl Row {
    pub fn per_100(&self) -> String {
        per_100(&self.o)
    }

    pub fn hours(&self) -> String {
        linli_domain::volunteer::hours(self.o.minutes)
    }
}

fn per_100(o: &Outcome) -> String {
    o.per_100().map_or("—".into(), |h| format!("{}.{:02}", h / 100, h % 100))
}

/// The change from `before` to `now` in percent (`+12.5%`), or `—` from nothing.
fn change(now: i64, before: i64) -> String {
    if before == 0 {
        return "—".into();
    }
    if now == before {
        return "0.0%".into();
    }
    format!("{:+.1}%", (now - before) as f64 * 100.0 / before as f64)
}

fn total(m: &BTreeMap<i64, Outcome>) -> Outcome {
    let mut t = Outcome::default();
    for o in m.values() {
        t.add(o);
    }
    t
}

/// A figure's message, how it compares, and how it is shown.
type Measure = (&'static str, fn(&Outcome) -> i64, fn(&Outcome) -> String);

fn figures(now: &Outcome, before: &Outcome, year_ago: &Outcome) -> Vec<Figure> {
    let pick: [Measure; 4] = [
        ("outcome.services", |o| o.services, |o| o.services.to_string()),
        ("outcome.referrals", |o| o.referrals, |o| o.referrals.to_string()),
        ("outcome.per_100", |o| o.per_100().unwrap_or(0), per_100),
        ("outcome.hours", |o| o.minutes, |o| linli_domain::volunteer::hours(o.minutes)),
    ];
    pick.iter()
        .map(|(key, value, shown)| Figure {
            key,
            now: shown(now),
            before: shown(before),
            mom: change(value(now), value(before)),
            year_ago: shown(year_ago),
            yoy: change(value(now), value(year_ago)),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "outcomes.html")]
struct OutcomesPage {
    chrome: Chrome,
    heading: String,
    /// Where the page belongs (the community's or street's page) and its name.
    back: (String, String),
    month: String,
    /// The month is still running: its figures, and their changes, are partial.
    partial: bool,
    prev: String,
    next: Option<String>,
    place_label: &'static str,
    figures: Vec<Figure>,
    rows: Vec<Row>,
}

/// The month's figures, the month before and a year before, for one scope.
async fn three(
    state: &AppState,
    scope: OutcomeScope,
    month: chrono::NaiveDate,
) -> AppResult<[BTreeMap<i64, Outcome>; 3]> {
    Ok([
        state.store.outcomes(scope, month).await?,
        state.store.outcomes(scope, month - chrono::Months::new(1)).await?,
        state.store.outcomes(scope, month - chrono::Months::new(12)).await?,
    ])
}

fn page(
    user: &User,
    heading: String,
    back: (String, String),
    month: chrono::NaiveDate,
    place_label: &'static str,
    [now, before, year_ago]: &[BTreeMap<i64, Outcome>; 3],
    rows: Vec<Row>,
) -> Response {
    let next = month + chrono::Months::new(1);
    let page = OutcomesPage {
        chrome: Chrome::new(&user.0, heading.clone()),
        heading,
        back,
        month: month.format("%Y-%m").to_string(),
        partial: month_bounds(linli_store::today()).0 == month,
        prev: (month - chrono::Months::new(1)).format("%Y-%m").to_string(),
        next: (next <= linli_store::today()).then(|| next.format("%Y-%m").to_string()),
        place_label,
        figures: figures(&total(now), &total(before), &total(year_ago)),
        rows,
    };
    render(StatusCode::OK, &page)
}

/// A community's outcomes, per grid: its director and staff, and its street's supervisor;
/// a grid worker's own grids.
pub async fn community(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewIndicators).await?;
    let p = user.principal();
    let whole = p.reach(Action::ViewIndicators, community.id, community.street_id) == Reach::Community;
    let month = month_of(&q);
    let mut all = three(&state, OutcomeScope::Community(community.id), month).await?;
    // A grid worker sees their own grids, and totals of those only.
    let grids: Vec<_> = state
        .store
        .grids(community.id)
        .await?
        .into_iter()
        .filter(|g| whole || p.can_in_grid(Action::ViewIndicators, community.id, community.street_id, g.id))
        .collect();
    if !whole {
        for m in all.iter_mut() {
            m.retain(|k, _| grids.iter().any(|g| g.id == *k));
        }
    }
    let t = user.0.tr();
    let mut rows: Vec<Row> = grids
        .iter()
        .map(|g| Row {
            name: g.name.clone(),
            href: Some(format!("/grids/{}", g.id)),
            o: all[0].get(&g.id).cloned().unwrap_or_default(),
        })
        .collect();
    if let Some(o) = all[0].get(&0) {
        rows.push(Row { name: t.get("outcome.no_grid").to_owned(), href: None, o: o.clone() });
    }
    let heading = t.fill("outcome.heading", &[("place", &community.name)]);
    let back = (format!("/communities/{}", community.id), community.name.clone());
    Ok(page(&user, heading, back, month, "field.grid", &all, rows))
}

/// A street's outcomes, per community: its supervisor.
pub async fn street(
    State(state): State<AppState>,
    user: User,
    Path(street_id): Path<i64>,
    Query(q): Query<MonthQuery>,
) -> AppResult<Response> {
    let street = state.store.street(street_id).await?;
    if !user.principal().can_in_street(Action::ViewIndicators, street.id) {
        return Err(AppError::NotFound);
    }
    let month = month_of(&q);
    let all = three(&state, OutcomeScope::Street(street.id), month).await?;
    let rows = state
        .store
        .communities(Some(street.id))
        .await?
        .into_iter()
        .map(|c| Row {
            href: Some(format!("/communities/{}/outcomes?month={}", c.id, month.format("%Y-%m"))),
            o: all[0].get(&c.id).cloned().unwrap_or_default(),
            name: c.name,
        })
        .collect();
    let t = user.0.tr();
    let heading = t.fill("outcome.heading", &[("place", &street.name)]);
    let back = (format!("/streets/{}", street.id), street.name.clone());
    Ok(page(&user, heading, back, month, "field.community", &all, rows))
}

#[cfg(test)]
mod tests {
    use super::change;

    #[test]
    fn a_change_is_in_percent_of_the_month_compared_and_none_from_nothing() {
        assert_eq!(change(12, 10), "+20.0%");
        assert_eq!(change(9, 12), "-25.0%");
        assert_eq!(change(10, 10), "0.0%");
        assert_eq!(change(5, 0), "—");
        assert_eq!(change(1, 3), "-66.7%");
    }
}
