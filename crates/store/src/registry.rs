//! The community registry: buildings (楼栋), households (户) and residents (居民).
//! This wave keeps the skeleton the demo and the home pages need; the registry issue
//! adds ID numbers and phones (encrypted), owners, care tags and visits.

use crate::{Store, StoreResult, read};
use serde::Serialize;
use utoipa::ToSchema;

/// Counts for one grid, as a grid worker's day starts from them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct GridSummary {
    pub grid_id: i64,
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
    /// Residents aged 80 or more (高龄).
    pub aged_80_plus: i64,
    /// Households of one resident aged 70 or more (独居老人).
    pub elderly_living_alone: i64,
}

/// A building with its occupancy (zero counts where a listing does not compute them).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct BuildingSummary {
    pub id: i64,
    pub grid_id: i64,
    pub name: String,
    pub address: String,
    pub floors: i64,
    pub units: i64,
    pub lon: f64,
    pub lat: f64,
    pub households: i64,
    pub residents: i64,
}

/// Birth-date cut-offs (`YYYY-MM-DD`, compared as text) for an age on `today`.
pub fn born_on_or_before(today: chrono::NaiveDate, age: i32) -> String {
    use chrono::Datelike;
    let year = today.year() - age;
    // 29 February falls back to 28 February in a non-leap year.
    let day = chrono::NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| chrono::NaiveDate::from_ymd_opt(year, today.month(), today.day() - 1))
        .unwrap_or(today);
    day.format("%Y-%m-%d").to_string()
}

impl Store {
    /// Per-grid counts for every grid of a community (or only `grid_ids`, if given).
    pub async fn grid_summaries(&self, community_id: i64, today: chrono::NaiveDate) -> StoreResult<Vec<GridSummary>> {
        let aged_80 = born_on_or_before(today, 80);
        let aged_70 = born_on_or_before(today, 70);
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT g.id AS grid_id, \
               (SELECT COUNT(*) FROM buildings b WHERE b.grid_id = g.id) AS buildings, \
               (SELECT COUNT(*) FROM households h JOIN buildings b ON b.id = h.building_id WHERE b.grid_id = g.id) AS households, \
               (SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
                  WHERE b.grid_id = g.id) AS residents, \
               (SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
                  WHERE b.grid_id = g.id AND r.birth_date <= $2) AS aged_80_plus, \
               (SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
                  WHERE b.grid_id = g.id AND r.birth_date <= $3 \
                  AND NOT EXISTS (SELECT 1 FROM residents o WHERE o.household_id = r.household_id AND o.id <> r.id)) AS elderly_living_alone \
             FROM grids g WHERE g.community_id = $1 ORDER BY g.code"
        )
        .bind(community_id)
        .bind(&aged_80)
        .bind(&aged_70)
        .fetch_all(db)
        .await?
        }))
    }

    /// The buildings of a grid with household and resident counts.
    pub async fn buildings_in_grid(&self, grid_id: i64) -> StoreResult<Vec<BuildingSummary>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT b.id, b.grid_id, b.name, b.address, b.floors, b.units, b.lon, b.lat, \
               (SELECT COUNT(*) FROM households h WHERE h.building_id = b.id) AS households, \
               (SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id WHERE h.building_id = b.id) AS residents \
             FROM buildings b WHERE b.grid_id = $1 ORDER BY b.id"
        )
        .bind(grid_id)
        .fetch_all(db)
        .await?
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_cutoffs_include_the_birthday() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(born_on_or_before(today, 80), "1946-11-27");
        let leap = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(born_on_or_before(leap, 1), "2023-02-28");
    }
}

/// Totals for one community, for street overviews.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct CommunityTotals {
    pub community_id: i64,
    pub grids: i64,
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
}

impl Store {
    /// Totals of every community of a street (or of all communities).
    pub async fn community_totals(&self, street_id: Option<i64>) -> StoreResult<Vec<CommunityTotals>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT c.id AS community_id, \
               (SELECT COUNT(*) FROM grids g WHERE g.community_id = c.id) AS grids, \
               (SELECT COUNT(*) FROM buildings b WHERE b.community_id = c.id) AS buildings, \
               (SELECT COUNT(*) FROM households h WHERE h.community_id = c.id) AS households, \
               (SELECT COUNT(*) FROM residents r WHERE r.community_id = c.id) AS residents \
             FROM communities c WHERE ($1 IS NULL OR c.street_id = $1) ORDER BY c.code"
        )
        .bind(street_id)
        .fetch_all(db)
        .await?))
    }

    /// Every building of a community with its position, for the map.
    pub async fn buildings_in_community(&self, community_id: i64) -> StoreResult<Vec<BuildingSummary>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT b.id, b.grid_id, b.name, b.address, b.floors, b.units, b.lon, b.lat, \
               CAST(0 AS BIGINT) AS households, CAST(0 AS BIGINT) AS residents \
             FROM buildings b WHERE b.community_id = $1 ORDER BY b.id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }
}
