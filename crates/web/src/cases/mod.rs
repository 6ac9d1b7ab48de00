//! Cases, in one place: what the pages and the API share (who sees a case, which steps
//! each person may take on it, reading a step from a form, where a report lands), the
//! pages ([`pages`]), dispute mediation ([`disputes`]) and the JSON API ([`api`]).

pub mod api;
pub mod disputes;
pub mod pages;

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::case::{Event, Level, Remark, Source, Standing, State, Step};
use linli_domain::dispute::{Risk, Side};
use linli_domain::identity::Phone;
use linli_domain::privacy::mask_public_text;
use linli_domain::{CaseFacts, CaseScope, FieldError, Principal, Role};
use linli_store::admin::Community;
use linli_store::cases::{CaseRow, Holder, NewCase, StepExtras, StepNote, TimelineEvent};
use linli_store::disputes::{NewDispute, NewParty};
use linli_store::photos::NewPhoto;
use serde::Deserialize;

/// What decides who may see the people in a case ([`Principal::sees_reporter`]).
pub fn facts(community: &Community, case: &CaseRow) -> CaseFacts {
    CaseFacts {
        community_id: community.id,
        street_id: community.street_id,
        grid_id: case.grid_id,
        at_street: case.level == Level::Street.as_str(),
        organisation_id: case.assignee_organisation_id,
        reporter_account_id: case.reporter_account_id,
        anonymous: case.anonymous,
    }
}

/// A case as this person may see it: the reporter's name and account hidden unless
/// [`Principal::sees_reporter`]; for someone outside the circle that handles it
/// ([`Principal::handles_case`]), its description masked, its place only the building,
/// and no rating comment.
pub async fn seen_by(state: &AppState, p: &Principal, community: &Community, case: CaseRow) -> AppResult<CaseRow> {
    let facts = facts(community, &case);
    let mut case = case.shown_to(p.sees_reporter(&facts));
    if !p.handles_case(&facts) {
        let names = state.store.public_names(community.id).await?;
        case.description = mask_public_text(&case.description, &names);
        let place = case.address.split(' ').next().unwrap_or_default();
        case.address = mask_public_text(place, &names);
        case.rating_comment = None;
    }
    Ok(case)
}

/// A case and its timeline as this person may see them: besides [`seen_by`], the
/// reporter's own steps on the timeline carry no name or account, internal notes are
/// read only by those who work on the case ([`Principal::reads_internal_notes`]), and notes
/// are masked for someone outside the circle that handles the case.
pub async fn as_seen_by(
    state: &AppState,
    p: &Principal,
    community: &Community,
    case: CaseRow,
    mut timeline: Vec<TimelineEvent>,
) -> AppResult<(CaseRow, Vec<TimelineEvent>)> {
    let facts = facts(community, &case);
    if !p.sees_reporter(&facts) {
        for e in timeline.iter_mut().filter(|e| e.account_id.is_some() && e.account_id == case.reporter_account_id) {
            e.actor = None;
            e.account_id = None;
        }
    }
    // A mediation's line is the system's summary (date, outcome, mediators), not free text;
    // what the system says otherwise is read by whoever reads the event's note.
    let notes = timeline.iter_mut().filter(|e| e.kind != "mediation");
    if !p.reads_internal_notes(&facts) {
        // Staff notes are internal unless their author made them public; one's own notes
        // (a reopening's reason, a rating's comment) stay one's own to read.
        for e in notes.filter(|e| !e.public && e.account_id != Some(p.account_id)) {
            e.note.clear();
            e.remark = None;
        }
    }
    if !p.handles_case(&facts) {
        let names = state.store.public_names(community.id).await?;
        for e in timeline.iter_mut().filter(|e| e.kind != "mediation") {
            e.note = mask_public_text(&e.note, &names);
        }
    }
    Ok((seen_by(state, p, community, case).await?, timeline))
}

/// The property companies of a community, which its owners' committee supervises.
pub async fn property_companies(state: &AppState, community_id: i64) -> AppResult<Vec<i64>> {
    let kind = linli_domain::admin::OrganisationKind::PropertyCompany.as_str();
    Ok(state.store.organisations(community_id).await?.into_iter().filter(|o| o.kind == kind).map(|o| o.id).collect())
}

/// The community's property companies when this person is an owners' committee member
/// (who follows them); nothing to look up for anyone else.
async fn supervised_companies(state: &AppState, p: &Principal, community: &Community) -> AppResult<Vec<i64>> {
    if p.has_role(Role::OwnersCommitteeMember) { property_companies(state, community.id).await } else { Ok(Vec::new()) }
}

/// The cases of a community this person sees: the domain's scope, given the community's
/// property companies (an owners' committee member follows theirs).
pub async fn case_scope(state: &AppState, p: &Principal, community: &Community) -> AppResult<CaseScope> {
    let companies = supervised_companies(state, p, community).await?;
    Ok(p.case_scope(community.id, community.street_id, &companies))
}

/// The parties of a community whose figures this person follows as a party, each marked
/// when it is a property company the person's owners' committee supervises.
pub async fn parties_followed(state: &AppState, p: &Principal, community: &Community) -> AppResult<Vec<(i64, bool)>> {
    let companies = supervised_companies(state, p, community).await?;
    Ok(p.parties_followed(community.id, community.street_id, &companies)
        .into_iter()
        .map(|id| (id, companies.contains(&id)))
        .collect())
}

/// A case within the caller's reach, with its community; anything else is not found.
pub async fn reachable_case(state: &AppState, user: &User, case_id: i64) -> AppResult<(CaseRow, Community)> {
    let case = state.store.case(case_id).await?;
    let community = state.store.community(case.community_id).await?;
    let scope = case_scope(state, user.principal(), &community).await?;
    if !scope.includes(case.grid_id, case.assignee_organisation_id, case.reporter_account_id) {
        return Err(AppError::NotFound);
    }
    Ok((case, community))
}

/// The steps this person may take on this case now ([`Principal::steps_on`]).
pub fn steps_for(p: &Principal, community: &Community, case: &CaseRow) -> Vec<&'static str> {
    let standing = Standing {
        state: case.state,
        level: case.level,
        assignee_account_id: case.assignee_account_id,
        handled_by: case.handled_by,
        self_resolved: case.self_resolved,
        rating: case.rating.and_then(|r| u8::try_from(r).ok()),
    };
    p.steps_on(&facts(community, case), &standing).into_iter().map(Step::as_str).collect()
}

/// The lists a case list can show (the store's [`linli_store::cases::CASE_LISTS`]) or one state.
pub fn state_filters() -> impl Iterator<Item = &'static str> {
    linli_store::cases::CASE_LISTS.into_iter().chain(State::ALL.iter().map(|s| s.as_str()))
}

pub fn parse_step(step: &str, note: &str, stars: Option<&str>) -> AppResult<Event> {
    let note = linli_domain::case::STEP_NOTE.parse("note", note)?;
    // Stars are for rating, but a bad number is refused whatever the step.
    let stars = match stars.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(
            s.parse::<u8>().ok().filter(|s| (1..=5).contains(s)).ok_or(FieldError::new("stars", "error.case.stars"))?,
        ),
    };
    Ok(match step {
        "register" => Event::Register,
        "refuse" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.refuse_reason").into());
            }
            Event::Refuse { reason: note.to_owned() }
        }
        "dispatch" => Event::Dispatch,
        "hand_back" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.hand_back_reason").into());
            }
            Event::HandBack { reason: note.to_owned() }
        }
        "accept" => Event::Accept,
        "feedback" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.feedback").into());
            }
            Event::Feedback
        }
        "verify_pass" => Event::VerifyPass,
        "verify_fail" => Event::VerifyFail,
        "suspend" => Event::Suspend,
        "resume" => Event::Resume,
        "extend" => Event::Extend,
        "escalate" => Event::Escalate,
        "remind" => Event::Remind,
        "rate" => {
            let stars = stars.ok_or(FieldError::new("stars", "error.case.stars"))?;
            Event::Rate { stars }
        }
        "reopen" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.reopen_reason").into());
            }
            Event::Reopen
        }
        _ => return Err(FieldError::new("step", "error.choice").into()),
    })
}

/// A step as a page's form or the API sends it.
pub struct StepRequest<'a> {
    pub step: &'a str,
    pub note: StepNote<'a>,
    /// 1–5, for a rating.
    pub stars: Option<&'a str>,
    /// Whom a dispatch goes to (`person:ID`, `party:ID`, `community`); the category's
    /// default when empty.
    pub dispatch_to: Option<&'a str>,
    /// The same step sent again with this key is taken once.
    pub idempotency_key: Option<&'a str>,
}

/// Takes a step as the signed-in person, if it is theirs to take, with its photos.
pub async fn take_step(
    state: &AppState,
    user: &User,
    case_id: i64,
    request: StepRequest<'_>,
    photos: &[NewPhoto],
) -> AppResult<CaseRow> {
    let StepRequest { step, note, stars, dispatch_to, idempotency_key } = request;
    let event = parse_step(step, note.text, stars)?;
    let dispatch_to = match dispatch_to.map(str::trim).filter(|s| !s.is_empty()) {
        Some(to) => Some(Holder::parse(to).ok_or(FieldError::new("dispatch_to", "error.choice"))?),
        None => None,
    };
    let (case, community) = reachable_case(state, user, case_id).await?;
    // A retry of a step already taken gets the case as it is now, and writes nothing.
    let key = idempotency_key.map(|k| format!("account:{}:{k}", user.principal().account_id));
    if let Some(key) = &key
        && state.store.step_taken(case.id, key, &event).await?
    {
        return Ok(case);
    }
    if !steps_for(user.principal(), &community, &case).contains(&step) {
        return Err(AppError::Forbidden);
    }
    let actor = Some(user.principal().account_id);
    let note = StepNote { text: note.text.trim(), ..note };
    let extras = StepExtras { photos, dispatch_to, idempotency_key: key.as_deref(), ..StepExtras::default() };
    Ok(state.store.apply_case_step_with(case.id, actor, &event, &note, extras).await?)
}

/// A report as a form (or the API, converted) sends it.
#[derive(Deserialize, Default, Clone)]
pub struct ReportForm {
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub building_id: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub anonymous: Option<String>,
    /// Staff intake: phone, visit or hotline.
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub reporter_name: String,
    /// A grid worker fixed it on the spot.
    #[serde(default)]
    pub self_resolved: Option<String>,
    /// Written into the form when it is shown: a form sent twice makes one case.
    #[serde(default)]
    pub idempotency_key: String,
    /// A point picked on the map (WGS84), when no building is chosen.
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub lat: String,
    /// A dispute's risk: normal, high or violence.
    #[serde(default)]
    pub risk: String,
    /// A dispute's other party, and their phone if known.
    #[serde(default)]
    pub other_party: String,
    #[serde(default)]
    pub other_phone: String,
}

/// Reads a report form into a new case, or the first bad field.
pub async fn read_report(
    state: &AppState,
    user: &User,
    community: &Community,
    form: &ReportForm,
) -> AppResult<NewCase> {
    let p = user.principal();
    let category_id: i64 = form.category_id.parse().map_err(|_| FieldError::new("category_id", "error.required"))?;
    let category =
        state.store.case_category(category_id).await.map_err(AppError::unless_found("category_id", "error.choice"))?;
    let description = linli_domain::case::DESCRIPTION.parse("description", &form.description)?;
    let room = linli_domain::case::ROOM.parse("room", &form.room)?;
    let room = room.as_str();
    // Codes and names are checked whoever reports and whatever the category, so that a bad
    // value is refused, never silently ignored.
    let staff_source = match form.source.trim() {
        "" => None,
        code => Some(
            Source::STAFF_INTAKE.into_iter().find(|s| *s == code).ok_or(FieldError::new("source", "error.choice"))?,
        ),
    };
    let named_reporter = linli_domain::case::REPORTER_NAME.parse("reporter_name", &form.reporter_name)?;
    // The place: a building (and room), or a point picked on the map.
    let (grid_id, building_id, lon, lat, address) = match (form.building_id.trim(), form.lon.trim(), form.lat.trim()) {
        ("", "", _) | ("", _, "") => return Err(FieldError::new("building_id", "error.case.place").into()),
        ("", lon, lat) => {
            let bad = || FieldError::new("place", "error.case.point");
            let lon: f64 = lon.parse().map_err(|_| bad())?;
            let lat: f64 = lat.parse().map_err(|_| bad())?;
            let (grid, _) = grid_at(state, Some(community.id), lon, lat)
                .await?
                .ok_or(FieldError::new("place", "error.case.outside"))?;
            let address = format!("{lat:.5}, {lon:.5}{}{room}", if room.is_empty() { "" } else { " " });
            (grid, None, lon, lat, address)
        }
        (building_id, _, _) => {
            let building_id: i64 = building_id.parse().map_err(|_| FieldError::new("building_id", "error.choice"))?;
            let building = state
                .store
                .building(building_id)
                .await
                .map_err(AppError::unless_found("building_id", "error.choice"))?;
            if building.community_id != community.id {
                return Err(FieldError::new("building_id", "error.choice").into());
            }
            let address = if room.is_empty() { building.name.clone() } else { format!("{} {room}", building.name) };
            (building.grid_id, Some(building.id), building.lon, building.lat, address)
        }
    };
    let staff = p.is_staff_of(community.id);
    let worker_here = p.assignments.iter().any(|a| a.role == Role::GridWorker && a.grid_ids.contains(&grid_id));
    let (source, reporter_name) = if let Some(source) = staff_source.filter(|_| staff) {
        (source, named_reporter)
    } else if p.has_role(Role::GridWorker) {
        (Source::Patrol, p.display_name.clone())
    } else {
        (Source::Resident, p.display_name.clone())
    };
    let self_resolved = form.self_resolved.is_some();
    if self_resolved && !worker_here {
        return Err(FieldError::new("self_resolved", "error.case.self_resolve_grid_only").into());
    }
    // A grid worker's patrol finds a dispute between others; anyone else reports their own.
    let applicant = if source == Source::Patrol { "" } else { reporter_name.as_str() };
    let dispute = read_dispute(&form.risk, applicant, &form.other_party, &form.other_phone)?;
    let dispute = (category.kind == "dispute").then_some(dispute);
    let key = form.idempotency_key.trim();
    Ok(NewCase {
        community_id: community.id,
        grid_id: Some(grid_id),
        category_id: category.id,
        source,
        description,
        building_id,
        household_id: None,
        lon: Some(lon),
        lat: Some(lat),
        address,
        reporter_account_id: Some(p.account_id),
        reporter_name,
        anonymous: form.anonymous.is_some(),
        // A key belongs to its caller: another person's key (even a guessed one) is another key.
        idempotency_key: (!key.is_empty() && key.len() <= 80).then(|| format!("account:{}:{key}", p.account_id)),
        self_resolved,
        dispute,
        ..NewCase::default()
    })
}

/// The grid a point falls in, within one community or across all of them: (grid,
/// community). On a shared edge the first grid in code order wins.
pub async fn grid_at(state: &AppState, community: Option<i64>, lon: f64, lat: f64) -> AppResult<Option<(i64, i64)>> {
    let grids: Vec<_> = state
        .store
        .grid_boundaries(community)
        .await?
        .into_iter()
        .filter_map(|g| linli_domain::geometry::stored_shape(&g.code, &g.name, &g.boundary).map(|s| (g, s)))
        .collect();
    let shapes: Vec<_> = grids.iter().map(|(_, s)| s.clone()).collect();
    Ok(linli_domain::geometry::locate(lon, lat, &shapes)
        .and_then(|i| grids.get(i))
        .map(|(g, _)| (g.grid_id, g.community_id)))
}

/// What a dispute report adds: the risk (empty: normal), the applicant (if named), the
/// other party and their phone (if given).
pub fn read_dispute(risk: &str, applicant: &str, other: &str, other_phone: &str) -> AppResult<NewDispute> {
    let risk = if risk.trim().is_empty() { Risk::Normal } else { Risk::parse(risk)? };
    let mut parties = Vec::new();
    if !applicant.trim().is_empty() {
        parties.push(NewParty { side: Side::Applicant, name: applicant.trim().to_owned(), phone: None });
    }
    let other = linli_domain::dispute::OTHER_PARTY.parse("other_party", other)?;
    let phone = match other_phone.trim() {
        "" => None,
        p => Some(Phone::parse("other_phone", p)?),
    };
    if !other.is_empty() {
        parties.push(NewParty { side: Side::Respondent, name: other, phone });
    }
    Ok(NewDispute { risk, parties })
}

/// A timeline event's note as people read it: what the system said ([`Remark`]) in the
/// reader's language, after the note's own text (a rating's stars); a person's note as
/// written.
pub fn timeline_note(t: crate::i18n::Tr, event: &TimelineEvent) -> String {
    match event.remark() {
        Some(remark) if event.note.is_empty() => remark_text(t, &event.kind, &remark),
        Some(remark) => format!("{} {}", event.note, remark_text(t, &event.kind, &remark)),
        None => event.note.clone(),
    }
}

/// What the system said, in the reader's language. A code of a dispute record is named
/// by the event's kind (a settlement, a risk …).
pub fn remark_text(t: crate::i18n::Tr, kind: &str, remark: &Remark) -> String {
    let label = |prefix: &str, code: &str| t.label_or_code(prefix, code);
    match remark {
        Remark::OverdueReminder => t.get("remark.overdue_reminder").to_owned(),
        Remark::OverdueEscalation => t.get("remark.overdue_escalation").to_owned(),
        Remark::ViolenceEscalation => t.get("dispute.escalated_violence").to_owned(),
        Remark::UnansweredRating { days } => t.fill("remark.unanswered_rating", &[("n", days)]),
        Remark::DuplicateOf { case } => t.fill("remark.duplicate_of", &[("id", case)]),
        Remark::Merged { case } => t.fill("remark.merged", &[("id", case)]),
        Remark::AlarmJoined { device, alarm } => {
            t.fill("remark.alarm_joined", &[("device", device), ("alarm", &label("alarm.type", alarm))])
        }
        Remark::AlarmAcknowledged => t.get("remark.alarm_acknowledged").to_owned(),
        Remark::Mediation { held_on, outcome, mediators } => {
            format!("{held_on} {} · {mediators}", label("dispute.outcome", outcome))
        }
        Remark::Code { code } => match kind {
            "settlement" => label("dispute.settlement", code),
            "follow_up" => label("dispute.follow_up", code),
            "risk" => label("dispute.risk", code),
            "referral" => label("dispute.referral", code),
            "party" => label("dispute.side", code),
            _ => code.clone(),
        },
    }
}

/// A category's time limit in words (“3 个工作日内处理”).
pub fn limit_text(t: crate::i18n::Tr, category: &linli_store::cases::Category) -> String {
    t.fill(&format!("case.limit.{}", category.limit_kind), &[("n", &category.limit_amount)])
}

/// Whether this person takes part in mediating this dispute case ([`Principal::mediates`]).
pub fn may_mediate(p: &Principal, community: &Community, case: &CaseRow) -> bool {
    p.mediates(&facts(community, case))
}
