//! Care tags and visits (走访): who needs a visit, who went, and whose visit is overdue.

use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::care::{CareTag, next_visit_due};
use serde::Serialize;

const NOTES_FIELD: &str = "visit.notes";

/// A visit to record.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub resident_id: i64,
    pub account_id: i64,
    pub visited_on: chrono::NaiveDate,
    /// home (入户), phone (电话), other.
    pub kind: &'static str,
    pub notes: String,
    pub follow_up: bool,
}

/// A visit as shown, notes opened.
#[derive(Debug, Clone, Serialize)]
pub struct Visit {
    pub id: i64,
    pub visited_on: String,
    pub kind: String,
    pub by: Option<String>,
    pub notes: String,
    pub follow_up: bool,
}

/// A resident whose care plan asks for a visit that has not happened.
#[derive(Debug, Clone, Serialize)]
pub struct OverdueVisit {
    pub resident_id: i64,
    pub grid_id: i64,
    pub name: String,
    pub building: String,
    pub room: String,
    pub tags: Vec<String>,
    pub last_visit: Option<String>,
    pub due: String,
    pub days_overdue: i64,
}

#[derive(sqlx::FromRow)]
struct VisitRow {
    id: i64,
    visited_on: String,
    kind: String,
    by: Option<String>,
    notes_enc: Option<String>,
    follow_up: bool,
}

#[derive(sqlx::FromRow)]
struct TaggedRow {
    resident_id: i64,
    grid_id: i64,
    name: String,
    building: String,
    room: String,
    tag: String,
    tagged_at: i64,
    last_visit: Option<String>,
}

/// Bumps the registry version of a resident's community (tags and visits change the
/// overdue list), on either backend's open transaction.
async fn bump_for_resident(tx: &mut crate::Tx, resident_id: i64) -> StoreResult<()> {
    crate::exec!(
        tx,
        sqlx::query(
            "UPDATE communities SET registry_version = registry_version + 1 \
         WHERE id = (SELECT community_id FROM residents WHERE id = $1)",
        )
        .bind(resident_id)
    )?;
    Ok(())
}

impl Store {
    pub async fn care_tags(&self, resident_id: i64) -> StoreResult<Vec<String>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT tag FROM care_tags WHERE resident_id = $1 ORDER BY id")
            .bind(resident_id)
            .fetch_all(db)
            .await?))
    }

    pub async fn add_care_tag(&self, resident_id: i64, tag: CareTag) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO care_tags (community_id, resident_id, tag, created_at) \
                 SELECT community_id, id, $2, $3 FROM residents WHERE id = $1 ON CONFLICT (resident_id, tag) DO NOTHING",
            )
            .bind(resident_id)
            .bind(tag.as_str())
            .bind(now_ms())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            bump_for_resident(tx, resident_id).await?;
        })
    }

    pub async fn remove_care_tag(&self, resident_id: i64, tag: CareTag) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("DELETE FROM care_tags WHERE resident_id = $1 AND tag = $2")
                    .bind(resident_id)
                    .bind(tag.as_str())
            )?;
            bump_for_resident(tx, resident_id).await?;
        })
    }

    /// Records a visit, notes sealed; the visit belongs to the resident's grid.
    pub async fn record_visit(&self, v: &NewVisit) -> StoreResult<i64> {
        let notes = if v.notes.trim().is_empty() { None } else { Some(self.key().seal(NOTES_FIELD, v.notes.trim())?) };
        transaction!(self, |tx| {
            let id: Option<i64> = crate::on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO visits (community_id, grid_id, resident_id, account_id, visited_on, kind, notes_enc, follow_up, created_at) \
                 SELECT community_id, grid_id, id, $2, $3, $4, $5, $6, $7 FROM residents WHERE id = $1 RETURNING id",
            )
            .bind(v.resident_id)
            .bind(v.account_id)
            .bind(v.visited_on.format("%Y-%m-%d").to_string())
            .bind(v.kind)
            .bind(&notes)
            .bind(v.follow_up)
            .bind(now_ms())
            .fetch_optional(c)
            .await
            })?;
            let id = id.ok_or(StoreError::NotFound)?;
            bump_for_resident(tx, v.resident_id).await?;
            id
        })
    }

    pub async fn visits_of(&self, resident_id: i64, limit: i64) -> StoreResult<Vec<Visit>> {
        let rows: Vec<VisitRow> = read!(self, |db| {
            sqlx::query_as(
            "SELECT v.id, v.visited_on, v.kind, a.display_name AS by, v.notes_enc, v.follow_up FROM visits v \
             LEFT JOIN accounts a ON a.id = v.account_id WHERE v.resident_id = $1 ORDER BY v.visited_on DESC, v.id DESC LIMIT $2"
        )
        .bind(resident_id)
        .bind(limit)
        .fetch_all(db)
        .await?
        });
        rows.into_iter()
            .map(|VisitRow { id, visited_on, kind, by, notes_enc, follow_up }| {
                let notes = notes_enc.map(|n| self.key().open(NOTES_FIELD, &n)).transpose()?.unwrap_or_default();
                Ok(Visit { id, visited_on, kind, by, notes, follow_up })
            })
            .collect()
    }

    /// Tagged residents whose next visit is due before `today`, most overdue first, in
    /// the whole community or the given grids. Cached by registry version: tags and
    /// visits bump it.
    pub async fn overdue_visits(
        &self,
        community_id: i64,
        grid_ids: Option<&[i64]>,
        today: chrono::NaiveDate,
    ) -> StoreResult<Vec<OverdueVisit>> {
        let cache = self.caches().overdue.clone();
        let all = self
            .cached(&cache, community_id, today, || self.compute_overdue(community_id, today))
            .await?
            .unwrap_or_default();
        Ok(all.into_iter().filter(|o| grid_ids.is_none_or(|g| g.contains(&o.grid_id))).collect())
    }

    async fn compute_overdue(&self, community_id: i64, today: chrono::NaiveDate) -> StoreResult<Vec<OverdueVisit>> {
        let rows: Vec<TaggedRow> = read!(self, |db| {
            sqlx::query_as(
            "SELECT r.id AS resident_id, r.grid_id, r.name, b.name AS building, h.room, t.tag, t.created_at AS tagged_at, \
               (SELECT MAX(v.visited_on) FROM visits v WHERE v.resident_id = r.id) AS last_visit \
             FROM care_tags t JOIN residents r ON r.id = t.resident_id JOIN households h ON h.id = r.household_id \
             JOIN buildings b ON b.id = h.building_id WHERE t.community_id = $1 AND r.moved_out_on IS NULL ORDER BY r.id, t.id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?
        });
        let mut out: Vec<OverdueVisit> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let id = rows[i].resident_id;
            let group: Vec<&TaggedRow> = rows[i..].iter().take_while(|r| r.resident_id == id).collect();
            i += group.len();
            let tags: Vec<CareTag> = group.iter().filter_map(|r| CareTag::parse(&r.tag)).collect();
            let first = &group[0];
            let tagged = group.iter().map(|r| r.tagged_at).min().unwrap_or_default();
            let since = first
                .last_visit
                .as_deref()
                .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .or_else(|| Some(linli_domain::worktime::china_date(tagged)));
            let Some(due) = since.and_then(|s| next_visit_due(&tags, s)) else { continue };
            if due < today {
                out.push(OverdueVisit {
                    resident_id: id,
                    grid_id: first.grid_id,
                    name: first.name.clone(),
                    building: first.building.clone(),
                    room: first.room.clone(),
                    tags: tags.iter().map(|t| t.as_str().to_owned()).collect(),
                    last_visit: first.last_visit.clone(),
                    due: due.format("%Y-%m-%d").to_string(),
                    days_overdue: (today - due).num_days(),
                });
            }
        }
        out.sort_by(|a, b| b.days_overdue.cmp(&a.days_overdue).then(a.resident_id.cmp(&b.resident_id)));
        Ok(out)
    }
}
