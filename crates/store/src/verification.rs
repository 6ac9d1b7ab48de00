//! Account verification (业主身份认证): an account asks to be linked to the community's
//! record of its holder, an owner of record, a registered resident, or both, found by the
//! name and the blind index of the ID number typed. Nothing is linked by the request: the
//! community's staff confirm it with the ID card in front of them, or the holder types the
//! code sent to the phone on record (the owner's, else the resident's). A confirmed link
//! lets the account vote for the owner and see what the community holds about the
//! resident. Every step is in the audit log with the record it concerns.

use crate::registry::{FIELD_ID_NUMBER, FIELD_PHONE};
use crate::{Store, StoreError, StoreResult, Tx, exec, now_ms, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::person::IdNumber;
use rand::Rng;

/// Purpose label of a code's keyed hash.
const CODE_PURPOSE: &str = "verification.code";
/// How long a code can be typed.
pub const CODE_TTL_MS: i64 = 10 * 60 * 1000;
/// How soon another code may be sent.
pub const CODE_RESEND_MS: i64 = 60 * 1000;
/// Codes sent to one record's phone in a day, whoever asks: a stranger who knows a name and
/// ID number cannot flood the holder's phone.
pub const MAX_CODES_PER_DAY: i64 = 5;
/// Wrong codes before the request needs a new code.
pub const MAX_CODE_ATTEMPTS: i64 = 5;

/// A request as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Verification {
    pub id: i64,
    pub account_id: i64,
    pub community_id: i64,
    pub owner_id: Option<i64>,
    pub resident_id: Option<i64>,
    /// `pending`, `confirmed`, `refused` or `withdrawn`.
    pub status: String,
    pub requested_at: i64,
    pub code_sent_at: Option<i64>,
    pub code_expires_at: Option<i64>,
    pub code_attempts: i64,
    /// `staff` or `sms` once confirmed.
    pub method: Option<String>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
}

/// A pending request as the community's staff see it: who asks, and the record found.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingVerification {
    pub id: i64,
    pub requested_at: i64,
    pub account_name: String,
    pub account_phone_masked: Option<String>,
    /// The name on the record found.
    pub name: String,
    pub id_number_masked: Option<String>,
    pub owner_id: Option<i64>,
    pub resident_id: Option<i64>,
    /// Units the owner holds now (0 for a resident who owns nothing).
    pub units: i64,
}

/// Where a code goes, and the code; the caller sends it.
pub struct Code {
    pub phone: String,
    pub code: String,
}

/// Neither the phone nor the code goes into a log.
impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code { .. }")
    }
}

/// The columns of a [`Verification`].
const COLUMNS: &str = "id, account_id, community_id, owner_id, resident_id, status, requested_at, \
     code_sent_at, code_expires_at, code_attempts, method, decided_at, reason";

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

/// The pending request `id` of `account`, locked for a change.
async fn lock_pending(tx: &mut Tx, id: i64, account: Option<i64>, community: Option<i64>) -> StoreResult<Verification> {
    let row: Option<Verification> = on!(tx, |c| sqlx::query_as(&format!(
        "UPDATE account_verifications SET status = status WHERE id = $1 AND status = 'pending' \
         AND (CAST($2 AS BIGINT) IS NULL OR account_id = $2) AND (CAST($3 AS BIGINT) IS NULL OR community_id = $3) \
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(account)
    .bind(community)
    .fetch_optional(c)
    .await)?;
    row.ok_or(StoreError::NotFound)
}

/// The request's step in the audit log, with the resident it concerns.
async fn log(tx: &mut Tx, v: &Verification, actor: i64, action: &str, now: i64) -> StoreResult<()> {
    let detail = format!("#{}", v.id);
    let event = crate::audit::Event {
        account_id: Some(actor),
        community_id: Some(v.community_id),
        action,
        detail: &detail,
        subject_resident_id: v.resident_id,
    };
    crate::audit::in_tx(tx, event, now).await
}

/// Makes the link of a pending request and marks it confirmed. A record already linked to
/// another account is refused: staff must see to that in person.
async fn link(tx: &mut Tx, v: &Verification, method: &str, actor: i64, now: i64) -> StoreResult<()> {
    if let Some(resident) = v.resident_id {
        let others: i64 =
            on!(tx, |c| sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE resident_id = $1 AND id <> $2")
                .bind(resident)
                .bind(v.account_id)
                .fetch_one(c)
                .await)?;
        if others > 0 {
            return Err(invalid("id_number", "error.verify.taken"));
        }
        exec!(tx, sqlx::query("UPDATE accounts SET resident_id = $1 WHERE id = $2").bind(resident).bind(v.account_id))?;
    }
    if let Some(owner) = v.owner_id {
        let taken: Option<Option<i64>> =
            on!(tx, |c| sqlx::query_scalar("SELECT account_id FROM owners WHERE id = $1")
                .bind(owner)
                .fetch_optional(c)
                .await)?;
        if matches!(taken, Some(Some(a)) if a != v.account_id) {
            return Err(invalid("id_number", "error.verify.taken"));
        }
        exec!(tx, sqlx::query("UPDATE owners SET account_id = $1 WHERE id = $2").bind(v.account_id).bind(owner))?;
    }
    exec!(
        tx,
        sqlx::query(
            "UPDATE account_verifications SET status = 'confirmed', method = $1, decided_by = $2, decided_at = $3, \
             code_hash = NULL WHERE id = $4"
        )
        .bind(method)
        .bind(actor)
        .bind(now)
        .bind(v.id)
    )?;
    log(tx, v, actor, &format!("verification.confirmed_{method}"), now).await
}

impl Store {
    /// Files a request to link `account` to the record in `community` whose holder has
    /// this name and ID number. Refused, naming the ID number, when no owner or resident of
    /// the community matches both (the same answer whichever is wrong), or when the account
    /// already stands for that record. A request still pending from the account is
    /// withdrawn by the new one.
    pub async fn request_verification(
        &self,
        account_id: i64,
        community_id: i64,
        name: &str,
        id_number: &IdNumber,
    ) -> StoreResult<Verification> {
        let index = self.key().blind_index(FIELD_ID_NUMBER, id_number.as_str());
        let name = name.trim();
        let owner: Option<(i64, String, Option<i64>)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT id, name, resident_id FROM owners WHERE community_id = $1 AND id_number_index = $2 AND kind = 'person'"
        )
        .bind(community_id)
        .bind(&index)
        .fetch_optional(db)
        .await?
        });
        let resident: Option<(i64, String)> = read!(self, |db| sqlx::query_as(
            "SELECT id, name FROM residents WHERE community_id = $1 AND id_number_index = $2"
        )
        .bind(community_id)
        .bind(&index)
        .fetch_optional(db)
        .await?);
        let owner = owner.filter(|o| o.1 == name);
        let resident_id = resident.filter(|r| r.1 == name).map(|r| r.0).or(owner.as_ref().and_then(|o| o.2));
        let owner_id = owner.map(|o| o.0);
        if owner_id.is_none() && resident_id.is_none() {
            return Err(invalid("id_number", "error.verify.no_record"));
        }
        let linked = self.resident_of_account(account_id).await?;
        let owned = self.owners_of_account(community_id, account_id).await?;
        if resident_id.is_none_or(|r| linked == Some(r)) && owner_id.is_none_or(|o| owned.contains(&o)) {
            return Err(invalid("id_number", "error.verify.already"));
        }
        let now = now_ms();
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query(
                    "UPDATE account_verifications SET status = 'withdrawn', decided_at = $1 \
                     WHERE account_id = $2 AND status = 'pending'"
                )
                .bind(now)
                .bind(account_id)
            )?;
            let v: Verification = on!(tx, |c| {
                sqlx::query_as(&format!(
                "INSERT INTO account_verifications (account_id, community_id, owner_id, resident_id, status, requested_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING {COLUMNS}"
            ))
            .bind(account_id)
            .bind(community_id)
            .bind(owner_id)
            .bind(resident_id)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            log(tx, &v, account_id, "verification.requested", now).await?;
            v
        })
    }

    /// The account's latest request, if any.
    pub async fn verification_of(&self, account_id: i64) -> StoreResult<Option<Verification>> {
        let sql = format!("SELECT {COLUMNS} FROM account_verifications WHERE account_id = $1 ORDER BY id DESC LIMIT 1");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(account_id).fetch_optional(db).await?))
    }

    /// The last four digits of the phone a code would go to, or `None` when the record
    /// has no phone (then only staff can confirm).
    pub async fn verification_phone_tail(&self, v: &Verification) -> StoreResult<Option<String>> {
        Ok(self.verification_phone(v).await?.map(|p| p[p.len().saturating_sub(4)..].to_owned()))
    }

    /// The phone on record: the owner's, else the resident's.
    async fn verification_phone(&self, v: &Verification) -> StoreResult<Option<String>> {
        let sealed: Option<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT COALESCE((SELECT phone_enc FROM owners WHERE id = $1), \
             (SELECT phone_enc FROM residents WHERE id = $2))"
        )
        .bind(v.owner_id)
        .bind(v.resident_id)
        .fetch_one(db)
        .await?);
        sealed.map(|p| self.key().open(FIELD_PHONE, &p)).transpose()
    }

    /// A new six-digit code for the account's pending request, to be sent to the phone on
    /// record; the code before it stops working. Refused within a minute of the last one,
    /// and when the record has no phone.
    pub async fn issue_verification_code(&self, id: i64, account_id: i64) -> StoreResult<Code> {
        let v = self.verification_of(account_id).await?.filter(|v| v.id == id && v.status == "pending");
        let v = v.ok_or(StoreError::NotFound)?;
        let phone = self.verification_phone(&v).await?.ok_or_else(|| invalid("sms_code", "error.verify.no_phone"))?;
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
        let hash = self.key().blind_index(CODE_PURPOSE, &format!("{id}:{code}"));
        let now = now_ms();
        transaction!(self, |tx| {
            let v = lock_pending(tx, id, Some(account_id), None).await?;
            if v.code_sent_at.is_some_and(|at| now - at < CODE_RESEND_MS) {
                return Err(invalid("sms_code", "error.verify.code_wait"));
            }
            let sent_today: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_events e JOIN account_verifications v ON e.detail = '#' || CAST(v.id AS TEXT) \
                 WHERE e.action = 'verification.code_sent' AND e.community_id = $1 AND e.at > $2 \
                 AND (v.owner_id = $3 OR v.resident_id = $4)"
            )
            .bind(v.community_id)
            .bind(now - 24 * 3600 * 1000)
            .bind(v.owner_id)
            .bind(v.resident_id)
            .fetch_one(c)
            .await
            })?;
            if sent_today >= MAX_CODES_PER_DAY {
                return Err(invalid("sms_code", "error.verify.code_limit"));
            }
            exec!(
                tx,
                sqlx::query(
                    "UPDATE account_verifications SET code_hash = $1, code_sent_at = $2, code_expires_at = $3, \
                     code_attempts = 0 WHERE id = $4"
                )
                .bind(&hash)
                .bind(now)
                .bind(now + CODE_TTL_MS)
                .bind(id)
            )?;
            log(tx, &v, account_id, "verification.code_sent", now).await?
        })?;
        Ok(Code { phone, code })
    }

    /// Links the account when `code` is the one sent and still good. A wrong code counts
    /// against [`MAX_CODE_ATTEMPTS`]; then, or after [`CODE_TTL_MS`], a new code is needed.
    pub async fn confirm_verification_code(&self, id: i64, account_id: i64, code: &str) -> StoreResult<()> {
        let hash = self.key().blind_index(CODE_PURPOSE, &format!("{id}:{}", code.trim()));
        let now = now_ms();
        let wrong: Option<&'static str> = transaction!(self, |tx| {
            let v = lock_pending(tx, id, Some(account_id), None).await?;
            let stored: Option<String> =
                on!(tx, |c| sqlx::query_scalar("SELECT code_hash FROM account_verifications WHERE id = $1")
                    .bind(id)
                    .fetch_one(c)
                    .await)?;
            // The body must reach its end to commit: a wrong code's count is kept.
            match stored {
                None => Some("error.verify.code_none"),
                Some(_) if v.code_expires_at.is_none_or(|at| at < now) => Some("error.verify.code_expired"),
                Some(_) if v.code_attempts >= MAX_CODE_ATTEMPTS => Some("error.verify.code_locked"),
                // Both are keyed hashes of equal length: comparing them reveals nothing useful.
                Some(stored) if stored != hash => {
                    exec!(
                        tx,
                        sqlx::query("UPDATE account_verifications SET code_attempts = code_attempts + 1 WHERE id = $1")
                            .bind(id)
                    )?;
                    log(tx, &v, account_id, "verification.code_wrong", now).await?;
                    Some("error.verify.code_wrong")
                }
                Some(_) => {
                    link(tx, &v, "sms", account_id, now).await?;
                    None
                }
            }
        })?;
        match wrong {
            Some(key) => Err(invalid("sms_code", key)),
            None => Ok(()),
        }
    }

    /// The account takes back its pending request.
    pub async fn withdraw_verification(&self, id: i64, account_id: i64) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            let v = lock_pending(tx, id, Some(account_id), None).await?;
            exec!(
                tx,
                sqlx::query("UPDATE account_verifications SET status = 'withdrawn', decided_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
            )?;
            log(tx, &v, account_id, "verification.withdrawn", now).await?
        })
    }

    /// The community's pending requests, oldest first.
    pub async fn pending_verifications(&self, community_id: i64) -> StoreResult<Vec<PendingVerification>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT v.id, v.requested_at, a.display_name AS account_name, a.phone_masked AS account_phone_masked, \
             COALESCE(o.name, r.name, '') AS name, COALESCE(o.id_number_masked, r.id_number_masked) AS id_number_masked, \
             v.owner_id, v.resident_id, \
             (SELECT COUNT(*) FROM ownerships s WHERE s.owner_id = v.owner_id AND s.until IS NULL) AS units \
             FROM account_verifications v JOIN accounts a ON a.id = v.account_id \
             LEFT JOIN owners o ON o.id = v.owner_id LEFT JOIN residents r ON r.id = v.resident_id \
             WHERE v.community_id = $1 AND v.status = 'pending' ORDER BY v.requested_at, v.id"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?
        }))
    }

    /// Staff of `community_id` confirm a pending request (having seen the ID card) or
    /// refuse it with a reason the asker reads. A request of another community is not found.
    pub async fn decide_verification(
        &self,
        community_id: i64,
        id: i64,
        actor: i64,
        confirm: bool,
        reason: &str,
    ) -> StoreResult<()> {
        let reason = reason.trim();
        if !confirm && reason.is_empty() {
            return Err(invalid("refusal_reason", "error.required"));
        }
        let now = now_ms();
        transaction!(self, |tx| {
            let v = lock_pending(tx, id, None, Some(community_id)).await?;
            if confirm {
                link(tx, &v, "staff", actor, now).await?;
            } else {
                exec!(
                    tx,
                    sqlx::query(
                        "UPDATE account_verifications SET status = 'refused', decided_by = $1, decided_at = $2, \
                         reason = $3 WHERE id = $4"
                    )
                    .bind(actor)
                    .bind(now)
                    .bind(reason)
                    .bind(id)
                )?;
                log(tx, &v, actor, "verification.refused", now).await?;
            }
        })
    }
}
