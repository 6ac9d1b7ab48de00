//! Photos of cases, stored in the database beside the case (re-encoded JPEG and its
//! thumbnail, see the web layer's `photo` module). A photo is written in the same
//! transaction as the report or step it belongs to, so a failed submission leaves none.

use crate::{Store, StoreResult, read};

/// A checked, re-encoded photo and its thumbnail (both JPEG).
#[derive(Debug, Clone, Default)]
pub struct NewPhoto {
    pub bytes: Vec<u8>,
    pub thumbnail: Vec<u8>,
}

/// A stored photo and the timeline event it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRef {
    pub id: i64,
    pub event_id: Option<i64>,
}

/// Writes photos of a case's event inside a transaction.
pub(crate) async fn insert_photos(
    tx: &mut crate::Tx,
    case_id: i64,
    event_id: i64,
    photos: &[NewPhoto],
    now: i64,
) -> crate::StoreResult<()> {
    for photo in photos {
        crate::exec!(
            tx,
            sqlx::query(
                "INSERT INTO case_photos (case_id, event_id, content_type, bytes, thumbnail, created_at) \
             VALUES ($1, $2, 'image/jpeg', $3, $4, $5)",
            )
            .bind(case_id)
            .bind(event_id)
            .bind(&photo.bytes)
            .bind(&photo.thumbnail)
            .bind(now)
        )?;
    }
    Ok(())
}

impl Store {
    /// The photos of a case, oldest first.
    pub async fn case_photos(&self, case_id: i64) -> StoreResult<Vec<PhotoRef>> {
        Ok(read!(self, |db| sqlx::query_as("SELECT id, event_id FROM case_photos WHERE case_id = $1 ORDER BY id")
            .bind(case_id)
            .fetch_all(db)
            .await?))
    }

    /// One photo of a case (or its thumbnail), if it is that case's.
    pub async fn case_photo(&self, case_id: i64, photo_id: i64, thumbnail: bool) -> StoreResult<Option<Vec<u8>>> {
        let sql = if thumbnail {
            "SELECT thumbnail FROM case_photos WHERE id = $1 AND case_id = $2"
        } else {
            "SELECT bytes FROM case_photos WHERE id = $1 AND case_id = $2"
        };
        Ok(read!(self, |db| sqlx::query_scalar(sql).bind(photo_id).bind(case_id).fetch_optional(db).await?))
    }
}
