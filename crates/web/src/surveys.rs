//! Surveys (问卷调查) on the web: the community's list and, for those who run surveys, the
//! form to start one; a draft's page to add and remove questions and send it; the answer
//! form for those it was sent to while it is open (a conditional question shows once its
//! option is chosen, with the script, and is ignored when hidden); the results with a chart
//! per question, the response rate by grid and one grid's answers alone; CSV and Excel.
//! A property company's scorecard starts its quarter's satisfaction survey here.
//!
//! In an anonymous survey a grid's answers are shown apart only from [`MIN_CELL`] answers
//! up, and the export leaves smaller grids unnamed, so a small grid cannot single anyone out.

use crate::announcements::{audience_places, chosen_audience};
use crate::chart::{BarChart, BarRow};
use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::export_log::ExportRecord;
use crate::frame::{Chrome, render};
use crate::spreadsheet::{Cell, Table};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::announcement::ROLES;
use linli_domain::indicators::Rate;
use linli_domain::survey::{self, Draft, INTRO, Kind, Phase, Question, RawQuestion, TITLE};
use linli_domain::{Action, FieldError, Role};
use linli_i18n::Tr;
use linli_store::StoreError;
use linli_store::admin::{Community, Grid};
use linli_store::registry::BuildingSummary;
use linli_store::surveys::{GridRate, NewSurvey, Results, Survey, TextAnswer};
use serde::Deserialize;
use std::collections::HashMap;

/// The fewest answers a grid of an anonymous survey is shown apart with.
pub const MIN_CELL: i64 = 5;
/// Free-text answers shown per question; the export has them all.
const TEXTS: i64 = 50;

#[derive(Deserialize, Default)]
pub struct SurveyForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub intro: String,
    pub anonymous: Option<String>,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub target_grids: Vec<String>,
    #[serde(default)]
    pub target_buildings: Vec<String>,
    #[serde(default)]
    pub target_roles: Vec<String>,
    #[serde(default)]
    pub answer_from: String,
    #[serde(default)]
    pub answer_until: String,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    items: Vec<(Survey, Phase)>,
    can_run: bool,
    grids: Vec<Grid>,
    buildings: Vec<BuildingSummary>,
    roles: Vec<&'static str>,
    form: SurveyForm,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: SurveyForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let can_run = p.can_in_community(Action::RunSurveys, community.id, community.street_id);
    let resident = state.store.verified_resident(p.account_id, community.id).await?;
    let items = state.store.surveys(community.id, p.account_id, resident, can_run).await?;
    let (grids, buildings) = audience_places(state, community.id, can_run).await?;
    let page = ListPage {
        chrome: Chrome::new(&user.0, t.get("survey.list")),
        items: items.into_iter().map(|s| (s.clone(), s.phase())).collect(),
        can_run,
        grids,
        buildings,
        roles: ROLES.iter().map(|r| r.as_str()).collect(),
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewSurveys).await?;
    let today = linli_store::today();
    let form = SurveyForm {
        audience: "community".into(),
        answer_from: today.to_string(),
        answer_until: (today + chrono::Days::new(14)).to_string(),
        ..SurveyForm::default()
    };
    list_page(&state, &user, community, StatusCode::OK, form, None).await
}

/// The survey's window: two days, the last not before the first nor before today.
fn window(f: &SurveyForm) -> Result<(String, String), FieldError> {
    let opens = crate::assemblies::day("answer_from", &f.answer_from)?;
    let closes = crate::assemblies::day("answer_until", &f.answer_until)?;
    if closes < opens || closes < linli_store::today() {
        return Err(FieldError::new("answer_until", "error.survey.window"));
    }
    Ok((opens.to_string(), closes.to_string()))
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<SurveyForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::RunSurveys).await?;
    let to = chosen_audience(
        &state,
        community.id,
        &form.audience,
        &form.target_grids,
        &form.target_buildings,
        &form.target_roles,
    )
    .await?;
    let checked = to.and_then(|to| {
        let title = TITLE.parse("title", &form.title)?;
        let intro = INTRO.parse("intro", &form.intro)?;
        let (opens_on, closes_on) = window(&form)?;
        Ok(NewSurvey {
            community_id: community.id,
            title,
            intro,
            anonymous: form.anonymous.is_some(),
            audience: to.audience,
            places: to.places,
            roles: to.roles,
            opens_on,
            closes_on,
            scorecard: None,
            by: user.principal().account_id,
        })
    });
    match checked {
        Ok(new) => {
            let id = state.store.create_survey(&new, &[]).await?;
            Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
        }
        Err(e) => list_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    }
}

/// A survey the user opened, as far as it concerns them.
struct Reached {
    s: Survey,
    community: Community,
    /// They run the community's surveys.
    runs: bool,
    /// Their resident of record in the community, if verified.
    resident: Option<i64>,
    /// It was sent to them: whether they have answered.
    invited: Option<bool>,
}

/// A survey the user may open: those who run surveys open any of the community's; anyone
/// else only a sent one that was sent to them.
async fn survey_for(state: &AppState, user: &User, id: i64, action: Action) -> AppResult<Reached> {
    let s = state.store.survey(id).await?;
    let community = community_of(state, user, s.community_id, action).await?;
    let p = user.principal();
    let runs = p.can_in_community(Action::RunSurveys, community.id, community.street_id);
    let resident = state.store.verified_resident(p.account_id, community.id).await?;
    let invited = state.store.invitation(s.id, p.account_id, resident).await?;
    if !runs && (s.phase() == Phase::Draft || invited.is_none()) {
        return Err(AppError::NotFound);
    }
    Ok(Reached { s, community, runs, resident, invited })
}

#[derive(Deserialize, Default)]
pub struct QuestionForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub prompt: String,
    pub required: Option<String>,
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub min_choices: String,
    #[serde(default)]
    pub max_choices: String,
    #[serde(default)]
    pub scale: String,
    #[serde(default)]
    pub show_if: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct ShowPage {
    chrome: Chrome,
    community: Community,
    s: Survey,
    phase: Phase,
    questions: Vec<Question>,
    /// Each option that can open a later question: its id and "question no. · option".
    conditions: Vec<(i64, String)>,
    runs: bool,
    /// Sent to the user: whether they have answered.
    invited: Option<bool>,
    /// What the user gave, kept when the answer is refused.
    given: HashMap<i64, Vec<String>>,
    question: QuestionForm,
    error: Option<String>,
    audience: String,
}

impl ShowPage {
    fn chose(&self, q: &i64, o: &i64) -> bool {
        self.given.get(q).is_some_and(|v| v.iter().any(|x| x.trim() == o.to_string()))
    }

    fn text(&self, q: &i64) -> &str {
        self.given.get(q).and_then(|v| v.first()).map_or("", String::as_str)
    }

    fn rated(&self, q: &i64, v: &i64) -> bool {
        self.text(q).trim() == v.to_string()
    }

    fn limits(&self, q: &Question) -> String {
        let t = self.chrome.t;
        match q.kind {
            Kind::Multiple => t.fill("survey.limits", &[("min", &q.min_choices.max(1)), ("max", &q.max_choices)]),
            Kind::Rating => t.fill("survey.scale_is", &[("scale", &q.scale)]),
            _ => String::new(),
        }
    }

    fn condition(&self, q: &Question) -> String {
        q.show_if.and_then(|o| self.conditions.iter().find(|c| c.0 == o)).map_or(String::new(), |c| c.1.clone())
    }
}

fn conditions(questions: &[Question]) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        if matches!(q.kind, Kind::Single | Kind::Multiple) {
            out.extend(q.options.iter().map(|(id, label)| (*id, format!("{}. {} · {label}", i + 1, q.prompt))));
        }
    }
    out
}

struct Shown {
    status: StatusCode,
    given: HashMap<i64, Vec<String>>,
    question: QuestionForm,
    error: Option<String>,
}

async fn show_page(state: &AppState, user: &User, id: i64, shown: Shown) -> AppResult<Response> {
    let Reached { s, community, runs, invited, .. } = survey_for(state, user, id, Action::ViewSurveys).await?;
    let t = user.0.tr();
    let questions = state.store.questions(s.id).await?;
    let page = ShowPage {
        chrome: Chrome::new(&user.0, s.title.clone()),
        phase: s.phase(),
        conditions: conditions(&questions),
        questions,
        runs,
        invited,
        given: shown.given,
        question: shown.question,
        error: shown.error,
        audience: t.label("announcement.audience", s.audience.as_str()),
        community,
        s,
    };
    Ok(render(shown.status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let shown = Shown {
        status: StatusCode::OK,
        given: HashMap::new(),
        question: QuestionForm { kind: "single".into(), required: Some("1".into()), ..QuestionForm::default() },
        error: None,
    };
    show_page(&state, &user, id, shown).await
}

fn refused(t: Tr, status: StatusCode, e: FieldError, question: QuestionForm) -> Shown {
    Shown { status, given: HashMap::new(), question, error: Some(t.field_error(e.field, e.key)) }
}

pub async fn add_question(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<QuestionForm>,
) -> AppResult<Response> {
    let Reached { s, .. } = survey_for(&state, &user, id, Action::RunSurveys).await?;
    let earlier: Vec<i64> = conditions(&state.store.questions(s.id).await?).iter().map(|c| c.0).collect();
    let raw = RawQuestion {
        kind: &f.kind,
        prompt: &f.prompt,
        required: f.required.is_some(),
        options: &f.options,
        min_choices: &f.min_choices,
        max_choices: &f.max_choices,
        scale: &f.scale,
        show_if: &f.show_if,
    };
    let done = match survey::draft(&raw, &earlier) {
        Ok(d) => state.store.add_question(s.id, &d).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{}#add", s.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            let shown = refused(user.0.tr(), StatusCode::UNPROCESSABLE_ENTITY, e, f);
            show_page(&state, &user, id, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Runs a change to a sent or draft survey; a refusal shows the survey with its reason.
async fn change(
    state: &AppState,
    user: &User,
    id: i64,
    done: Result<(), StoreError>,
    to: String,
) -> AppResult<Response> {
    match done {
        Ok(()) => Ok(Redirect::to(&to).into_response()),
        Err(StoreError::Invalid(e)) => {
            let shown = refused(user.0.tr(), StatusCode::UNPROCESSABLE_ENTITY, e, QuestionForm::default());
            show_page(state, user, id, shown).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_question(
    State(state): State<AppState>,
    user: User,
    Path((id, question_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let Reached { s, .. } = survey_for(&state, &user, id, Action::RunSurveys).await?;
    let done = state.store.remove_question(s.id, question_id).await;
    change(&state, &user, id, done, format!("/surveys/{id}")).await
}

pub async fn send(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let Reached { s, .. } = survey_for(&state, &user, id, Action::RunSurveys).await?;
    let done = state.store.send_survey(s.id, user.principal().account_id).await.map(|_| ());
    change(&state, &user, id, done, format!("/surveys/{id}")).await
}

pub async fn close(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let Reached { s, community, .. } = survey_for(&state, &user, id, Action::RunSurveys).await?;
    let done = state.store.close_survey(s.id, user.principal().account_id).await;
    if done.is_ok() {
        state
            .store
            .audit(Some(user.principal().account_id), Some(community.id), "survey.closed", &id.to_string())
            .await?;
    }
    change(&state, &user, id, done, format!("/surveys/{id}/results")).await
}

/// One person's answers: each question's values under `q{id}`.
pub async fn answer(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum_extra::extract::Form(pairs): axum_extra::extract::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let Reached { s, resident, .. } = survey_for(&state, &user, id, Action::ViewSurveys).await?;
    let t = user.0.tr();
    let mut given: HashMap<i64, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        if let Some(q) = k.strip_prefix('q').and_then(|q| q.parse::<i64>().ok()) {
            given.entry(q).or_default().push(v);
        }
    }
    let questions = state.store.questions(s.id).await?;
    let p = user.principal();
    let done = match survey::check(&questions, &given) {
        Ok(kept) => state.store.answer_survey(&s, Some(p.account_id), resident, &kept).await.map_err(|e| match e {
            StoreError::Invalid(e) => t.field_error(e.field, e.key),
            e => e.to_string(),
        }),
        Err(e) => {
            let q = &questions[e.number - 1];
            Err(t.fill("survey.answer_error", &[("n", &e.number), ("prompt", &q.prompt), ("why", &t.get(e.key))]))
        }
    };
    match done {
        Ok(()) => Ok(Redirect::to(&format!("/surveys/{id}")).into_response()),
        Err(message) => {
            let shown = Shown {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                given,
                question: QuestionForm::default(),
                error: Some(message),
            };
            show_page(&state, &user, id, shown).await
        }
    }
}

#[derive(Deserialize)]
pub struct ResultsQuery {
    pub grid: Option<i64>,
    pub format: Option<String>,
}

/// One question's results as the page shows them.
struct Shows {
    number: usize,
    prompt: String,
    kind: Kind,
    answered: i64,
    chart: Option<String>,
    /// A rating's mean, `4.2 / 5`.
    mean: Option<String>,
    /// The share satisfied (4 or 5 of 5), for the rating a satisfaction survey counts.
    satisfied: Option<String>,
    texts: Vec<TextAnswer>,
}

#[derive(Template)]
#[template(path = "survey_results.html")]
struct ResultsPage {
    chrome: Chrome,
    s: Survey,
    phase: Phase,
    results: Results,
    shows: Vec<Shows>,
    /// Grids with their invitations, answers and rate, and whether they may be shown apart.
    rates: Vec<(GridRate, String, bool)>,
    grid: Option<i64>,
    grid_name: String,
    rate: String,
}

/// The grids an anonymous survey may show apart: those with [`MIN_CELL`] answers or more.
fn shown_apart(s: &Survey, r: &GridRate) -> bool {
    r.grid_id.is_some() && (!s.anonymous || r.answered >= MIN_CELL)
}

fn share(n: i64, of: i64) -> Option<u64> {
    Rate { num: n as u64, den: of as u64 }.basis_points()
}

fn question_results(t: Tr, number: usize, q: &Question, results: &Results) -> Shows {
    let answered = results.answered.get(&q.id).copied().unwrap_or(0);
    let count = |option: Option<i64>, value: Option<i64>| {
        results
            .tallies
            .iter()
            .filter(|x| x.question_id == q.id && x.option_id == option && x.value == value)
            .map(|x| x.n)
            .sum::<i64>()
    };
    let (rows, mean): (Vec<BarRow>, Option<String>) = match q.kind {
        Kind::Single | Kind::Multiple => (
            q.options
                .iter()
                .map(|(id, label)| {
                    let n = count(Some(*id), None);
                    BarRow { label: format!("{label} ({n})"), values: vec![share(n, answered)] }
                })
                .collect(),
            None,
        ),
        Kind::Rating => {
            let mut sum = 0;
            let rows = (1..=q.scale)
                .rev()
                .map(|v| {
                    let n = count(None, Some(v));
                    sum += n * v;
                    BarRow { label: format!("{v} ({n})"), values: vec![share(n, answered)] }
                })
                .collect();
            let mean = (answered > 0).then(|| format!("{:.1} / {}", sum as f64 / answered as f64, q.scale));
            (rows, mean)
        }
        Kind::Text => (Vec::new(), None),
    };
    let chart = (!rows.is_empty())
        .then(|| BarChart::new(format!("{number}. {}", q.prompt), &[t.get("survey.share").to_owned()], &rows).svg());
    let satisfied = (q.kind == Kind::Rating).then(|| {
        let n: i64 = (1..=q.scale).filter(|v| survey::satisfied(*v, q.scale)).map(|v| count(None, Some(v))).sum();
        Rate { num: n as u64, den: answered as u64 }.percent()
    });
    Shows { number, prompt: q.prompt.clone(), kind: q.kind, answered, chart, mean, satisfied, texts: Vec::new() }
}

pub async fn results(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(q): Query<ResultsQuery>,
) -> AppResult<Response> {
    let Reached { s, community, .. } = survey_for(&state, &user, id, Action::RunSurveys).await?;
    let t = user.0.tr();
    let rates = state.store.survey_rates(s.id).await?;
    let grid = q.grid.filter(|g| rates.iter().any(|r| r.grid_id == Some(*g) && shown_apart(&s, r)));
    let questions = state.store.questions(s.id).await?;
    if let Some(format) = q.format.as_deref().filter(|f| *f == "csv" || *f == "xlsx") {
        return export(&state, &user, &s, &community, &questions, &rates, format).await;
    }
    let results = state.store.survey_results(s.id, grid).await?;
    let mut shows = Vec::new();
    // The rating a satisfaction survey counts is its first.
    let counted =
        questions.iter().find(|q| q.kind == Kind::Rating).map(|q| q.id).filter(|_| s.organisation_id.is_some());
    for (i, question) in questions.iter().enumerate() {
        let mut shown = question_results(t, i + 1, question, &results);
        if Some(question.id) != counted {
            shown.satisfied = None;
        }
        if question.kind == Kind::Text {
            shown.texts = state.store.text_answers(question.id, grid, TEXTS).await?;
        }
        shows.push(shown);
    }
    let invited: i64 = rates.iter().map(|r| r.invited).sum();
    let answered: i64 = rates.iter().map(|r| r.answered).sum();
    let page = ResultsPage {
        chrome: Chrome::new(&user.0, t.get("survey.results")),
        phase: s.phase(),
        grid_name: rates
            .iter()
            .find(|r| r.grid_id.is_some() && r.grid_id == grid)
            .and_then(|r| r.grid_name.clone())
            .unwrap_or_default(),
        rates: rates
            .into_iter()
            .map(|r| {
                let rate = Rate { num: r.answered as u64, den: r.invited as u64 }.percent();
                let apart = shown_apart(&s, &r);
                (r, rate, apart)
            })
            .collect(),
        rate: Rate { num: answered as u64, den: invited as u64 }.percent(),
        results,
        shows,
        grid,
        s,
    };
    Ok(render(StatusCode::OK, &page))
}

/// Every response as a row (in no order that follows time), its grid (unnamed where an
/// anonymous survey has too few answers there), then each question's answer.
async fn export(
    state: &AppState,
    user: &User,
    s: &Survey,
    community: &Community,
    questions: &[Question],
    rates: &[GridRate],
    format: &str,
) -> AppResult<Response> {
    let t = user.0.tr();
    let answers = state.store.survey_answers(s.id).await?;
    let small: Vec<&str> = rates.iter().filter(|r| !shown_apart(s, r)).filter_map(|r| r.grid_name.as_deref()).collect();
    let column: HashMap<i64, usize> = questions.iter().enumerate().map(|(i, q)| (q.id, i + 1)).collect();
    let label: HashMap<i64, &str> =
        questions.iter().flat_map(|q| q.options.iter().map(|(id, l)| (*id, l.as_str()))).collect();
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for a in &answers {
        if last != Some(a.response_id) {
            last = Some(a.response_id);
            let grid = a.grid_name.clone().filter(|g| !small.contains(&g.as_str())).unwrap_or_else(|| "—".into());
            let mut row = vec![String::new(); questions.len() + 1];
            row[0] = grid;
            rows.push(row);
        }
        let (Some(row), Some(&col)) = (rows.last_mut(), column.get(&a.question_id)) else { continue };
        let value = match (a.option_id, a.value, &a.text) {
            (Some(o), ..) => label.get(&o).copied().unwrap_or_default().to_owned(),
            (_, Some(v), _) => v.to_string(),
            (.., Some(text)) => text.clone(),
            _ => String::new(),
        };
        if row[col].is_empty() {
            row[col] = value;
        } else {
            row[col] = format!("{}；{value}", row[col]);
        }
    }
    let mut header = vec![t.get("field.grid_id").to_owned()];
    header.extend(questions.iter().enumerate().map(|(i, q)| format!("{}. {}", i + 1, q.prompt)));
    let record = ExportRecord {
        what: "survey".into(),
        rows: rows.len(),
        filters: vec![(t.get("field.survey").to_owned(), s.title.clone())],
        format: format.into(),
    };
    state.store.audit(Some(user.principal().account_id), Some(community.id), "survey.export", &record.detail()).await?;
    let table = Table {
        title: s.title.clone(),
        header,
        rows: rows.into_iter().map(|r| r.into_iter().map(Cell::Text).collect()).collect(),
    };
    let stem = format!("{}_{}", community.name, s.title);
    crate::spreadsheet::download(&stem, format == "xlsx", &[table], "", true)
}

/// The scorecard's button: a draft of the quarter's satisfaction survey of a property
/// company, to every adult of the community for two weeks, anonymous, with the standard
/// questions (the first rating being the one counted).
pub async fn satisfaction(
    State(state): State<AppState>,
    user: User,
    Path(organisation_id): Path<i64>,
) -> AppResult<Response> {
    let (company, community) = crate::scorecards::reachable(&state, &user, organisation_id).await?;
    let Some(run_by) = crate::scorecards::runs_survey(&user, &community) else {
        return Err(AppError::NotFound);
    };
    let p = user.principal();
    if !p.can_in_community(Action::RunSurveys, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    let t = user.0.tr();
    let today = linli_store::today();
    let quarter = linli_domain::scorecard::quarter_of(today);
    let questions: Vec<Draft> = survey::SATISFACTION
        .iter()
        .map(|(kind, prompt, options)| Draft {
            kind: *kind,
            prompt: t.get(prompt).to_owned(),
            required: *kind == Kind::Rating,
            options: options.iter().map(|o| t.get(o).to_owned()).collect(),
            min_choices: if *kind == Kind::Multiple { 1 } else { 0 },
            max_choices: if *kind == Kind::Multiple { 3 } else { 0 },
            scale: if *kind == Kind::Rating { survey::DEFAULT_SCALE } else { 0 },
            show_if: None,
        })
        .collect();
    let new = NewSurvey {
        community_id: community.id,
        title: t.fill("survey.sat.title", &[("company", &company.name), ("quarter", &quarter)]),
        intro: t.get("survey.sat.intro").to_owned(),
        anonymous: true,
        audience: linli_domain::announcement::Audience::Community,
        places: Vec::new(),
        roles: Vec::<Role>::new(),
        opens_on: today.to_string(),
        closes_on: (today + chrono::Days::new(14)).to_string(),
        scorecard: Some((company.id, quarter, run_by)),
        by: p.account_id,
    };
    let id = state.store.create_survey(&new, &questions).await?;
    Ok(Redirect::to(&format!("/surveys/{id}")).into_response())
}
