//! The indicator dashboard of a community: the guide's rates for a period with 环比
//! (against the period before) and 同比 (against the same period a year earlier), per
//! grid, category and worker, a bar chart drawn as SVG, and CSV or Excel export.

use crate::chart::{BarChart, BarRow};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::spreadsheet::{Cell, Table};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::indicators::{Counts, DueRule, Rate};
use linli_domain::{Action, Reach};
use linli_store::cases::{Dimension, Holder, IndicatorScope};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct PeriodQuery {
    /// Length of the period ending now, in days (7, 30, 90 or 365; default 30).
    pub days: Option<String>,
    /// `exclude`: leave suspended cases out of the due count (one city's rule).
    pub suspended: Option<String>,
    /// `csv` or `xlsx` to download.
    pub format: Option<String>,
}

/// One line of the summary: a name, the value now, before, and a year ago.
pub struct Line {
    pub key: &'static str,
    pub now: String,
    pub before: String,
    pub year_ago: String,
    /// Change against the period before in percentage points (`+1.25`, `-0.50`), and
    /// whether that is an improvement (a lower rework rate is).
    pub delta: Option<(bool, String)>,
}

pub struct GroupRow {
    pub name: String,
    pub counts: Counts,
}

impl GroupRow {
    pub fn rate(&self, which: &str) -> String {
        rate_of(&self.counts, which).percent()
    }
}

fn rate_of(c: &Counts, which: &str) -> Rate {
    match which {
        "registration" => c.registration_rate(),
        "dispatch" => c.dispatch_rate(),
        "closure" => c.closure_rate(),
        "on_time" => c.on_time_rate(),
        "rework" => c.rework_rate(),
        "extension" => c.extension_rate(),
        "satisfaction" => c.satisfaction_rate(),
        _ => c.self_resolved_share(),
    }
}

const RATES: [&str; 8] =
    ["registration", "dispatch", "closure", "on_time", "rework", "extension", "satisfaction", "self_resolved"];

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    chrome: Chrome,
    heading: String,
    /// The community or street the figures are of, and its page.
    place: String,
    place_href: String,
    /// The community's case list (not for a street).
    cases_href: Option<String>,
    days: i64,
    exclude_suspended: bool,
    lines: Vec<Line>,
    counts: Counts,
    /// Tables by grid, category and worker (or community and category): a title key
    /// and the rows.
    sections: Vec<(&'static str, Vec<GroupRow>)>,
    show_chart: bool,
    chart: String,
}

impl IndicatorsPage {
    fn hours(&self, v: Option<f64>) -> String {
        v.map_or("—".into(), |h| format!("{h:.1}"))
    }
}

/// The period asked for: its length in days and the due rule.
fn period(q: &PeriodQuery) -> (i64, DueRule) {
    let days =
        q.days.as_deref().and_then(|d| d.parse::<i64>().ok()).filter(|d| [7, 30, 90, 365].contains(d)).unwrap_or(30);
    let rule =
        if q.suspended.as_deref() == Some("exclude") { DueRule::ExcludeSuspended } else { DueRule::IncludeSuspended };
    (days, rule)
}

const DAY_MS: i64 = 86_400_000;

/// The totals of the period, of the period before, and of the same period a year earlier.
struct Periods {
    now: Counts,
    before: Counts,
    year_ago: Counts,
}

impl Periods {
    async fn of(state: &AppState, scope: &IndicatorScope, days: i64, rule: DueRule) -> AppResult<Periods> {
        let to = linli_store::now_ms();
        let len = days * DAY_MS;
        let year = 365 * DAY_MS;
        // One row per community: a street adds its communities up.
        let store = &state.store;
        let total = async |from: i64, to: i64| -> AppResult<Counts> {
            Ok(sum(store.case_indicators(scope, from, to, rule, Dimension::Community).await?))
        };
        Ok(Periods {
            now: total(to - len, to).await?,
            before: total(to - 2 * len, to - len).await?,
            year_ago: total(to - year - len, to - year).await?,
        })
    }

    /// Each rate with 环比 and 同比.
    fn lines(&self) -> Vec<Line> {
        RATES
            .iter()
            .map(|which| {
                let (a, b, c) =
                    (rate_of(&self.now, which), rate_of(&self.before, which), rate_of(&self.year_ago, which));
                Line {
                    key: which,
                    now: a.percent(),
                    before: b.percent(),
                    year_ago: c.percent(),
                    delta: a.basis_points().zip(b.basis_points()).map(|(x, y)| {
                        let d = x as i64 - y as i64;
                        let sign = if d >= 0 { '+' } else { '-' };
                        let lower_is_better = matches!(*which, "rework" | "extension");
                        let better = if lower_is_better { d <= 0 } else { d >= 0 };
                        (better, format!("{sign}{}.{:02}", d.abs() / 100, d.abs() % 100))
                    }),
                }
            })
            .collect()
    }
}

/// The headline figures of a community's last 30 days, for its director's home page:
/// (figure, what it is).
pub async fn headline(state: &AppState, t: crate::i18n::Tr, community_id: i64) -> AppResult<Vec<(String, String)>> {
    let to = linli_store::now_ms();
    let scope = IndicatorScope { community_ids: vec![community_id], grid_ids: None, organisation_ids: None };
    let c = sum(state
        .store
        .case_indicators(&scope, to - 30 * DAY_MS, to, DueRule::IncludeSuspended, Dimension::Community)
        .await?);
    Ok(vec![
        (c.accepted.to_string(), t.get("indicators.accepted").to_owned()),
        (c.closure_rate().percent(), t.get("indicators.rate.closure").to_owned()),
        (c.on_time_rate().percent(), t.get("indicators.rate.on_time").to_owned()),
        (c.satisfaction_rate().percent(), t.get("indicators.rate.satisfaction").to_owned()),
        (c.overdue.to_string(), t.get("indicators.overdue").to_owned()),
    ])
}

/// Counts of several groups added up.
fn sum(rows: Vec<(Option<i64>, Counts)>) -> Counts {
    rows.into_iter().fold(Counts::default(), |a, (_, c)| a + c)
}

/// Rows grouped by `dimension`, named by `name`, sorted.
async fn grouped(
    state: &AppState,
    scope: &IndicatorScope,
    days: i64,
    rule: DueRule,
    dimension: Dimension,
    name: impl Fn(Option<i64>) -> String,
) -> AppResult<Vec<GroupRow>> {
    let to = linli_store::now_ms();
    let mut rows: Vec<GroupRow> = state
        .store
        .case_indicators(scope, to - days * DAY_MS, to, rule, dimension)
        .await?
        .into_iter()
        .map(|(k, counts)| GroupRow { name: name(k), counts })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

async fn by_grid(
    state: &AppState,
    community: &linli_store::admin::Community,
    scope: &IndicatorScope,
    days: i64,
    rule: DueRule,
) -> AppResult<Vec<GroupRow>> {
    let grids = state.store.grids(community.id).await?;
    grouped(state, scope, days, rule, Dimension::Grid, |id| {
        id.and_then(|i| grids.iter().find(|g| g.id == i)).map_or("—".to_owned(), |g| g.name.clone())
    })
    .await
}

async fn by_category(
    state: &AppState,
    user: &User,
    scope: &IndicatorScope,
    days: i64,
    rule: DueRule,
) -> AppResult<Vec<GroupRow>> {
    let categories_all = state.store.case_categories().await?;
    let en = user.0.lang.as_str() == "en";
    let mut rows = grouped(state, scope, days, rule, Dimension::Category, |k| {
        let c = k.and_then(|k| categories_all.iter().find(|c| c.id == k));
        c.map_or("—".to_owned(), |c| format!("{} {}", c.code, if en { &c.name_en } else { &c.name_zh }))
    })
    .await?;
    rows.sort_by(|a, b| b.counts.accepted.cmp(&a.counts.accepted).then(a.name.cmp(&b.name)));
    Ok(rows)
}

/// Closure and on-time closure of each row, as bars.
fn chart(t: &crate::i18n::Tr, rows: &[GroupRow]) -> String {
    BarChart::new(
        t.get("indicators.chart").to_owned(),
        &[t.get("indicators.rate.closure").to_owned(), t.get("indicators.rate.on_time").to_owned()],
        &rows
            .iter()
            .map(|g| BarRow {
                label: g.name.clone(),
                values: vec![g.counts.closure_rate().basis_points(), g.counts.on_time_rate().basis_points()],
            })
            .collect::<Vec<_>>(),
    )
    .svg()
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let p = user.principal();
    let grid_ids = match p.reach(Action::ViewIndicators, community.id, community.street_id) {
        Reach::Nothing => return Err(AppError::Forbidden),
        Reach::Community => None,
        Reach::Grids(g) => Some(g),
    };
    let (days, rule) = period(&q);
    let scope = IndicatorScope { community_ids: vec![community.id], grid_ids, organisation_ids: None };
    let periods = Periods::of(&state, &scope, days, rule).await?;
    let grids = by_grid(&state, &community, &scope, days, rule).await?;
    let categories = by_category(&state, &user, &scope, days, rule).await?;
    let to = linli_store::now_ms();
    let by_holder = state.store.holder_indicators(&scope, to - days * DAY_MS, to, rule).await?;
    let ids: Vec<i64> =
        by_holder.iter().filter_map(|(h, _)| if let Holder::Person(id) = h { Some(*id) } else { None }).collect();
    let names = state.store.display_names(&ids).await?;
    let parties = state.store.organisations(community.id).await?;
    let t = user.0.tr();
    let mut workers: Vec<GroupRow> = by_holder
        .into_iter()
        .map(|(holder, counts)| GroupRow {
            name: match holder {
                Holder::Person(id) => names.get(&id).cloned(),
                Holder::Party(id) => parties.iter().find(|o| o.id == id).map(|o| o.name.clone()),
                Holder::Community => None,
            }
            .unwrap_or_else(|| t.get("indicators.unassigned").to_owned()),
            counts,
        })
        .collect();
    workers.sort_by(|a, b| a.name.cmp(&b.name));
    let sections =
        vec![("indicators.by_grid", grids), ("indicators.by_category", categories), ("indicators.by_worker", workers)];
    let place = Place {
        heading: t.get("indicators.heading").to_owned(),
        href: format!("/communities/{}", community.id),
        cases_href: Some(format!("/communities/{}/cases", community.id)),
        name: community.name,
    };
    dashboard(&user, &q, place, &periods, sections)
}

/// One party's figures (`GET /organisations/{id}/indicators`): the cases a property
/// company or social organisation holds, by grid and category, for its own staff, for the
/// owners' committee that supervises the property company, and for the community's staff.
pub async fn show_party(
    State(state): State<AppState>,
    user: User,
    Path(organisation_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let party = state.store.organisation(organisation_id).await?;
    let community = state.store.community(party.community_id).await?;
    let companies = crate::cases::property_companies(&state, community.id).await?;
    // Another party's figures answer as a party that does not exist.
    if !user.principal().sees_party_figures(community.id, community.street_id, party.id, &companies) {
        return Err(AppError::NotFound);
    }
    let (days, rule) = period(&q);
    let scope =
        IndicatorScope { community_ids: vec![community.id], grid_ids: None, organisation_ids: Some(vec![party.id]) };
    let periods = Periods::of(&state, &scope, days, rule).await?;
    let grids = by_grid(&state, &community, &scope, days, rule).await?;
    let categories = by_category(&state, &user, &scope, days, rule).await?;
    let t = user.0.tr();
    let sections = vec![("indicators.by_grid", grids), ("indicators.by_category", categories)];
    let holder = Holder::Party(party.id).value();
    let place = Place {
        heading: t.fill("indicators.party_heading", &[("party", &party.name)]),
        href: format!("/communities/{}", community.id),
        cases_href: Some(format!("/communities/{}/cases?state=all&holder={holder}", community.id)),
        name: party.name,
    };
    dashboard(&user, &q, place, &periods, sections)
}

/// The street's dashboard: its communities side by side, and its categories.
pub async fn show_street(
    State(state): State<AppState>,
    user: User,
    Path(street_id): Path<i64>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let street = state.store.street(street_id).await?;
    // Outside one's street is not found, as cases outside reach are.
    if !user.principal().can_in_street(Action::ViewIndicators, street.id) {
        return Err(AppError::NotFound);
    }
    let communities = state.store.communities(Some(street.id)).await?;
    let (days, rule) = period(&q);
    let scope = IndicatorScope {
        community_ids: communities.iter().map(|c| c.id).collect(),
        grid_ids: None,
        organisation_ids: None,
    };
    let periods = Periods::of(&state, &scope, days, rule).await?;
    let rows = grouped(&state, &scope, days, rule, Dimension::Community, |id| {
        id.and_then(|i| communities.iter().find(|c| c.id == i)).map_or("—".to_owned(), |c| c.name.clone())
    })
    .await?;
    let categories = by_category(&state, &user, &scope, days, rule).await?;
    let t = user.0.tr();
    let sections = vec![("indicators.by_community", rows), ("indicators.by_category", categories)];
    let place = Place {
        heading: t.get("indicators.heading").to_owned(),
        href: format!("/streets/{}", street.id),
        cases_href: None,
        name: street.name,
    };
    dashboard(&user, &q, place, &periods, sections)
}

/// What a dashboard is of: its name (in the title and the file name), its heading, its
/// page, and the case list its figures come from.
struct Place {
    name: String,
    heading: String,
    href: String,
    cases_href: Option<String>,
}

/// A dashboard as its page or, asked for, its download.
fn dashboard(
    user: &User,
    q: &PeriodQuery,
    place: Place,
    periods: &Periods,
    sections: Vec<(&'static str, Vec<GroupRow>)>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let (days, rule) = period(q);
    if let Some(format) = q.format.as_deref() {
        return export(&t, format, &place.name, days, periods, &sections);
    }
    let page = IndicatorsPage {
        chrome: Chrome::new(&user.0, t.fill("indicators.title", &[("community", &place.name)])),
        heading: place.heading,
        place_href: place.href,
        cases_href: place.cases_href,
        place: place.name,
        days,
        exclude_suspended: rule == DueRule::ExcludeSuspended,
        lines: periods.lines(),
        counts: periods.now,
        show_chart: !sections[0].1.is_empty(),
        chart: chart(&t, &sections[0].1),
        sections,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The counts a breakdown's sheet gives for each row, before its rates.
const EXPORT_COUNTS: [&str; 9] =
    ["accepted", "registered", "dispatched", "due", "closed", "closed_on_time", "reworked", "extended", "overdue"];

fn count_of(c: &Counts, which: &str) -> u64 {
    match which {
        "accepted" => c.accepted,
        "registered" => c.registered,
        "dispatched" => c.dispatched,
        "due" => c.due,
        "closed" => c.closed,
        "closed_on_time" => c.closed_on_time,
        "reworked" => c.reworked,
        "extended" => c.extended,
        _ => c.overdue,
    }
}

/// The dashboard as a workbook named with the place and the period
/// (`和谐家园社区_考核指标_近30天.xlsx`): a summary sheet with 环比 and 同比, then one
/// sheet per breakdown with the total first; counts are number cells, rates percentages.
/// As CSV, the breakdowns alone, in one table.
fn export(
    t: &crate::i18n::Tr,
    format: &str,
    place: &str,
    days: i64,
    periods: &Periods,
    sections: &[(&'static str, Vec<GroupRow>)],
) -> AppResult<Response> {
    if !matches!(format, "xlsx" | "csv") {
        return Err(AppError::invalid("format", "error.choice"));
    }
    let counts_header = EXPORT_COUNTS.iter().map(|k| t.get(&format!("indicators.count.{k}")).to_owned());
    let rates_header = RATES.iter().map(|k| t.label("indicators.rate", k));
    let row = |name: &str, c: &Counts| -> Vec<Cell> {
        std::iter::once(Cell::Text(name.to_owned()))
            .chain(EXPORT_COUNTS.iter().map(|k| Cell::Count(count_of(c, k))))
            .chain(RATES.iter().map(|k| Cell::Share(rate_of(c, k))))
            .collect()
    };
    let mut tables = vec![Table {
        title: t.get("indicators.summary").to_owned(),
        header: vec![
            t.get("indicators.indicator").to_owned(),
            t.get("indicators.now").to_owned(),
            t.get("indicators.before").to_owned(),
            t.get("indicators.yoy").to_owned(),
        ],
        rows: EXPORT_COUNTS
            .iter()
            .map(|k| {
                let [a, b, c] = [&periods.now, &periods.before, &periods.year_ago].map(|p| Cell::Count(count_of(p, k)));
                vec![Cell::Text(t.get(&format!("indicators.count.{k}")).to_owned()), a, b, c]
            })
            .chain(RATES.iter().map(|k| {
                let [a, b, c] = [&periods.now, &periods.before, &periods.year_ago].map(|p| Cell::Share(rate_of(p, k)));
                vec![Cell::Text(t.label("indicators.rate", k)), a, b, c]
            }))
            .collect(),
    }];
    for (title, rows) in sections {
        tables.push(Table {
            title: t.get(title).to_owned(),
            header: std::iter::once(t.get("indicators.group").to_owned())
                .chain(counts_header.clone())
                .chain(rates_header.clone())
                .collect(),
            rows: std::iter::once(row(t.get("indicators.total"), &periods.now))
                .chain(rows.iter().map(|g| row(&g.name, &g.counts)))
                .collect(),
        });
    }
    let period = t.fill("indicators.period_name", &[("days", &days)]);
    let stem = format!("{place}_{}_{period}", t.get("indicators.heading"));
    // CSV is one table: the breakdowns, each row led by the breakdown it is of.
    let tables = if format == "xlsx" { &tables[..] } else { &tables[1..] };
    crate::spreadsheet::download(&stem, format == "xlsx", tables, t.get("indicators.sheet"), true)
}
