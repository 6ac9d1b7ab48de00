//! Places and their waiting line, shared by a service's slots (`bookings`), activities
//! (`registrations`) and activities' volunteer shifts (`shift_signups`). A holder row (a
//! slot, an activity, a shift) has a capacity; each taking of a place or joining of the
//! line is a row with a `line` number, its arrival order. Every
//! change first takes the holder's row ([`lock`]): on PostgreSQL the `UPDATE` holds the row
//! until commit, on SQLite the single writer already orders them, so the places counted and
//! the line numbered under the lock are the truth, and a rush never overbooks nor loses a
//! place in line. The statuses are [`linli_domain::service::BookingStatus`]'s.

use crate::{StoreError, StoreResult, on};
use linli_domain::service::BookingStatus;

/// Where the places of one kind of holder live.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line {
    /// The holder's table, with `id`, `capacity` and `version` columns.
    pub holder: &'static str,
    /// The places' table, with `id`, `status`, `line` and `resident_id` columns.
    pub table: &'static str,
    /// Its column naming the holder.
    pub parent: &'static str,
}

pub(crate) const SLOTS: Line = Line { holder: "service_slots", table: "bookings", parent: "slot_id" };
pub(crate) const ACTIVITIES: Line = Line { holder: "activities", table: "registrations", parent: "activity_id" };
pub(crate) const SHIFTS: Line = Line { holder: "shifts", table: "shift_signups", parent: "shift_id" };

/// What a holder held when its row was taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Held {
    pub capacity: i64,
    /// Places held: booked, served or missed (a missed place was still given).
    pub taken: i64,
    /// Places in line.
    pub waiting: i64,
    /// The resident asked about holds a place or waits for one already.
    pub holds: bool,
}

/// Takes the holder's row for this transaction and counts, in one statement after the
/// lock, its places, its line and whether `resident_id` (0: nobody) is in either. The
/// statements between the lock and the commit are the critical section every taking of a
/// place waits for, so they are kept to this one and the insert.
pub(crate) async fn lock(tx: &mut crate::Tx, line: Line, id: i64, resident_id: i64) -> StoreResult<Held> {
    let capacity: Option<i64> = on!(tx, |c| sqlx::query_scalar(&format!(
        "UPDATE {} SET version = version + 1 WHERE id = $1 RETURNING capacity",
        line.holder
    ))
    .bind(id)
    .fetch_optional(c)
    .await)?;
    let capacity = capacity.ok_or(StoreError::NotFound)?;
    let (taken, waiting, holds): (i64, i64, i64) = on!(tx, |c| sqlx::query_as(&format!(
        "SELECT COUNT(*) FILTER (WHERE status IN {}), \
         COUNT(*) FILTER (WHERE status = 'waiting'), \
         COUNT(*) FILTER (WHERE resident_id = $2 AND status IN ('booked', 'waiting')) \
         FROM {} WHERE {} = $1",
        crate::services::HELD,
        line.table,
        line.parent
    ))
    .bind(id)
    .bind(resident_id)
    .fetch_one(c)
    .await)?;
    Ok(Held { capacity, taken, waiting, holds: holds > 0 })
}

/// The next line number of a holder (its places' `line` column), read under the lock.
pub(crate) fn next_line(line: Line) -> String {
    format!("(SELECT COALESCE(MAX(line), 0) + 1 FROM {} WHERE {} = $1)", line.table, line.parent)
}

/// The status of one place.
pub(crate) async fn status_of(tx: &mut crate::Tx, line: Line, place_id: i64) -> StoreResult<BookingStatus> {
    let status: String = on!(tx, |c| sqlx::query_scalar(&format!("SELECT status FROM {} WHERE id = $1", line.table))
        .bind(place_id)
        .fetch_optional(c)
        .await)?
    .ok_or(StoreError::NotFound)?;
    BookingStatus::try_from(status).map_err(StoreError::Invalid)
}

/// Gives up a place or a place in line; a place given up goes to the first in line, whose
/// id is returned. Refuses one that is no longer pending.
pub(crate) async fn give_up(
    tx: &mut crate::Tx,
    line: Line,
    holder_id: i64,
    place_id: i64,
    now: i64,
) -> StoreResult<Option<i64>> {
    let was = status_of(tx, line, place_id).await?;
    if !was.pending() {
        return Err(crate::services::invalid(line_field(line), "error.service.not_pending"));
    }
    crate::exec!(
        tx,
        sqlx::query(&format!("UPDATE {} SET status = 'cancelled', updated_at = $2 WHERE id = $1", line.table))
            .bind(place_id)
            .bind(now)
    )?;
    if was != BookingStatus::Booked {
        return Ok(None);
    }
    let first: Option<i64> = on!(tx, |c| sqlx::query_scalar(&format!(
        "SELECT id FROM {} WHERE {} = $1 AND status = 'waiting' ORDER BY line LIMIT 1",
        line.table, line.parent
    ))
    .bind(holder_id)
    .fetch_optional(c)
    .await)?;
    if let Some(next) = first {
        crate::exec!(
            tx,
            sqlx::query(&format!("UPDATE {} SET status = 'booked', updated_at = $2 WHERE id = $1", line.table))
                .bind(next)
                .bind(now)
        )?;
    }
    Ok(first)
}

/// The field a refusal about one place names.
fn line_field(line: Line) -> &'static str {
    match line.table {
        "bookings" => "booking",
        "shift_signups" => "signup",
        _ => "registration",
    }
}
