//! Files attached to an announcement or to a joint meeting (the documents of its minutes):
//! added and removed by those who publish or convene, opened by whoever reads the notice or
//! the meeting. Listed without their bytes; each kept with its size and SHA-256.

use crate::{Store, StoreError, StoreResult, exec, read, transaction};

/// What a file is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Announcement(i64),
    Meeting(i64),
}

impl Owner {
    fn column_and_id(self) -> (&'static str, i64) {
        match self {
            Owner::Announcement(id) => ("announcement_id", id),
            Owner::Meeting(id) => ("meeting_id", id),
        }
    }
}

/// A file as listed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub title: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// A checked file to attach: a PDF as sent, or a picture re-encoded as JPEG.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub title: String,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Store {
    pub async fn add_attachment(&self, owner: Owner, new: &NewAttachment, by: i64) -> StoreResult<i64> {
        use sha2::{Digest, Sha256};
        let (column, id) = owner.column_and_id();
        let sha256 = hex::encode(Sha256::digest(&new.bytes));
        let now = crate::now_ms();
        transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar::<_, i64>(&format!(
                "INSERT INTO attachments ({column}, title, content_type, bytes, size, sha256, added_by, added_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            ))
            .bind(id)
            .bind(&new.title)
            .bind(new.content_type)
            .bind(&new.bytes)
            .bind(new.bytes.len() as i64)
            .bind(&sha256)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await)?
        })
    }

    pub async fn remove_attachment(&self, owner: Owner, attachment_id: i64) -> StoreResult<()> {
        let (column, id) = owner.column_and_id();
        transaction!(self, |tx| {
            let gone = exec!(
                tx,
                sqlx::query(&format!("DELETE FROM attachments WHERE id = $1 AND {column} = $2"))
                    .bind(attachment_id)
                    .bind(id)
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    /// The files of an announcement or a meeting, in the order they were added.
    pub async fn attachments(&self, owner: Owner) -> StoreResult<Vec<Attachment>> {
        let (column, id) = owner.column_and_id();
        let sql =
            format!("SELECT id, title, content_type, size, sha256 FROM attachments WHERE {column} = $1 ORDER BY id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_all(db).await?))
    }

    /// One file's type and bytes, if it belongs to `owner`.
    pub async fn attachment(&self, owner: Owner, attachment_id: i64) -> StoreResult<(String, Vec<u8>)> {
        let (column, id) = owner.column_and_id();
        let sql = format!("SELECT content_type, bytes FROM attachments WHERE id = $1 AND {column} = $2");
        read!(self, |db| sqlx::query_as(&sql).bind(attachment_id).bind(id).fetch_optional(db).await?)
            .ok_or(StoreError::NotFound)
    }
}
