//! An organisation's desk: its services (publish, take off the directory), their slots and
//! each slot's roster, service recorded with notes or a missed appointment, the notes read
//! back (audited), and the referrals sent to it.

use super::{booking_for, provides, service_for};
use crate::context::{User, community_of};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::care::CareTag;
use linli_domain::service::{self, BookingStatus, Kind, ReferralStatus};
use linli_domain::{Action, FieldError};
use linli_store::admin::{Community, Organisation};
use linli_store::services::{Booking, NewService, Referral, Service, Slot};
use serde::Deserialize;

/// The organisation the caller works for, in its community; 404 for anyone else.
async fn own_organisation(state: &AppState, user: &User, id: i64) -> AppResult<(Organisation, Community)> {
    let organisation = state.store.organisation(id).await?;
    let community = community_of(state, user, organisation.community_id, Action::ProvideServices).await?;
    if !provides(user.principal(), organisation.id, &community) {
        return Err(AppError::NotFound);
    }
    Ok((organisation, community))
}

#[derive(Deserialize, Default)]
pub struct ServiceForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub service_place: String,
    #[serde(default)]
    pub min_age: String,
    #[serde(default)]
    pub max_age: String,
    #[serde(default)]
    pub care_tags: Vec<String>,
}

#[derive(Template)]
#[template(path = "services_desk.html")]
struct DeskPage {
    chrome: Chrome,
    community: Community,
    organisation: Organisation,
    services: Vec<Service>,
    referrals: Vec<Referral>,
    kinds: Vec<&'static str>,
    tags: Vec<&'static str>,
    form: ServiceForm,
    error: Option<String>,
}

impl DeskPage {
    fn chosen(&self, tag: &str) -> bool {
        self.form.care_tags.iter().any(|t| t == tag)
    }
}

async fn desk_page(
    state: &AppState,
    user: &User,
    organisation_id: i64,
    status: StatusCode,
    form: ServiceForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let (organisation, community) = own_organisation(state, user, organisation_id).await?;
    let t = user.0.tr();
    let page = DeskPage {
        chrome: Chrome::new(&user.0, t.get("service.desk")),
        services: state.store.services(community.id, Some(organisation.id), true).await?,
        referrals: state.store.referrals_to(organisation.id).await?,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        tags: CareTag::ALL.iter().map(|k| k.as_str()).collect(),
        community,
        organisation,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn desk(State(state): State<AppState>, user: User, Path(organisation_id): Path<i64>) -> AppResult<Response> {
    desk_page(&state, &user, organisation_id, StatusCode::OK, ServiceForm::default(), None).await
}

fn checked(form: &ServiceForm, community_id: i64, organisation_id: i64, by: i64) -> Result<NewService, FieldError> {
    let kind = Kind::parse(&form.kind)?;
    let title = service::TITLE.parse("title", &form.title)?;
    let description = service::DESCRIPTION.parse("description", &form.description)?;
    let place = service::PLACE.parse("service_place", &form.service_place)?;
    let eligibility = super::eligibility(&form.min_age, &form.max_age, &form.care_tags)?;
    Ok(NewService { community_id, organisation_id, kind, title, description, place, eligibility, by })
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(organisation_id): Path<i64>,
    axum_extra::extract::Form(form): axum_extra::extract::Form<ServiceForm>,
) -> AppResult<Response> {
    let (organisation, community) = own_organisation(&state, &user, organisation_id).await?;
    match checked(&form, community.id, organisation.id, user.principal().account_id) {
        Ok(new) => {
            let id = state.store.create_service(&new).await?;
            Ok(Redirect::to(&format!("/services/{id}")).into_response())
        }
        Err(e) => desk_page(&state, &user, organisation.id, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ActiveForm {
    pub active: Option<String>,
}

pub async fn set_active(
    State(state): State<AppState>,
    user: User,
    Path(service_id): Path<i64>,
    axum::Form(form): axum::Form<ActiveForm>,
) -> AppResult<Response> {
    let (service, _, provides) = service_for(&state, &user, service_id).await?;
    if !provides {
        return Err(AppError::NotFound);
    }
    state.store.set_service_active(service.id, form.active.is_some()).await?;
    Ok(Redirect::to(&format!("/services/{}", service.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct SlotForm {
    #[serde(default)]
    pub slot_start: String,
    #[serde(default)]
    pub duration: String,
    #[serde(default)]
    pub capacity: String,
}

fn within(field: &'static str, raw: &str, max: i64) -> Result<i64, FieldError> {
    crate::form::number(field, raw, 1..=max)
}

pub async fn add_slot(
    State(state): State<AppState>,
    user: User,
    Path(service_id): Path<i64>,
    axum::Form(form): axum::Form<SlotForm>,
) -> AppResult<Response> {
    let (service, _, provides) = service_for(&state, &user, service_id).await?;
    if !provides {
        return Err(AppError::NotFound);
    }
    let starts_at = super::local_time("slot_start", &form.slot_start)?;
    let minutes = within("duration", &form.duration, service::MAX_MINUTES)?;
    let capacity = within("capacity", &form.capacity, service::MAX_CAPACITY)?;
    state.store.add_slot(service.id, &starts_at, minutes, capacity).await?;
    Ok(Redirect::to(&format!("/services/{}#slots", service.id)).into_response())
}

#[derive(Template)]
#[template(path = "slot.html")]
struct RosterPage {
    chrome: Chrome,
    service: Service,
    slot: Slot,
    bookings: Vec<Booking>,
    today: String,
}

pub async fn roster(State(state): State<AppState>, user: User, Path(slot_id): Path<i64>) -> AppResult<Response> {
    let slot = state.store.slot(slot_id).await?;
    let (service, _, provides) = service_for(&state, &user, slot.service_id).await?;
    if !provides {
        return Err(AppError::NotFound);
    }
    let page = RosterPage {
        chrome: Chrome::new(&user.0, format!("{} {}", service.title, slot.starts_at)),
        bookings: state.store.slot_bookings(slot.id).await?,
        today: linli_store::today().to_string(),
        service,
        slot,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
pub struct OutcomeForm {
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub notes: String,
}

pub async fn record(
    State(state): State<AppState>,
    user: User,
    Path(booking_id): Path<i64>,
    axum::Form(form): axum::Form<OutcomeForm>,
) -> AppResult<Response> {
    let (b, _, standing) = booking_for(&state, &user, booking_id).await?;
    if !standing.provides {
        return Err(AppError::NotFound);
    }
    let outcome = BookingStatus::parse(&form.outcome).map_err(|_| FieldError::new("outcome", "error.choice"))?;
    let notes = service::NOTES.parse("notes", &form.notes)?;
    state.store.record_booking(b.id, user.principal().account_id, outcome, &notes).await?;
    Ok(Redirect::to(&format!("/slots/{}", b.slot_id)).into_response())
}

#[derive(Template)]
#[template(path = "booking_notes.html")]
struct NotesPage {
    chrome: Chrome,
    b: Booking,
    notes: String,
}

/// The notes of a served booking, for the serving organisation (and the community's staff
/// for an unsealed kind); each reading goes into the audit log.
pub async fn notes(State(state): State<AppState>, user: User, Path(booking_id): Path<i64>) -> AppResult<Response> {
    let (b, _, standing) = booking_for(&state, &user, booking_id).await?;
    if !standing.reads_notes(&b) {
        return Err(AppError::NotFound);
    }
    let notes = state.store.booking_notes(b.id, user.principal().account_id).await?.ok_or(AppError::NotFound)?;
    let page = NotesPage { chrome: Chrome::new(&user.0, user.0.tr().get("booking.notes")), b, notes };
    Ok(render(StatusCode::OK, &page))
}
