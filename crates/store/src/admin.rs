//! The administrative tree (districts, streets, communities, grids), grid-worker duty,
//! and the parties (organisations) of each community.

use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::admin::OrganisationKind;
use serde::Serialize;

/// A community (社区) with its place in the tree.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Community {
    pub id: i64,
    pub street_id: i64,
    /// 12-digit code: district (6) + street (3) + community (3).
    pub code: String,
    pub name: String,
    pub address: String,
    pub street_name: String,
    pub district_name: String,
}

/// A street (街道) and how many communities it has.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Street {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub district_name: String,
    pub communities: i64,
}

/// A grid (网格) of a community.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Grid {
    pub id: i64,
    pub community_id: i64,
    /// 15-digit unit-grid code.
    pub code: String,
    pub name: String,
    /// The boundary as a GeoJSON Polygon geometry, if drawn.
    #[serde(skip)]
    pub boundary: Option<String>,
}

/// A grid worker on duty in a grid.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct GridWorker {
    pub grid_id: i64,
    pub account_id: i64,
    pub display_name: String,
    /// `worker` (专职网格员) or `deputy`.
    pub duty: String,
}

/// A party of the community's joint mechanism.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Organisation {
    pub id: i64,
    pub community_id: i64,
    /// party_branch, residents_committee, owners_committee, property_company or social_organisation.
    pub kind: String,
    pub name: String,
    pub contact: String,
}

const COMMUNITY_SELECT: &str = "SELECT c.id, c.street_id, c.code, c.name, c.address, s.name AS street_name, d.name AS district_name \
     FROM communities c JOIN streets s ON s.id = c.street_id JOIN districts d ON d.id = s.district_id";

impl Store {
    pub async fn insert_district(&self, code: &str, name: &str) -> StoreResult<i64> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar("INSERT INTO districts (code, name) VALUES ($1, $2) RETURNING id")
                .bind(code)
                .bind(name)
                .fetch_one(c)
                .await)
            .map_err(StoreError::on_unique("code"))?
        })
    }

    pub async fn insert_street(&self, district_id: i64, code: &str, name: &str) -> StoreResult<i64> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO streets (district_id, code, name) VALUES ($1, $2, $3) RETURNING id"
            )
            .bind(district_id)
            .bind(code)
            .bind(name)
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("code"))?
        })
    }

    pub async fn insert_community(&self, street_id: i64, code: &str, name: &str, address: &str) -> StoreResult<i64> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO communities (street_id, code, name, address, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(street_id)
            .bind(code)
            .bind(name)
            .bind(address)
            .bind(now_ms())
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("code"))?
        })
    }

    pub async fn insert_grid(
        &self,
        community_id: i64,
        code: &str,
        name: &str,
        boundary: Option<&str>,
    ) -> StoreResult<i64> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO grids (community_id, code, name, boundary) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(community_id)
            .bind(code)
            .bind(name)
            .bind(boundary)
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("code"))?
        })
    }

    pub async fn insert_organisation(
        &self,
        community_id: i64,
        kind: OrganisationKind,
        name: &str,
        contact: &str,
    ) -> StoreResult<i64> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO organisations (community_id, kind, name, contact, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(community_id)
            .bind(kind.as_str())
            .bind(name)
            .bind(contact)
            .bind(now_ms())
            .fetch_one(c)
            .await)
            .map_err(StoreError::on_unique("name"))?
        })
    }

    /// Puts a worker on duty in a grid (`worker` or `deputy`).
    pub async fn assign_grid_worker(&self, grid_id: i64, account_id: i64, duty: &str) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO grid_workers (community_id, grid_id, account_id, duty) \
                 SELECT community_id, id, $2, $3 FROM grids WHERE id = $1 \
                 ON CONFLICT (grid_id, account_id) DO UPDATE SET duty = excluded.duty",
                )
                .bind(grid_id)
                .bind(account_id)
                .bind(duty)
            )?;
        })
    }

    /// Takes a worker off duty in a grid.
    pub async fn remove_grid_worker(&self, grid_id: i64, account_id: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            let gone = crate::exec!(
                tx,
                sqlx::query("DELETE FROM grid_workers WHERE grid_id = $1 AND account_id = $2")
                    .bind(grid_id)
                    .bind(account_id)
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    /// The enabled grid-worker accounts of a community, who may be put on duty.
    pub async fn grid_worker_accounts(&self, community_id: i64) -> StoreResult<Vec<(i64, String)>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT a.id, a.display_name FROM accounts a JOIN role_assignments r ON r.account_id = a.id \
             WHERE r.role = 'grid_worker' AND r.community_id = $1 AND NOT a.disabled ORDER BY a.id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    pub async fn community(&self, id: i64) -> StoreResult<Community> {
        let sql = format!("{COMMUNITY_SELECT} WHERE c.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    pub async fn community_by_code(&self, code: &str) -> StoreResult<Community> {
        let sql = format!("{COMMUNITY_SELECT} WHERE c.code = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(code).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// All communities, or those of one street, by code.
    pub async fn communities(&self, street_id: Option<i64>) -> StoreResult<Vec<Community>> {
        let sql = format!("{COMMUNITY_SELECT} WHERE ($1 IS NULL OR c.street_id = $1) ORDER BY c.code");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(street_id).fetch_all(db).await?))
    }

    pub async fn street(&self, id: i64) -> StoreResult<Street> {
        read!(self, |db| sqlx::query_as(
            "SELECT s.id, s.code, s.name, d.name AS district_name, \
             (SELECT COUNT(*) FROM communities c WHERE c.street_id = s.id) AS communities \
             FROM streets s JOIN districts d ON d.id = s.district_id WHERE s.id = $1"
        )
        .bind(id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)
    }

    pub async fn streets(&self) -> StoreResult<Vec<Street>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT s.id, s.code, s.name, d.name AS district_name, \
             (SELECT COUNT(*) FROM communities c WHERE c.street_id = s.id) AS communities \
             FROM streets s JOIN districts d ON d.id = s.district_id ORDER BY s.code"
        )
        .fetch_all(db)
        .await?))
    }

    pub async fn grids(&self, community_id: i64) -> StoreResult<Vec<Grid>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, code, name, boundary FROM grids WHERE community_id = $1 ORDER BY code"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    pub async fn grid(&self, id: i64) -> StoreResult<Grid> {
        read!(self, |db| sqlx::query_as("SELECT id, community_id, code, name, boundary FROM grids WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    /// Workers on duty in the grids of a community.
    pub async fn grid_workers(&self, community_id: i64) -> StoreResult<Vec<GridWorker>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT gw.grid_id, gw.account_id, a.display_name, gw.duty FROM grid_workers gw \
             JOIN accounts a ON a.id = gw.account_id WHERE gw.community_id = $1 ORDER BY gw.grid_id, gw.duty DESC"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    pub async fn organisation(&self, id: i64) -> StoreResult<Organisation> {
        read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, kind, name, contact FROM organisations WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)
    }

    pub async fn organisations(&self, community_id: i64) -> StoreResult<Vec<Organisation>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, community_id, kind, name, contact FROM organisations WHERE community_id = $1 ORDER BY id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }
}

/// A building's position, for placing it in a grid.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BuildingPlace {
    pub id: i64,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
    pub grid_id: i64,
    /// Placed by hand: boundary imports leave it where it is.
    pub grid_pinned: bool,
}

impl Store {
    pub async fn building_places(&self, community_id: i64) -> StoreResult<Vec<BuildingPlace>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, name, lon, lat, grid_id, grid_pinned FROM buildings WHERE community_id = $1 ORDER BY id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    /// Writes new grid boundaries (updating grids by code, adding new ones) and moves
    /// buildings, their residents' grid, all in one transaction. `placements` pairs a
    /// building id with its grid's code. Returns how many buildings changed grid.
    pub async fn apply_grid_shapes(
        &self,
        community_id: i64,
        grids: &[(String, String, String)],
        placements: &[(i64, String)],
    ) -> StoreResult<u64> {
        transaction!(self, |tx| {
            for (code, name, geometry) in grids {
                crate::exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO grids (community_id, code, name, boundary) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (code) DO UPDATE SET name = excluded.name, boundary = excluded.boundary",
                    )
                    .bind(community_id)
                    .bind(code)
                    .bind(name)
                    .bind(geometry)
                )?;
            }
            let mut moved = 0;
            for (building, code) in placements {
                moved +=
                    crate::exec!(tx, sqlx::query(
                    "UPDATE buildings SET grid_id = (SELECT id FROM grids WHERE code = $1 AND community_id = $2) \
                     WHERE id = $3 AND community_id = $2 AND NOT grid_pinned \
                       AND grid_id <> (SELECT id FROM grids WHERE code = $1 AND community_id = $2)",
                )
                .bind(code)
                .bind(community_id)
                .bind(building))?;
            }
            if moved > 0 {
                crate::on!(tx, |c| {
                    sqlx::query(
                    "UPDATE residents SET grid_id = (SELECT b.grid_id FROM households h JOIN buildings b ON b.id = h.building_id \
                     WHERE h.id = residents.household_id) WHERE community_id = $1",
                )
                .bind(community_id)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
            }
            crate::exec!(tx, sqlx::query(crate::registry::BUMP_REGISTRY_VERSION).bind(community_id))?;
            moved
        })
    }

    /// Places a building in a grid by hand (`pinned`), or back where its position puts
    /// it, moving its residents' grid with it, in one transaction.
    pub async fn place_building(&self, building_id: i64, grid_id: i64, pinned: bool) -> StoreResult<()> {
        transaction!(self, |tx| {
            let community: Option<i64> = crate::on!(tx, |c| sqlx::query_scalar(
                "UPDATE buildings SET grid_id = $2, grid_pinned = $3 WHERE id = $1 \
                 AND community_id = (SELECT community_id FROM grids WHERE id = $2) RETURNING community_id",
            )
            .bind(building_id)
            .bind(grid_id)
            .bind(pinned)
            .fetch_optional(c)
            .await)?;
            let community = community.ok_or(StoreError::NotFound)?;
            crate::on!(tx, |c| {
                sqlx::query(
                "UPDATE residents SET grid_id = $2 WHERE household_id IN (SELECT id FROM households WHERE building_id = $1)",
            )
            .bind(building_id)
            .bind(grid_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            crate::exec!(tx, sqlx::query(crate::registry::BUMP_REGISTRY_VERSION).bind(community))?;
        })
    }
}
