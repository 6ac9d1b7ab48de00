//! A petition for a temporary owners' meeting (物业管理条例 Art. 13): an owner starts it,
//! owners sign online, and once the signers hold at least 20% of the area AND are at least
//! 20% of the owners, the convener is told and must call the meeting. The bar is read over
//! the property register as it stands (a signer who has sold no longer counts), with the
//! law's way of counting owners ([`linli_domain::ownership::voters`]).

use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::assembly::{Weight, petition_met, petition_standing};
use std::collections::HashSet;

/// A petition as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Petition {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub reason: String,
    pub started_by: i64,
    pub started_at: i64,
    /// When the double bar was first met.
    pub met_at: Option<i64>,
    /// The temporary meeting called in answer.
    pub assembly_id: Option<i64>,
}

/// Where a petition stands now: the signers' weight against the whole roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub signed: Weight,
    pub whole: Weight,
    pub met: bool,
}

/// One signature, for the convener's check: whose units and when.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Signature {
    pub owner_id: i64,
    pub account_id: i64,
    pub signed_at: i64,
}

const SELECT_PETITION: &str =
    "SELECT id, community_id, title, reason, started_by, started_at, met_at, assembly_id FROM assembly_petitions";

/// The petition's row locked, refused once the meeting has been called.
async fn still_open(tx: &mut Tx, petition_id: i64) -> StoreResult<()> {
    let open: Option<i64> = on!(tx, |c| sqlx::query_scalar(
        "UPDATE assembly_petitions SET started_at = started_at WHERE id = $1 AND assembly_id IS NULL RETURNING id"
    )
    .bind(petition_id)
    .fetch_optional(c)
    .await)?;
    open.map(|_| ()).ok_or(StoreError::Invalid(FieldError::new("petition", "error.petition.answered")))
}

impl Store {
    /// Starts a petition and signs it for the owners of record the starter stands for.
    pub async fn start_petition(
        &self,
        community_id: i64,
        title: &str,
        reason: &str,
        account_id: i64,
        owners: &[i64],
    ) -> StoreResult<i64> {
        if owners.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("petition", "error.petition.not_owner")));
        }
        let now = crate::now_ms();
        let id = transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_petitions (community_id, title, reason, started_by, started_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(community_id)
            .bind(title)
            .bind(reason)
            .bind(account_id)
            .bind(now)
            .fetch_one(c)
            .await)?;
            add_signatures(tx, id, account_id, owners, now).await?;
            id
        })?;
        self.note_if_met(id).await?;
        Ok(id)
    }

    /// Signs for the owners of record an account stands for; signing twice changes nothing.
    /// Refused once the meeting has been called.
    pub async fn sign_petition(&self, petition_id: i64, account_id: i64, owners: &[i64]) -> StoreResult<Standing> {
        if owners.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("petition", "error.petition.not_owner")));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            still_open(tx, petition_id).await?;
            add_signatures(tx, petition_id, account_id, owners, now).await?
        })?;
        self.note_if_met(petition_id).await
    }

    /// Takes back the signatures of these owners, until the meeting is called.
    pub async fn withdraw_signature(&self, petition_id: i64, owners: &[i64]) -> StoreResult<()> {
        transaction!(self, |tx| {
            still_open(tx, petition_id).await?;
            for owner in owners {
                exec!(
                    tx,
                    sqlx::query("DELETE FROM assembly_petition_signatures WHERE petition_id = $1 AND owner_id = $2")
                        .bind(petition_id)
                        .bind(owner)
                )?;
            }
        })
    }

    pub async fn petition(&self, id: i64) -> StoreResult<Petition> {
        let sql = format!("{SELECT_PETITION} WHERE id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A community's petitions, newest first.
    pub async fn petitions(&self, community_id: i64) -> StoreResult<Vec<Petition>> {
        let sql = format!("{SELECT_PETITION} WHERE community_id = $1 ORDER BY started_at DESC, id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn petition_signatures(&self, petition_id: i64) -> StoreResult<Vec<Signature>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT owner_id, account_id, signed_at FROM assembly_petition_signatures \
             WHERE petition_id = $1 ORDER BY signed_at, owner_id"
        )
        .bind(petition_id)
        .fetch_all(db)
        .await?))
    }

    /// The double bar now, over the register as it stands.
    pub async fn petition_standing(&self, petition: &Petition) -> StoreResult<Standing> {
        let signed: HashSet<i64> =
            self.petition_signatures(petition.id).await?.into_iter().map(|s| s.owner_id).collect();
        let voters = linli_domain::ownership::voters(&self.holdings(petition.community_id).await?);
        let (signed, whole) = petition_standing(&voters, &signed);
        Ok(Standing { signed, whole, met: petition_met(signed, whole) })
    }

    /// Every petition of a community with where it stands, newest first (the register read once).
    pub async fn petition_standings(&self, community_id: i64) -> StoreResult<Vec<(Petition, Standing)>> {
        let petitions = self.petitions(community_id).await?;
        if petitions.is_empty() {
            return Ok(Vec::new());
        }
        let voters = linli_domain::ownership::voters(&self.holdings(community_id).await?);
        let mut out = Vec::with_capacity(petitions.len());
        for p in petitions {
            let signed: HashSet<i64> = self.petition_signatures(p.id).await?.into_iter().map(|s| s.owner_id).collect();
            let (signed, whole) = petition_standing(&voters, &signed);
            out.push((p, Standing { signed, whole, met: petition_met(signed, whole) }));
        }
        Ok(out)
    }

    /// Marks the first time the bar is met and tells the convener (the community's staff and
    /// owners' committee) and the signers, once.
    async fn note_if_met(&self, petition_id: i64) -> StoreResult<Standing> {
        let petition = self.petition(petition_id).await?;
        let standing = self.petition_standing(&petition).await?;
        if !standing.met || petition.met_at.is_some() {
            return Ok(standing);
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let first = exec!(
                tx,
                sqlx::query("UPDATE assembly_petitions SET met_at = $1 WHERE id = $2 AND met_at IS NULL")
                    .bind(now)
                    .bind(petition_id)
            )?;
            if first == 1 {
                tell_convener(tx, &petition, now).await?;
            }
        })?;
        Ok(standing)
    }
}

async fn add_signatures(tx: &mut Tx, petition_id: i64, account_id: i64, owners: &[i64], now: i64) -> StoreResult<()> {
    for owner in owners {
        exec!(
            tx,
            sqlx::query(
                "INSERT INTO assembly_petition_signatures (petition_id, owner_id, account_id, signed_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (petition_id, owner_id) DO NOTHING"
            )
            .bind(petition_id)
            .bind(owner)
            .bind(account_id)
            .bind(now)
        )?;
    }
    Ok(())
}

async fn tell_convener(tx: &mut Tx, petition: &Petition, now: i64) -> StoreResult<()> {
    let recipients = format!(
        "{} UNION SELECT account_id FROM assembly_petition_signatures WHERE petition_id = $1",
        crate::notifications::STAFF_AND_COMMITTEE
    );
    let link = crate::notifications::Link::Petition(petition.id);
    crate::notifications::tell(tx, link, petition.community_id, "petition_met", &petition.title, &recipients, now).await
}
