//! The documents of an assembly's matters: added and removed only while the assembly is
//! a draft (the same lock as its matters), frozen with the notice, read by every owner
//! before voting. Each is kept with its SHA-256, shown beside it.

use super::lock_draft;
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use sha2::{Digest, Sha256};

/// A document as listed (without its bytes).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Document {
    pub id: i64,
    pub matter_id: i64,
    pub title: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// A checked document to add.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub matter_id: i64,
    pub title: String,
    /// `application/pdf` or `image/jpeg`.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Store {
    /// Adds a document to a matter of a draft assembly; refused once the notice is out,
    /// or for a matter of another assembly.
    pub async fn add_document(&self, assembly_id: i64, new: &NewDocument, by: i64) -> StoreResult<i64> {
        let sha256 = hex::encode(Sha256::digest(&new.bytes));
        let now = crate::now_ms();
        transaction!(self, |tx| {
            lock_draft(tx, assembly_id).await?;
            let matter: Option<i64> =
                on!(tx, |c| sqlx::query_scalar("SELECT id FROM assembly_matters WHERE id = $1 AND assembly_id = $2")
                    .bind(new.matter_id)
                    .bind(assembly_id)
                    .fetch_optional(c)
                    .await)?;
            if matter.is_none() {
                return Err(StoreError::Invalid(FieldError::new("matter_id", "error.choice")));
            }
            on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_documents (assembly_id, matter_id, title, content_type, bytes, size, sha256, \
                 added_by, added_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
            )
            .bind(assembly_id)
            .bind(new.matter_id)
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

    /// Removes a document of a draft assembly.
    pub async fn remove_document(&self, assembly_id: i64, document_id: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            lock_draft(tx, assembly_id).await?;
            let gone = exec!(
                tx,
                sqlx::query("DELETE FROM assembly_documents WHERE id = $1 AND assembly_id = $2")
                    .bind(document_id)
                    .bind(assembly_id)
            )?;
            if gone == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    /// An assembly's documents, by matter in the order they were added.
    pub async fn documents(&self, assembly_id: i64) -> StoreResult<Vec<Document>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, matter_id, title, content_type, size, sha256 FROM assembly_documents \
             WHERE assembly_id = $1 ORDER BY matter_id, id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }

    /// One document's type and bytes, if it belongs to the assembly.
    pub async fn document(&self, assembly_id: i64, document_id: i64) -> StoreResult<(String, Vec<u8>)> {
        read!(self, |db| sqlx::query_as(
            "SELECT content_type, bytes FROM assembly_documents WHERE id = $1 AND assembly_id = $2"
        )
        .bind(document_id)
        .bind(assembly_id)
        .fetch_optional(db)
        .await?)
        .ok_or(StoreError::NotFound)
    }
}
