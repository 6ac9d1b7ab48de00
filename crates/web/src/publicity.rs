//! The community's public record (居务公开) on the web. The board (`/board/{community}`) is
//! read by anyone, signed in or not, and prints as a poster for the physical board; an
//! owners' assembly's result shows each matter passed or not, as its printed notice does.
//! The community's staff enter items, keep drafts, publish them, and set how many working
//! days the community allows; a draft past that is late, on the page and the home to-do.
//! Free text that becomes public may not carry a mobile or ID number.

use crate::context::{Ctx, User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use linli_domain::publicity::{BODY, Kind, TITLE, check_public_text, due_on};
use linli_domain::{Action, FieldError};
use linli_store::admin::Community;
use linli_store::publicity::{NewPublicItem, PublicItem};
use serde::Deserialize;

/// An item as the board shows it.
pub struct BoardItem {
    pub item: PublicItem,
    pub published: String,
    /// An assembly's matters and whether each passed.
    pub matters: Vec<(String, bool)>,
    /// An election's outcome in words (elected, alternates, not passed), as its notice says.
    pub election: Vec<String>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    chrome: Chrome,
    items: Vec<BoardItem>,
}

/// The public board of a community: no sign-in.
pub async fn board(State(state): State<AppState>, ctx: Ctx, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let mut items = Vec::new();
    for item in state.store.public_board(community.id, 200).await? {
        let (mut matters, mut election) = (Vec::new(), Vec::new());
        if let Some(a) = item.assembly_id {
            let assembly = state.store.assembly(a).await?;
            let tally = state.store.assembly_tally(a).await?;
            match assembly.seats {
                Some(seats) => {
                    let candidates = state.store.candidates(a).await?;
                    let result = linli_store::assemblies::elections::election_result(seats, &candidates, &tally);
                    election = crate::assemblies::election::view(ctx.tr(), seats, candidates, Some(&result)).result;
                }
                None => {
                    let titles = state.store.assembly_matters(a).await?.into_iter().map(|m| m.title);
                    matters = titles.zip(tally.matters).map(|(m, r)| (m, r.passed)).collect();
                }
            }
        }
        items.push(BoardItem { published: format_ms(item.published_at.unwrap_or_default()), item, matters, election });
    }
    let title = ctx.tr().fill("board.title", &[("community", &community.name)]);
    let page = BoardPage { chrome: Chrome::new(&ctx, &title), items };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
pub struct ItemForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub record_text: String,
    #[serde(default)]
    pub arose_on: String,
    /// Present: publish now; absent: keep as a draft.
    pub publish: Option<String>,
}

#[derive(Template)]
#[template(path = "board_manage.html")]
struct ManagePage {
    chrome: Chrome,
    community: Community,
    within_days: i64,
    /// Drafts with their last day, and whether that day has passed.
    drafts: Vec<(PublicItem, String, bool)>,
    form: ItemForm,
    today: String,
    error: Option<String>,
}

/// Drafts past the community's deadline, for the page and the home to-do.
pub(crate) async fn drafts_with_due(state: &AppState, community_id: i64) -> AppResult<Vec<(PublicItem, String, bool)>> {
    let within = state.store.publish_within_days(community_id).await?;
    let calendar = state.store.work_calendar().await?;
    let today = linli_store::today();
    Ok(state
        .store
        .public_drafts(community_id)
        .await?
        .into_iter()
        .map(|d| {
            let arose = NaiveDate::parse_from_str(&d.arose_on, "%Y-%m-%d").unwrap_or(today);
            let due = due_on(&calendar, arose, within);
            (d, due.to_string(), due < today)
        })
        .collect())
}

async fn manage_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: ItemForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let page = ManagePage {
        chrome: Chrome::new(&user.0, t.get("board.manage")),
        within_days: state.store.publish_within_days(community.id).await?,
        drafts: drafts_with_due(state, community.id).await?,
        today: linli_store::today().to_string(),
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn manage(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePublicRecord).await?;
    let form = ItemForm { arose_on: linli_store::today().to_string(), ..ItemForm::default() };
    manage_page(&state, &user, community, StatusCode::OK, form, None).await
}

fn checked(community_id: i64, by: i64, f: &ItemForm) -> Result<NewPublicItem, FieldError> {
    let kind = Kind::parse(&f.kind)?;
    if !Kind::ENTERED.contains(&kind) {
        return Err(FieldError::new("kind", "error.choice"));
    }
    let title = TITLE.parse("title", &f.title)?;
    let body = BODY.parse("record_text", &f.record_text)?;
    check_public_text("title", &title)?;
    check_public_text("record_text", &body)?;
    let arose = crate::assemblies::day("arose_on", &f.arose_on)?;
    if arose > linli_store::today() {
        return Err(FieldError::new("arose_on", "error.publicity.future"));
    }
    Ok(NewPublicItem { community_id, kind, title, body, arose_on: arose.to_string(), publish: f.publish.is_some(), by })
}

pub async fn add(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePublicRecord).await?;
    match checked(community.id, user.principal().account_id, &form) {
        Ok(new) => {
            state.store.add_public_item(&new).await?;
            let to = if new.publish {
                format!("/board/{}", community.id)
            } else {
                format!("/communities/{}/board", community.id)
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => manage_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    }
}

pub async fn publish(
    State(state): State<AppState>,
    user: User,
    Path((community_id, id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePublicRecord).await?;
    state.store.publish_public_item(community.id, id, user.principal().account_id).await?;
    Ok(Redirect::to(&format!("/communities/{}/board", community.id)).into_response())
}

#[derive(Deserialize)]
pub struct WithinForm {
    #[serde(default)]
    pub within_days: String,
}

pub async fn within(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(f): Form<WithinForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePublicRecord).await?;
    let days = f.within_days.trim().parse::<i64>().unwrap_or(0);
    match state.store.set_publish_within_days(community.id, days, user.principal().account_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/communities/{}/board", community.id)).into_response()),
        Err(linli_store::StoreError::Invalid(e)) => {
            manage_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, ItemForm::default(), Some(e)).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}
