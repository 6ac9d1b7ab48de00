//! Case pages: the scoped list, the report form (a resident's, a grid worker's patrol
//! report that may be fixed on the spot, staff intake by phone, visit or 12345), one case
//! with its timeline and the steps the viewer may take.

use crate::cases::ReportForm;
use crate::cases::{reachable_case, steps_for, take_step};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::export_log::ExportRecord;
use crate::form::WithFiles;
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::dispute::MediationAction;
use linli_domain::{Action, Role};
use linli_store::admin::Community;
use linli_store::cases::{CaseQuery, CaseRow, CaseSort, Category, Holder, StepNote, TimelineEvent};
use linli_store::disputes::Dispute;
use linli_store::registry::BuildingSummary;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone, serde::Serialize)]
pub struct ListQuery {
    /// `open` (default), `overdue`, `all`, or a state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, deserialize_with = "crate::form::optional_id", skip_serializing_if = "Option::is_none")]
    pub grid_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::form::optional_id", skip_serializing_if = "Option::is_none")]
    pub category_id: Option<i64>,
    /// Who holds the case: `person:ID`, `party:ID` or `community`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub holder: String,
    /// resident, patrol, phone, visit, hotline, api (Open311 and other apps), alarm.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// A case number, or words of the description or the place.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub q: String,
    /// `newest` (default), `oldest` or `deadline`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sort: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<i64>,
    /// `1`: only the cases held by the viewer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<u8>,
    /// `csv` or `xlsx`: the filtered list as a download.
    #[serde(default, skip_serializing)]
    pub format: Option<String>,
}

impl ListQuery {
    /// This list's address with one thing changed (a page, an order), its filters kept.
    fn href(&self, change: impl FnOnce(&mut ListQuery)) -> String {
        let mut q = self.clone();
        change(&mut q);
        format!("?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
    }
}

/// One case as the list shows it: the case, when reported, overdue, its grid, who holds
/// it and its deadline, in words.
pub struct ListedCase {
    pub case: CaseRow,
    pub reported: String,
    pub overdue: bool,
    pub grid: String,
    pub holder: String,
    pub deadline: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct CasesPage {
    chrome: Chrome,
    community: Community,
    rows: Vec<ListedCase>,
    total: i64,
    filter: String,
    query: ListQuery,
    page: i64,
    /// Page numbers to link, with gaps (`None`) between far ones.
    pages: Vec<Option<i64>>,
    prev: Option<String>,
    next: Option<String>,
    can_report: bool,
    /// Sees the disputes page (mediation and screening).
    can_mediate: bool,
    /// The filters' choices: (value, name).
    categories: Vec<(i64, String)>,
    grids: Vec<(i64, String)>,
    holders: Vec<(String, String)>,
    /// Links that sort by report time and by deadline.
    sort_reported: String,
    sort_deadline: String,
    export_csv: String,
    export_xlsx: String,
}

impl CasesPage {
    fn page_href(&self, n: &i64) -> String {
        self.query.href(|q| q.page = Some(*n))
    }

    fn is_category(&self, id: &i64) -> bool {
        self.query.category_id == Some(*id)
    }

    fn is_grid(&self, id: &i64) -> bool {
        self.query.grid_id == Some(*id)
    }
}

const PAGE: i64 = 30;
/// At most this many cases in one export.
const EXPORT_LIMIT: i64 = 10_000;

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let community = state.store.community(community_id).await?;
    let p = user.principal();
    let scope = crate::cases::case_scope(&state, p, &community).await?;
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let t = user.0.tr();
    let filter = q.state.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "open".into());
    let page = q.page.unwrap_or(1).max(1);
    let holder = match q.holder.trim() {
        "" => None,
        h => Some(Holder::parse(h).ok_or(linli_domain::FieldError::new("holder", "error.choice"))?),
    };
    let source = match q.source.trim() {
        "" => None,
        s => Some(linli_domain::case::Source::parse(s)?),
    };
    let sort = match q.sort.as_str() {
        "oldest" => CaseSort::Oldest,
        "deadline" => CaseSort::Deadline,
        _ => CaseSort::Newest,
    };
    let mut query = CaseQuery {
        community_id: community.id,
        scope: Some(scope),
        grid_id: q.grid_id,
        state: Some(filter.clone()),
        assignee_account_id: (q.mine == Some(1)).then_some(p.account_id),
        category_id: q.category_id,
        holder,
        source,
        search: Some(q.q.trim().chars().take(50).collect()),
        sort,
        offset: (page - 1) * PAGE,
        limit: PAGE,
        ..CaseQuery::default()
    };
    let export = q.format.as_deref().filter(|f| matches!(*f, "csv" | "xlsx"));
    if export.is_some() {
        query.offset = 0;
        query.limit = 500;
    }
    let (mut found, total) = state.store.cases(&query).await?;
    if export.is_some() {
        while (found.len() as i64) < total.min(EXPORT_LIMIT) {
            query.offset = found.len() as i64;
            let (more, _) = state.store.cases(&query).await?;
            if more.is_empty() {
                break;
            }
            found.extend(more);
        }
    }
    let grids = state.store.grids(community.id).await?;
    let parties = state.store.organisations(community.id).await?;
    let people: Vec<i64> = found.iter().filter_map(|c| c.assignee_account_id).collect();
    let names = state.store.display_names(&people).await?;
    let now = linli_store::now_ms();
    let mut rows = Vec::with_capacity(found.len());
    for c in found {
        let holder = holder_label(t, &c, &parties, &names).unwrap_or_default();
        rows.push(ListedCase {
            reported: format_ms(c.reported_at),
            overdue: c.is_overdue(now),
            grid: c.grid_id.and_then(|g| grids.iter().find(|x| x.id == g)).map(|g| g.name.clone()).unwrap_or_default(),
            holder,
            deadline: c.deadline.map(format_ms).unwrap_or_default(),
            case: crate::cases::seen_by(&state, p, &community, c).await?,
        });
    }
    let categories = state.store.case_categories().await?;
    let categories: Vec<(i64, String)> = categories
        .iter()
        .map(|c| {
            let name = t.pick(&c.name_zh, &c.name_en);
            let indent = if c.parent_code.is_some() { "\u{3000}" } else { "" };
            (c.id, format!("{indent}{} {name}", c.code))
        })
        .collect();
    let mut holders: Vec<(String, String)> = state
        .store
        .grid_workers(community.id)
        .await?
        .into_iter()
        .map(|w| (Holder::Person(w.account_id).value(), w.display_name))
        .collect();
    let mut seen = std::collections::HashSet::new();
    holders.retain(|(value, _)| seen.insert(value.clone()));
    holders.extend(
        parties
            .iter()
            .filter(|o| linli_store::cases::RECEIVING_PARTIES.contains(&o.kind.as_str()))
            .map(|o| (Holder::Party(o.id).value(), o.name.clone())),
    );
    holders.push((Holder::Community.value(), t.get("indicators.unassigned").to_owned()));
    let grids: Vec<(i64, String)> = grids.iter().map(|g| (g.id, g.name.clone())).collect();
    if let Some(format) = export {
        let record = ExportRecord {
            what: "cases".into(),
            rows: rows.len(),
            filters: filter_names(&q, &grids, &categories, &holders),
            format: format.into(),
        };
        state.store.audit(Some(p.account_id), Some(community.id), "cases.export", &record.detail()).await?;
        return export_list(t, &community, &filter, format, &rows);
    }
    let last = ((total + PAGE - 1) / PAGE).max(1);
    let pages = page_numbers(page, last);
    let page_view = CasesPage {
        chrome: Chrome::new(&user.0, t.fill("cases.title", &[("community", &community.name)])),
        can_report: p.can_in_community(Action::ReportCase, community.id, community.street_id),
        can_mediate: p.can_in_community(Action::MediateDisputes, community.id, community.street_id),
        prev: (page > 1).then(|| q.href(|x| x.page = Some(page - 1))),
        next: (page < last).then(|| q.href(|x| x.page = Some(page + 1))),
        sort_reported: q.href(|x| {
            x.sort = if x.sort.is_empty() { "oldest".into() } else { String::new() };
            x.page = None;
        }),
        sort_deadline: q.href(|x| {
            x.sort = "deadline".into();
            x.page = None;
        }),
        export_csv: q.href(|x| x.page = None) + "&format=csv",
        export_xlsx: q.href(|x| x.page = None) + "&format=xlsx",
        categories,
        grids,
        holders,
        community,
        rows,
        total,
        filter,
        query: q,
        page,
        pages,
    };
    Ok(render(StatusCode::OK, &page_view))
}

/// Who holds a case, in words: its party, its person, or the community itself once it is
/// registered (nobody yet before that). `names` holds the display names of the persons.
fn holder_label(
    t: crate::i18n::Tr,
    case: &CaseRow,
    parties: &[linli_store::admin::Organisation],
    names: &std::collections::HashMap<i64, String>,
) -> Option<String> {
    match (case.assignee_account_id, case.assignee_organisation_id) {
        (_, Some(o)) => parties.iter().find(|x| x.id == o).map(|x| x.name.clone()),
        (Some(a), None) => names.get(&a).cloned(),
        (None, None) if case.state != "reported" && case.state != "refused" => {
            Some(t.get("indicators.unassigned").to_owned())
        }
        (None, None) => None,
    }
}

/// The page numbers a pager shows: the first, the last, and two either side of the
/// current one, with a gap (`None`) where numbers are skipped.
fn page_numbers(page: i64, last: i64) -> Vec<Option<i64>> {
    let mut out = Vec::new();
    for n in 1..=last {
        if n == 1 || n == last || (n - page).abs() <= 2 {
            out.push(Some(n));
        } else if out.last() != Some(&None) {
            out.push(None);
        }
    }
    out
}

/// The filters of a list, each with its value named (a grid's name, not its id), for the
/// access log's record of an export.
fn filter_names(
    q: &ListQuery,
    grids: &[(i64, String)],
    categories: &[(i64, String)],
    holders: &[(String, String)],
) -> Vec<(String, String)> {
    let name_of = |choices: &[(i64, String)], id: i64| {
        choices.iter().find(|c| c.0 == id).map_or_else(|| id.to_string(), |c| c.1.trim().to_owned())
    };
    let mut out = Vec::new();
    if let Some(s) = &q.state {
        out.push(("state".to_owned(), s.clone()));
    }
    if let Some(g) = q.grid_id {
        out.push(("grid".to_owned(), name_of(grids, g)));
    }
    if let Some(c) = q.category_id {
        out.push(("category".to_owned(), name_of(categories, c)));
    }
    if !q.holder.is_empty() {
        let name = holders.iter().find(|h| h.0 == q.holder).map_or_else(|| q.holder.clone(), |h| h.1.clone());
        out.push(("holder".to_owned(), name));
    }
    if !q.source.is_empty() {
        out.push(("source".to_owned(), q.source.clone()));
    }
    if !q.q.trim().is_empty() {
        out.push(("search".to_owned(), q.q.trim().to_owned()));
    }
    out
}

/// The filtered list as a spreadsheet, headed in the reader's language and named with the
/// community and the filter.
fn export_list(
    t: crate::i18n::Tr,
    community: &Community,
    filter: &str,
    format: &str,
    rows: &[ListedCase],
) -> AppResult<Response> {
    let header: Vec<String> =
        ["number", "category", "place", "grid", "holder", "state", "reported", "deadline", "overdue"]
            .iter()
            .map(|k| t.get(&format!("cases.column.{k}")).to_owned())
            .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let records: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let c = &r.case;
            vec![
                c.id.to_string(),
                t.pick(&c.category_zh, &c.category_en).to_owned(),
                c.address.clone(),
                r.grid.clone(),
                r.holder.clone(),
                t.label("case.state", c.state.as_str()),
                r.reported.clone(),
                r.deadline.clone(),
                if r.overdue { t.get("cases.overdue").to_owned() } else { String::new() },
            ]
        })
        .collect();
    let stem = format!("{}_{}_{}", community.name, t.get("cases.heading"), t.label("cases.filter", filter));
    let table = crate::spreadsheet::Table::text(t.get("cases.heading"), &header, records);
    crate::spreadsheet::download(&stem, format == "xlsx", &[table], "", true)
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
    let map =
        crate::registry::map::GridMap::new(t.get("cases.pick_on_map").to_owned(), &grids, &buildings, |_| false, None)
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
        intake: p.is_staff_of(community.id),
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
    WithFiles { form, files: photos }: WithFiles<ReportForm>,
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
    /// The viewer reported the case and does not work on it: its state in plain words.
    plain: bool,
    /// Whom a dispatch may go to: the form's value, the name, and whether it is the
    /// category's default (preselected).
    dispatch: Option<Vec<(String, String, bool)>>,
    /// The viewer may take the case to the joint meeting's issues ledger.
    to_ledger: bool,
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
        Some(action) if MediationAction::parse(action).is_ok() || action == "escalated" => {
            Some(t.label("mediation.done", action))
        }
        Some(_) => None,
        None if d == "merge" => Some(t.get("cases.merged_done").to_owned()),
        None if linli_domain::case::Step::parse(&d).is_ok() => {
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
            e.note = crate::cases::timeline_note(user.0.tr(), &e);
            (format_ms(e.at), e, mine)
        })
        .collect();
    let t = user.0.tr();
    let parties = state.store.organisations(community.id).await?;
    let names = state.store.display_names(case.assignee_account_id.as_slice()).await?;
    let assignee = holder_label(t, &case, &parties, &names);
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
    let plain = reporter && !user.principal().reads_internal_notes(&crate::cases::facts(&community, &case));
    if !can_mediate && let Some(d) = dispute.as_mut() {
        // The parties are people: only those who mediate see who they are, and the
        // reporter sees those they named in the report (not those a mediator added).
        for party in d.parties.iter_mut().filter(|p| !(reporter && p.in_report)) {
            party.name.clear();
            party.phone_masked = None;
        }
    }
    let to_ledger = !plain
        && user.principal().assignments.iter().any(|a| {
            a.community_id == Some(community.id)
                && linli_domain::joint::sources_for(a.role).contains(&linli_domain::joint::Source::Case)
        });
    let page = CasePage {
        chrome: Chrome::new(&user.0, t.fill("cases.case_title", &[("id", &case.id)])),
        to_ledger,
        dispute,
        can_mediate,
        today: linli_store::today().to_string(),
        me: user.principal().display_name.clone(),
        duplicates,
        dispatch,
        plain,
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
    WithFiles { form, files: photos }: WithFiles<StepForm>,
) -> AppResult<Response> {
    let taken = async {
        if form.step == "reopen" && form.confirm_reopen.is_none() {
            return Err(linli_domain::FieldError::new("confirm_reopen", "error.case.reopen_confirm").into());
        }
        let photos = crate::photo::process_all("photos", photos).await?;
        let note = StepNote { text: &form.note, public: form.public_note.is_some(), remark: None };
        let request = crate::cases::StepRequest {
            step: &form.step,
            note,
            stars: form.stars.as_deref(),
            dispatch_to: form.dispatch_to.as_deref(),
            idempotency_key: None,
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

/// One photo of a case within reach, as JPEG.
pub async fn photo(
    State(state): State<AppState>,
    user: User,
    Path((case_id, photo_id)): Path<(i64, i64)>,
    Query(q): Query<crate::photo::PhotoQuery>,
) -> AppResult<Response> {
    let (case, _) = reachable_case(&state, &user, case_id).await?;
    let thumb = q.thumbnail();
    let bytes = state.store.case_photo(case.id, photo_id, thumb).await?.ok_or(AppError::NotFound)?;
    Ok(crate::photo::jpeg_response(bytes))
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
