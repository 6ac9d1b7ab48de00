//! Browser sessions, kept in the database so that any app instance can serve any
//! request. The cookie holds a random token; the table holds only its SHA-256 hash.

use crate::crypto::{random_token, token_hash};
use crate::{Store, StoreResult, now_ms, read, transaction};

/// A live session as a request sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub account_id: i64,
    pub csrf_token: String,
    pub expires_at: i64,
    pub last_seen_at: i64,
}

/// How often a busy session's expiry is pushed forward (a write), at most.
const TOUCH_EVERY_MS: i64 = 5 * 60 * 1000;

impl Store {
    /// Starts a session; returns the cookie token and the session's CSRF token.
    pub async fn create_session(
        &self,
        account_id: i64,
        ttl_ms: i64,
        user_agent: &str,
    ) -> StoreResult<(String, String)> {
        let token = random_token();
        let csrf = random_token();
        let now = now_ms();
        let ua: String = user_agent.chars().take(200).collect();
        transaction!(self, |tx| {
            crate::exec!(tx, sqlx::query(
                "INSERT INTO sessions (id, account_id, csrf_token, created_at, last_seen_at, expires_at, user_agent) \
                 VALUES ($1, $2, $3, $4, $4, $5, $6)",
            )
            .bind(token_hash(&token))
            .bind(account_id)
            .bind(&csrf)
            .bind(now)
            .bind(now + ttl_ms)
            .bind(&ua))?;
            // Expired sessions are swept by whoever logs in next: cheap and instance-safe.
            crate::exec!(tx, sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now))?;
        })?;
        Ok((token, csrf))
    }

    /// The live session for a cookie token, sliding its expiry on use.
    pub async fn session(&self, token: &str, ttl_ms: i64) -> StoreResult<Option<Session>> {
        let id = token_hash(token);
        let now = now_ms();
        let found: Option<Session> = read!(self, |db| sqlx::query_as(
            "SELECT account_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE id = $1"
        )
        .bind(&id)
        .fetch_optional(db)
        .await?);
        let Some(session) = found.filter(|s| s.expires_at > now) else { return Ok(None) };
        if now - session.last_seen_at > TOUCH_EVERY_MS {
            transaction!(self, |tx| {
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
                        .bind(now)
                        .bind(now + ttl_ms)
                        .bind(&id)
                )?;
            })?;
        }
        Ok(Some(session))
    }

    pub async fn end_session(&self, token: &str) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(tx, sqlx::query("DELETE FROM sessions WHERE id = $1").bind(token_hash(token)))?;
        })
    }
}
