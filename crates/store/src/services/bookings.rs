//! Bookings of a service's slots: a place while there is one, else the waiting list in
//! arrival order (only when the booker asks to wait); a cancellation gives the place to the
//! first in line, who is told; reminders the day before; the organisation records service
//! (with sealed notes) or a missed appointment. Reading the notes is audited.

use super::{invalid, lock_slot, now_local};
use crate::notifications::{Link, tell};
use crate::places::SLOTS;
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::service::{BookingStatus, Kind, placement};

pub(crate) const NOTES_FIELD: &str = "booking.notes";

/// A booking as its resident, the organisation and the community see it (never its notes).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Booking {
    pub id: i64,
    pub slot_id: i64,
    pub service_id: i64,
    pub service: String,
    pub organisation_id: i64,
    pub organisation: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub place: String,
    pub starts_at: String,
    pub minutes: i64,
    pub community_id: i64,
    pub resident_id: i64,
    pub resident: String,
    pub grid_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: BookingStatus,
    /// Those waiting before this one (for a booking in line).
    pub ahead: i64,
    pub booked_by: i64,
    pub booked_by_name: String,
    /// The resident booked it themself (else a grid worker or staff for them).
    pub own: bool,
    pub referral_id: Option<i64>,
    pub has_notes: bool,
    pub created_at: i64,
}

/// Where a new booking went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub status: BookingStatus,
    /// Those in line before it.
    pub ahead: i64,
}

const COLUMNS: &str = "b.id, b.slot_id, b.service_id, s.title AS service, s.organisation_id, o.name AS organisation, \
     s.kind, s.place, t.starts_at, t.minutes, b.community_id, b.resident_id, r.name AS resident, b.grid_id, b.status, \
     (SELECT COUNT(*) FROM bookings w WHERE w.slot_id = b.slot_id AND w.status = 'waiting' AND w.line < b.line) AS ahead, \
     b.booked_by, a.display_name AS booked_by_name, (a.resident_id IS NOT NULL AND a.resident_id = b.resident_id) AS own, \
     b.referral_id, (b.notes_sealed IS NOT NULL) AS has_notes, b.created_at \
     FROM bookings b JOIN service_slots t ON t.id = b.slot_id JOIN services s ON s.id = b.service_id \
     JOIN organisations o ON o.id = s.organisation_id JOIN residents r ON r.id = b.resident_id \
     JOIN accounts a ON a.id = b.booked_by";

/// The accounts of the booking's resident (`$1` is the booking).
const RESIDENT: &str =
    "SELECT id AS account_id FROM accounts WHERE resident_id = (SELECT resident_id FROM bookings WHERE id = $1)";

impl Store {
    /// Books `resident_id` into a slot, by the resident's own account or a grid worker's or
    /// staff's (`by`). A full slot puts the booking in line if `wait`, else refuses it. The
    /// resident must be of the service's community and admitted by its eligibility (checked
    /// by the caller with [`Store::age_and_tags`]); an accepted `referral` of the same resident
    /// and service may be named. The resident is told.
    pub async fn book(
        &self,
        slot_id: i64,
        resident_id: i64,
        by: i64,
        wait: bool,
        referral: Option<i64>,
    ) -> StoreResult<Placed> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            // Before the lock: what does not change under it.
            let found: Option<(bool, Option<i64>, Option<i64>)> = on!(tx, |c| sqlx::query_as(
                "SELECT s.active, r.id, r.grid_id FROM service_slots t JOIN services s ON s.id = t.service_id \
                 LEFT JOIN residents r ON r.id = $2 AND r.community_id = s.community_id AND r.moved_out_on IS NULL \
                 WHERE t.id = $1"
            )
            .bind(slot_id)
            .bind(resident_id)
            .fetch_optional(c)
            .await)?;
            let (active, resident, grid_id) = found.ok_or(StoreError::NotFound)?;
            if !active {
                return Err(invalid("slot", "error.service.inactive"));
            }
            if resident.is_none() {
                return Err(StoreError::NotFound);
            }
            let slot = lock_slot(tx, slot_id, resident_id).await?;
            if slot.starts_at <= now_local() {
                return Err(invalid("slot", "error.service.slot_past"));
            }
            if slot.held.holds {
                return Err(invalid("slot", "error.service.booked_twice"));
            }
            let status = placement(slot.held.taken, slot.capacity);
            if status == BookingStatus::Waiting && !wait {
                return Err(invalid("slot", "error.service.full"));
            }
            if let Some(r) = referral {
                let n = exec!(
                    tx,
                    sqlx::query(
                        "UPDATE referrals SET status = status WHERE id = $1 AND resident_id = $2 AND service_id = $3 \
                         AND status = 'accepted'"
                    )
                    .bind(r)
                    .bind(resident_id)
                    .bind(slot.service_id)
                )?;
                if n == 0 {
                    return Err(invalid("referral_id", "error.service.referral_state"));
                }
            }
            let insert = format!(
                "INSERT INTO bookings (slot_id, service_id, community_id, resident_id, grid_id, booked_by, referral_id, \
                 status, line, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, {}, $9, $9) RETURNING id",
                crate::places::next_line(SLOTS)
            );
            let id: i64 = on!(tx, |c| sqlx::query_scalar(&insert)
                .bind(slot_id)
                .bind(slot.service_id)
                .bind(slot.community_id)
                .bind(resident_id)
                .bind(grid_id)
                .bind(by)
                .bind(referral)
                .bind(status.as_str())
                .bind(now)
                .fetch_one(c)
                .await)?;
            let ahead = if status == BookingStatus::Waiting { slot.held.waiting } else { 0 };
            let kind = if status == BookingStatus::Booked { "booking.booked" } else { "booking.waiting" };
            tell(tx, Link::Booking(id), slot.community_id, kind, &slot.said(), RESIDENT, now).await?;
            Placed { id, status, ahead }
        })
    }

    /// Cancels a booking before its slot begins. A place given up goes to the first in
    /// line, who is told; returns that booking.
    pub async fn cancel_booking(&self, booking_id: i64) -> StoreResult<Option<i64>> {
        let slot_id = self.booking(booking_id).await?.slot_id;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let slot = lock_slot(tx, slot_id, 0).await?;
            if slot.starts_at <= now_local() {
                return Err(invalid("booking", "error.service.too_late"));
            }
            let first = crate::places::give_up(tx, SLOTS, slot_id, booking_id, now).await?;
            if let Some(next) = first {
                tell(tx, Link::Booking(next), slot.community_id, "booking.promoted", &slot.said(), RESIDENT, now)
                    .await?;
            }
            first
        })
    }

    /// The organisation records a booked appointment as served (with notes, sealed) or
    /// missed, on or after its day. Serving a referred booking serves the referral, and
    /// its referrer is told.
    pub async fn record_booking(
        &self,
        booking_id: i64,
        by: i64,
        outcome: BookingStatus,
        notes: &str,
    ) -> StoreResult<()> {
        if !matches!(outcome, BookingStatus::Served | BookingStatus::NoShow) {
            return Err(invalid("outcome", "error.choice"));
        }
        let booking = self.booking(booking_id).await?;
        let sealed = match notes.trim() {
            "" => None,
            n => Some(self.key().seal(NOTES_FIELD, n)?),
        };
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let slot = lock_slot(tx, booking.slot_id, 0).await?;
            if slot.starts_at.get(..10).unwrap_or_default() > crate::today().to_string().as_str() {
                return Err(invalid("outcome", "error.service.not_yet"));
            }
            if crate::places::status_of(tx, SLOTS, booking_id).await? != BookingStatus::Booked {
                return Err(invalid("outcome", "error.service.not_booked"));
            }
            exec!(
                tx,
                sqlx::query(
                    "UPDATE bookings SET status = $2, notes_sealed = $3, served_by = $4, updated_at = $5 WHERE id = $1"
                )
                .bind(booking_id)
                .bind(outcome.as_str())
                .bind(&sealed)
                .bind(by)
                .bind(now)
            )?;
            if let (BookingStatus::Served, Some(r)) = (outcome, booking.referral_id) {
                super::referrals::serve(tx, r, slot.community_id, now).await?;
            }
        })
    }

    /// The organisation's notes on a booking, opened for `reader`, who was checked to be one
    /// of the serving organisation's staff (or, for an unsealed kind, the community's); the
    /// reading is audited in the same transaction.
    pub async fn booking_notes(&self, booking_id: i64, reader: i64) -> StoreResult<Option<String>> {
        let b = self.booking(booking_id).await?;
        let sealed: Option<String> =
            read!(self, |db| sqlx::query_scalar("SELECT notes_sealed FROM bookings WHERE id = $1")
                .bind(booking_id)
                .fetch_one(db)
                .await?);
        let Some(sealed) = sealed else { return Ok(None) };
        let notes = self.key().open(NOTES_FIELD, &sealed)?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let event = crate::audit::Event {
                account_id: Some(reader),
                community_id: Some(b.community_id),
                action: "personal.service_notes",
                detail: &format!("#{booking_id} {}", b.service),
                subject_resident_id: Some(b.resident_id),
            };
            crate::audit::in_tx(tx, event, now).await?;
        })?;
        Ok(Some(notes))
    }

    /// Tells each resident booked into a slot that begins within a day, once.
    pub async fn remind_bookings(&self) -> StoreResult<usize> {
        let now = crate::now_ms();
        let soon = linli_domain::worktime::china_time(now + 24 * 3_600_000).format("%Y-%m-%d %H:%M").to_string();
        let due: Vec<(i64, i64, String)> = read!(self, |db| sqlx::query_as(
            "SELECT b.id, b.community_id, s.title || ' ' || t.starts_at FROM bookings b \
             JOIN service_slots t ON t.id = b.slot_id JOIN services s ON s.id = b.service_id \
             WHERE b.status = 'booked' AND NOT b.reminded AND t.starts_at > $1 AND t.starts_at <= $2"
        )
        .bind(now_local())
        .bind(&soon)
        .fetch_all(db)
        .await?);
        let mut told = 0;
        for (id, community_id, said) in &due {
            told += transaction!(self, |tx| {
                let n = exec!(
                    tx,
                    sqlx::query("UPDATE bookings SET reminded = TRUE WHERE id = $1 AND NOT reminded").bind(id)
                )?;
                if n > 0 {
                    tell(tx, Link::Booking(*id), *community_id, "booking.reminder", said, RESIDENT, now).await?;
                }
                n as usize
            })?;
        }
        Ok(told)
    }

    pub async fn booking(&self, id: i64) -> StoreResult<Booking> {
        let sql = format!("SELECT {COLUMNS} WHERE b.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A resident's bookings, the latest slot first (cancelled ones left out).
    pub async fn bookings_of(&self, resident_id: i64) -> StoreResult<Vec<Booking>> {
        let sql = format!(
            "SELECT {COLUMNS} WHERE b.resident_id = $1 AND b.status <> 'cancelled' ORDER BY t.starts_at DESC LIMIT 50"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).fetch_all(db).await?))
    }

    /// A slot's bookings in arrival order, cancelled ones too.
    pub async fn slot_bookings(&self, slot_id: i64) -> StoreResult<Vec<Booking>> {
        let sql = format!("SELECT {COLUMNS} WHERE b.slot_id = $1 ORDER BY b.line");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(slot_id).fetch_all(db).await?))
    }
}
