//! Case pages: the scoped list, the report form (a resident's, a grid worker's patrol
//! report that may be fixed on the spot, staff intake by phone, visit or 12345), one case
//! with its timeline and the steps the viewer may take.

use super::{Chrome, format_ms, render};
use crate::auth::User;
use crate::cases::ReportForm;
use crate::cases::{reachable_case, steps_for, take_step};
use crate::error::{AppError, AppResult};
use crate::form::WithPhotos;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::{Action, Role};
use linli_store::admin::Community;
use linli_store::cases::{CaseQuery, CaseRow, Category, Holder, StepNote, TimelineEvent};
use linli_store::disputes::Dispute;
use linli_store::registry::BuildingSummary;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListQuery {
    /// `open` (default), `overdue`, `all`, or a state.
    pub state: Option<String>,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub grid_id: Option<i64>,
    pub page: Option<i64>,
    /// `1`: only the cases held by the viewer.
    pub mine: Option<u8>,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    community: Community,
    rows: Vec<(CaseRow, String, bool)>,
    total: i64,
    filter: String,
    page: i64,
    has_next: bool,
    can_report: bool,
    /// Sees the disputes page (mediation and screening).
    can_mediate: bool,
}

const PAGE: i64 = 30;

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let p = user.principal();
    let scope = p.case_scope(community.id, community.street_id);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let filter = q.state.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "open".into());
    let page = q.page.unwrap_or(1).max(1);
    let query = CaseQuery {
        community_id: community.id,
        scope: Some(scope),
        grid_id: q.grid_id,
        state: Some(filter.clone()),
        assignee_account_id: (q.mine == Some(1)).then_some(p.account_id),
        offset: (page - 1) * PAGE,
        limit: PAGE,
        ..CaseQuery::default()
    };
    let (rows, total) = state.store.cases(&query).await?;
    let now = linli_store::now_ms();
    let mut seen = Vec::with_capacity(rows.len());
    for c in rows {
        let overdue = c.is_overdue(now);
        let at = format_ms(c.reported_at);
        seen.push((crate::cases::seen_by(&state, p, &community, c).await?, at, overdue));
    }
    let rows = seen;
    let t = user.0.tr();
    let page = CasesPage {
        chrome: Chrome::new(&user.0, t.fill("cases.title", &[("community", &community.name)])),
        can_report: p.can_in_community(Action::ReportCase, community.id, community.street_id),
        can_mediate: p.can_in_community(Action::MediateDisputes, community.id, community.street_id),
        community,
        has_next: page * PAGE < total,
        rows,
        total,
        filter,
        page,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewCasePage {
    chrome: Chrome,
    community: Community,
    groups: Vec<(Category, Vec<Category>)>,
    buildings: Vec<BuildingSummary>,
    /// The reporter's own building, preselected for a resident.
    home_building: Option<i64>,
    patrol: bool,
    intake: bool,
    key: String,
    form: ReportForm,
    error: Option<String>,
    /// The community's grid map, on which a click picks the place (SVG markup).
    map: String,
}

impl NewCasePage {
    fn is_home(&self, id: &i64) -> bool {
        self.home_building == Some(*id)
    }
}

async fn new_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: ReportForm,
    error: Option<String>,
) -> AppResult<Response> {
    let p = user.principal();
    let categories = state.store.case_categories().await?;
    let groups = categories
        .iter()
        .filter(|c| c.parent_code.is_none())
        .map(|top| {
            let children =
                categories.iter().filter(|c| c.parent_code.as_deref() == Some(top.code.as_str())).cloned().collect();
            (top.clone(), children)
        })
        .collect();
    let home_building = match state.store.resident_of_account(p.account_id).await? {
        Some(r) => Some(state.store.resident(r).await?.household_id),
        None => None,
    };
    let home_building = match home_building {
        Some(h) => Some(state.store.household(h).await?.building_id),
        None => None,
    };
    let t = user.0.tr();
    let key = if form.idempotency_key.is_empty() {
        linli_store::crypto::random_token()
    } else {
        form.idempotency_key.clone()
    };
    let buildings = state.store.buildings_in_community(community.id).await?;
    let grids = state.store.grids(community.id).await?;
    let map = crate::map::GridMap::new(t.get("cases.pick_on_map").to_owned(), &grids, &buildings, |_| false, None)
        .map(|mut m| {
            m.picker = true;
            m.svg()
        })
        .unwrap_or_default();
    let page = NewCasePage {
        chrome: Chrome::new(&user.0, t.get("cases.new")),
        map,
        buildings,
        patrol: p.has_role(Role::GridWorker),
        intake: crate::cases::is_staff(p, community.id),
        community,
        groups,
        home_building,
        key,
        form,
        error,
    };
    Ok(render(status, &page))
}

async fn reporting_community(state: &AppState, user: &User, community_id: i64) -> AppResult<Community> {
    let community = state.store.community(community_id).await?;
    if !user.principal().can_in_community(Action::ReportCase, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    Ok(community)
}

pub async fn new_form(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = reporting_community(&state, &user, community_id).await?;
    new_page(&state, &user, community, StatusCode::OK, ReportForm::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    WithPhotos { form, photos }: WithPhotos<ReportForm>,
) -> AppResult<Response> {
    let community = reporting_community(&state, &user, community_id).await?;
    let read = async {
        let mut new = crate::cases::read_report(&state, &user, &community, &form).await?;
        new.photos = crate::photo::process_all("photos", photos).await?;
        Ok::<_, AppError>(new)
    };
    match read.await {
        Ok(new) => {
            let intake = state.store.report_case(&new).await?;
            Ok(Redirect::to(&format!("/cases/{}?done=report", intake.case_id)).into_response())
        }
        Err(AppError::Invalid(e)) => {
            let message = user.0.tr().field_error(e.field, e.key);
            new_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(message)).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    chrome: Chrome,
    community: Community,
    case: CaseRow,
    /// Each event with its time and the ids of its photos.
    timeline: Vec<(String, TimelineEvent, Vec<i64>)>,
    steps: Vec<&'static str>,
    reported: String,
    deadline: Option<String>,
    overdue: bool,
    /// Who holds the case now: a person or a party, if anyone in particular.
    assignee: Option<String>,
    /// A failed form's message, and which form (`step`, `merge`, a mediation action).
    error: Option<String>,
    error_form: &'static str,
    notice: Option<String>,
    /// What a dispute adds, if the case is one.
    dispute: Option<Dispute>,
    /// The viewer takes part in the mediation (sees notes and the agreement, records).
    can_mediate: bool,
    today: String,
    /// The viewer's name, the default mediator of a session they record.
    me: String,
    /// Open reports that may repeat this one, offered to whoever registers it.
    duplicates: Vec<CaseRow>,
    /// Whom a dispatch may go to: the form's value, the name, and whether it is the
    /// category's default (preselected).
    dispatch: Option<Vec<(String, String, bool)>>,
}

impl CasePage {
    /// The step a button row leads with: the loop's next move, not a side step.
    fn is_main(&self, step: &&str) -> bool {
        ["register", "dispatch", "accept", "feedback", "verify_pass", "rate", "resume"].contains(step)
    }

    /// The reporter's turn on a closed case: rating it, or reopening it with a reason.
    fn rating(&self) -> bool {
        self.steps.iter().all(|s| *s == "rate" || *s == "reopen")
    }
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(case_id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let t = user.0.tr();
    if q.done.as_deref() == Some("report") {
        let notice = report_notice(&state, &user, case_id).await?;
        return case_page(&state, &user, case_id, StatusCode::OK, None, Some(notice)).await;
    }
    let notice = q.done.and_then(|d| match d.strip_prefix("mediation.") {
        Some(action) if super::disputes::ACTIONS.contains(&action) || action == "escalated" => {
            Some(t.label("mediation.done", action))
        }
        Some(_) => None,
        None if d == "merge" => Some(t.get("cases.merged_done").to_owned()),
        None if crate::cases::STEPS.contains(&d.as_str()) => {
            Some(t.fill("cases.done", &[("step", &t.label("case.step", &d))]))
        }
        None => None,
    });
    case_page(&state, &user, case_id, StatusCode::OK, None, notice).await
}

/// What happens after a report, and by when: who takes it on, and the category's time
/// limit once they have.
async fn report_notice(state: &AppState, user: &User, case_id: i64) -> AppResult<String> {
    let t = user.0.tr();
    let (case, _) = reachable_case(state, user, case_id).await?;
    if case.self_resolved {
        return Ok(t.fill("cases.self_resolved_next", &[("id", &case.id)]));
    }
    let category = state.store.case_category(case.category_id).await?;
    Ok(t.fill("cases.reported_next", &[("id", &case.id), ("limit", &crate::cases::limit_text(t, &category))]))
}

/// The case page; `error` is the message of a form that failed and which form it was
/// (`step`, `merge`, or a mediation action), shown beside that form.
pub(crate) async fn case_page(
    state: &AppState,
    user: &User,
    case_id: i64,
    status: StatusCode,
    error: Option<(&'static str, String)>,
    notice: Option<String>,
) -> AppResult<Response> {
    let (case, community) = reachable_case(state, user, case_id).await?;
    let steps = steps_for(user.principal(), &community, &case);
    let timeline = state.store.case_timeline(case.id).await?;
    let (case, timeline) = crate::cases::as_seen_by(state, user.principal(), &community, case, timeline).await?;
    let photos = state.store.case_photos(case.id).await?;
    let timeline = timeline
        .into_iter()
        .map(|mut e| {
            let mine = photos.iter().filter(|p| p.event_id == Some(e.id)).map(|p| p.id).collect();
            e.note = crate::cases::timeline_note(user.0.tr(), &e.kind, &e.note);
            (format_ms(e.at), e, mine)
        })
        .collect();
    let t = user.0.tr();
    let assignee = match (case.assignee_account_id, case.assignee_organisation_id) {
        (_, Some(org)) => Some(state.store.organisation(org).await?.name),
        (Some(account), None) => state.store.display_names(&[account]).await?.remove(&account),
        (None, None) if case.state != "reported" && case.state != "refused" => {
            Some(t.get("indicators.unassigned").to_owned())
        }
        _ => None,
    };
    let duplicates =
        if steps.contains(&"refuse") { state.store.possible_duplicates(case.id).await? } else { Vec::new() };
    let dispatch = if steps.contains(&"dispatch") {
        let options = state.store.dispatch_options(&case).await?;
        let community_itself = (Holder::Community, t.get("indicators.unassigned").to_owned());
        let all = options.choices.into_iter().chain(std::iter::once(community_itself));
        Some(all.map(|(h, name)| (h.value(), name, h == options.default)).collect())
    } else {
        None
    };
    let mut dispute = state.store.dispute(case.id).await?;
    let can_mediate = dispute.is_some() && crate::cases::may_mediate(user.principal(), &community, &case);
    let reporter = case.reporter_account_id == Some(user.principal().account_id);
    if !can_mediate
        && !reporter
        && let Some(d) = dispute.as_mut()
    {
        // The parties are people: only those who mediate, and the reporter who named them,
        // see who they are.
        for party in &mut d.parties {
            party.name.clear();
            party.phone_masked = None;
        }
    }
    let page = CasePage {
        chrome: Chrome::new(&user.0, t.fill("cases.case_title", &[("id", &case.id)])),
        dispute,
        can_mediate,
        today: linli_store::today().to_string(),
        me: user.principal().display_name.clone(),
        duplicates,
        dispatch,
        assignee,
        error_form: error.as_ref().map_or("", |e| e.0),
        error: error.map(|e| e.1),
        notice,
        reported: format_ms(case.reported_at),
        deadline: case.deadline.map(format_ms),
        overdue: case.is_overdue(linli_store::now_ms()),
        case,
        community,
        timeline,
        steps,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub step: String,
    #[serde(default)]
    pub note: String,
    /// The author makes the note public (the case's public record); internal otherwise.
    pub public_note: Option<String>,
    pub stars: Option<String>,
    /// Whom a dispatch goes to.
    pub dispatch_to: Option<String>,
    /// The reporter confirms a reopening.
    pub confirm_reopen: Option<String>,
}

pub async fn step(
    State(state): State<AppState>,
    user: User,
    Path(case_id): Path<i64>,
    WithPhotos { form, photos }: WithPhotos<StepForm>,
) -> AppResult<Response> {
    let taken = async {
        if form.step == "reopen" && form.confirm_reopen.is_none() {
            return Err(linli_domain::FieldError::new("confirm_reopen", "error.case.reopen_confirm").into());
        }
        let photos = crate::photo::process_all("photos", photos).await?;
        let note = StepNote { text: &form.note, public: form.public_note.is_some() };
        let request = crate::cases::StepRequest {
            step: &form.step,
            note,
            stars: form.stars.as_deref(),
            dispatch_to: form.dispatch_to.as_deref(),
        };
        take_step(&state, &user, case_id, request, &photos).await
    };
    match taken.await {
        Ok(case) => Ok(Redirect::to(&format!("/cases/{}?done={}", case.id, form.step)).into_response()),
        // A bad note or a step that is no longer possible: say so on the case page itself.
        Err(AppError::Invalid(e)) => {
            let message = user.0.tr().field_error(e.field, e.key);
            case_page(&state, &user, case_id, StatusCode::UNPROCESSABLE_ENTITY, Some(("step", message)), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
pub struct PhotoQuery {
    /// `thumb` for the thumbnail.
    pub size: Option<String>,
}

/// One photo of a case within reach, as JPEG.
pub async fn photo(
    State(state): State<AppState>,
    user: User,
    Path((case_id, photo_id)): Path<(i64, i64)>,
    Query(q): Query<PhotoQuery>,
) -> AppResult<Response> {
    use axum::http::header;
    let (case, _) = reachable_case(&state, &user, case_id).await?;
    let thumb = q.size.as_deref() == Some("thumb");
    let bytes = state.store.case_photo(case.id, photo_id, thumb).await?.ok_or(AppError::NotFound)?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, "private, max-age=86400")], bytes)
        .into_response())
}

#[derive(Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    pub into: String,
}

/// Merges a report into the open case it repeats (by whoever may refuse it).
pub async fn merge(
    State(state): State<AppState>,
    user: User,
    Path(case_id): Path<i64>,
    axum::Form(form): axum::Form<MergeForm>,
) -> AppResult<Response> {
    let into: Result<i64, _> = form.into.trim().parse();
    let (case, community) = reachable_case(&state, &user, case_id).await?;
    let outcome = match into {
        Err(_) => Err(AppError::invalid("into", "error.choice")),
        Ok(_) if !steps_for(user.principal(), &community, &case).contains(&"refuse") => {
            return Err(AppError::Forbidden);
        }
        Ok(into) => {
            state.store.merge_case(case.id, into, Some(user.principal().account_id)).await.map_err(AppError::from)
        }
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/cases/{case_id}?done=merge")).into_response()),
        Err(AppError::Invalid(e)) => {
            let message = user.0.tr().field_error(e.field, e.key);
            case_page(&state, &user, case_id, StatusCode::UNPROCESSABLE_ENTITY, Some(("merge", message)), None).await
        }
        Err(e) => Err(e),
    }
}
