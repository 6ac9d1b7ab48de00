//! Electing the owners' committee at an assembly: while the assembly is a draft the
//! convener sets the seats and adds candidates (owners of record, each nominated by the
//! Party organisation, the residents' committee, themselves or jointly); each candidate is
//! a matter of kind `committee`, so the notice freezes them, ballots, paper, proxies, the
//! chain and the record work as for any matter. After the count,
//! [`linli_domain::election::elect`] fills the seats from the matters' results.

use super::{Assembly, lock_draft};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::assembly::{MatterKind, Tally};
use linli_domain::election::{ElectionResult, Nomination, Standing, elect};

/// A candidate as stored, with the position of their matter on the ballot.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Candidate {
    pub id: i64,
    pub matter_id: i64,
    pub position: i64,
    pub owner_id: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub nomination: Nomination,
    /// The candidate's statement (the matter's body).
    pub statement: String,
}

impl Store {
    /// Sets the seats to fill (checked against the rules by the caller); a draft only.
    pub async fn set_seats(&self, assembly_id: i64, seats: Option<i64>) -> StoreResult<()> {
        transaction!(self, |tx| {
            lock_draft(tx, assembly_id).await?;
            exec!(tx, sqlx::query("UPDATE assemblies SET seats = $1 WHERE id = $2").bind(seats).bind(assembly_id))?;
        })
    }

    /// Adds a candidate as the ballot's next matter; a draft only, an owner of record of the
    /// assembly's community, once.
    pub async fn add_candidate(
        &self,
        assembly: &Assembly,
        owner_id: i64,
        nomination: Nomination,
        statement: &str,
    ) -> StoreResult<i64> {
        let name: Option<String> = read!(self, |db| sqlx::query_scalar(
            "SELECT name FROM owners WHERE id = $1 AND community_id = $2 AND kind = 'person'"
        )
        .bind(owner_id)
        .bind(assembly.community_id)
        .fetch_optional(db)
        .await?);
        let name = name.ok_or(StoreError::Invalid(FieldError::new("candidate", "error.election.not_owner")))?;
        transaction!(self, |tx| {
            lock_draft(tx, assembly.id).await?;
            let taken: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                "SELECT id FROM assembly_candidates WHERE assembly_id = $1 AND owner_id = $2"
            )
            .bind(assembly.id)
            .bind(owner_id)
            .fetch_optional(c)
            .await)?;
            if taken.is_some() {
                return Err(StoreError::Invalid(FieldError::new("candidate", "error.election.twice")));
            }
            let matter: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_matters (assembly_id, position, kind, title, body) \
                 SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4 FROM assembly_matters WHERE assembly_id = $1 \
                 RETURNING id"
            )
            .bind(assembly.id)
            .bind(MatterKind::Committee.as_str())
            .bind(&name)
            .bind(statement)
            .fetch_one(c)
            .await)?;
            on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO assembly_candidates (assembly_id, matter_id, owner_id, name, nomination) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(assembly.id)
            .bind(matter)
            .bind(owner_id)
            .bind(&name)
            .bind(nomination.as_str())
            .fetch_one(c)
            .await)?
        })
    }

    /// Takes a candidate off a draft: their matter goes, and the matters after it move up.
    pub async fn remove_candidate(&self, assembly_id: i64, candidate_id: i64) -> StoreResult<()> {
        transaction!(self, |tx| {
            lock_draft(tx, assembly_id).await?;
            let found: Option<(i64, i64)> = on!(tx, |c| {
                sqlx::query_as(
                "SELECT k.matter_id, m.position FROM assembly_candidates k JOIN assembly_matters m ON m.id = k.matter_id \
                 WHERE k.id = $1 AND k.assembly_id = $2"
            )
            .bind(candidate_id)
            .bind(assembly_id)
            .fetch_optional(c)
            .await
            })?;
            let (matter, position) = found.ok_or(StoreError::NotFound)?;
            exec!(tx, sqlx::query("DELETE FROM assembly_candidates WHERE id = $1").bind(candidate_id))?;
            exec!(tx, sqlx::query("DELETE FROM assembly_matters WHERE id = $1").bind(matter))?;
            // One at a time, upwards, so the (assembly, position) key never clashes.
            let after: Vec<i64> = on!(tx, |c| sqlx::query_scalar(
                "SELECT id FROM assembly_matters WHERE assembly_id = $1 AND position > $2 ORDER BY position"
            )
            .bind(assembly_id)
            .bind(position)
            .fetch_all(c)
            .await)?;
            for id in after {
                exec!(tx, sqlx::query("UPDATE assembly_matters SET position = position - 1 WHERE id = $1").bind(id))?;
            }
        })
    }

    /// An assembly's candidates in ballot order.
    pub async fn candidates(&self, assembly_id: i64) -> StoreResult<Vec<Candidate>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT k.id, k.matter_id, m.position, k.owner_id, k.name, k.nomination, m.body AS statement \
             FROM assembly_candidates k JOIN assembly_matters m ON m.id = k.matter_id \
             WHERE k.assembly_id = $1 ORDER BY m.position"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }
}

/// The election's result from an assembly's count: each candidate's matter read as their
/// standing, and the seats filled from them.
pub fn election_result(seats: i64, candidates: &[Candidate], tally: &Tally) -> ElectionResult {
    let standings: Vec<Standing> = candidates
        .iter()
        .filter_map(|c| {
            let r = tally.matters.get(usize::try_from(c.position - 1).ok()?)?;
            Some(Standing { candidate: c.id, yes: r.agree, passed: r.passed })
        })
        .collect();
    elect(seats, &standings)
}
