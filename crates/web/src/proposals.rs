//! Residents' proposals (居民议事) on the web: the community's list with each proposal's
//! supports against its threshold; a verified resident proposes with photos, supports
//! others' once, edits their own until its first support and withdraws it; anyone who reads
//! may report one; the staff and the Party secretary decide at triage (accept for the joint
//! meeting's ledger, answer, reject, or hide, each with words the proposer reads) and set
//! the threshold's share. Other residents see a proposer by surname only, and public text
//! may not carry a phone or ID number.

use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::form::WithFiles;
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::proposal::{ANSWER, BODY, Decision, TITLE, parse_permille, public_name};
use linli_domain::publicity::check_public_text;
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::proposals::{NewProposal, Proposal};
use serde::Deserialize;

/// A proposal as a list or page shows it to this viewer.
pub struct Shown {
    pub p: Proposal,
    /// The proposer as this viewer may see them.
    pub author: String,
    pub at: String,
    /// Supports as a share of the threshold, for the bar (0–100).
    pub percent: i64,
    /// "n of m supports", in the viewer's words.
    pub supports_text: String,
}

fn shown(t: crate::i18n::Tr, p: Proposal, full_names: bool) -> Shown {
    let author = if full_names { p.author_name.clone() } else { public_name(&p.author_name) };
    let percent = (p.supports * 100 / p.threshold.max(1)).min(100);
    let supports_text = t.fill("proposal.supports", &[("n", &p.supports), ("of", &p.threshold)]);
    Shown { at: format_ms(p.created_at), author, percent, supports_text, p }
}

/// Whether this viewer sees a proposal at all: a hidden one only its proposer and the staff.
fn visible(user: &User, triage: bool, p: &Proposal) -> bool {
    p.status != linli_domain::proposal::Status::Hidden || triage || p.account_id == user.principal().account_id
}

fn can(user: &User, action: Action, c: &Community) -> bool {
    user.principal().can_in_community(action, c.id, c.street_id)
}

#[derive(Template)]
#[template(path = "proposals.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    proposals: Vec<Shown>,
    /// The viewer may propose (a resident); `verified`: their account stands for a
    /// resident of this community.
    can_propose: bool,
    verified: bool,
    triage: bool,
    permille: i64,
    intro: String,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let triage = can(user, Action::TriageProposals, &community);
    let proposals = state.store.proposals(community.id).await?;
    let proposals = proposals.into_iter().filter(|p| visible(user, triage, p)).map(|p| shown(t, p, triage)).collect();
    let me = user.principal().account_id;
    let page = ListPage {
        chrome: Chrome::new(&user.0, t.get("proposal.list")),
        proposals,
        can_propose: can(user, Action::Propose, &community),
        verified: state.store.verified_resident(me, community.id).await?.is_some(),
        triage,
        permille: state.store.proposal_permille(community.id).await?,
        intro: t.fill("proposal.intro", &[("n", &state.store.proposal_threshold(community.id).await?)]),
        error: error.map(|e| t.field_error(e.field, e.key)),
        community,
    };
    Ok(render(status, &page))
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewProposals).await?;
    list_page(&state, &user, community, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
pub struct ShareForm {
    #[serde(default)]
    pub permille: String,
}

pub async fn share(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(f): Form<ShareForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::TriageProposals).await?;
    let outcome = match parse_permille("permille", &f.permille) {
        Ok(p) => state.store.set_proposal_permille(community.id, p, user.principal().account_id).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/communities/{}/proposals", community.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            list_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct ProposalForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub proposal_text: String,
}

#[derive(Template)]
#[template(path = "proposal_new.html")]
struct NewPage {
    chrome: Chrome,
    community: Community,
    hint: String,
    form: ProposalForm,
    error: Option<String>,
}

async fn new_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: ProposalForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let page = NewPage {
        chrome: Chrome::new(&user.0, t.get("proposal.new")),
        hint: t.fill("proposal.new_hint", &[("n", &state.store.proposal_threshold(community.id).await?)]),
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

/// The verified resident the user stands for in the community, or where to verify.
async fn resident_or_verify(state: &AppState, user: &User, community: &Community) -> AppResult<Result<i64, Response>> {
    match state.store.verified_resident(user.principal().account_id, community.id).await? {
        Some(r) => Ok(Ok(r)),
        None => Ok(Err(Redirect::to("/account/verify").into_response())),
    }
}

pub async fn new(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::Propose).await?;
    if let Err(go) = resident_or_verify(&state, &user, &community).await? {
        return Ok(go);
    }
    new_page(&state, &user, community, StatusCode::OK, ProposalForm::default(), None).await
}

fn checked_text(f: &ProposalForm) -> Result<(String, String), FieldError> {
    let title = TITLE.parse("title", &f.title)?;
    let body = BODY.parse("proposal_text", &f.proposal_text)?;
    check_public_text("title", &title)?;
    check_public_text("proposal_text", &body)?;
    Ok((title, body))
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    WithFiles { form, files }: WithFiles<ProposalForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::Propose).await?;
    let resident_id = match resident_or_verify(&state, &user, &community).await? {
        Ok(r) => r,
        Err(go) => return Ok(go),
    };
    if files.len() > 3 {
        let e = FieldError::new("photos", "error.proposal.photos");
        return new_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await;
    }
    let checked = match checked_text(&form) {
        Ok(t) => t,
        Err(e) => return new_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    };
    let photos = match crate::photo::process_all("photos", files).await {
        Ok(p) => p,
        Err(e) => return new_page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    };
    let (title, body) = checked;
    let new = NewProposal {
        community_id: community.id,
        account_id: user.principal().account_id,
        resident_id,
        title,
        body,
        photos,
    };
    let id = state.store.propose(&new).await?;
    Ok(Redirect::to(&format!("/proposals/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "proposal.html")]
struct ProposalPage {
    chrome: Chrome,
    community: Community,
    s: Shown,
    photos: Vec<i64>,
    mine: bool,
    /// The viewer is a verified resident who may support it now.
    may_support: bool,
    supported: bool,
    verified: bool,
    can_propose: bool,
    triage: bool,
    reports: Vec<String>,
    form: ProposalForm,
    error: Option<String>,
}

/// A proposal within reach for `action`, with its community. A hidden one is there only for
/// its proposer and the staff.
async fn proposal_for(state: &AppState, user: &User, id: i64, action: Action) -> AppResult<(Proposal, Community)> {
    let p = state.store.proposal(id).await?;
    let community = state.store.community(p.community_id).await?;
    if !can(user, action, &community) || !visible(user, can(user, Action::TriageProposals, &community), &p) {
        return Err(AppError::NotFound);
    }
    Ok((p, community))
}

async fn page(
    state: &AppState,
    user: &User,
    (p, community): (Proposal, Community),
    status: StatusCode,
    form: Option<ProposalForm>,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let me = user.principal().account_id;
    let triage = can(user, Action::TriageProposals, &community);
    let resident = state.store.verified_resident(me, community.id).await?;
    let supported = match resident {
        Some(r) => state.store.supports_proposal(p.id, r).await?,
        None => false,
    };
    let mine = p.account_id == me;
    let can_propose = can(user, Action::Propose, &community);
    let page = ProposalPage {
        chrome: Chrome::new(&user.0, p.title.clone()),
        photos: state.store.proposal_photos(p.id).await?,
        may_support: can_propose && resident.is_some() && !mine && !supported && p.status.as_str() == "open",
        verified: resident.is_some(),
        supported,
        mine,
        can_propose,
        triage,
        reports: if triage { state.store.proposal_reports(p.id).await? } else { Vec::new() },
        form: form.unwrap_or_else(|| ProposalForm { title: p.title.clone(), proposal_text: p.body.clone() }),
        error: error.map(|e| t.field_error(e.field, e.key)),
        s: shown(t, p, triage),
        community,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::ViewProposals).await?;
    page(&state, &user, found, StatusCode::OK, None, None).await
}

async fn answer(
    state: &AppState,
    user: &User,
    found: (Proposal, Community),
    outcome: Result<(), StoreError>,
    form: Option<ProposalForm>,
) -> AppResult<Response> {
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/proposals/{}", found.0.id)).into_response()),
        Err(StoreError::Invalid(e)) => page(state, user, found, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
        Err(e) => Err(AppError::from(e)),
    }
}

pub async fn support(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::Propose).await?;
    let me = user.principal().account_id;
    let outcome = match state.store.verified_resident(me, found.1.id).await? {
        Some(resident) => state.store.support_proposal(&found.0, resident, me).await.map(|_| ()),
        None => Err(StoreError::Invalid(FieldError::new("support", "error.proposal.not_resident"))),
    };
    answer(&state, &user, found, outcome, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<ProposalForm>,
) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::Propose).await?;
    let me = user.principal().account_id;
    if found.0.account_id != me {
        return Err(AppError::NotFound);
    }
    let outcome = match checked_text(&f) {
        Ok((title, body)) => state.store.edit_proposal(&found.0, me, &title, &body).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome, Some(f)).await
}

pub async fn withdraw(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::Propose).await?;
    let me = user.principal().account_id;
    if found.0.account_id != me {
        return Err(AppError::NotFound);
    }
    let outcome = state.store.withdraw_proposal(&found.0, me).await;
    answer(&state, &user, found, outcome, None).await
}

#[derive(Deserialize, Default)]
pub struct ReportForm {
    #[serde(default)]
    pub report_reason: String,
}

pub async fn report(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<ReportForm>,
) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::ViewProposals).await?;
    let outcome = match ANSWER.parse("report_reason", &f.report_reason) {
        Ok(reason) => state.store.report_proposal(&found.0, user.principal().account_id, &reason).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome, None).await
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    /// accept, answer, reject, or hide.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub answer: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(f): Form<DecideForm>,
) -> AppResult<Response> {
    let found = proposal_for(&state, &user, id, Action::TriageProposals).await?;
    let checked = (|| {
        let decision = if f.decision.trim() == "hide" { None } else { Some(Decision::parse(&f.decision)?) };
        let text = ANSWER.parse("answer", &f.answer)?;
        check_public_text("answer", &text)?;
        Ok::<_, FieldError>((decision, text))
    })();
    let outcome = match checked {
        Ok((decision, text)) => {
            state.store.decide_proposal(&found.0, decision, &text, user.principal().account_id).await
        }
        Err(e) => Err(StoreError::Invalid(e)),
    };
    answer(&state, &user, found, outcome, None).await
}

pub async fn photo(
    State(state): State<AppState>,
    user: User,
    Path((id, photo_id)): Path<(i64, i64)>,
    Query(q): Query<crate::photo::PhotoQuery>,
) -> AppResult<Response> {
    let (p, _) = proposal_for(&state, &user, id, Action::ViewProposals).await?;
    let thumb = q.thumbnail();
    let bytes = state.store.proposal_photo(p.id, photo_id, thumb).await?.ok_or(AppError::NotFound)?;
    Ok(crate::photo::jpeg_response(bytes))
}
