//! Account verification on the web. The holder of an account asks, from a phone, to be
//! linked to the community's record of them (name and ID number), then either types the
//! code sent to the phone on record or shows the ID card at the community office, where
//! staff confirm or refuse the request from their queue. Only then does the account vote
//! for the owner, sign petitions, or see the resident's own data.

use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::person::IdNumber;
use linli_domain::{Action, FieldError, Role};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::throttle::ThrottleKey;
use linli_store::verification::{PendingVerification, Verification};
use serde::Deserialize;

/// What the account stands for in one community.
pub struct Standing {
    pub community: String,
    pub resident: Option<String>,
    pub owner_units: usize,
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    chrome: Chrome,
    /// Communities the account may ask in (those of its roles).
    communities: Vec<(i64, String)>,
    standing: Vec<Standing>,
    request: Option<Verification>,
    requested: String,
    /// Where a code would go (the last four digits of the phone on record), when one can
    /// be sent there.
    code_hint: Option<String>,
    form: RequestForm,
    error: Option<(&'static str, String)>,
    notice: Option<String>,
}

impl VerifyPage {
    /// A request is waiting: the page offers its code or its withdrawal, not a new one.
    fn pending(&self) -> bool {
        self.request.as_ref().is_some_and(|v| v.status == "pending")
    }
}

#[derive(Deserialize, Default)]
pub struct RequestForm {
    #[serde(default)]
    pub community_id: i64,
    #[serde(default)]
    pub holder_name: String,
    /// Never shown back.
    #[serde(default, skip_serializing)]
    pub id_number: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub id: i64,
    #[serde(default)]
    pub sms_code: String,
}

/// The communities where the account holds a role (a resident's first).
async fn communities(state: &AppState, user: &User) -> AppResult<Vec<Community>> {
    let mut ids: Vec<(bool, i64)> = user
        .principal()
        .assignments
        .iter()
        .filter_map(|a| a.community_id.map(|c| (a.role != Role::Resident, c)))
        .collect();
    // A resident's community first, then the others, each once.
    ids.sort();
    let mut out: Vec<Community> = Vec::with_capacity(ids.len());
    for (_, id) in ids {
        if !out.iter().any(|c| c.id == id) {
            out.push(state.store.community(id).await?);
        }
    }
    Ok(out)
}

async fn page(
    state: &AppState,
    user: &User,
    status: StatusCode,
    form: RequestForm,
    error: Option<FieldError>,
    notice: Option<&str>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let account = user.principal().account_id;
    let here = communities(state, user).await?;
    let resident = match state.store.resident_of_account(account).await? {
        Some(id) => Some(state.store.resident(id).await?),
        None => None,
    };
    let mut standing = Vec::new();
    for c in &here {
        let owner_units = state.store.owners_of_account(c.id, account).await?.len();
        let resident = resident.as_ref().filter(|r| r.community_id == c.id).map(|r| r.name.clone());
        if owner_units > 0 || resident.is_some() {
            standing.push(Standing { community: c.name.clone(), resident, owner_units });
        }
    }
    let request = state.store.verification_of(account).await?;
    let phone_tail = match (&request, &state.settings.webhook) {
        (Some(v), Some(_)) if v.status == "pending" => state.store.verification_phone_tail(v).await?,
        _ => None,
    };
    let page = VerifyPage {
        chrome: Chrome::new(&user.0, t.get("verify.title")),
        communities: here.into_iter().map(|c| (c.id, c.name)).collect(),
        standing,
        requested: request.as_ref().map(|v| format_ms(v.requested_at)).unwrap_or_default(),
        request,
        code_hint: phone_tail.map(|tail| t.fill("verify.or_code", &[("tail", &tail)])),
        form,
        error: error.map(|e| (e.field, t.field_error(e.field, e.key))),
        notice: notice.map(|k| t.get(k).to_owned()),
    };
    Ok(render(status, &page))
}

/// A refusal from the store shown on the page; anything else is an error.
async fn refused(state: &AppState, user: &User, e: StoreError, form: RequestForm) -> AppResult<Response> {
    match e {
        StoreError::Invalid(e) => page(state, user, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e), None).await,
        other => Err(other.into()),
    }
}

pub async fn show(State(state): State<AppState>, user: User) -> AppResult<Response> {
    page(&state, &user, StatusCode::OK, RequestForm::default(), None, None).await
}

pub async fn request(
    State(state): State<AppState>,
    user: User,
    Form(mut form): Form<RequestForm>,
) -> AppResult<Response> {
    let account = user.principal().account_id;
    let here = communities(&state, &user).await?;
    let community = match here.iter().find(|c| c.id == form.community_id).or(here.first().filter(|_| here.len() == 1)) {
        Some(c) => c.id,
        None => {
            let e = FieldError::new("community_id", "error.required");
            return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e), None).await;
        }
    };
    form.community_id = community;
    let checked = (|| {
        let name = linli_domain::identity::DisplayName::parse("holder_name", &form.holder_name)?;
        let id_number = IdNumber::parse("id_number", &form.id_number, linli_store::today())?;
        Ok::<_, FieldError>((name, id_number))
    })();
    let (name, id_number) = match checked {
        Ok(ok) => ok,
        Err(e) => return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e), None).await,
    };
    // Guesses of who lives here are counted like logins, before the lookup.
    let keys = [ThrottleKey::new(format!("verify:{account}"), state.settings.login_policy)];
    if state.store.begin_attempt(&keys).await?.is_some() {
        let e = FieldError::new("id_number", "error.verify.locked");
        return page(&state, &user, StatusCode::TOO_MANY_REQUESTS, form, Some(e), None).await;
    }
    match state.store.request_verification(account, community, name.as_str(), &id_number).await {
        Ok(_) => {
            state.store.attempt_succeeded(&keys).await?;
            Ok(Redirect::to("/account/verify").into_response())
        }
        Err(e) => {
            if matches!(&e, StoreError::Invalid(f) if f.key == "error.verify.no_record") {
                state.store.attempt_failed(&keys).await?;
            }
            refused(&state, &user, e, form).await
        }
    }
}

pub async fn send_code(State(state): State<AppState>, user: User, Form(form): Form<CodeForm>) -> AppResult<Response> {
    let t = user.0.tr();
    let Some(hook) = state.settings.webhook.clone() else {
        let e = FieldError::new("sms_code", "error.verify.no_sms");
        return page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, RequestForm::default(), Some(e), None).await;
    };
    let code = match state.store.issue_verification_code(form.id, user.principal().account_id).await {
        Ok(code) => code,
        Err(e) => return refused(&state, &user, e, RequestForm::default()).await,
    };
    let text = t.fill("verify.sms_text", &[("code", &code.code)]);
    if let Err(why) = hook.send_code(&code.phone, &text).await {
        tracing::warn!(verification = form.id, %why, "verification code not sent");
        let e = FieldError::new("sms_code", "error.verify.not_sent");
        return page(&state, &user, StatusCode::BAD_GATEWAY, RequestForm::default(), Some(e), None).await;
    }
    page(&state, &user, StatusCode::OK, RequestForm::default(), None, Some("verify.code_sent")).await
}

pub async fn confirm(State(state): State<AppState>, user: User, Form(form): Form<CodeForm>) -> AppResult<Response> {
    match state.store.confirm_verification_code(form.id, user.principal().account_id, &form.sms_code).await {
        Ok(()) => page(&state, &user, StatusCode::OK, RequestForm::default(), None, Some("verify.linked")).await,
        Err(e) => refused(&state, &user, e, RequestForm::default()).await,
    }
}

pub async fn withdraw(State(state): State<AppState>, user: User, Form(form): Form<CodeForm>) -> AppResult<Response> {
    state.store.withdraw_verification(form.id, user.principal().account_id).await?;
    Ok(Redirect::to("/account/verify").into_response())
}

#[derive(Template)]
#[template(path = "verifications.html")]
struct QueuePage {
    chrome: Chrome,
    community: Community,
    /// Each request, when it was made, and how many units the owner holds.
    pending: Vec<(PendingVerification, String, String)>,
    error: Option<(i64, String)>,
}

async fn queue(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    error: Option<(i64, FieldError)>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let pending = state.store.pending_verifications(community.id).await?.into_iter().map(|p| {
        let at = format_ms(p.requested_at);
        let units = t.fill("verify.units", &[("n", &p.units)]);
        (p, at, units)
    });
    let page = QueuePage {
        chrome: Chrome::new(&user.0, t.get("verify.queue")),
        community,
        pending: pending.collect(),
        error: error.map(|(id, e)| (id, t.field_error(e.field, e.key))),
    };
    Ok(render(status, &page))
}

/// The community's pending requests, for its staff.
pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::VerifyAccounts).await?;
    queue(&state, &user, community, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub refusal_reason: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Path((community_id, id)): Path<(i64, i64)>,
    Form(form): Form<DecisionForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::VerifyAccounts).await?;
    let confirm = match form.decision.as_str() {
        "confirm" => true,
        "refuse" => false,
        _ => return Err(AppError::Invalid(FieldError::new("decision", "error.choice"))),
    };
    let actor = user.principal().account_id;
    match state.store.decide_verification(community.id, id, actor, confirm, &form.refusal_reason).await {
        Ok(()) => Ok(Redirect::to(&format!("/communities/{}/verifications", community.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            queue(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, Some((id, e))).await
        }
        Err(e) => Err(e.into()),
    }
}
