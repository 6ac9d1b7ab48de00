//! Referrals: a resident's services page for the grid worker and staff who reach them (the
//! services that fit their care tags, booking for them, the referral form, their bookings
//! and referrals by status), the community's referrals within reach, and a referral's page
//! where the organisation accepts, declines, books, serves and closes it.

use super::provides;
use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::residents::reachable_resident;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::service::{self, ReferralStatus, Source};
use linli_domain::{Action, FieldError};
use linli_store::admin::Community;
use linli_store::residents::ResidentRow;
use linli_store::services::{Booking, NewReferral, Referral, Service};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ReferForm {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub service_id: Option<i64>,
    #[serde(default)]
    pub source: String,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub case_id: Option<i64>,
    #[serde(default)]
    pub referral_reason: String,
}

#[derive(Template)]
#[template(path = "resident_services.html")]
struct ResidentServicesPage {
    chrome: Chrome,
    resident: ResidentRow,
    /// Services admitting the resident, those meant for their tags first: (service, fits).
    services: Vec<(Service, bool)>,
    bookings: Vec<Booking>,
    referrals: Vec<Referral>,
    books: bool,
    sources: Vec<&'static str>,
    form: ReferForm,
    error: Option<String>,
}

impl ResidentServicesPage {
    fn picked(&self, id: &i64) -> bool {
        self.form.service_id == Some(*id)
    }
}

async fn resident_page(
    state: &AppState,
    user: &User,
    resident_id: i64,
    status: StatusCode,
    form: ReferForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let resident = reachable_resident(state, user, resident_id, Action::ReferToServices).await?;
    let community = state.store.community(resident.community_id).await?;
    let t = user.0.tr();
    let (age, tags) = state.store.age_and_tags(resident.id).await?;
    let mut services: Vec<(Service, bool)> = state
        .store
        .services(community.id, None, false)
        .await?
        .into_iter()
        .filter(|s| s.eligibility().admits(age, &tags))
        .map(|s| {
            let fits = s.eligibility().fits(age, &tags);
            (s, fits)
        })
        .collect();
    services.sort_by_key(|(_, fits)| !fits);
    let referrals: Vec<Referral> =
        state.store.referrals_in(community.id).await?.into_iter().filter(|f| f.resident_id == resident.id).collect();
    let bookings = state.store.bookings_of(resident.id).await?;
    let page = ResidentServicesPage {
        chrome: Chrome::new(&user.0, t.fill("service.for_resident", &[("name", &resident.name)])),
        bookings,
        referrals,
        books: super::reaches_resident(user.principal(), &community, resident.grid_id),
        sources: Source::ALL.iter().map(|s| s.as_str()).collect(),
        resident,
        services,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn resident_services(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
) -> AppResult<Response> {
    let form = ReferForm { source: "visit".into(), ..ReferForm::default() };
    resident_page(&state, &user, resident_id, StatusCode::OK, form, None).await
}

pub async fn refer(
    State(state): State<AppState>,
    user: User,
    Path(resident_id): Path<i64>,
    axum::Form(form): axum::Form<ReferForm>,
) -> AppResult<Response> {
    let resident = reachable_resident(&state, &user, resident_id, Action::ReferToServices).await?;
    let checked = async {
        let service_id = form.service_id.ok_or_else(|| FieldError::new("service_id", "error.required"))?;
        let source = Source::parse(&form.source)?;
        let reason = service::REASON.parse("referral_reason", &form.referral_reason)?;
        let case_id = match (source, form.case_id) {
            (Source::Case | Source::Dispute, None) => return Err(FieldError::new("case_id", "error.required").into()),
            (Source::Case | Source::Dispute, Some(c)) => {
                // The case must be the community's: another community's number is refused.
                match state.store.case(c).await {
                    Ok(case) if case.community_id == resident.community_id => Some(c),
                    Ok(_) | Err(linli_store::StoreError::NotFound) => {
                        return Err(FieldError::new("case_id", "error.service.case").into());
                    }
                    Err(e) => return Err(AppError::from(e)),
                }
            }
            _ => None,
        };
        Ok::<_, AppError>(NewReferral {
            community_id: resident.community_id,
            resident_id: resident.id,
            service_id,
            source,
            case_id,
            visit_id: None,
            reason,
            by: user.principal().account_id,
        })
    }
    .await;
    let refused = match checked {
        Ok(new) => match state.store.refer(&new).await {
            Ok(id) => return Ok(Redirect::to(&format!("/referrals/{id}")).into_response()),
            Err(linli_store::StoreError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(AppError::Invalid(e)) => e,
        Err(e) => return Err(e),
    };
    resident_page(&state, &user, resident.id, StatusCode::UNPROCESSABLE_ENTITY, form, Some(refused)).await
}

#[derive(Template)]
#[template(path = "referrals.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    referrals: Vec<Referral>,
}

/// The community's referrals within the caller's reach: staff all, a grid worker those of
/// own grids and those they sent.
pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ReferToServices).await?;
    let p = user.principal();
    let referrals = state
        .store
        .referrals_in(community.id)
        .await?
        .into_iter()
        .filter(|f| {
            f.referred_by == p.account_id || f.grid_id.is_some_and(|g| super::reaches_resident(p, &community, g))
        })
        .collect();
    let page = ListPage { chrome: Chrome::new(&user.0, user.0.tr().get("referral.list")), community, referrals };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "referral.html")]
struct ReferralPage {
    chrome: Chrome,
    community: Community,
    f: Referral,
    /// The reason, for the organisation and the referrer.
    reason: Option<String>,
    provides: bool,
    next: Vec<&'static str>,
}

/// A referral the caller may open: its organisation's staff, its referrer, and the staff
/// or grid worker who reach its resident (the status only).
async fn referral_for(state: &AppState, user: &User, id: i64) -> AppResult<(Referral, Community, bool, bool)> {
    let f = state.store.referral(id).await?;
    let community = community_of(state, user, f.community_id, Action::ViewServices).await?;
    let p = user.principal();
    let provides = provides(p, f.organisation_id, &community);
    let referrer = f.referred_by == p.account_id;
    let reaches = f.grid_id.is_some_and(|g| super::reaches_resident(p, &community, g));
    if !(provides || referrer || reaches) {
        return Err(AppError::NotFound);
    }
    Ok((f, community, provides, referrer))
}

pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (f, community, provides, referrer) = referral_for(&state, &user, id).await?;
    let reason = if provides || referrer { Some(state.store.referral_reason(f.id).await?) } else { None };
    let page = ReferralPage {
        chrome: Chrome::new(&user.0, user.0.tr().get("referral.title")),
        next: if provides { f.status.next().iter().map(|s| s.as_str()).collect() } else { Vec::new() },
        community,
        reason,
        provides,
        f,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
pub struct DecideForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub answer: String,
}

pub async fn decide(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<DecideForm>,
) -> AppResult<Response> {
    let (f, _, provides, _) = referral_for(&state, &user, id).await?;
    if !provides {
        return Err(AppError::NotFound);
    }
    let to = ReferralStatus::parse(&form.status)?;
    let answer =
        if form.answer.trim().is_empty() { String::new() } else { service::REASON.parse("answer", &form.answer)? };
    state.store.decide_referral(f.id, to, &answer, user.principal().account_id).await?;
    Ok(Redirect::to(&format!("/referrals/{}", f.id)).into_response())
}
