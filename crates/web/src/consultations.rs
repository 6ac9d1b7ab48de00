//! Consultations on the web: the community's list and the form to start one (ordinary, or a
//! major matter under 四议两公开), and a consultation's page with each recorded step and the
//! form for the one due: its date and record, and for a meeting that votes its members,
//! present and agreeing, judged by the domain's quorum rules (a meeting without its quorum
//! is refused, naming the attendance). Steps that publish go to the public board; their text
//! may not carry a phone or ID number.

use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::consultation::{Kind, NOTE, Step, TITLE, Vote, judge, next, steps};
use linli_domain::publicity::check_public_text;
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::consultations::{Consultation, NewConsultation, NewStep, StepRecord};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub topic: String,
}

#[derive(Template)]
#[template(path = "consultations.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    items: Vec<(Consultation, String)>,
    can_run: bool,
    form: StartForm,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: StartForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let items = state.store.consultations(community.id).await?.into_iter().map(|c| {
        let at = format_ms(c.created_at);
        (c, at)
    });
    let page = ListPage {
        chrome: Chrome::new(&user.0, t.get("consultation.list")),
        items: items.collect(),
        can_run: user.principal().can_in_community(Action::RunConsultations, community.id, community.street_id),
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewConsultations).await?;
    let form = StartForm { kind: "major".into(), ..StartForm::default() };
    list_page(&state, &user, community, StatusCode::OK, form, None).await
}

pub async fn start(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(f): Form<StartForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::RunConsultations).await?;
    let checked = (|| {
        let kind = Kind::parse(&f.kind)?;
        let title = TITLE.parse("title", &f.title)?;
        let topic = NOTE.parse("topic", &f.topic)?;
        check_public_text("title", &title)?;
        Ok::<_, FieldError>((kind, title, topic))
    })();
    match checked {
        Ok((kind, title, topic)) => {
            let new = NewConsultation {
                community_id: community.id,
                kind,
                title,
                topic,
                proposal_id: None,
                by: user.principal().account_id,
            };
            let id = state.store.start_consultation(&new).await?;
            Ok(Redirect::to(&format!("/consultations/{id}")).into_response())
        }
        Err(e) => list_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, f, Some(e)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub members: String,
    #[serde(default)]
    pub present: String,
    #[serde(default)]
    pub agree: String,
}

#[derive(Template)]
#[template(path = "consultation.html")]
struct ShowPage {
    chrome: Chrome,
    community: Community,
    c: Consultation,
    /// Every step of its kind, with its record if done.
    plan: Vec<(Step, Option<StepRecord>)>,
    due: Option<Step>,
    can_run: bool,
    form: StepForm,
    today: String,
    error: Option<String>,
}

impl ShowPage {
    /// Whether `step` is the one to record now.
    fn is_due(&self, step: &Step) -> bool {
        self.due == Some(*step)
    }
}

/// A consultation within reach for `action`, with its community.
async fn consultation_for(
    state: &AppState,
    user: &User,
    id: i64,
    action: Action,
) -> AppResult<(Consultation, Community)> {
    let c = state.store.consultation(id).await?;
    let community = community_of(state, user, c.community_id, action).await?;
    Ok((c, community))
}

async fn page(
    state: &AppState,
    user: &User,
    (c, community): (Consultation, Community),
    status: StatusCode,
    form: StepForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let records = state.store.consultation_steps(c.id).await?;
    let due = if c.status == "running" { next(c.kind, records.len()) } else { None };
    let plan = steps(c.kind).iter().map(|s| (*s, records.iter().find(|r| r.step == *s).cloned())).collect();
    let page = ShowPage {
        chrome: Chrome::new(&user.0, c.title.clone()),
        plan,
        due,
        can_run: user.principal().can_in_community(Action::RunConsultations, community.id, community.street_id),
        today: linli_store::today().to_string(),
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
        c,
        community,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = consultation_for(&state, &user, id, Action::ViewConsultations).await?;
    page(&state, &user, found, StatusCode::OK, StepForm::default(), None).await
}

fn count(field: &'static str, raw: &str) -> Result<u32, FieldError> {
    raw.trim().parse().map_err(|_| FieldError::new(field, "error.consultation.count"))
}

fn checked_step(t: crate::i18n::Tr, c: &Consultation, by: i64, f: &StepForm) -> Result<NewStep, FieldError> {
    let step = Step::parse(&f.step)?;
    let held_on = crate::assemblies::day("held_on", &f.held_on)?;
    if held_on > linli_store::today() {
        return Err(FieldError::new("held_on", "error.publicity.future"));
    }
    let note = NOTE.parse("note", &f.note)?;
    if step.publishes().is_some() {
        check_public_text("note", &note)?;
    }
    let (vote, passed) = match step.quorum() {
        Some(q) => {
            let vote = Vote {
                members: count("members", &f.members)?,
                present: count("present", &f.present)?,
                agree: count("agree", &f.agree)?,
            };
            let passed = judge(q, vote)?;
            (Some(vote), passed)
        }
        None => (None, true),
    };
    let public_title = format!("{}：{}", c.title, t.label("consultation.public", step.as_str()));
    Ok(NewStep { step, held_on: held_on.to_string(), note, vote, passed, public_title, by })
}

pub async fn record(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> AppResult<Response> {
    let found = consultation_for(&state, &user, id, Action::RunConsultations).await?;
    let outcome = match checked_step(user.0.tr(), &found.0, user.principal().account_id, &f) {
        Ok(new) => state.store.record_step(&found.0, &new).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/consultations/{id}")).into_response()),
        Err(StoreError::Invalid(e)) => page(&state, &user, found, StatusCode::UNPROCESSABLE_ENTITY, f, Some(e)).await,
        Err(e) => Err(AppError::from(e)),
    }
}
