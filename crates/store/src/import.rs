//! Bulk registry writes: residents imported from a checked file, in one transaction, and
//! the sealed batches that wait between the check and the commit.

use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::identity::Phone;
use linli_domain::person::IdNumber;
use std::collections::{HashMap, HashSet};

/// One resident to add, already validated.
#[derive(Debug, Clone)]
pub struct NewResident {
    pub building_id: i64,
    pub unit: i64,
    pub room: String,
    pub name: String,
    pub gender: &'static str,
    pub birth_date: String,
    pub relation: &'static str,
    pub residence_type: &'static str,
    pub id_number: Option<IdNumber>,
    pub phone: Option<Phone>,
}

const BATCH_FIELD: &str = "import.batch";

impl Store {
    /// Building names of a community and their ids.
    pub async fn building_ids(&self, community_id: i64) -> StoreResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> =
            read!(self, |db| sqlx::query_as("SELECT name, id FROM buildings WHERE community_id = $1")
                .bind(community_id)
                .fetch_all(db)
                .await?);
        Ok(rows.into_iter().collect())
    }

    /// The blind indexes of the ID numbers already registered in a community.
    pub async fn registered_id_numbers(&self, community_id: i64) -> StoreResult<HashSet<String>> {
        let rows: Vec<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT id_number_index FROM residents WHERE community_id = $1 AND id_number_index IS NOT NULL"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?);
        Ok(rows.into_iter().collect())
    }

    /// Adds residents, and the households they live in when new, all or nothing.
    pub async fn import_residents(&self, community_id: i64, rows: &[NewResident]) -> StoreResult<u64> {
        let sealed = rows
            .iter()
            .map(|r| self.seal_person(&r.name, r.id_number.as_ref(), r.phone.as_ref()))
            .collect::<StoreResult<Vec<_>>>()?;
        let written = transaction!(self, |tx| {
            let existing: Vec<(i64, i64, String, i64)> = crate::on!(tx, |c| sqlx::query_as(
                "SELECT building_id, unit, room, id FROM households WHERE community_id = $1"
            )
            .bind(community_id)
            .fetch_all(c)
            .await)?;
            let mut households: HashMap<(i64, i64, String), i64> =
                existing.into_iter().map(|(b, u, r, id)| ((b, u, r), id)).collect();
            let grids: HashMap<i64, i64> = crate::on!(tx, |c| sqlx::query_as::<_, (i64, i64)>(
                "SELECT id, grid_id FROM buildings WHERE community_id = $1"
            )
            .bind(community_id)
            .fetch_all(c)
            .await)?
            .into_iter()
            .collect();
            for r in rows {
                let key = (r.building_id, r.unit, r.room.clone());
                if let std::collections::hash_map::Entry::Vacant(slot) = households.entry(key) {
                    let id: i64 = crate::on!(tx, |c| {
                        sqlx::query_scalar(
                        "INSERT INTO households (community_id, building_id, unit, room) VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(community_id)
                    .bind(r.building_id)
                    .bind(r.unit)
                    .bind(&r.room)
                    .fetch_one(c)
                    .await
                    })?;
                    slot.insert(id);
                }
            }
            let inserts: Vec<crate::registry::ResidentInsert<'_>> = rows
                .iter()
                .zip(&sealed)
                .map(|(r, s)| crate::registry::ResidentInsert {
                    grid_id: grids.get(&r.building_id).copied(),
                    household_id: households.get(&(r.building_id, r.unit, r.room.clone())).copied().unwrap_or_default(),
                    name: &r.name,
                    gender: r.gender,
                    birth_date: &r.birth_date,
                    relation: r.relation,
                    residence_type: r.residence_type,
                    sealed: s,
                })
                .collect();
            crate::registry::insert_residents(tx, community_id, &inserts).await?;
            crate::exec!(tx, sqlx::query(crate::registry::BUMP_REGISTRY_VERSION).bind(community_id))?;
            rows.len() as u64
        })?;
        // A bulk load changes the shape of the data: give the planner fresh statistics.
        if rows.len() >= 1000 {
            self.analyze().await?;
        }
        Ok(written)
    }

    /// Keeps a checked file, sealed, until its commit.
    pub async fn save_import_batch(
        &self,
        community_id: i64,
        account_id: i64,
        kind: &str,
        content: &str,
        rows: i64,
    ) -> StoreResult<i64> {
        let sealed = self.key().seal(BATCH_FIELD, content)?;
        let now = now_ms();
        transaction!(self, |tx| {
            // Batches older than a day are abandoned checks: sweep them.
            crate::exec!(tx, sqlx::query("DELETE FROM import_batches WHERE created_at < $1").bind(now - 86_400_000))?;
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO import_batches (community_id, account_id, kind, content_enc, rows, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(community_id)
            .bind(account_id)
            .bind(kind)
            .bind(&sealed)
            .bind(rows)
            .bind(now)
            .fetch_one(c)
            .await)?
        })
    }

    /// The content of a batch checked by this account in this community.
    pub async fn import_batch(&self, id: i64, community_id: i64, account_id: i64) -> StoreResult<String> {
        let sealed: Option<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT content_enc FROM import_batches WHERE id = $1 AND community_id = $2 AND account_id = $3"
        )
        .bind(id)
        .bind(community_id)
        .bind(account_id)
        .fetch_optional(db)
        .await?);
        self.key().open(BATCH_FIELD, &sealed.ok_or(StoreError::NotFound)?)
    }

    pub async fn delete_import_batch(&self, id: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(tx, sqlx::query("DELETE FROM import_batches WHERE id = $1").bind(id))?;
        })
    }

    /// Full ID numbers and phones of residents, for an export meant to be imported again.
    /// The caller records the export.
    pub async fn full_personal_data(
        &self,
        community_id: i64,
    ) -> StoreResult<HashMap<i64, (Option<String>, Option<String>)>> {
        let rows: Vec<(i64, Option<String>, Option<String>)> = read!(self, |db| sqlx::query_as(
            "SELECT id, id_number_enc, phone_enc FROM residents WHERE community_id = $1"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?);
        let key = self.key();
        rows.into_iter()
            .map(|(id, n, p)| {
                let n = n.map(|v| key.open(crate::registry::FIELD_ID_NUMBER, &v)).transpose()?;
                let p = p.map(|v| key.open(crate::registry::FIELD_PHONE, &v)).transpose()?;
                Ok((id, (n, p)))
            })
            .collect()
    }
}
