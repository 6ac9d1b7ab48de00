//! The community registry: buildings (楼栋), households (户) and residents (居民).
//! This wave keeps the skeleton the demo and the home pages need; the registry issue
//! adds ID numbers and phones (encrypted), owners, care tags and visits. Every write to
//! these tables must run [`BUMP_REGISTRY_VERSION`] for its community in the same
//! transaction, so cached counts stay exact.

use crate::{Store, StoreResult, read};
use serde::Serialize;

/// Counts for one grid, as a grid worker's day starts from them.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
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

/// One building as its page shows it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Building {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub name: String,
    pub address: String,
    pub floors: i64,
    pub units: i64,
    pub lon: f64,
    pub lat: f64,
    /// Placed in its grid by hand rather than by its position.
    pub grid_pinned: bool,
}

/// A building to add, already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBuilding {
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub floors: i64,
    pub units: i64,
    pub grid_id: i64,
    /// Placed in its grid by hand (a grid code in the file) rather than by position.
    pub grid_pinned: bool,
}

/// A building as the export writes it: the import's columns.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BuildingRecord {
    pub name: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
    pub floors: i64,
    pub units: i64,
    /// The grid's code when the building was placed by hand, else empty.
    pub grid_code: String,
}

/// A household's place: its building, unit and room, and the grid it lies in.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct HouseholdPlace {
    pub id: i64,
    pub community_id: i64,
    pub building_id: i64,
    pub building: String,
    pub grid_id: i64,
    pub unit: i64,
    pub room: String,
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

#[derive(sqlx::FromRow)]
struct GridCount {
    grid_id: i64,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct ResidentCounts {
    grid_id: i64,
    residents: i64,
    aged_80_plus: i64,
    elderly_living_alone: i64,
}

/// Totals for one community, for street overviews.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CommunityTotals {
    pub community_id: i64,
    pub grids: i64,
    pub buildings: i64,
    pub households: i64,
    pub residents: i64,
}

/// A resident row ready for `insert_residents!`: plain columns plus the sealed forms.
pub struct ResidentInsert<'a> {
    pub grid_id: Option<i64>,
    pub household_id: i64,
    pub name: &'a str,
    pub gender: &'a str,
    pub birth_date: &'a str,
    pub relation: &'a str,
    pub residence_type: &'a str,
    pub sealed: &'a SealedPerson,
}

/// Inserts [`ResidentInsert`] rows in batches of 200 in a transaction: the one statement
/// that writes residents.
pub(crate) async fn insert_residents(
    tx: &mut crate::Tx,
    community_id: i64,
    rows: &[ResidentInsert<'_>],
) -> crate::StoreResult<()> {
    for chunk in rows.chunks(200) {
        crate::on!(tx, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO residents (community_id, grid_id, household_id, name, gender, birth_date, relation, \
                 residence_type, id_number_enc, id_number_index, id_number_masked, phone_enc, phone_index, \
                 phone_masked, phone_last4, name_initials) ",
            );
            qb.push_values(chunk, |mut row, r| {
                let s = r.sealed;
                row.push_bind(community_id)
                    .push_bind(r.grid_id)
                    .push_bind(r.household_id)
                    .push_bind(r.name.to_owned())
                    .push_bind(r.gender.to_owned())
                    .push_bind(r.birth_date.to_owned())
                    .push_bind(r.relation.to_owned())
                    .push_bind(r.residence_type.to_owned())
                    .push_bind(s.id_number_enc.clone())
                    .push_bind(s.id_number_index.clone())
                    .push_bind(s.id_number_masked.clone())
                    .push_bind(s.phone_enc.clone())
                    .push_bind(s.phone_index.clone())
                    .push_bind(s.phone_masked.clone())
                    .push_bind(s.phone_last4.clone())
                    .push_bind(s.name_initials.clone());
            });
            qb.build().execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(crate::StoreError::on_unique("id_number"))?;
    }
    Ok(())
}

/// Associated-data labels of the sealed resident fields.
pub const FIELD_ID_NUMBER: &str = "resident.id_number";
pub const FIELD_PHONE: &str = "resident.phone";

/// The stored forms of a resident's personal data: sealed, indexed, masked.
#[derive(Debug, Clone, Default)]
pub struct SealedPerson {
    pub id_number_enc: Option<String>,
    pub id_number_index: Option<String>,
    pub id_number_masked: Option<String>,
    pub phone_enc: Option<String>,
    pub phone_index: Option<String>,
    pub phone_masked: Option<String>,
    pub phone_last4: Option<String>,
    pub name_initials: String,
}

/// Pinyin initials of a Chinese name (`张三` → `zs`); other letters and digits are kept,
/// lower-cased. Polyphonic characters take their most common reading.
pub fn name_initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.first_letter().chars().next(),
            None => c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase()),
        })
        .collect()
}

impl Store {
    /// Seals, indexes and masks a resident's ID number and phone, and computes the search
    /// initials of the name: the one way personal data is prepared for storage.
    pub fn seal_person(
        &self,
        name: &str,
        id_number: Option<&linli_domain::person::IdNumber>,
        phone: Option<&linli_domain::identity::Phone>,
    ) -> StoreResult<SealedPerson> {
        let key = self.key();
        let mut out = SealedPerson { name_initials: name_initials(name), ..SealedPerson::default() };
        if let Some(id) = id_number {
            out.id_number_enc = Some(key.seal(FIELD_ID_NUMBER, id.as_str())?);
            out.id_number_index = Some(key.blind_index(FIELD_ID_NUMBER, id.as_str()));
            out.id_number_masked = Some(id.masked());
        }
        if let Some(p) = phone {
            out.phone_enc = Some(key.seal(FIELD_PHONE, p.as_str())?);
            out.phone_index = Some(key.blind_index(FIELD_PHONE, p.as_str()));
            out.phone_masked = Some(p.masked());
            out.phone_last4 = Some(p.as_str()[7..].to_owned());
        }
        Ok(out)
    }
}

/// Statement of the registry-version bump that every registry write runs in its transaction.
pub const BUMP_REGISTRY_VERSION: &str = "UPDATE communities SET registry_version = registry_version + 1 WHERE id = $1";

impl Store {
    /// Per-grid counts for every grid of a community: three grouped queries, cached by
    /// registry version (see `cache.rs`).
    pub async fn grid_summaries(&self, community_id: i64, today: chrono::NaiveDate) -> StoreResult<Vec<GridSummary>> {
        let cache = self.caches().summaries.clone();
        Ok(self
            .cached(&cache, community_id, today, || self.count_grids(community_id, today))
            .await?
            .unwrap_or_default())
    }

    async fn count_grids(&self, community_id: i64, today: chrono::NaiveDate) -> StoreResult<Vec<GridSummary>> {
        let aged_80 = born_on_or_before(today, 80);
        let aged_70 = born_on_or_before(today, 70);
        let (grids, buildings, households, residents): (Vec<i64>, Vec<GridCount>, Vec<GridCount>, Vec<ResidentCounts>) =
            read!(self, |db| {
                let grids = sqlx::query_scalar("SELECT id FROM grids WHERE community_id = $1 ORDER BY code")
                    .bind(community_id)
                    .fetch_all(db)
                    .await?;
                let buildings = sqlx::query_as(
                    "SELECT grid_id, COUNT(*) AS n FROM buildings WHERE community_id = $1 GROUP BY grid_id",
                )
                .bind(community_id)
                .fetch_all(db)
                .await?;
                let households = sqlx::query_as(
                    "SELECT b.grid_id, COUNT(*) AS n FROM households h JOIN buildings b ON b.id = h.building_id \
                     WHERE h.community_id = $1 GROUP BY b.grid_id",
                )
                .bind(community_id)
                .fetch_all(db)
                .await?;
                // One pass over the community's residents: household sizes first, then the
                // bands, by the grid kept on each resident row.
                let residents = sqlx::query_as(
                    "SELECT r.grid_id, COUNT(*) AS residents, \
                       SUM(CASE WHEN r.birth_date <= $2 THEN 1 ELSE 0 END) AS aged_80_plus, \
                       SUM(CASE WHEN r.birth_date <= $3 AND m.n = 1 THEN 1 ELSE 0 END) AS elderly_living_alone \
                     FROM residents r \
                     JOIN (SELECT household_id, COUNT(*) AS n FROM residents \
                           WHERE community_id = $1 AND moved_out_on IS NULL GROUP BY household_id) m \
                       ON m.household_id = r.household_id \
                     WHERE r.community_id = $1 AND r.moved_out_on IS NULL GROUP BY r.grid_id",
                )
                .bind(community_id)
                .bind(&aged_80)
                .bind(&aged_70)
                .fetch_all(db)
                .await?;
                (grids, buildings, households, residents)
            });
        let count = |rows: &[GridCount], grid: i64| rows.iter().find(|r| r.grid_id == grid).map_or(0, |r| r.n);
        Ok(grids
            .into_iter()
            .map(|grid_id| {
                let r = residents.iter().find(|r| r.grid_id == grid_id);
                GridSummary {
                    grid_id,
                    buildings: count(&buildings, grid_id),
                    households: count(&households, grid_id),
                    residents: r.map_or(0, |r| r.residents),
                    aged_80_plus: r.map_or(0, |r| r.aged_80_plus),
                    elderly_living_alone: r.map_or(0, |r| r.elderly_living_alone),
                }
            })
            .collect())
    }

    /// The buildings of a grid with household and resident counts. Per-building index
    /// lookups (households by building, residents by household) suit both backends once
    /// the planner has statistics; see `Store::analyze`.
    pub async fn buildings_in_grid(&self, grid_id: i64) -> StoreResult<Vec<BuildingSummary>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT b.id, b.grid_id, b.name, b.address, b.floors, b.units, b.lon, b.lat, \
               (SELECT COUNT(*) FROM households h WHERE h.building_id = b.id) AS households, \
               (SELECT COUNT(*) FROM households h JOIN residents r ON r.household_id = h.id \
                  WHERE h.building_id = b.id AND r.moved_out_on IS NULL) AS residents \
             FROM buildings b WHERE b.grid_id = $1 ORDER BY b.id"
        )
        .bind(grid_id)
        .fetch_all(db)
        .await?))
    }

    /// Totals of every community of a street (or of all communities).
    pub async fn community_totals(&self, street_id: Option<i64>) -> StoreResult<Vec<CommunityTotals>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT c.id AS community_id, \
               (SELECT COUNT(*) FROM grids g WHERE g.community_id = c.id) AS grids, \
               (SELECT COUNT(*) FROM buildings b WHERE b.community_id = c.id) AS buildings, \
               (SELECT COUNT(*) FROM households h WHERE h.community_id = c.id) AS households, \
               (SELECT COUNT(*) FROM residents r WHERE r.community_id = c.id AND r.moved_out_on IS NULL) AS residents \
             FROM communities c WHERE ($1 IS NULL OR c.street_id = $1) ORDER BY c.code"
        )
        .bind(street_id)
        .fetch_all(db)
        .await?))
    }

    /// Adds buildings, all or nothing.
    pub async fn insert_buildings(&self, community_id: i64, rows: &[NewBuilding]) -> StoreResult<u64> {
        crate::transaction!(self, |tx| {
            for chunk in rows.chunks(200) {
                crate::on!(tx, |c| {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO buildings (community_id, grid_id, name, address, lon, lat, floors, units, grid_pinned) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(community_id)
                            .push_bind(r.grid_id)
                            .push_bind(r.name.clone())
                            .push_bind(r.address.clone())
                            .push_bind(r.lon)
                            .push_bind(r.lat)
                            .push_bind(r.floors)
                            .push_bind(r.units)
                            .push_bind(r.grid_pinned);
                    });
                    qb.build().execute(c).await.map(|r| r.rows_affected())
                }).map_err(crate::StoreError::on_unique("name"))?;
            }
            crate::exec!(tx, sqlx::query(BUMP_REGISTRY_VERSION).bind(community_id))?;
            rows.len() as u64
        })
    }

    /// Every building of a community in the import's columns.
    pub async fn building_records(&self, community_id: i64) -> StoreResult<Vec<BuildingRecord>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT b.name, b.address, b.lon, b.lat, b.floors, b.units, \
               CASE WHEN b.grid_pinned THEN g.code ELSE '' END AS grid_code \
             FROM buildings b JOIN grids g ON g.id = b.grid_id WHERE b.community_id = $1 ORDER BY b.id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    pub async fn building(&self, id: i64) -> StoreResult<Building> {
        read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, grid_id, name, address, floors, units, lon, lat, grid_pinned FROM buildings WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(db)
        .await?)
        .ok_or(crate::StoreError::NotFound)
    }

    pub async fn household(&self, id: i64) -> StoreResult<HouseholdPlace> {
        read!(self, |db| sqlx::query_as(
            "SELECT h.id, h.community_id, h.building_id, b.name AS building, b.grid_id, h.unit, h.room \
             FROM households h JOIN buildings b ON b.id = h.building_id WHERE h.id = $1"
        )
        .bind(id)
        .fetch_optional(db)
        .await?)
        .ok_or(crate::StoreError::NotFound)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_follow_pinyin() {
        assert_eq!(name_initials("张三"), "zs");
        assert_eq!(name_initials("欧阳娜娜"), "oynn");
        assert_eq!(name_initials("Li 明"), "lim");
    }

    #[test]
    fn age_cutoffs_include_the_birthday() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(born_on_or_before(today, 80), "1946-11-27");
        let leap = chrono::NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(born_on_or_before(leap, 1), "2023-02-28");
    }
}
