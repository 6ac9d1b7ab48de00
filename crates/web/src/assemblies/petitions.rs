//! A petition for a temporary owners' meeting on the web: an owner starts one, owners sign
//! or take back their signature from a phone, and everyone within reach watches the double
//! bar (20% of the area AND 20% of the owners) move. The convener (owners' committee or
//! residents' committee) sees which units signed and, once the bar is met, calls the
//! meeting: the new assembly's form opens with the petition's title, and the petition
//! then links to it.

use super::{Bar, bars, community_for};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::ownership::Holder;
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::assemblies::petitions::{Petition, Standing};
use serde::Deserialize;
use std::collections::HashSet;

/// The petition and its community, if the caller may see the community's assemblies.
async fn reachable(state: &AppState, user: &User, id: i64) -> AppResult<(Petition, Community)> {
    let petition = state.store.petition(id).await?;
    let community = state.store.community(petition.community_id).await?;
    if !user.principal().can_in_community(Action::ViewAssemblies, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    Ok((petition, community))
}

/// The double bar, each against 1/5.
pub(crate) fn petition_bars(s: &Standing) -> Vec<Bar> {
    bars(s.signed, s.whole, (1, 5))
}

#[derive(Deserialize, Default, Clone)]
pub struct PetitionForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub petition_reason: String,
}

#[derive(Template)]
#[template(path = "petition_new.html")]
struct NewPage {
    chrome: Chrome,
    community: Community,
    form: PetitionForm,
    error: Option<String>,
    /// The caller stands for an owner here (else no form is offered).
    owner: bool,
}

/// The owners of record the caller stands for here, or a refusal naming why.
async fn owners_here(state: &AppState, user: &User, community_id: i64) -> AppResult<Vec<i64>> {
    Ok(state.store.owners_of_account(community_id, user.principal().account_id).await?)
}

pub async fn new_form(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewAssemblies).await?;
    // Someone who owns nothing here is told so instead of offered a form.
    let owner = !owners_here(&state, &user, community.id).await?.is_empty();
    let page = NewPage {
        chrome: Chrome::new(&user.0, user.0.tr().get("petition.new")),
        community,
        form: PetitionForm::default(),
        error: (!owner).then(|| user.0.tr().field_error("petition", "error.petition.not_owner")),
        owner,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<PetitionForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewAssemblies).await?;
    let owners = owners_here(&state, &user, community.id).await?;
    let checked = (|| {
        if owners.is_empty() {
            return Err(FieldError::new("petition", "error.petition.not_owner"));
        }
        let title = linli_domain::assembly::TITLE.parse("title", &form.title)?;
        let reason = linli_domain::assembly::PETITION_REASON.parse("petition_reason", &form.petition_reason)?;
        Ok((title, reason))
    })();
    match checked {
        Ok((title, reason)) => {
            let id =
                state.store.start_petition(community.id, &title, &reason, user.principal().account_id, &owners).await?;
            Ok(Redirect::to(&format!("/petitions/{id}")).into_response())
        }
        Err(e) => {
            let page = NewPage {
                chrome: Chrome::new(&user.0, user.0.tr().get("petition.new")),
                error: Some(user.0.tr().field_error(e.field, e.key)),
                owner: !owners.is_empty(),
                community,
                form,
            };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "petition.html")]
struct PetitionPage {
    chrome: Chrome,
    community: Community,
    petition: Petition,
    started: String,
    bars: Vec<Bar>,
    met: bool,
    /// The caller stands for an owner here, and whether they have signed.
    owner: bool,
    signed: bool,
    can_manage: bool,
    /// For the convener: the signing owners' units, with when they signed.
    signers: Vec<(String, String)>,
    signers_summary: String,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let (petition, community) = reachable(state, user, id).await?;
    let p = user.principal();
    let t = user.0.tr();
    let standing = state.store.petition_standing(&petition).await?;
    let signatures = state.store.petition_signatures(petition.id).await?;
    let mine = owners_here(state, user, community.id).await?;
    let can_manage = p.can_in_community(Action::ManageAssemblies, community.id, community.street_id);
    let signers = if can_manage {
        // Each signing voter as the roll counts them, with their units as the register has them now.
        let when: std::collections::HashMap<i64, i64> = signatures.iter().map(|s| (s.owner_id, s.signed_at)).collect();
        let labels = state.store.unit_labels(community.id).await?;
        let voters = linli_domain::ownership::voters(&state.store.holdings(community.id).await?);
        // In the register's order (building, stair, room), as the convener checks them.
        let signers: Vec<(i64, String)> = voters
            .iter()
            .filter_map(|v| {
                let at = v
                    .holders
                    .iter()
                    .filter_map(|h| match h {
                        Holder::Owner(o) => when.get(o).copied(),
                        Holder::Developer => None,
                    })
                    .min()?;
                let units = v.units.iter().map(|u| labels.get(u).map_or("?", String::as_str)).collect::<Vec<_>>();
                Some((at, units.join(t.get("list.separator"))))
            })
            .collect();
        signers.into_iter().map(|(at, units)| (units, format_ms(at))).collect()
    } else {
        Vec::new()
    };
    let signers_summary = t.fill("petition.signers", &[("n", &signers.len())]);
    let signed_owners: HashSet<i64> = signatures.iter().map(|s| s.owner_id).collect();
    let page = PetitionPage {
        chrome: Chrome::new(&user.0, &petition.title),
        started: t.fill("petition.started", &[("at", &format_ms(petition.started_at))]),
        bars: petition_bars(&standing),
        met: standing.met,
        owner: !mine.is_empty(),
        signed: mine.iter().any(|o| signed_owners.contains(o)),
        can_manage,
        signers,
        signers_summary,
        error: error.map(|e| t.field_error(e.field, e.key)),
        petition,
        community,
    };
    Ok(render(status, &page))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    page(&state, &user, id, StatusCode::OK, None).await
}

/// Signs for every owner of record the caller stands for.
pub async fn sign(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (petition, community) = reachable(&state, &user, id).await?;
    let owners = owners_here(&state, &user, community.id).await?;
    if owners.is_empty() {
        return page(
            &state,
            &user,
            id,
            StatusCode::FORBIDDEN,
            Some(FieldError::new("petition", "error.petition.not_owner")),
        )
        .await;
    }
    match state.store.sign_petition(petition.id, user.principal().account_id, &owners).await {
        Ok(_) => Ok(Redirect::to(&format!("/petitions/{id}")).into_response()),
        Err(StoreError::Invalid(e)) => page(&state, &user, id, StatusCode::CONFLICT, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

/// Takes the caller's signature back, until the meeting is called.
pub async fn withdraw(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (petition, community) = reachable(&state, &user, id).await?;
    let owners = owners_here(&state, &user, community.id).await?;
    match state.store.withdraw_signature(petition.id, &owners).await {
        Ok(()) => Ok(Redirect::to(&format!("/petitions/{id}")).into_response()),
        Err(StoreError::Invalid(e)) => page(&state, &user, id, StatusCode::CONFLICT, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

/// The petition a new assembly answers, checked: in this community, its bar met now, and
/// not answered yet.
pub(crate) async fn to_answer(
    state: &AppState,
    community_id: i64,
    petition_id: i64,
) -> AppResult<Result<Petition, FieldError>> {
    let petition = match state.store.petition(petition_id).await {
        Ok(p) if p.community_id == community_id => p,
        Ok(_) | Err(StoreError::NotFound) => return Ok(Err(FieldError::new("petition", "error.choice"))),
        Err(e) => return Err(e.into()),
    };
    if petition.assembly_id.is_some() {
        return Ok(Err(FieldError::new("petition", "error.petition.answered")));
    }
    if !state.store.petition_standing(&petition).await?.met {
        return Ok(Err(FieldError::new("petition", "error.petition.not_met")));
    }
    Ok(Ok(petition))
}
