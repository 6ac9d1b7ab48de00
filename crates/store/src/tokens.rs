//! Personal access tokens for API clients. The secret is shown once at creation; the
//! table keeps its SHA-256 hash and an 8-character prefix to recognise it by.

use crate::crypto::{random_token, token_hash};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use serde::Serialize;

/// Prefix that marks a Linli token, so a leaked one is easy to grep for.
pub const TOKEN_PREFIX: &str = "lnl_";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl Store {
    /// Creates a token; returns the secret (shown once) and its record.
    pub async fn create_api_token(&self, account_id: i64, name: &str) -> StoreResult<(String, ApiToken)> {
        let secret = format!("{TOKEN_PREFIX}{}", random_token());
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let now = now_ms();
        let id: i64 = transaction!(self, |tx| {
            crate::on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO api_tokens (account_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(account_id)
            .bind(name)
            .bind(token_hash(&secret))
            .bind(&prefix)
            .bind(now)
            .fetch_one(c)
            .await
            })?
        })?;
        Ok((
            secret,
            ApiToken { id, name: name.to_owned(), prefix, created_at: now, last_used_at: None, revoked_at: None },
        ))
    }

    pub async fn api_tokens(&self, account_id: i64) -> StoreResult<Vec<ApiToken>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id"
        )
        .bind(account_id)
        .fetch_all(db)
        .await?
        }))
    }

    /// Revokes one of the account's own tokens.
    pub async fn revoke_api_token(&self, account_id: i64, token_id: i64) -> StoreResult<()> {
        let changed =
            transaction!(self, |tx| {
                crate::exec!(tx, sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(token_id)
            .bind(account_id))?
            })?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    /// The account a live token belongs to.
    pub async fn authenticate_api_token(&self, secret: &str) -> StoreResult<Option<i64>> {
        let hash = token_hash(secret);
        let found: Option<(i64, i64, Option<i64>)> = read!(self, |db| sqlx::query_as(
            "SELECT id, account_id, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        )
        .bind(&hash)
        .fetch_optional(db)
        .await?);
        let Some((id, account_id, last_used)) = found else { return Ok(None) };
        let now = now_ms();
        // Record use at most once a minute, to keep API reads from becoming writes.
        if last_used.is_none_or(|t| now - t > 60_000) {
            transaction!(self, |tx| {
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2").bind(now).bind(id)
                )?;
            })?;
        }
        Ok(Some(account_id))
    }
}
