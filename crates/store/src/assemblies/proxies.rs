//! Proxies (委托): an owner's written authorisation, registered by the committee's desk
//! with its photo and the proxy's identity. The proxy's ID number is sealed and blind-
//! indexed like a resident's; if the proxy has an account in the community (found by that
//! index), they cast the owner's ballot from their own phone. A proxy can be revoked until
//! a ballot of that owner is in; every registration and revocation is audited by the caller.

use crate::photos::NewPhoto;
use crate::registry::FIELD_ID_NUMBER;
use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::person::IdNumber;

/// A proxy to register, already checked.
#[derive(Debug, Clone)]
pub struct NewProxy {
    pub assembly_id: i64,
    pub elector_id: i64,
    pub name: String,
    pub id_number: IdNumber,
    /// The photo of the written authorisation.
    pub authorisation: NewPhoto,
    pub registered_by: i64,
}

/// A proxy as the desk shows it: the ID number masked.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Proxy {
    pub id: i64,
    pub elector_id: i64,
    pub name: String,
    pub id_number_masked: String,
    /// The proxy's own account here, if they have one: they vote from it.
    pub account_id: Option<i64>,
    pub registered_at: i64,
    pub revoked_at: Option<i64>,
}

const SELECT_PROXY: &str = "SELECT id, elector_id, name, id_number_masked, account_id, registered_at, revoked_at \
     FROM assembly_proxies";

/// The proxy in force for a voter, if any (inside a transaction).
pub(crate) async fn in_force(tx: &mut Tx, assembly_id: i64, elector_id: i64) -> StoreResult<Option<i64>> {
    on!(tx, |c| sqlx::query_scalar(
        "SELECT id FROM assembly_proxies WHERE assembly_id = $1 AND elector_id = $2 AND revoked_at IS NULL"
    )
    .bind(assembly_id)
    .bind(elector_id)
    .fetch_optional(c)
    .await)
    .map_err(Into::into)
}

/// Refuses a change to a voter's proxy once that voter's ballot is in, or once the count is
/// closed.
async fn check_not_voted(tx: &mut Tx, assembly_id: i64, elector_id: i64) -> StoreResult<()> {
    let (noticed, counted): (Option<i64>, Option<i64>) =
        on!(tx, |c| sqlx::query_as("SELECT noticed_at, counted_at FROM assemblies WHERE id = $1")
            .bind(assembly_id)
            .fetch_one(c)
            .await)?;
    if noticed.is_none() || counted.is_some() {
        return Err(StoreError::Invalid(FieldError::new("proxy", "error.assembly.not_open")));
    }
    let voted: Option<i64> =
        on!(tx, |c| sqlx::query_scalar("SELECT id FROM assembly_ballots WHERE assembly_id = $1 AND elector_id = $2")
            .bind(assembly_id)
            .bind(elector_id)
            .fetch_optional(c)
            .await)?;
    if voted.is_some() {
        return Err(StoreError::Invalid(FieldError::new("proxy", "error.assembly.proxy_after_vote")));
    }
    Ok(())
}

impl Store {
    /// Registers a proxy for a voter of a noticed assembly whose ballot is not in yet.
    /// One proxy in force per voter: a second is refused until the first is revoked.
    pub async fn register_proxy(&self, new: &NewProxy) -> StoreResult<i64> {
        let key = self.key();
        let index = key.blind_index(FIELD_ID_NUMBER, new.id_number.as_str());
        let sealed = key.seal(FIELD_ID_NUMBER, new.id_number.as_str())?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            // The assembly's row lock orders this against a ballot of the same voter.
            exec!(
                tx,
                sqlx::query("UPDATE assemblies SET ballot_seq = ballot_seq WHERE id = $1").bind(new.assembly_id)
            )?;
            let (community_id,): (i64,) = on!(tx, |c| sqlx::query_as(
                "SELECT a.community_id FROM assembly_electors e JOIN assemblies a ON a.id = e.assembly_id \
                 WHERE e.id = $1 AND e.assembly_id = $2"
            )
            .bind(new.elector_id)
            .bind(new.assembly_id)
            .fetch_optional(c)
            .await)?
            .ok_or(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_elector")))?;
            check_not_voted(tx, new.assembly_id, new.elector_id).await?;
            if in_force(tx, new.assembly_id, new.elector_id).await?.is_some() {
                return Err(StoreError::Invalid(FieldError::new("proxy", "error.assembly.proxy_exists")));
            }
            let account_id: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                "SELECT a.id FROM accounts a JOIN residents r ON r.id = a.resident_id \
                 WHERE r.community_id = $1 AND r.id_number_index = $2 AND NOT a.disabled ORDER BY a.id LIMIT 1"
            )
            .bind(community_id)
            .bind(&index)
            .fetch_optional(c)
            .await)?;
            let id: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_proxies (assembly_id, elector_id, name, id_number_enc, id_number_index, \
                 id_number_masked, account_id, photo, thumbnail, registered_by, registered_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            )
            .bind(new.assembly_id)
            .bind(new.elector_id)
            .bind(&new.name)
            .bind(&sealed)
            .bind(&index)
            .bind(new.id_number.masked())
            .bind(account_id)
            .bind(&new.authorisation.bytes)
            .bind(&new.authorisation.thumbnail)
            .bind(new.registered_by)
            .bind(now)
            .fetch_one(c)
            .await)?;
            id
        })
    }

    /// Revokes the proxy in force for a voter, until that voter's ballot is in.
    pub async fn revoke_proxy(&self, assembly_id: i64, proxy_id: i64, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            exec!(tx, sqlx::query("UPDATE assemblies SET ballot_seq = ballot_seq WHERE id = $1").bind(assembly_id))?;
            let elector: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                "SELECT elector_id FROM assembly_proxies WHERE id = $1 AND assembly_id = $2 AND revoked_at IS NULL"
            )
            .bind(proxy_id)
            .bind(assembly_id)
            .fetch_optional(c)
            .await)?;
            let elector = elector.ok_or(StoreError::NotFound)?;
            check_not_voted(tx, assembly_id, elector).await?;
            exec!(
                tx,
                sqlx::query("UPDATE assembly_proxies SET revoked_at = $1, revoked_by = $2 WHERE id = $3")
                    .bind(now)
                    .bind(by)
                    .bind(proxy_id)
            )?;
        })
    }

    /// Every proxy of an assembly, in force or revoked, newest first.
    pub async fn assembly_proxies(&self, assembly_id: i64) -> StoreResult<Vec<Proxy>> {
        let sql = format!("{SELECT_PROXY} WHERE assembly_id = $1 ORDER BY id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(assembly_id).fetch_all(db).await?))
    }

    /// The voters an account casts ballots for as their proxy in force.
    pub async fn proxied_by(&self, assembly_id: i64, account_id: i64) -> StoreResult<Vec<Proxy>> {
        let sql =
            format!("{SELECT_PROXY} WHERE assembly_id = $1 AND account_id = $2 AND revoked_at IS NULL ORDER BY id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(assembly_id).bind(account_id).fetch_all(db).await?))
    }

    /// The photo of a proxy's written authorisation (or its thumbnail).
    pub async fn proxy_authorisation(
        &self,
        assembly_id: i64,
        proxy_id: i64,
        thumbnail: bool,
    ) -> StoreResult<Option<Vec<u8>>> {
        let sql = if thumbnail {
            "SELECT thumbnail FROM assembly_proxies WHERE id = $1 AND assembly_id = $2"
        } else {
            "SELECT photo FROM assembly_proxies WHERE id = $1 AND assembly_id = $2"
        };
        Ok(read!(self, |db| sqlx::query_scalar(sql).bind(proxy_id).bind(assembly_id).fetch_optional(db).await?))
    }
}
