//! Moving in, within and out of the community. The resident row holds the current stay;
//! every stay that ends is copied to `residence_history` first, in the same transaction,
//! so the record of where someone lived is kept and never overwritten.

use crate::registry::BUMP_REGISTRY_VERSION;
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::FieldError;
use serde::Serialize;

/// One stay of a resident in a household: ended ones from the history, the current one
/// from the resident row (`moved_out_on` empty).
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Stay {
    pub household_id: i64,
    pub building: String,
    pub unit: i64,
    pub room: String,
    pub moved_in_on: Option<String>,
    pub moved_out_on: Option<String>,
    /// Why the stay ended: `moved` (within the community) or `left`.
    pub reason: Option<String>,
}

/// Where a resident goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// To another household of the same community, on that day.
    To { household_id: i64 },
    /// Out of the community.
    Out,
}

#[derive(sqlx::FromRow)]
struct Current {
    community_id: i64,
    household_id: i64,
    moved_in_on: Option<String>,
    moved_out_on: Option<String>,
}

impl Store {
    /// Ends the resident's current stay on `on` and starts the next one (or leaves).
    /// Refuses a date before the current stay began, a resident who already left, and a
    /// household of another community or the same household.
    pub async fn move_resident(
        &self,
        resident_id: i64,
        to: Move,
        on: chrono::NaiveDate,
        account_id: i64,
    ) -> StoreResult<()> {
        let on = on.format("%Y-%m-%d").to_string();
        transaction!(self, |tx| {
            let cur: Current = crate::on!(tx, |c| sqlx::query_as(
                "SELECT community_id, household_id, moved_in_on, moved_out_on FROM residents WHERE id = $1",
            )
            .bind(resident_id)
            .fetch_optional(c)
            .await)?
            .ok_or(StoreError::NotFound)?;
            if cur.moved_out_on.is_some() {
                return Err(StoreError::Invalid(FieldError::new("resident", "error.move.already_left")));
            }
            if cur.moved_in_on.as_deref().is_some_and(|m| m > on.as_str()) {
                return Err(StoreError::Invalid(FieldError::new("date", "error.move.before_move_in")));
            }
            crate::exec!(tx, sqlx::query(
                "INSERT INTO residence_history (community_id, resident_id, household_id, moved_in_on, moved_out_on, \
                 reason, account_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(cur.community_id)
            .bind(resident_id)
            .bind(cur.household_id)
            .bind(&cur.moved_in_on)
            .bind(&on)
            .bind(if matches!(to, Move::Out) { "left" } else { "moved" })
            .bind(account_id)
            .bind(now_ms()))?;
            match to {
                Move::Out => {
                    crate::exec!(
                        tx,
                        sqlx::query("UPDATE residents SET moved_out_on = $2 WHERE id = $1").bind(resident_id).bind(&on)
                    )?;
                }
                Move::To { household_id } => {
                    if household_id == cur.household_id {
                        return Err(StoreError::Invalid(FieldError::new("household", "error.move.same_household")));
                    }
                    let grid: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                        "SELECT b.grid_id FROM households h JOIN buildings b ON b.id = h.building_id \
                         WHERE h.id = $1 AND h.community_id = $2",
                    )
                    .bind(household_id)
                    .bind(cur.community_id)
                    .fetch_optional(c)
                    .await)?;
                    let grid = grid.ok_or(StoreError::Invalid(FieldError::new("household", "error.move.household")))?;
                    crate::exec!(
                        tx,
                        sqlx::query(
                            "UPDATE residents SET household_id = $2, grid_id = $3, moved_in_on = $4 WHERE id = $1"
                        )
                        .bind(resident_id)
                        .bind(household_id)
                        .bind(grid)
                        .bind(&on)
                    )?;
                }
            }
            crate::exec!(tx, sqlx::query(BUMP_REGISTRY_VERSION).bind(cur.community_id))?;
        })
    }

    /// Every stay of a resident, oldest first, the current one last.
    pub async fn stays(&self, resident_id: i64) -> StoreResult<Vec<Stay>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT * FROM (\
               SELECT s.household_id, b.name AS building, h.unit, h.room, s.moved_in_on, s.moved_out_on, s.reason, s.id AS n \
               FROM residence_history s JOIN households h ON h.id = s.household_id JOIN buildings b ON b.id = h.building_id \
               WHERE s.resident_id = $1 \
               UNION ALL \
               SELECT r.household_id, b.name, h.unit, h.room, r.moved_in_on, NULL, NULL, 9223372036854775807 \
               FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
               WHERE r.id = $1 AND r.moved_out_on IS NULL) stays ORDER BY n"
        )
        .bind(resident_id)
        .fetch_all(db)
        .await?
        }))
    }

    /// The household at a building, unit and room of a community, if registered.
    pub async fn household_at(&self, community_id: i64, building: &str, unit: i64, room: &str) -> StoreResult<i64> {
        read!(self, |db| sqlx::query_scalar(
            "SELECT h.id FROM households h JOIN buildings b ON b.id = h.building_id \
             WHERE h.community_id = $1 AND b.name = $2 AND h.unit = $3 AND h.room = $4"
        )
        .bind(community_id)
        .bind(building)
        .bind(unit)
        .bind(room)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::Invalid(FieldError::new("household", "error.move.household")))
    }
}
