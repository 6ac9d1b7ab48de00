//! Announcements (通知公告) on the web: the community's list (pinned first, expired ones
//! gone) and the staff's form to publish one to everyone, some grids, some buildings or some
//! roles; opening one marks one's receipt read; its receipts by grid, and for each grid who
//! has not read it, with a button to mark a resident told in person. A grid worker follows
//! own grids only; staff all of them.

use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::announcement::{Audience, BODY, ROLES, TITLE, parse_ids, parse_roles};
use linli_domain::{Action, FieldError, Reach, Role};
use linli_store::admin::{Community, Grid};
use linli_store::announcements::{Announcement, GridReceipts, NewAnnouncement, Unread};
use linli_store::registry::BuildingSummary;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct AnnouncementForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub announcement_text: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub target_grids: Vec<String>,
    #[serde(default)]
    pub target_buildings: Vec<String>,
    #[serde(default)]
    pub target_roles: Vec<String>,
    pub important: Option<String>,
    pub pinned: Option<String>,
    #[serde(default)]
    pub expires_on: String,
}

#[derive(Template)]
#[template(path = "announcements.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    items: Vec<(Announcement, String)>,
    can_publish: bool,
    grids: Vec<Grid>,
    buildings: Vec<BuildingSummary>,
    roles: Vec<&'static str>,
    form: AnnouncementForm,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: AnnouncementForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let can_publish = p.can_in_community(Action::PublishAnnouncements, community.id, community.street_id);
    let items = state.store.announcements(community.id, p.account_id, can_publish).await?;
    let (grids, buildings) = audience_places(state, community.id, can_publish).await?;
    let page = ListPage {
        chrome: Chrome::new(&user.0, t.get("announcement.list")),
        items: items
            .into_iter()
            .map(|a| {
                let at = format_ms(a.published_at);
                (a, at)
            })
            .collect(),
        can_publish,
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
    let community = community_for(&state, &user, community_id, Action::ViewAnnouncements).await?;
    let form = AnnouncementForm { audience: "community".into(), ..AnnouncementForm::default() };
    list_page(&state, &user, community, StatusCode::OK, form, None).await
}

/// The grids and buildings an audience form offers, when the form is shown (`wanted`).
pub(crate) async fn audience_places(
    state: &AppState,
    community_id: i64,
    wanted: bool,
) -> AppResult<(Vec<Grid>, Vec<BuildingSummary>)> {
    if !wanted {
        return Ok((Vec::new(), Vec::new()));
    }
    Ok((state.store.grids(community_id).await?, state.store.buildings_in_community(community_id).await?))
}

/// An audience as a form chose it.
pub(crate) struct Chosen {
    pub audience: Audience,
    pub places: Vec<i64>,
    pub roles: Vec<Role>,
}

/// The audience fields of a form (`audience`, `target_grids`, `target_buildings`,
/// `target_roles`) checked, the grids or buildings among the community's own.
pub(crate) async fn chosen_audience(
    state: &AppState,
    community_id: i64,
    audience: &str,
    grids: &[String],
    buildings: &[String],
    roles: &[String],
) -> AppResult<Result<Chosen, FieldError>> {
    let audience = match Audience::parse(audience) {
        Ok(a) => a,
        Err(e) => return Ok(Err(e)),
    };
    let parsed = match audience {
        Audience::Community => Ok((Vec::new(), Vec::new())),
        Audience::Grids => parse_ids("target_grids", grids).map(|g| (g, Vec::new())),
        Audience::Buildings => parse_ids("target_buildings", buildings).map(|b| (b, Vec::new())),
        Audience::Roles => parse_roles("target_roles", roles).map(|r| (Vec::new(), r)),
    };
    let (mut places, roles) = match parsed {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let known: Vec<i64> = match audience {
        Audience::Grids => state.store.grids(community_id).await?.iter().map(|g| g.id).collect(),
        Audience::Buildings => state.store.buildings_in_community(community_id).await?.iter().map(|b| b.id).collect(),
        _ => Vec::new(),
    };
    if !places.iter().all(|p| known.contains(p)) {
        let field = if audience == Audience::Grids { "target_grids" } else { "target_buildings" };
        return Ok(Err(FieldError::new(field, "error.choice")));
    }
    places.sort_unstable();
    places.dedup();
    Ok(Ok(Chosen { audience, places, roles }))
}

fn checked(community: &Community, by: i64, f: &AnnouncementForm, to: Chosen) -> Result<NewAnnouncement, FieldError> {
    let title = TITLE.parse("title", &f.title)?;
    let body = BODY.parse("announcement_text", &f.announcement_text)?;
    let expires_on = match f.expires_on.trim() {
        "" => None,
        raw => {
            let day = crate::assemblies::day("expires_on", raw)?;
            if day < linli_store::today() {
                return Err(FieldError::new("expires_on", "error.announcement.expired"));
            }
            Some(day.to_string())
        }
    };
    Ok(NewAnnouncement {
        community_id: community.id,
        title,
        body,
        important: f.important.is_some(),
        pinned: f.pinned.is_some(),
        expires_on,
        audience: to.audience,
        places: to.places,
        roles: to.roles,
        by,
    })
}

pub async fn publish(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<AnnouncementForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::PublishAnnouncements).await?;
    let to = chosen_audience(
        &state,
        community.id,
        &form.audience,
        &form.target_grids,
        &form.target_buildings,
        &form.target_roles,
    )
    .await?;
    let new = match to.and_then(|to| checked(&community, user.principal().account_id, &form, to)) {
        Ok(n) => n,
        Err(e) => return list_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    };
    let (id, _) = state.store.publish_announcement(&new).await?;
    Ok(Redirect::to(&format!("/announcements/{id}")).into_response())
}

/// An announcement the user may open: everyone's, one addressed to them, any for those who
/// publish, and any to residents for those who follow receipts.
pub(crate) async fn announcement_for(
    state: &AppState,
    user: &User,
    id: i64,
    action: Action,
) -> AppResult<(Announcement, Community)> {
    let a = state.store.announcement(id).await?;
    let community = crate::context::community_of(state, user, a.community_id, action).await?;
    let p = user.principal();
    // Staff read every one; grid workers every one to residents (they follow them up).
    let staff = p.can_in_community(Action::PublishAnnouncements, community.id, community.street_id);
    let follows =
        a.audience != Audience::Roles && p.can_in_community(Action::FollowReceipts, community.id, community.street_id);
    if !staff && !follows && a.audience != Audience::Community && !state.store.addressed_to(a.id, p.account_id).await? {
        return Err(AppError::NotFound);
    }
    Ok((a, community))
}

#[derive(Template)]
#[template(path = "announcement.html")]
struct ShowPage {
    chrome: Chrome,
    community: Community,
    a: Announcement,
    at: String,
    follows: bool,
    files: Vec<linli_store::attachments::Attachment>,
    can_publish: bool,
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (a, community) = announcement_for(&state, &user, id, Action::ViewAnnouncements).await?;
    let p = user.principal();
    state.store.read_announcement(a.id, p.account_id).await?;
    let page = ShowPage {
        chrome: Chrome::new(&user.0, a.title.clone()),
        follows: p.can_in_community(Action::FollowReceipts, community.id, community.street_id),
        can_publish: p.can_in_community(Action::PublishAnnouncements, community.id, community.street_id),
        files: state.store.attachments(linli_store::attachments::Owner::Announcement(a.id)).await?,
        at: format_ms(a.published_at),
        a,
        community,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize)]
pub struct ReceiptsQuery {
    pub grid: Option<i64>,
    pub page: Option<i64>,
}

#[derive(Template)]
#[template(path = "announcement_receipts.html")]
struct ReceiptsPage {
    chrome: Chrome,
    a: Announcement,
    grids: Vec<GridReceipts>,
    /// The grid whose unread people are listed, with the page.
    grid: Option<i64>,
    unread: Vec<Unread>,
    page: i64,
    more: bool,
}

const PAGE: i64 = 100;

/// The grids `user` follows in the community: all for staff, own for a grid worker.
fn followed(user: &User, community: &Community) -> Option<Vec<i64>> {
    match user.principal().reach(Action::FollowReceipts, community.id, community.street_id) {
        Reach::Community => None,
        Reach::Grids(g) => Some(g),
        Reach::Nothing => Some(Vec::new()),
    }
}

pub async fn receipts(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(q): Query<ReceiptsQuery>,
) -> AppResult<Response> {
    let (a, community) = announcement_for(&state, &user, id, Action::FollowReceipts).await?;
    let mine = followed(&user, &community);
    let grids = state.store.receipts_by_grid(a.id, mine.as_deref()).await?;
    let grid = q.grid.filter(|g| grids.iter().any(|r| r.grid_id == Some(*g))).or_else(|| {
        // One grid followed: it is the one listed.
        (grids.iter().filter(|r| r.grid_id.is_some()).count() == 1)
            .then(|| grids.iter().find_map(|r| r.grid_id))
            .flatten()
    });
    let page = q.page.unwrap_or(0).max(0);
    let mut unread = match grid {
        Some(g) => state.store.unread_in_grid(a.id, g, PAGE + 1, page * PAGE).await?,
        None => Vec::new(),
    };
    let more = unread.len() as i64 > PAGE;
    unread.truncate(PAGE as usize);
    let page = ReceiptsPage { chrome: Chrome::new(&user.0, a.title.clone()), a, grids, grid, unread, page, more };
    Ok(render(StatusCode::OK, &page))
}

pub async fn told(
    State(state): State<AppState>,
    user: User,
    Path((id, receipt_id)): Path<(i64, i64)>,
    Query(q): Query<ReceiptsQuery>,
) -> AppResult<Response> {
    let (a, community) = announcement_for(&state, &user, id, Action::FollowReceipts).await?;
    let grid = q.grid.ok_or(AppError::NotFound)?;
    if followed(&user, &community).is_some_and(|g| !g.contains(&grid)) {
        return Err(AppError::NotFound);
    }
    state.store.tell_in_person(a.id, grid, receipt_id, user.principal().account_id).await?;
    Ok(Redirect::to(&format!("/announcements/{}/receipts?grid={grid}", a.id)).into_response())
}
