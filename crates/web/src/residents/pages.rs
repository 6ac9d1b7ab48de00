//! Resident pages: the scoped list with search, one resident with masked data and the
//! reveal form, the audited export, the access log, and a resident's own record.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::export_log::ExportRecord;
use crate::frame::{Chrome, format_ms, render};
use crate::residents::{self as shared};
use crate::spreadsheet::Table;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use linli_domain::{Action, Reach};
use linli_store::admin::{Community, Grid};
use linli_store::residents::{AccessRecord, ResidentRow};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub grid_id: Option<i64>,
    pub q: Option<String>,
    pub page: Option<i64>,
    /// Set after an import, to say how many were added.
    pub imported: Option<i64>,
    /// `1`: residents who moved out.
    pub former: Option<u8>,
}

#[derive(Template)]
#[template(path = "residents.html")]
struct ResidentsPage {
    chrome: Chrome,
    community: Community,
    grids: Vec<Grid>,
    grid_id: Option<i64>,
    q: String,
    rows: Vec<ResidentRow>,
    total: i64,
    page: i64,
    has_next: bool,
    can_export: bool,
    can_export_full: bool,
    can_import: bool,
    former: bool,
    notice: Option<String>,
    export_error: Option<String>,
}

impl ResidentsPage {
    fn grid_name(&self, id: &i64) -> &str {
        self.grids.iter().find(|g| g.id == *id).map_or("", |g| g.name.as_str())
    }

    fn count_text(&self) -> String {
        self.chrome.t.fill("residents.count", &[("n", &self.total)])
    }

    fn is_grid(&self, id: &i64) -> bool {
        self.grid_id == Some(*id)
    }

    fn next_link(&self, page: i64) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("page", page.to_string())];
        if let Some(g) = self.grid_id {
            pairs.push(("grid_id", g.to_string()));
        }
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if self.former {
            pairs.push(("former", "1".into()));
        }
        format!("?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    }
}

const PAGE: i64 = 50;

async fn list_page(
    state: &AppState,
    user: &User,
    community_id: i64,
    q: ListQuery,
    export_error: Option<String>,
) -> AppResult<Response> {
    let (community, reach) = shared::community_reach(state, user, community_id, Action::ViewResidents).await?;
    let search = q.q.clone().filter(|s| !s.trim().is_empty());
    let mut query = shared::query(community.id, &reach, q.grid_id, search)?;
    query.former = q.former == Some(1);
    let page = q.page.unwrap_or(1).max(1);
    query.limit = PAGE;
    query.offset = (page - 1) * PAGE;
    let (rows, total) = state.store.residents(&query).await?;
    let grids = state.store.grids(community.id).await?.into_iter().filter(|g| reach.includes_grid(g.id)).collect();
    let t = user.0.tr();
    let status = if export_error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ResidentsPage {
        chrome: Chrome::new(&user.0, t.fill("residents.title", &[("community", &community.name)])),
        can_export: user.principal().reach(Action::ExportResidents, community.id, community.street_id)
            != Reach::Nothing,
        can_export_full: user.principal().reach(Action::RevealPersonalData, community.id, community.street_id)
            != Reach::Nothing,
        can_import: user.principal().reach(Action::ImportResidents, community.id, community.street_id)
            == Reach::Community,
        former: query.former,
        notice: q.imported.map(|n| t.fill("residents.imported", &[("n", &n)])),
        community,
        grids,
        grid_id: q.grid_id,
        q: q.q.unwrap_or_default(),
        has_next: page * PAGE < total,
        rows,
        total,
        page,
        export_error,
    };
    Ok(render(status, &page))
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    list_page(&state, &user, community_id, q, None).await
}

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub grid_id: Option<i64>,
    /// `1`: residents who moved out, as the list showed.
    #[serde(default)]
    pub former: Option<String>,
    /// Full ID numbers and phones, for an export meant to be imported again.
    #[serde(default)]
    pub full: Option<String>,
    /// `csv` (default) or `xlsx`.
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub reason: String,
}

/// Every matching resident as CSV (masked), recorded with its reason.
pub async fn export(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<ExportForm>,
) -> AppResult<Response> {
    let (community, reach) = shared::community_reach(&state, &user, community_id, Action::ExportResidents).await?;
    let why = match shared::reason(&form.reason) {
        Ok(r) => r,
        Err(e) => {
            let info = e.info();
            let message = user.0.tr().field_error(info.field.unwrap_or(""), info.key);
            let former = (form.former.as_deref() == Some("1")).then_some(1);
            let q = ListQuery { grid_id: form.grid_id, q: Some(form.q), page: None, imported: None, former };
            return list_page(&state, &user, community_id, q, Some(message)).await;
        }
    };
    let search = Some(form.q.clone()).filter(|s| !s.trim().is_empty());
    let mut query = shared::query(community.id, &reach, form.grid_id, search)?;
    query.former = form.former.as_deref() == Some("1");
    let mut rows = Vec::new();
    loop {
        query.limit = 500;
        let (batch, total) = state.store.residents(&query).await?;
        let done = batch.is_empty() || query.offset + 500 >= total;
        rows.extend(batch);
        if done {
            break;
        }
        query.offset += 500;
    }
    let full = if form.full.is_some() {
        if user.principal().reach(Action::RevealPersonalData, community.id, community.street_id) == Reach::Nothing {
            return Err(AppError::Forbidden);
        }
        Some(state.store.full_personal_data(community.id).await?)
    } else {
        None
    };
    let mut filters = Vec::new();
    if let Some(g) = form.grid_id {
        let grids = state.store.grids(community.id).await?;
        let name = grids.into_iter().find(|x| x.id == g).map_or_else(|| g.to_string(), |x| x.name);
        filters.push(("grid".to_owned(), name));
    }
    if !form.q.trim().is_empty() {
        filters.push(("search".to_owned(), form.q.trim().to_owned()));
    }
    if query.former {
        filters.push(("former".to_owned(), String::new()));
    }
    if full.is_some() {
        filters.push(("full".to_owned(), String::new()));
    }
    let format = if form.format == "xlsx" { "xlsx" } else { "csv" };
    let detail = ExportRecord { what: "residents".into(), rows: rows.len(), filters, format: format.into() }.detail();
    let subjects: Vec<i64> = match &full {
        Some(values) => rows.iter().map(|r| r.id).filter(|id| values.contains_key(id)).collect(),
        None => Vec::new(),
    };
    state.store.record_export(community.id, user.principal().account_id, &detail, &why, &subjects).await?;
    let records = shared::export_records(&rows, full.as_ref());
    let table = Table::text("residents", &shared::export_header(full.is_some()), records);
    crate::spreadsheet::download("residents", format == "xlsx", &[table], "", false)
}

#[derive(Template)]
#[template(path = "resident.html")]
struct ResidentPage {
    chrome: Chrome,
    resident: ResidentRow,
    community: Community,
    can_reveal: bool,
    revealed: Option<(String, String)>,
    error: Option<String>,
    /// "Visit recorded", after saving one.
    notice: Option<String>,
    /// When the next visit of the care plan is due, for a resident who has one.
    next_visit: Option<String>,
    accesses: Vec<(String, AccessRecord)>,
    can_care: bool,
    tags: Vec<String>,
    other_tags: Vec<&'static str>,
    visits: Vec<linli_store::care::Visit>,
    today: String,
    stays: Vec<linli_store::moves::Stay>,
    can_move: bool,
}

async fn resident_page(
    state: &AppState,
    user: &User,
    resident: ResidentRow,
    status: StatusCode,
    revealed: Option<(String, String)>,
    error: Option<String>,
    visit_saved: Option<()>,
) -> AppResult<Response> {
    let community = state.store.community(resident.community_id).await?;
    let p = user.principal();
    let accesses = state
        .store
        .personal_data_accesses(Some(community.id), Some(resident.id), 10)
        .await?
        .into_iter()
        .map(|a| (format_ms(a.at), a))
        .collect();
    let tags = state.store.care_tags(resident.id).await?;
    let other_tags =
        linli_domain::care::CareTag::ALL.iter().map(|t| t.as_str()).filter(|t| !tags.iter().any(|x| x == t)).collect();
    let visits = state.store.visits_of(resident.id, 20).await?;
    let t = user.0.tr();
    let plan: Vec<linli_domain::care::CareTag> =
        tags.iter().filter_map(|tag| linli_domain::care::CareTag::parse(tag)).collect();
    let last = visits.first().and_then(|v| chrono::NaiveDate::parse_from_str(&v.visited_on, "%Y-%m-%d").ok());
    let next_visit = linli_domain::care::next_visit_due(&plan, last.unwrap_or_else(linli_store::today))
        .map(|d| t.fill("care.next_due", &[("date", &d)]));
    let notice = match (visit_saved, visits.first()) {
        (Some(()), Some(v)) => Some(t.fill("care.visit_saved", &[("date", &v.visited_on)])),
        _ => None,
    };
    let page = ResidentPage {
        chrome: Chrome::new(&user.0, resident.name.clone()),
        can_care: p.can_in_grid(Action::ManageCare, community.id, community.street_id, resident.grid_id)
            && resident.moved_out_on.is_none(),
        can_move: p.can_in_grid(Action::RecordMoves, community.id, community.street_id, resident.grid_id)
            && resident.moved_out_on.is_none(),
        stays: state.store.stays(resident.id).await?,
        visits,
        next_visit,
        notice,
        today: linli_store::today().format("%Y-%m-%d").to_string(),
        tags,
        other_tags,
        can_reveal: p.can_in_grid(Action::RevealPersonalData, community.id, community.street_id, resident.grid_id),
        community,
        resident,
        revealed,
        error,
        accesses,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::ViewResidents).await?;
    let visited = q.done.as_deref() == Some("visit");
    resident_page(&state, &user, resident, StatusCode::OK, None, None, visited.then_some(())).await
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    Form(form): Form<RevealForm>,
) -> AppResult<Response> {
    let t = user.0.tr();
    match shared::reveal(&state, &user, resident_id, &form.field, &form.reason).await {
        Ok((resident, field, value)) => {
            let label = t.get(&format!("field.{}", field.as_str())).to_owned();
            let shown = value.unwrap_or_else(|| t.get("residents.none").to_owned());
            resident_page(&state, &user, resident, StatusCode::OK, Some((label, shown)), None, None).await
        }
        Err(e @ AppError::Invalid(_)) => {
            let resident = shared::reachable_resident(&state, &user, resident_id, Action::ViewResidents).await?;
            let info = e.info();
            let message = t.field_error(info.field.unwrap_or(""), info.key);
            resident_page(&state, &user, resident, StatusCode::UNPROCESSABLE_ENTITY, None, Some(message), None).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    accesses: Vec<AccessLine>,
}

/// One access as the log shows it: when, the record, what it took in words, and whether
/// it was (part of) a bulk export.
struct AccessLine {
    at: String,
    a: AccessRecord,
    what: String,
    bulk: bool,
}

impl AccessLine {
    fn of(t: crate::i18n::Tr, a: AccessRecord) -> AccessLine {
        let export = ExportRecord::read(&a.detail);
        // Each resident of a full export has a row of their own, marked so.
        let part_of_bulk = a.action == "personal.export" && a.subject_resident_id.is_some();
        let what = match &export {
            Some(e) => e.words(t),
            None if part_of_bulk => t.get("export.part_of_bulk").to_owned(),
            None => a.detail.clone(),
        };
        AccessLine { at: format_ms(a.at), bulk: export.is_some() || part_of_bulk, what, a }
    }
}

/// Reveals and exports of personal data: a director sees the community's, an
/// administrator all.
pub async fn audit(State(state): State<AppState>, user: User) -> AppResult<Response> {
    let p = user.principal();
    let t = user.0.tr();
    let mut accesses = Vec::new();
    if p.has_role(linli_domain::Role::SystemAdmin) {
        accesses = state.store.personal_data_accesses(None, None, 200).await?;
    } else {
        for c in p.community_ids(Action::ViewAuditLog) {
            accesses.extend(state.store.personal_data_accesses(Some(c), None, 200).await?);
        }
    }
    accesses.sort_by_key(|a| std::cmp::Reverse(a.id));
    let accesses = accesses.into_iter().map(|a| AccessLine::of(t, a)).collect();
    let page = AuditPage { chrome: Chrome::new(&user.0, t.get("audit.title")), accesses };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "my_data.html")]
struct MyDataPage {
    chrome: Chrome,
    resident: Option<ResidentRow>,
    accesses: Vec<(String, AccessRecord)>,
}

/// What the community holds about the signed-in resident, and who has looked at it.
pub async fn my_data(State(state): State<AppState>, user: User) -> AppResult<Response> {
    let t = user.0.tr();
    let resident = match state.store.resident_of_account(user.principal().account_id).await? {
        Some(id) => Some(state.store.resident(id).await?),
        None => None,
    };
    let accesses = match &resident {
        Some(r) => state.store.personal_data_accesses(None, Some(r.id), 50).await?,
        None => Vec::new(),
    }
    .into_iter()
    .map(|a| (format_ms(a.at), a))
    .collect();
    let page = MyDataPage { chrome: Chrome::new(&user.0, t.get("mydata.title")), resident, accesses };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /account/data/export`: everything the community holds about oneself, as one JSON
/// file: the record with one's own ID number and phone in full (each opening recorded,
/// as any reveal is), care tags, visits, stays and every access to one's data.
pub async fn my_data_export(State(state): State<AppState>, user: User) -> AppResult<Response> {
    use linli_store::residents::PersonalField;
    let me = user.principal().account_id;
    let Some(id) = state.store.resident_of_account(me).await? else { return Err(AppError::NotFound) };
    let resident = state.store.resident(id).await?;
    let why = "本人导出自己的信息 / own data export";
    let id_number = state.store.reveal(id, PersonalField::IdNumber, me, why).await?;
    let phone = state.store.reveal(id, PersonalField::Phone, me, why).await?;
    let body = serde_json::json!({
        "exported_at": format_ms(linli_store::now_ms()),
        "resident": resident,
        "id_number": id_number,
        "phone": phone,
        "care_tags": state.store.care_tags(id).await?,
        "visits": state.store.visits_of(id, 10_000).await?,
        "stays": state.store.stays(id).await?,
        "accesses": state.store.personal_data_accesses(None, Some(id), 100_000).await?,
    });
    let bytes = serde_json::to_vec_pretty(&body).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"linli-my-data.json\""),
            (header::CACHE_CONTROL, "no-store"),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct MoveForm {
    /// `within` (to another household of the community) or `out`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub date: String,
}

/// Records a move: the current stay ends on the date and is kept in the history.
pub async fn record_move(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> AppResult<Response> {
    use linli_domain::FieldError;
    use linli_store::moves::Move;
    let resident = shared::reachable_resident(&state, &user, resident_id, Action::RecordMoves).await?;
    let today = linli_store::today();
    let date = chrono::NaiveDate::parse_from_str(form.date.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d <= today)
        .ok_or(FieldError::new("date", "error.date"))?;
    let to = match form.kind.as_str() {
        "out" => Move::Out,
        "within" => {
            let unit: i64 = form.unit.trim().parse().map_err(|_| FieldError::new("unit", "error.import.unit"))?;
            let building = form.building.trim();
            let building = if building.ends_with("号楼") { building.to_owned() } else { format!("{building}号楼") };
            let household_id =
                state.store.household_at(resident.community_id, &building, unit, form.room.trim()).await?;
            Move::To { household_id }
        }
        _ => return Err(FieldError::new("kind", "error.choice").into()),
    };
    state.store.move_resident(resident.id, to, date, user.principal().account_id).await?;
    Ok(axum::response::Redirect::to(&format!("/residents/{}#stays", resident.id)).into_response())
}
