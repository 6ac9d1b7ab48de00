//! Throttling of password guesses. Attempts are counted per key (a login name, an account,
//! an IP address, an account's password-change form) in a window, before the password is
//! checked; reaching the limit locks the key for a while. The counters live in the
//! database so every app instance sees the same lockout.

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

    /// Counts an attempt on every key *before* the password is checked, so that guesses
    /// sent at once cannot all be checked: the count is taken atomically (one upsert per
    /// key), and an attempt past a key's limit locks it and is refused unchecked. Returns
    /// the end of the lock if the attempt may not go ahead.
    pub async fn begin_attempt(&self, keys: &[ThrottleKey]) -> StoreResult<Option<i64>> {
        let now = now_ms();
        transaction!(self, |tx| {
            let mut locked: Option<i64> = None;
            for k in keys {
                let (count, until): (i64, Option<i64>) = crate::on!(tx, |c| {
                    sqlx::query_as(
                    "INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES ($1, 1, $2, NULL) \
                     ON CONFLICT (key) DO UPDATE SET \
                       failures = CASE WHEN login_throttle.locked_until > $2 THEN login_throttle.failures \
                                       WHEN login_throttle.window_started_at < $3 THEN 1 \
                                       ELSE login_throttle.failures + 1 END, \
                       window_started_at = CASE WHEN login_throttle.locked_until > $2 THEN login_throttle.window_started_at \
                                                WHEN login_throttle.window_started_at < $3 THEN $2 \
                                                ELSE login_throttle.window_started_at END \
                     RETURNING failures, locked_until",
                )
                .bind(&k.key)
                .bind(now)
                .bind(now - k.policy.window_ms)
                .fetch_one(c)
                .await
                })?;
                let until = match until {
                    Some(until) if until > now => Some(until),
                    _ if count > k.policy.max_failures => {
                        let until = now + k.policy.lockout_ms;
                        crate::exec!(tx, sqlx::query(LOCK).bind(until).bind(now).bind(&k.key))?;
                        Some(until)
                    }
                    _ => None,
                };
                locked = locked.max(until);
            }
            locked
        })
    }

    /// After a wrong password: locks every key whose count has reached its limit, and
    /// returns the end of the lock if one did.
    pub async fn attempt_failed(&self, keys: &[ThrottleKey]) -> StoreResult<Option<i64>> {
        let now = now_ms();
        transaction!(self, |tx| {
            let mut locked = None;
            for k in keys {
                let failures: Option<i64> = crate::on!(tx, |c| {
                    sqlx::query_scalar(
                    "SELECT failures FROM login_throttle WHERE key = $1 AND (locked_until IS NULL OR locked_until <= $2)",
                )
                .bind(&k.key)
                .bind(now)
                .fetch_optional(c)
                .await
                })?;
                if failures.is_some_and(|f| f >= k.policy.max_failures) {
                    let until = now + k.policy.lockout_ms;
                    crate::exec!(tx, sqlx::query(LOCK).bind(until).bind(now).bind(&k.key))?;
                    locked = locked.max(Some(until));
                }
            }
            locked
        })
    }

    /// After the right password: a person's keys forget their failures; a shared key (an
    /// address) gives this attempt back.
    pub async fn attempt_succeeded(&self, keys: &[ThrottleKey]) -> StoreResult<()> {
        transaction!(self, |tx| {
            for k in keys {
                let sql = if k.shared {
                    "UPDATE login_throttle SET failures = failures - 1 WHERE key = $1 AND failures > 0"
                } else {
                    "DELETE FROM login_throttle WHERE key = $1"
                };
                crate::exec!(tx, sqlx::query(sql).bind(&k.key))?;
            }
        })
    }
}

/// One key an attempt counts against: a login name, an account, an address.
#[derive(Debug, Clone)]
pub struct ThrottleKey {
    pub key: String,
    pub policy: ThrottlePolicy,
    /// Many people may share it (a client address): a success only takes its own attempt back.
    pub shared: bool,
}

impl ThrottleKey {
    pub fn new(key: impl Into<String>, policy: ThrottlePolicy) -> ThrottleKey {
        ThrottleKey { key: key.into(), policy, shared: false }
    }

    pub fn shared(key: impl Into<String>, policy: ThrottlePolicy) -> ThrottleKey {
        ThrottleKey { key: key.into(), policy, shared: true }
    }
}

/// Locks a key (`$3`) until `$1`, starting a new count at `$2`.
const LOCK: &str = "UPDATE login_throttle SET locked_until = $1, failures = 0, window_started_at = $2 WHERE key = $3";
