//! Throttling of failed logins. Failures are counted per key (a login name, an IP
//! address) in a sliding window; reaching the limit locks the key for a while. The
//! counters live in the database so every app instance sees the same lockout.

use crate::{Store, StoreResult, now_ms, read, transaction};

/// Limits for one kind of key.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    pub max_failures: i64,
    pub window_ms: i64,
    pub lockout_ms: i64,
}

impl Store {
    /// If `key` is locked, until when (ms).
    pub async fn locked_until(&self, key: &str) -> StoreResult<Option<i64>> {
        let until: Option<Option<i64>> =
            read!(self, |db| sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(db)
                .await?);
        Ok(until.flatten().filter(|&t| t > now_ms()))
    }

    /// Counts a failure; returns the lock's end if this failure locked the key.
    pub async fn record_login_failure(&self, key: &str, policy: ThrottlePolicy) -> StoreResult<Option<i64>> {
        let now = now_ms();
        let window_start = now - policy.window_ms;
        transaction!(self, |tx| {
            let failures: i64 = sqlx::query_scalar(
                "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES ($1, 1, $2, NULL) \
                 ON CONFLICT (key) DO UPDATE SET \
                   failures = CASE WHEN login_throttle.window_started_at < $3 THEN 1 ELSE login_throttle.failures + 1 END, \
                   window_started_at = CASE WHEN login_throttle.window_started_at < $3 THEN $2 ELSE login_throttle.window_started_at END \
                 RETURNING failures",
            )
            .bind(key)
            .bind(now)
            .bind(window_start)
            .fetch_one(&mut *tx)
            .await?;
            if failures >= policy.max_failures {
                let until = now + policy.lockout_ms;
                sqlx::query(
                    "UPDATE login_throttle SET locked_until = $1, failures = 0, window_started_at = $2 WHERE key = $3",
                )
                .bind(until)
                .bind(now)
                .bind(key)
                .execute(&mut *tx)
                .await?;
                Some(until)
            } else {
                None
            }
        })
    }

    /// Forgets the failures of `key` after a successful login.
    pub async fn clear_login_failures(&self, key: &str) -> StoreResult<()> {
        transaction!(self, |tx| {
            sqlx::query("DELETE FROM login_throttle WHERE key = $1").bind(key).execute(&mut *tx).await?;
        })
    }
}
