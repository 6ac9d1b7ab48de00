//! After the count: the preliminary result with its objection period (询异), owners'
//! objections and the committee's answers, the final result, the printable notice (公告)
//! for the physical board, and the named ballot record that owners may inspect (another
//! owner's units with the room hidden, their own in full; every inspection audited).

use super::{View, assembly_page, reachable, voices_of};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::assembly::{Tally, masked_units};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::assemblies::{Assembly, Matter};
use serde::Deserialize;

/// One objection as the page shows it.
pub struct ObjectionLine {
    pub id: i64,
    pub body: String,
    pub at: String,
    pub answer: Option<String>,
}

/// The results phase of a counted assembly, as the assembly page shows it.
pub struct Phase {
    /// "Preliminary, objections until …" or "Final, published …".
    pub line: String,
    pub can_object: bool,
    pub can_finalise: bool,
    /// The final result is due and not published.
    pub late: bool,
    pub can_inspect: bool,
    pub can_answer: bool,
    /// The committee sees every objection; an owner their own.
    pub objections: Vec<ObjectionLine>,
}

/// The day the final result is due: `publish_days` after the objection period ends.
pub(crate) fn final_due(objections_until: &str, publish_days: i64) -> String {
    chrono::NaiveDate::parse_from_str(objections_until, "%Y-%m-%d")
        .map(|d| (d + chrono::Duration::days(publish_days)).to_string())
        .unwrap_or_default()
}

pub async fn phase(
    state: &AppState,
    user: &User,
    assembly: &Assembly,
    can_manage: bool,
    on_roll: bool,
    today: &str,
) -> AppResult<Option<Phase>> {
    let (Some(until), Some(_)) = (assembly.objections_until.as_deref(), assembly.counted_at) else {
        return Ok(None);
    };
    let t = user.0.tr();
    let me = user.principal().account_id;
    let final_ = assembly.finalised_at.is_some();
    let due = final_due(until, state.store.self_governance().await?.assembly.publish_days);
    let line = match assembly.finalised_at {
        Some(at) => t.fill("assembly.final_line", &[("at", &format_ms(at))]),
        None => t.fill("assembly.preliminary_line", &[("until", &until), ("due", &due)]),
    };
    let objections = state
        .store
        .objections(assembly.id)
        .await?
        .into_iter()
        .filter(|o| can_manage || o.account_id == me)
        .map(|o| ObjectionLine { id: o.id, body: o.body, at: format_ms(o.created_at), answer: o.answer })
        .collect::<Vec<_>>();
    Ok(Some(Phase {
        line,
        can_object: on_roll && !final_ && today <= until,
        can_finalise: can_manage && !final_ && today > until,
        late: can_manage && !final_ && today > due.as_str(),
        can_inspect: can_manage || on_roll,
        can_answer: can_manage && !final_,
        objections,
    }))
}

async fn refuse(state: &AppState, user: &User, id: i64, status: StatusCode, e: FieldError) -> AppResult<Response> {
    let error = Some(user.0.tr().field_error(e.field, e.key));
    assembly_page(state, user, id, status, View { error, ..View::default() }).await
}

#[derive(Deserialize, Default)]
pub struct TextForm {
    #[serde(default)]
    pub text: String,
}

/// An owner's objection to the preliminary result, during the objection period.
pub async fn object(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<TextForm>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ViewAssemblies).await?;
    let Some((elector, _)) = voices_of(&state, &user, &assembly).await?.into_iter().next() else {
        return refuse(
            &state,
            &user,
            id,
            StatusCode::FORBIDDEN,
            FieldError::new("objection", "error.assembly.not_elector"),
        )
        .await;
    };
    let body = match linli_domain::assembly::OBJECTION.parse("objection", &form.text) {
        Ok(b) => b,
        Err(e) => return refuse(&state, &user, id, StatusCode::UNPROCESSABLE_ENTITY, e).await,
    };
    let today = linli_store::today().to_string();
    match state.store.object(assembly.id, elector.id, user.principal().account_id, &body, &today).await {
        Ok(_) => Ok(Redirect::to(&format!("/assemblies/{id}#results")).into_response()),
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, StatusCode::CONFLICT, e).await,
        Err(e) => Err(e.into()),
    }
}

/// The committee's answer to an objection.
pub async fn answer(
    State(state): State<AppState>,
    user: User,
    Path((id, objection_id)): Path<(i64, i64)>,
    Form(form): Form<TextForm>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let body = match linli_domain::assembly::OBJECTION.parse("answer", &form.text) {
        Ok(b) => b,
        Err(e) => return refuse(&state, &user, id, StatusCode::UNPROCESSABLE_ENTITY, e).await,
    };
    match state.store.answer_objection(assembly.id, objection_id, user.principal().account_id, &body).await {
        Ok(()) => Ok(Redirect::to(&format!("/assemblies/{id}#results")).into_response()),
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, StatusCode::CONFLICT, e).await,
        Err(e) => Err(e.into()),
    }
}

/// Publishes the final result after the objection period.
pub async fn finalise(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (assembly, community) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    match state.store.finalise_assembly(assembly.id, &linli_store::today().to_string()).await {
        Ok(()) => {
            let by = Some(user.principal().account_id);
            state.store.audit(by, Some(community.id), "assembly.finalised", &assembly.id.to_string()).await?;
            Ok(Redirect::to(&format!("/assemblies/{id}#results")).into_response())
        }
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, StatusCode::CONFLICT, e).await,
        Err(e) => Err(e.into()),
    }
}

/// The counted assembly and its tally, for the notice and the record; before the count
/// neither exists.
async fn counted(state: &AppState, user: &User, id: i64) -> AppResult<(Assembly, Community, Vec<Matter>, Tally)> {
    let (assembly, community) = reachable(state, user, id, Action::ViewAssemblies).await?;
    if assembly.counted_at.is_none() {
        return Err(AppError::NotFound);
    }
    let matters = state.store.assembly_matters(assembly.id).await?;
    let tally = state.store.assembly_tally(assembly.id).await?;
    Ok((assembly, community, matters, tally))
}

#[derive(Template)]
#[template(path = "assembly_notice.html")]
struct NoticePage {
    chrome: Chrome,
    assembly: Assembly,
    quorum: bool,
    /// Participation in words, and each matter: its wording, its kind, its sides in words,
    /// whether it passed.
    participation: String,
    items: Vec<(String, String, String, bool)>,
    channels: String,
    heading: String,
    signature: String,
    window: String,
    hash_line: String,
    dated: String,
    /// The committee election's outcome in words, when the assembly held one.
    election: Vec<String>,
}

/// The printable notice of the result (公告) for the physical board.
pub async fn notice(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (assembly, community, matters, tally) = counted(&state, &user, id).await?;
    let t = user.0.tr();
    let whole = assembly.electorate().unwrap_or_default();
    let words = |w: linli_domain::assembly::Weight| {
        let area = linli_domain::ownership::Area::from_dm2(w.area_dm2).grouped_m2();
        t.fill("assembly.weight_plain", &[("owners", &w.owners), ("area", &area)])
    };
    // A side's share of those who took part, the base of the thresholds.
    let base = tally.participation;
    let share = |w: linli_domain::assembly::Weight| {
        let pct = |part: i64, whole: i64| if whole == 0 { 0.0 } else { part as f64 * 100.0 / whole as f64 };
        let (owners, area) =
            (format!("{:.1}", pct(w.owners, base.owners)), format!("{:.1}", pct(w.area_dm2, base.area_dm2)));
        t.fill("assembly.notice_side", &[("weight", &words(w)), ("owners_share", &owners), ("area_share", &area)])
    };
    let participation =
        t.fill("assembly.notice_participation", &[("part", &words(tally.participation)), ("whole", &words(whole))]);
    let items = matters
        .iter()
        .zip(&tally.matters)
        .map(|(m, r)| {
            let sides = t.fill(
                "assembly.notice_sides",
                &[("agree", &share(r.agree)), ("oppose", &share(r.oppose)), ("abstain", &share(r.abstain))],
            );
            let kind = t.fill("assembly.notice_kind", &[("kind", &t.label("assembly.kind", m.kind.as_str()))]);
            (m.title.clone(), kind, sides, r.passed)
        })
        .collect();
    let c = tally.channels;
    let channels = t.fill(
        "assembly.notice_channels",
        &[
            ("online", &c.online),
            ("paper", &c.paper),
            ("proxy", &c.proxy),
            ("blank", &c.blank),
            ("invalid", &c.invalid),
        ],
    );
    let election = match assembly.seats {
        Some(seats) => {
            let candidates = state.store.candidates(assembly.id).await?;
            let result = linli_store::assemblies::elections::election_result(seats, &candidates, &tally);
            super::election::view(t, seats, candidates, Some(&result)).result
        }
        None => Vec::new(),
    };
    let key = if assembly.finalised_at.is_some() { "assembly.notice_final" } else { "assembly.notice_preliminary" };
    let heading = t.fill(key, &[("community", &community.name)]);
    let dated = format_ms(assembly.finalised_at.or(assembly.counted_at).unwrap_or_default());
    let page = NoticePage {
        chrome: Chrome::new(&user.0, &heading),
        signature: t.fill(
            match assembly.convener {
                linli_domain::assembly::Convener::OwnersCommittee => "assembly.notice_signature",
                linli_domain::assembly::Convener::ResidentsCommittee => "assembly.notice_signature_residents",
            },
            &[("community", &community.name)],
        ),
        heading,
        dated: dated.split(' ').next().unwrap_or_default().to_owned(),
        window: super::window(t, &assembly),
        hash_line: t.fill("assembly.counted", &[("hash", &assembly.tally_hash.as_deref().unwrap_or_default())]),
        quorum: tally.quorum,
        election,
        participation,
        items,
        channels,
        assembly,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "assembly_record.html")]
struct RecordPage {
    chrome: Chrome,
    assembly: Assembly,
    /// The caller's own ballots first, then a page of the others: units (others' masked),
    /// channel and answers in words.
    own: Vec<(String, String, String)>,
    rows: Vec<(String, String, String)>,
    shown_of: String,
    next: Option<usize>,
    prev: Option<usize>,
}

/// Ballots of the record on one page.
const RECORD_PAGE: usize = 200;

#[derive(Deserialize, Default)]
pub struct RecordQuery {
    #[serde(default)]
    pub offset: usize,
}

/// The numbers of a unit line (building, stair), for sorting buildings as numbers.
fn numbers_of(label: &str) -> Vec<u64> {
    label.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect()
}

/// The named ballot record, for an owner on the roll or the committee: another owner's
/// units with the room hidden, in building order and otherwise shuffled so the position
/// gives no room away; the caller's own ballots in full. Every inspection is audited.
pub async fn record(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<RecordQuery>,
) -> AppResult<Response> {
    let (assembly, community, matters, _) = counted(&state, &user, id).await?;
    let p = user.principal();
    let can_manage = p.can_in_community(Action::ManageAssemblies, community.id, community.street_id);
    let mine: Vec<i64> = voices_of(&state, &user, &assembly).await?.into_iter().map(|(e, _)| e.id).collect();
    if !can_manage && mine.is_empty() {
        return Err(AppError::Forbidden);
    }
    let t = user.0.tr();
    let salt = assembly.tally_hash.clone().unwrap_or_default();
    let (own, others): (Vec<_>, Vec<_>) =
        state.store.ballot_record(assembly.id).await?.into_iter().partition(|b| mine.contains(&b.elector_id));
    let words = |b: &linli_store::assemblies::results::RecordedBallot, units: String| {
        (units, t.label("assembly.channel", &b.channel), super::answers_in_words(t, &matters, &b.marks))
    };
    let own = own.iter().map(|b| words(b, b.label.clone())).collect();
    // Each other ballot with its sort key (building and stair as numbers, then the shuffle).
    type Keyed = (Vec<u64>, String, (String, String, String));
    let mut others: Vec<Keyed> = others
        .iter()
        .map(|b| {
            let units = masked_units(&b.label);
            // Within a building and stair, a keyed shuffle: the place in the list gives no room away.
            let order = linli_store::crypto::token_hash(&format!("{}:{salt}", b.elector_id));
            (numbers_of(&units), order, words(b, units))
        })
        .collect();
    others.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    let total = others.len();
    let rows: Vec<_> = others.into_iter().skip(q.offset).take(RECORD_PAGE).map(|(_, _, row)| row).collect();
    state
        .store
        .audit(Some(p.account_id), Some(community.id), "assembly.record_inspected", &assembly.id.to_string())
        .await?;
    let last = (q.offset + rows.len()).min(total);
    let page = RecordPage {
        chrome: Chrome::new(&user.0, t.get("assembly.record")),
        shown_of: t
            .fill("assembly.record_shown", &[("from", &(q.offset + 1).min(last)), ("to", &last), ("total", &total)]),
        next: (q.offset + RECORD_PAGE < total).then_some(q.offset + RECORD_PAGE),
        prev: (q.offset > 0).then(|| q.offset.saturating_sub(RECORD_PAGE)),
        own,
        rows,
        assembly,
    };
    Ok(render(StatusCode::OK, &page))
}
