//! Announcements with read receipts. Publishing writes, in one transaction, the notice, a
//! receipt for every person it reaches (each adult resident of record in the places it
//! targets, with their verified account if they have one and their grid; or each account
//! holding a targeted role), an inbox row for every account among them and an outbox row
//! for the webhook: a few set-based statements, however many people it reaches. Opening it
//! marks one's receipt read; a grid worker marks a resident without a phone told in person.

use crate::notifications::{Link, tell};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::Role;
use linli_domain::announcement::Audience;

/// A checked announcement.
#[derive(Debug, Clone)]
pub struct NewAnnouncement {
    pub community_id: i64,
    pub title: String,
    pub body: String,
    pub important: bool,
    pub pinned: bool,
    /// The last day it shows, `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    pub audience: Audience,
    /// Grid or building ids, for those audiences.
    pub places: Vec<i64>,
    /// Roles, for a role audience.
    pub roles: Vec<Role>,
    pub by: i64,
}

/// An announcement as lists and pages show it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Announcement {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub body: String,
    pub important: bool,
    pub pinned: bool,
    pub expires_on: Option<String>,
    #[sqlx(try_from = "String")]
    pub audience: Audience,
    pub recipients: i64,
    pub published_at: i64,
}

/// How far an announcement has reached in one grid (no grid: people reached by role).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridReceipts {
    pub grid_id: Option<i64>,
    pub grid_name: Option<String>,
    pub total: i64,
    pub read: i64,
    pub told: i64,
}

/// A person who has not read it yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unread {
    pub receipt_id: i64,
    pub name: String,
    pub building: Option<String>,
    pub room: Option<String>,
    pub has_account: bool,
    pub told_at: Option<i64>,
}

const COLUMNS: &str = "a.id, a.community_id, a.title, a.body, a.important, a.pinned, a.expires_on, a.audience, a.recipients, a.published_at";

impl Store {
    /// Publishes an announcement and writes everyone's receipt, inbox row and outbox row in
    /// one transaction; returns its id and how many people it reaches.
    pub async fn publish_announcement(&self, new: &NewAnnouncement) -> StoreResult<(i64, i64)> {
        let now = crate::now_ms();
        let adult_born_by = crate::audience::adult_born_by();
        let targets = crate::audience::targets(new.audience, &new.places, &new.roles);
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO announcements (community_id, title, body, important, pinned, expires_on, audience, targets, \
                     created_by, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(new.community_id)
                .bind(&new.title)
                .bind(&new.body)
                .bind(new.important)
                .bind(new.pinned)
                .bind(&new.expires_on)
                .bind(new.audience.as_str())
                .bind(&targets)
                .bind(new.by)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            let reached = crate::audience::reached(new.audience);
            exec!(
                tx,
                sqlx::query(&format!(
                    "INSERT INTO announcement_receipts (announcement_id, resident_id, account_id, grid_id) \
                     SELECT $1, p.resident_id, p.account_id, p.grid_id FROM ({reached}) p"
                ))
                .bind(id)
                .bind(new.community_id)
                .bind(&adult_born_by)
                .bind(&targets)
            )?;
            let reached: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "UPDATE announcements SET recipients = (SELECT COUNT(*) FROM announcement_receipts WHERE announcement_id = $1) \
                     WHERE id = $1 RETURNING recipients",
                )
                .bind(id)
                .fetch_one(c)
                .await
            })?;
            let accounts =
                "SELECT account_id FROM announcement_receipts WHERE announcement_id = $1 AND account_id IS NOT NULL";
            let kind = if new.important { "announcement_important" } else { "announcement" };
            tell(tx, Link::Announcement(id), new.community_id, kind, &new.title, accounts, now).await?;
            let event = crate::audit::Event {
                account_id: Some(new.by),
                community_id: Some(new.community_id),
                action: "announcement.published",
                detail: &format!("#{id} {reached}"),
                subject_resident_id: None,
            };
            crate::audit::in_tx(tx, event, now).await?;
            (id, reached)
        })
    }

    /// What `account_id` sees of the community's announcements: everyone's, those addressed
    /// to them, or (`all`, for staff) every one; pinned first, then newest; not past their
    /// last day.
    pub async fn announcements(&self, community_id: i64, account_id: i64, all: bool) -> StoreResult<Vec<Announcement>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM announcements a WHERE a.community_id = $1 \
             AND ($3 OR a.audience = 'community' OR EXISTS (SELECT 1 FROM announcement_receipts x \
                  WHERE x.announcement_id = a.id AND x.account_id = $2)) \
             AND ($3 OR a.expires_on IS NULL OR a.expires_on >= $4) \
             ORDER BY a.pinned DESC, a.published_at DESC LIMIT 200"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql)
            .bind(community_id)
            .bind(account_id)
            .bind(all)
            .bind(crate::today().to_string())
            .fetch_all(db)
            .await?))
    }

    pub async fn announcement(&self, id: i64) -> StoreResult<Announcement> {
        let sql = format!("SELECT {COLUMNS} FROM announcements a WHERE a.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// Whether `account_id` has a receipt for it (it was addressed to them).
    pub async fn addressed_to(&self, id: i64, account_id: i64) -> StoreResult<bool> {
        let n: i64 = read!(self, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM announcement_receipts WHERE announcement_id = $1 AND account_id = $2"
        )
        .bind(id)
        .bind(account_id)
        .fetch_one(db)
        .await?);
        Ok(n > 0)
    }

    /// Marks `account_id`'s receipt read (the first time it opens the notice).
    pub async fn read_announcement(&self, id: i64, account_id: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query(
                    "UPDATE announcement_receipts SET read_at = $1 WHERE announcement_id = $2 AND account_id = $3 AND read_at IS NULL"
                )
                .bind(now)
                .bind(id)
                .bind(account_id)
            )?;
        })
    }

    /// Receipts by grid (people reached by role last), limited to `grids` when given.
    pub async fn receipts_by_grid(&self, id: i64, grids: Option<&[i64]>) -> StoreResult<Vec<GridReceipts>> {
        let rows: Vec<GridReceipts> = read!(self, |db| sqlx::query_as(
            "SELECT x.grid_id, g.name AS grid_name, COUNT(*) AS total, COUNT(x.read_at) AS read, \
             COUNT(CASE WHEN x.read_at IS NULL THEN x.told_at END) AS told \
             FROM announcement_receipts x LEFT JOIN grids g ON g.id = x.grid_id WHERE x.announcement_id = $1 \
             GROUP BY x.grid_id, g.name ORDER BY x.grid_id IS NULL, g.name"
        )
        .bind(id)
        .fetch_all(db)
        .await?);
        Ok(rows.into_iter().filter(|r| grids.is_none_or(|g| r.grid_id.is_some_and(|id| g.contains(&id)))).collect())
    }

    /// Who in `grid_id` has not read it, a page at a time, those not yet told first.
    pub async fn unread_in_grid(&self, id: i64, grid_id: i64, limit: i64, offset: i64) -> StoreResult<Vec<Unread>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT x.id AS receipt_id, r.name, b.name AS building, h.room, x.account_id IS NOT NULL AS has_account, x.told_at \
             FROM announcement_receipts x JOIN residents r ON r.id = x.resident_id \
             JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
             WHERE x.announcement_id = $1 AND x.grid_id = $2 AND x.read_at IS NULL \
             ORDER BY x.told_at IS NOT NULL, x.account_id IS NOT NULL, b.name, h.room, x.id LIMIT $3 OFFSET $4"
        )
        .bind(id)
        .bind(grid_id)
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?
        }))
    }

    /// A grid worker marks a resident of `grid_id` told in person; once, and only while unread.
    pub async fn tell_in_person(&self, id: i64, grid_id: i64, receipt_id: i64, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE announcement_receipts SET told_at = $1, told_by = $2 WHERE id = $3 AND announcement_id = $4 \
                     AND grid_id = $5 AND read_at IS NULL AND told_at IS NULL"
                )
                .bind(now)
                .bind(by)
                .bind(receipt_id)
                .bind(id)
                .bind(grid_id)
            )?;
            if done == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }
}
