//! The community's public record (居务公开): items staff enter, drafted then published once,
//! and the owners' assembly's final result, posted in the transaction that publishes it. The
//! board is read without signing in; a draft past the community's deadline is late.

use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::publicity::Kind;

/// An item of the public record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicItem {
    pub id: i64,
    pub community_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub title: String,
    pub body: String,
    pub arose_on: String,
    pub published_at: Option<i64>,
    pub assembly_id: Option<i64>,
}

/// A checked item to enter.
#[derive(Debug, Clone)]
pub struct NewPublicItem {
    pub community_id: i64,
    pub kind: Kind,
    pub title: String,
    pub body: String,
    pub arose_on: String,
    /// Published at once, or kept as a draft.
    pub publish: bool,
    pub by: i64,
}

const COLUMNS: &str = "id, community_id, kind, title, body, arose_on, published_at, assembly_id";

/// Posts an assembly's final result on its community's board, inside the transaction that
/// publishes the result.
pub(crate) async fn post_assembly_result(
    tx: &mut Tx,
    community_id: i64,
    assembly_id: i64,
    title: &str,
    today: &str,
    now: i64,
) -> StoreResult<()> {
    exec!(
        tx,
        sqlx::query(
            "INSERT INTO public_records (community_id, kind, title, body, arose_on, published_at, created_at, assembly_id) \
             VALUES ($1, 'assembly_result', $2, '', $3, $4, $4, $5)"
        )
        .bind(community_id)
        .bind(title)
        .bind(today)
        .bind(now)
        .bind(assembly_id)
    )?;
    Ok(())
}

async fn audit(tx: &mut Tx, by: i64, community_id: i64, action: &str, detail: &str, now: i64) -> StoreResult<()> {
    let event = crate::audit::Event {
        account_id: Some(by),
        community_id: Some(community_id),
        action,
        detail,
        subject_resident_id: None,
    };
    crate::audit::in_tx(tx, event, now).await
}

impl Store {
    /// Enters an item, published at once or as a draft; both are audited.
    pub async fn add_public_item(&self, new: &NewPublicItem) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO public_records (community_id, kind, title, body, arose_on, published_at, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            )
            .bind(new.community_id)
            .bind(new.kind.as_str())
            .bind(&new.title)
            .bind(&new.body)
            .bind(&new.arose_on)
            .bind(new.publish.then_some(now))
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            let action = if new.publish { "publicity.published" } else { "publicity.drafted" };
            let detail = format!("#{id}");
            audit(tx, new.by, new.community_id, action, &detail, now).await?;
            id
        })
    }

    /// Publishes a draft of `community_id`, once.
    pub async fn publish_public_item(&self, community_id: i64, id: i64, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE public_records SET published_at = $1 WHERE id = $2 AND community_id = $3 AND published_at IS NULL"
                )
                .bind(now)
                .bind(id)
                .bind(community_id)
            )?;
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            audit(tx, by, community_id, "publicity.published", &format!("#{id}"), now).await?;
        })
    }

    /// The published record, newest first.
    pub async fn public_board(&self, community_id: i64, limit: i64) -> StoreResult<Vec<PublicItem>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM public_records WHERE community_id = $1 AND published_at IS NOT NULL \
             ORDER BY published_at DESC, id DESC LIMIT $2"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).bind(limit).fetch_all(db).await?))
    }

    /// Drafts waiting to be published, the oldest information first.
    pub async fn public_drafts(&self, community_id: i64) -> StoreResult<Vec<PublicItem>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM public_records WHERE community_id = $1 AND published_at IS NULL ORDER BY arose_on, id"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    /// Working days within which the community publishes information.
    pub async fn publish_within_days(&self, community_id: i64) -> StoreResult<i64> {
        read!(self, |db| sqlx::query_scalar("SELECT publish_within_days FROM communities WHERE id = $1")
            .bind(community_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    /// Sets it (1–90 working days), audited.
    pub async fn set_publish_within_days(&self, community_id: i64, days: i64, by: i64) -> StoreResult<()> {
        if !(1..=90).contains(&days) {
            return Err(StoreError::Invalid(FieldError::new("within_days", "error.publicity.within")));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE communities SET publish_within_days = $1 WHERE id = $2")
                    .bind(days)
                    .bind(community_id)
            )?;
            audit(tx, by, community_id, "publicity.within", &days.to_string(), now).await?;
        })
    }
}
