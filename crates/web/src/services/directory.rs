//! The directory, a service's page with its slots, booking and cancelling, a booking's page.

use super::{booking_for, service_for};
use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::service::{BookingStatus, Kind};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::services::{Booking, Service, Slot};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct DirectoryQuery {
    #[serde(default)]
    pub kind: String,
}

#[derive(Template)]
#[template(path = "services.html")]
struct DirectoryPage {
    chrome: Chrome,
    community: Community,
    kinds: Vec<&'static str>,
    kind: String,
    /// Services meant for the caller's care tags.
    fits: Vec<Service>,
    services: Vec<Service>,
    mine: Vec<Booking>,
    /// The caller's organisations' desks.
    desks: Vec<(i64, String)>,
    refers: bool,
}

pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<DirectoryQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewServices).await?;
    let t = user.0.tr();
    let p = user.principal();
    let kind = if q.kind.is_empty() { None } else { Some(Kind::parse(&q.kind)?) };
    // Every service, read once: the suggestions are drawn from all, the list is of the kind.
    let all = state.store.services(community.id, None, false).await?;
    let resident = state.store.verified_resident(p.account_id, community.id).await?;
    let (fits, mine) = match resident {
        Some(r) => {
            let (age, tags) = state.store.age_and_tags(r).await?;
            let fits = all.iter().filter(|s| s.eligibility().fits(age, &tags)).cloned().collect();
            (fits, state.store.bookings_of(r).await?)
        }
        None => (Vec::new(), Vec::new()),
    };
    let services = all.into_iter().filter(|s| kind.is_none_or(|k| s.kind == k)).collect();
    let mut desks = Vec::new();
    for o in p.organisations().collect::<Vec<_>>() {
        if super::provides(p, o, &community) {
            desks.push((o, state.store.organisation(o).await?.name));
        }
    }
    let page = DirectoryPage {
        chrome: Chrome::new(&user.0, t.get("service.directory")),
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        kind: q.kind,
        fits,
        services,
        mine,
        desks,
        refers: p.can_in_community(Action::ReferToServices, community.id, community.street_id),
        community,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default)]
pub struct ServiceQuery {
    /// Book for this resident (a grid worker, staff, or the organisation for a referral).
    #[serde(default, rename = "for", deserialize_with = "crate::form::optional_id")]
    pub for_resident: Option<i64>,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub referral: Option<i64>,
}

/// The person a booking is for.
struct Booker {
    resident_id: i64,
    name: String,
    /// Someone else books for them.
    on_behalf: bool,
    admitted: bool,
    /// The slots they already hold or wait for.
    holds: Vec<i64>,
}

#[derive(Template)]
#[template(path = "service.html")]
struct ServicePage {
    chrome: Chrome,
    community: Community,
    service: Service,
    provides: bool,
    slots: Vec<Slot>,
    who: Option<Booker>,
    referral: Option<i64>,
    /// A refused booking: its slot and why.
    error: Option<(i64, String)>,
    tags: Vec<&'static str>,
}

/// Whom the caller books for: a resident named by `for` within their reach (as a grid
/// worker or staff, or as the organisation for a referral it accepted for that resident),
/// else their own resident of record; `None` when they can book for nobody.
async fn booker(
    state: &AppState,
    user: &User,
    service: &Service,
    community: &Community,
    provides: bool,
    for_resident: Option<i64>,
    referral: Option<i64>,
) -> AppResult<Option<Booker>> {
    let p = user.principal();
    let (resident_id, name, on_behalf) = match for_resident {
        Some(rid) => {
            let resident = state.store.resident(rid).await?;
            let by_referral = match referral {
                Some(f) if provides => {
                    let f = state.store.referral(f).await?;
                    f.resident_id == rid && f.service_id == service.id
                }
                _ => false,
            };
            let reaches =
                resident.community_id == community.id && super::reaches_resident(p, community, resident.grid_id);
            if !(reaches || by_referral) {
                return Err(AppError::NotFound);
            }
            (resident.id, resident.name, true)
        }
        None => {
            if !p.can_in_community(Action::BookServices, community.id, community.street_id) {
                return Ok(None);
            }
            match state.store.verified_resident(p.account_id, community.id).await? {
                Some(r) => (r, state.store.resident(r).await?.name, false),
                None => return Ok(None),
            }
        }
    };
    let (age, tags) = state.store.age_and_tags(resident_id).await?;
    let holds = state
        .store
        .bookings_of(resident_id)
        .await?
        .into_iter()
        .filter(|b| b.service_id == service.id && b.status.pending())
        .map(|b| b.slot_id)
        .collect();
    Ok(Some(Booker { resident_id, name, on_behalf, admitted: service.eligibility().admits(age, &tags), holds }))
}

async fn service_page(
    state: &AppState,
    user: &User,
    service_id: i64,
    q: &ServiceQuery,
    status: StatusCode,
    error: Option<(i64, String)>,
) -> AppResult<Response> {
    let (service, community, provides) = service_for(state, user, service_id).await?;
    let who = booker(state, user, &service, &community, provides, q.for_resident, q.referral).await?;
    // The organisation sees the last two weeks' slots (to record them) and those ahead.
    let from = if provides {
        format!("{}", linli_store::today() - chrono::Days::new(14))
    } else {
        linli_store::services::now_local()
    };
    let page = ServicePage {
        chrome: Chrome::new(&user.0, service.title.clone()),
        slots: state.store.slots(service.id, Some(&from)).await?,
        tags: service.eligibility().tags.iter().map(|t| t.as_str()).collect(),
        community,
        service,
        provides,
        who,
        referral: q.referral,
        error,
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(service_id): Path<i64>,
    Query(q): Query<ServiceQuery>,
) -> AppResult<Response> {
    service_page(&state, &user, service_id, &q, StatusCode::OK, None).await
}

#[derive(Deserialize, Default)]
pub struct BookForm {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub slot_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub resident_id: Option<i64>,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub referral_id: Option<i64>,
    pub wait: Option<String>,
}

pub async fn book(
    State(state): State<AppState>,
    user: User,
    Path(service_id): Path<i64>,
    axum::Form(form): axum::Form<BookForm>,
) -> AppResult<Response> {
    let (service, community, provides) = service_for(&state, &user, service_id).await?;
    let slot_id = form.slot_id.ok_or_else(|| FieldError::new("slot", "error.required"))?;
    let slot = state.store.slot(slot_id).await?;
    if slot.service_id != service.id {
        return Err(AppError::NotFound);
    }
    let q = ServiceQuery { for_resident: form.resident_id, referral: form.referral_id };
    let who = booker(&state, &user, &service, &community, provides, form.resident_id, form.referral_id).await?;
    let placed = match who {
        None => Err(StoreError::Invalid(FieldError::new("resident", "error.service.no_resident"))),
        Some(w) if !w.admitted => Err(StoreError::Invalid(FieldError::new("resident", "error.service.not_eligible"))),
        Some(w) => {
            let by = user.principal().account_id;
            state.store.book(slot.id, w.resident_id, by, form.wait.is_some(), form.referral_id).await
        }
    };
    match placed {
        Ok(placed) => Ok(Redirect::to(&format!("/bookings/{}?done=booked", placed.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            let said = user.0.tr().field_error(e.field, e.key);
            service_page(&state, &user, service.id, &q, StatusCode::UNPROCESSABLE_ENTITY, Some((slot.id, said))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "booking.html")]
struct BookingPage {
    chrome: Chrome,
    community: Community,
    b: Booking,
    cancels: bool,
    provides: bool,
    reads_notes: bool,
    started: bool,
    notice: Option<String>,
}

pub async fn show_booking(
    State(state): State<AppState>,
    user: User,
    Path(booking_id): Path<i64>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let (b, community, standing) = booking_for(&state, &user, booking_id).await?;
    let t = user.0.tr();
    let started = b.starts_at <= linli_store::services::now_local();
    let page = BookingPage {
        chrome: Chrome::new(&user.0, b.service.clone()),
        cancels: standing.cancels() && b.status.pending() && !started,
        provides: standing.provides,
        reads_notes: standing.reads_notes(&b) && b.has_notes,
        notice: q.done.filter(|d| t.has(&format!("booking.done.{d}"))).map(|d| t.label("booking.done", &d)),
        started,
        community,
        b,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn cancel(State(state): State<AppState>, user: User, Path(booking_id): Path<i64>) -> AppResult<Response> {
    let (b, _, standing) = booking_for(&state, &user, booking_id).await?;
    if !standing.cancels() {
        return Err(AppError::NotFound);
    }
    state.store.cancel_booking(b.id).await?;
    Ok(Redirect::to(&format!("/bookings/{}?done=cancelled", b.id)).into_response())
}

/// The status a template shows, with its class.
pub fn status_class(s: &BookingStatus) -> &'static str {
    match s {
        BookingStatus::Booked | BookingStatus::Served => "tag on",
        _ => "tag",
    }
}
