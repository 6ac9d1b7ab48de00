//! Services of social organisations on the web: the community's directory and a service's
//! slots, booking (for oneself, or by a grid worker or staff for a resident within reach)
//! with a waiting list, one's bookings ([`directory`]); an organisation's desk: its
//! services, slots and rosters, service recorded with sealed notes, and the referrals sent
//! to it ([`desk`]); referrals from the grid and the community's staff ([`referrals`]).
//!
//! Who touches what is decided on the object: a booking is its resident's, its booker's,
//! the serving organisation's and, for its status only, the staff and grid worker who reach
//! the resident; a service's notes are read by the serving organisation's staff only (for
//! counselling and legal aid), or also by the community's staff for the other kinds.

pub mod desk;
pub mod directory;
pub mod referrals;

use crate::context::{User, community_of};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::care::CareTag;
use linli_domain::service::Eligibility;
use linli_domain::{Action, FieldError, Principal, Reach};
use linli_store::admin::Community;
use linli_store::services::{Booking, Service};

/// Who may use a service or join an activity, from a form's ages and ticked care tags.
pub(crate) fn eligibility(min_age: &str, max_age: &str, tags: &[String]) -> Result<Eligibility, FieldError> {
    let age = |field: &'static str, raw: &str| match raw.trim() {
        "" => Ok(None),
        n => n.parse().map(Some).map_err(|_| FieldError::new(field, "error.service.age")),
    };
    let tags = tags
        .iter()
        .map(|t| CareTag::parse(t).ok_or_else(|| FieldError::new("care_tags", "error.choice")))
        .collect::<Result<Vec<_>, _>>()?;
    Eligibility::new(age("min_age", min_age)?, age("max_age", max_age)?, tags)
}

/// A local time from a `datetime-local` input (`YYYY-MM-DDTHH:MM`), as slots and
/// activities store it (`YYYY-MM-DD HH:MM`).
pub(crate) fn local_time(field: &'static str, raw: &str) -> Result<String, FieldError> {
    chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M"))
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .map_err(|_| FieldError::new(field, "error.service.slot_start"))
}

/// A stored time as pages show it (for templates, which pass references).
pub fn at(ms: &i64) -> String {
    crate::frame::format_ms(*ms)
}

/// Whether the caller works for the organisation and provides services in its community.
pub fn provides(p: &Principal, organisation_id: i64, community: &Community) -> bool {
    p.can_in_community(Action::ProvideServices, community.id, community.street_id)
        && p.organisations().any(|o| o == organisation_id)
}

/// Whether the caller reaches a resident of `grid_id` as the grid's worker or the
/// community's staff: books for them, refers them, follows their bookings' status. (A
/// resident holds [`Action::BookServices`] for themself only.)
pub fn reaches_resident(p: &Principal, community: &Community, grid_id: i64) -> bool {
    p.can_in_grid(Action::ReferToServices, community.id, community.street_id, grid_id)
        && p.can_in_grid(Action::BookServices, community.id, community.street_id, grid_id)
}

/// A service the caller may see, its community, and whether the caller provides it.
pub(crate) async fn service_for(
    state: &AppState,
    user: &User,
    service_id: i64,
) -> AppResult<(Service, Community, bool)> {
    let service = state.store.service(service_id).await?;
    let community = community_of(state, user, service.community_id, Action::ViewServices).await?;
    let provides = provides(user.principal(), service.organisation_id, &community);
    if !service.active && !provides {
        return Err(AppError::NotFound);
    }
    Ok((service, community, provides))
}

/// How the caller stands to a booking.
pub(crate) struct Standing {
    /// The booking is the caller's own (as its resident of record) or the caller booked it.
    pub mine: bool,
    /// The caller works for the serving organisation.
    pub provides: bool,
    /// Staff or the grid's worker, who reach the resident: the status, never the notes.
    pub reaches: bool,
    /// The community's staff (whole community), who read the notes of an unsealed kind.
    pub staff: bool,
}

impl Standing {
    /// Reads the organisation's notes: its own staff, and for a kind that is not sealed
    /// (not counselling nor legal aid) the community's staff.
    pub fn reads_notes(&self, b: &Booking) -> bool {
        self.provides || (self.staff && !b.kind.sealed())
    }

    pub fn cancels(&self) -> bool {
        self.mine || self.reaches
    }
}

/// A booking the caller may open, with its community and the caller's standing; 404 for
/// anyone else.
pub(crate) async fn booking_for(
    state: &AppState,
    user: &User,
    booking_id: i64,
) -> AppResult<(Booking, Community, Standing)> {
    let b = state.store.booking(booking_id).await?;
    let community = community_of(state, user, b.community_id, Action::ViewServices).await?;
    let p = user.principal();
    let resident = state.store.verified_resident(p.account_id, community.id).await?;
    let reaches = b.grid_id.is_some_and(|g| reaches_resident(p, &community, g));
    let standing = Standing {
        mine: resident == Some(b.resident_id) || b.booked_by == p.account_id,
        provides: provides(p, b.organisation_id, &community),
        reaches,
        staff: p.reach(Action::ReferToServices, community.id, community.street_id) == Reach::Community,
    };
    if !(standing.mine || standing.provides || standing.reaches) {
        return Err(AppError::NotFound);
    }
    Ok((b, community, standing))
}
