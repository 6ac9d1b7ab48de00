//! The owners' assembly in the store: a draft with its matters, the notice that freezes
//! the matters and the roll of voters, ballots (exactly one per voter, on both backends,
//! however many are sent at once), the hash chain of every ballot and change, and the
//! count ([`linli_domain::assembly::tally`]).
//!
//! A ballot's transaction first bumps the assembly's chain counter. That update takes the
//! assembly's row lock on PostgreSQL (SQLite has one writer anyway), so ballots of one
//! assembly are written one at a time: the chain has no fork and the check "has this voter
//! a ballot?" cannot race with another submission of the same voter.

use crate::ownership::{ACCOUNT_OF_OWNER, DEVELOPER};
use crate::{Store, StoreError, StoreResult, Tx, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::assembly::{
    Arrival, Channel, Choice, Convener, CountedBallot, Elector, Form, Marks, MatterKind, Tally, Weight,
};
use linli_domain::ownership::Holder;
use sha2::{Digest, Sha256};

pub mod documents;
pub mod elections;
pub mod paper;
pub mod petitions;
pub mod proxies;
pub mod results;

/// An assembly to prepare, already checked.
#[derive(Debug, Clone)]
pub struct NewAssembly {
    pub community_id: i64,
    pub title: String,
    pub form: Form,
    /// China dates, `YYYY-MM-DD`.
    pub opens_on: String,
    pub closes_on: String,
    pub allow_changes: bool,
    pub show_running: bool,
    pub matters: Vec<NewMatter>,
    pub convener: Convener,
    /// The petition this temporary meeting answers, if any.
    pub petition_id: Option<i64>,
    /// The committee members it elects, if it holds an election (candidates are added to
    /// the draft afterwards, each as a matter).
    pub seats: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewMatter {
    pub kind: MatterKind,
    pub title: String,
    pub body: String,
}

/// An assembly as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Assembly {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    #[sqlx(try_from = "String")]
    pub form: Form,
    pub opens_on: String,
    pub closes_on: String,
    pub allow_changes: bool,
    pub show_running: bool,
    pub follow_majority: bool,
    pub created_at: i64,
    pub noticed_at: Option<i64>,
    pub electorate_area_dm2: Option<i64>,
    pub electorate_owners: Option<i64>,
    pub counted_at: Option<i64>,
    pub tally_hash: Option<String>,
    /// After the count: the last China date of the objection period.
    pub objections_until: Option<String>,
    pub finalised_at: Option<i64>,
    pub ballot_seq: i64,
    pub chain_head: String,
    #[sqlx(try_from = "String")]
    pub convener: Convener,
    /// The committee members it elects, when it holds an election.
    pub seats: Option<i64>,
}

impl Assembly {
    /// The frozen electorate, once the notice is out.
    pub fn electorate(&self) -> Option<Weight> {
        Some(Weight { area_dm2: self.electorate_area_dm2?, owners: self.electorate_owners? })
    }

    /// Whether ballots are taken on `today` (a China date, `YYYY-MM-DD`).
    pub fn is_open_on(&self, today: &str) -> bool {
        self.noticed_at.is_some()
            && self.counted_at.is_none()
            && self.opens_on.as_str() <= today
            && today <= self.closes_on.as_str()
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Matter {
    pub id: i64,
    pub position: i64,
    #[sqlx(try_from = "String")]
    pub kind: MatterKind,
    pub title: String,
    pub body: String,
}

/// A voter of an assembly's frozen roll.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ElectorRow {
    pub id: i64,
    pub area_dm2: i64,
    pub units: i64,
    pub label: String,
}

/// A voter's ballot as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Ballot {
    #[sqlx(try_from = "String")]
    pub channel: Channel,
    pub marks: String,
    pub receipt: String,
    pub cast_at: i64,
}

/// A ballot to record.
#[derive(Debug, Clone)]
pub struct Cast {
    pub assembly_id: i64,
    pub elector_id: i64,
    pub channel: Channel,
    pub marks: Marks,
    /// Who sent it: the owner, the proxy, or the staff member keying in paper.
    pub cast_by: Option<i64>,
    /// Keyed in from a signed paper (by the owner or their proxy): taken after the window
    /// closes too, until the count.
    pub on_paper: bool,
    /// The China date of the submission, for the voting window.
    pub today: String,
    pub at: i64,
}

/// What became of a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CastOutcome {
    /// It is the voter's ballot now; the receipt lets the owner check it was counted.
    Counted { receipt: String },
    /// A paper ballot for a voter who also voted online: kept in the chain, not counted
    /// (the online ballot counts).
    Superseded,
}

/// Marks as stored: one code per matter, comma-separated, or `blank` / `invalid`.
pub fn marks_code(marks: &Marks) -> String {
    match marks {
        Marks::Blank => "blank".into(),
        Marks::Invalid => "invalid".into(),
        Marks::Choices(c) => c.iter().map(|c| c.map_or("", |c| c.as_str())).collect::<Vec<_>>().join(","),
    }
}

/// Reads stored marks back.
pub fn marks_of(code: &str) -> Result<Marks, FieldError> {
    Ok(match code {
        "blank" => Marks::Blank,
        "invalid" => Marks::Invalid,
        _ => Marks::Choices(
            code.split(',')
                .map(|c| if c.is_empty() { Ok(None) } else { Choice::parse(c).map(Some) })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// One link of an assembly's ballot chain: a submission as it was accepted.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Link {
    seq: i64,
    elector_id: i64,
    channel: String,
    marks: String,
    cast_by: Option<i64>,
    cast_at: i64,
}

impl Link {
    /// The link's hash, covering the one before it.
    fn hash(&self, assembly_id: i64, prev: &str) -> String {
        let text = format!(
            "{prev}|{assembly_id}|{}|{}|{}|{}|{}|{}",
            self.seq,
            self.elector_id,
            self.channel,
            self.marks,
            self.cast_by.map(|a| a.to_string()).unwrap_or_default(),
            self.cast_at
        );
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// A receipt code: ten characters an owner can read out or type, from an alphabet with no
/// look-alikes.
fn receipt_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let token = crate::crypto::random_token();
    token.bytes().take(10).map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()])).collect()
}

const SELECT_ASSEMBLY: &str = "SELECT id, community_id, title, form, opens_on, closes_on, allow_changes, show_running, \
     follow_majority, created_at, noticed_at, electorate_area_dm2, electorate_owners, counted_at, tally_hash, \
     objections_until, finalised_at, ballot_seq, chain_head, convener, seats FROM assemblies";

impl Store {
    /// Prepares an assembly with its matters (a draft: nothing is frozen yet).
    pub async fn create_assembly(&self, new: &NewAssembly, by: Option<i64>) -> StoreResult<i64> {
        if new.matters.is_empty() && new.seats.is_none() {
            return Err(StoreError::Invalid(FieldError::new("matters", "error.assembly.no_matters")));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO assemblies (community_id, title, form, opens_on, closes_on, allow_changes, show_running, created_by, \
                 created_at, convener, seats) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            )
            .bind(new.community_id)
            .bind(&new.title)
            .bind(new.form.as_str())
            .bind(&new.opens_on)
            .bind(&new.closes_on)
            .bind(new.allow_changes)
            .bind(new.show_running)
            .bind(by)
            .bind(now)
            .bind(new.convener.as_str())
            .bind(new.seats)
            .fetch_one(c)
            .await
            })?;
            // A temporary meeting answers its petition once: a second call finds it answered.
            if let Some(petition) = new.petition_id {
                let answered = exec!(
                    tx,
                    sqlx::query(
                        "UPDATE assembly_petitions SET assembly_id = $1 \
                         WHERE id = $2 AND community_id = $3 AND assembly_id IS NULL AND met_at IS NOT NULL"
                    )
                    .bind(id)
                    .bind(petition)
                    .bind(new.community_id)
                )?;
                if answered == 0 {
                    return Err(StoreError::Invalid(FieldError::new("petition", "error.petition.answered")));
                }
            }
            for (i, m) in new.matters.iter().enumerate() {
                exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO assembly_matters (assembly_id, position, kind, title, body) VALUES ($1, $2, $3, $4, $5)"
                    )
                    .bind(id)
                    .bind(i as i64 + 1)
                    .bind(m.kind.as_str())
                    .bind(&m.title)
                    .bind(&m.body)
                )?;
            }
            id
        })
    }

    pub async fn assembly(&self, id: i64) -> StoreResult<Assembly> {
        let sql = format!("{SELECT_ASSEMBLY} WHERE id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    pub async fn assemblies(&self, community_id: i64) -> StoreResult<Vec<Assembly>> {
        let sql = format!("{SELECT_ASSEMBLY} WHERE community_id = $1 ORDER BY created_at DESC, id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn assembly_matters(&self, assembly_id: i64) -> StoreResult<Vec<Matter>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, position, kind, title, body FROM assembly_matters WHERE assembly_id = $1 ORDER BY position"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }

    /// Publishes the notice: freezes the roll of voters from the property register as it
    /// stands now (one voter per owner as the law counts them, with the summed area) and
    /// the community's 从众 rule. Refused once the notice is out: nothing changes after it.
    pub async fn publish_assembly(&self, assembly_id: i64, follow_majority: bool) -> StoreResult<Weight> {
        let assembly = self.assembly(assembly_id).await?;
        if assembly.noticed_at.is_some() {
            return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.frozen")));
        }
        // Nothing to vote on, or an election without candidates, cannot be noticed.
        if assembly.seats.is_some() && self.candidates(assembly_id).await?.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("candidate", "error.election.no_candidates")));
        }
        if self.assembly_matters(assembly_id).await?.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("matters", "error.assembly.no_matters")));
        }
        let holdings = self.holdings(assembly.community_id).await?;
        let voters = linli_domain::ownership::voters(&holdings);
        let labels = self.unit_labels(assembly.community_id).await?;
        let developer: Option<i64> =
            read!(self, |db| sqlx::query_scalar("SELECT id FROM owners WHERE community_id = $1 AND kind = $2")
                .bind(assembly.community_id)
                .bind(DEVELOPER)
                .fetch_optional(db)
                .await?);
        let total = Weight { area_dm2: voters.iter().map(|v| v.area.dm2()).sum(), owners: voters.len() as i64 };
        let now = crate::now_ms();
        transaction!(self, |tx| {
            // Only a draft is frozen, and only once, even if two people publish at once.
            let frozen = exec!(
                tx,
                sqlx::query(
                    "UPDATE assemblies SET noticed_at = $1, electorate_area_dm2 = $2, electorate_owners = $3, \
                     follow_majority = $4 WHERE id = $5 AND noticed_at IS NULL"
                )
                .bind(now)
                .bind(total.area_dm2)
                .bind(total.owners)
                .bind(follow_majority)
                .bind(assembly_id)
            )?;
            if frozen == 0 {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.frozen")));
            }
            for v in &voters {
                let label =
                    v.units.iter().map(|u| labels.get(u).map_or("?", String::as_str)).collect::<Vec<_>>().join("、");
                let elector: i64 = on!(tx, |c| {
                    sqlx::query_scalar(
                    "INSERT INTO assembly_electors (assembly_id, area_dm2, units, label) VALUES ($1, $2, $3, $4) RETURNING id"
                )
                .bind(assembly_id)
                .bind(v.area.dm2())
                .bind(v.units.len() as i64)
                .bind(&label)
                .fetch_one(c)
                .await
                })?;
                for holder in &v.holders {
                    let owner = match holder {
                        Holder::Owner(id) => Some(*id),
                        Holder::Developer => developer,
                    };
                    if let Some(owner) = owner {
                        exec!(
                            tx,
                            sqlx::query(
                                "INSERT INTO assembly_elector_owners (assembly_id, elector_id, owner_id) VALUES ($1, $2, $3)"
                            )
                            .bind(assembly_id)
                            .bind(elector)
                            .bind(owner)
                        )?;
                    }
                }
            }
            announce(tx, assembly_id, assembly.community_id, &assembly.title, "assembly_noticed", now).await?;
            total
        })
    }

    /// The community's 从众 rule: whether abstainers count with the side that leads.
    pub async fn follows_majority(&self, community_id: i64) -> StoreResult<bool> {
        read!(self, |db| sqlx::query_scalar("SELECT follow_majority FROM communities WHERE id = $1")
            .bind(community_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    /// Records the community's 从众 rule, for the assemblies noticed from now on.
    pub async fn set_follow_majority(&self, community_id: i64, on: bool) -> StoreResult<()> {
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE communities SET follow_majority = $1 WHERE id = $2").bind(on).bind(community_id)
            )?;
        })
    }

    /// The voter an owner of record votes for in an assembly, if the owner is on its roll.
    pub async fn elector_of_owner(&self, assembly_id: i64, owner_id: i64) -> StoreResult<Option<ElectorRow>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT e.id, e.area_dm2, e.units, e.label FROM assembly_elector_owners o \
             JOIN assembly_electors e ON e.id = o.elector_id WHERE o.assembly_id = $1 AND o.owner_id = $2"
        )
        .bind(assembly_id)
        .bind(owner_id)
        .fetch_optional(db)
        .await?))
    }

    /// One voter of an assembly's roll, if it is on that roll.
    pub async fn assembly_elector(&self, assembly_id: i64, elector_id: i64) -> StoreResult<Option<ElectorRow>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, area_dm2, units, label FROM assembly_electors WHERE assembly_id = $1 AND id = $2"
        )
        .bind(assembly_id)
        .bind(elector_id)
        .fetch_optional(db)
        .await?))
    }

    pub async fn assembly_electors(&self, assembly_id: i64) -> StoreResult<Vec<ElectorRow>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, area_dm2, units, label FROM assembly_electors WHERE assembly_id = $1 ORDER BY id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?))
    }

    /// Records a ballot: exactly one per voter, whichever counts by
    /// [`linli_domain::assembly::arrival`]. Every accepted submission is a link of the chain.
    pub async fn cast_ballot(&self, cast: &Cast) -> StoreResult<CastOutcome> {
        let shape = self.ballot_shape(cast.assembly_id).await?;
        check_marks(&cast.marks, &shape, cast.channel == Channel::Paper)?;
        transaction!(self, |tx| cast_in(tx, cast).await?)
    }

    /// The ballot that counts for a voter, if any.
    pub async fn ballot_of(&self, assembly_id: i64, elector_id: i64) -> StoreResult<Option<Ballot>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT channel, marks, receipt, cast_at FROM assembly_ballots WHERE assembly_id = $1 AND elector_id = $2"
        )
        .bind(assembly_id)
        .bind(elector_id)
        .fetch_optional(db)
        .await?))
    }

    /// The owners of record an account stands for: verified as the owner, or through the
    /// resident it is linked to.
    pub async fn owners_of_account(&self, community_id: i64, account_id: i64) -> StoreResult<Vec<i64>> {
        let sql = format!(
            "SELECT o.id FROM owners o JOIN accounts a ON {ACCOUNT_OF_OWNER} \
             WHERE a.id = $1 AND o.community_id = $2 ORDER BY o.id"
        );
        Ok(read!(self, |db| sqlx::query_scalar(&sql).bind(account_id).bind(community_id).fetch_all(db).await?))
    }

    /// Closes the count after the window: the chain is checked whole, its last hash is
    /// kept as the tally's hash (published with the result), and no ballot is taken after.
    /// Refused while voting is open, a second time, or if the chain does not verify.
    /// The preliminary result then stands open to objections until `objections_until`.
    pub async fn count_assembly(&self, assembly_id: i64, today: &str, objections_until: &str) -> StoreResult<String> {
        let assembly = self.assembly(assembly_id).await?;
        if assembly.noticed_at.is_none() || today <= assembly.closes_on.as_str() {
            return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.still_open")));
        }
        if assembly.counted_at.is_some() {
            return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.counted")));
        }
        let head = self
            .verify_ballot_chain(assembly_id)
            .await?
            .map_err(|_| StoreError::Invalid(FieldError::new("assembly", "error.assembly.chain_broken")))?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            // The chain's head must still be the one checked: a late paper ballot would move it.
            let done = exec!(
                tx,
                sqlx::query(
                    "UPDATE assemblies SET counted_at = $1, tally_hash = $2, objections_until = $3 \
                     WHERE id = $4 AND counted_at IS NULL AND chain_head = $2"
                )
                .bind(now)
                .bind(&head)
                .bind(objections_until)
                .bind(assembly_id)
            )?;
            if done == 0 {
                return Err(StoreError::Invalid(FieldError::new("assembly", "error.assembly.counted")));
            }
            head
        })
    }

    /// The ballot a receipt code stands for, as counted: its channel and marks, and no
    /// name. `None` for a code that matches no counted ballot of this assembly.
    pub async fn ballot_by_receipt(&self, assembly_id: i64, receipt: &str) -> StoreResult<Option<Ballot>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT channel, marks, receipt, cast_at FROM assembly_ballots WHERE assembly_id = $1 AND receipt = $2"
        )
        .bind(assembly_id)
        .bind(receipt.trim().to_ascii_uppercase())
        .fetch_optional(db)
        .await?))
    }

    /// Counts an assembly's ballots as they stand; a counted assembly's tally is counted once
    /// per process (see [`crate::Caches`]).
    pub async fn assembly_tally(&self, assembly_id: i64) -> StoreResult<Tally> {
        let assembly = self.assembly(assembly_id).await?;
        let counted = assembly.counted_at.is_some();
        let cached = |caches: &crate::Caches| {
            caches.counted_tallies.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&assembly_id).cloned()
        };
        if counted && let Some(tally) = cached(&self.caches) {
            return Ok(tally);
        }
        let kinds: Vec<MatterKind> = self.assembly_matters(assembly_id).await?.into_iter().map(|m| m.kind).collect();
        let rows: Vec<(i64, i64, String, String)> = read!(self, |db| sqlx::query_as(
            "SELECT e.id, e.area_dm2, b.channel, b.marks FROM assembly_ballots b \
             JOIN assembly_electors e ON e.id = b.elector_id WHERE b.assembly_id = $1"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?);
        let ballots = rows
            .into_iter()
            .map(|(id, area_dm2, channel, marks)| {
                Ok(CountedBallot {
                    elector: Elector { id, area_dm2 },
                    channel: Channel::try_from(channel)?,
                    marks: marks_of(&marks)?,
                })
            })
            .collect::<Result<Vec<_>, FieldError>>()
            .map_err(StoreError::Invalid)?;
        let electorate = assembly.electorate().unwrap_or_default();
        let tally = linli_domain::assembly::tally(&kinds, electorate, &ballots, assembly.follow_majority);
        if counted {
            let mut map = self.caches.counted_tallies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            map.insert(assembly_id, tally.clone());
        }
        Ok(tally)
    }

    /// Walks an assembly's ballot chain from the start and returns its last hash, or the
    /// sequence number of the first link whose hash does not cover what it says.
    pub async fn verify_ballot_chain(&self, assembly_id: i64) -> StoreResult<Result<String, i64>> {
        #[derive(sqlx::FromRow)]
        struct Stored {
            #[sqlx(flatten)]
            link: Link,
            prev_hash: String,
            hash: String,
        }
        let links: Vec<Stored> = read!(self, |db| sqlx::query_as(
            "SELECT seq, elector_id, channel, marks, cast_by, cast_at, prev_hash, hash FROM assembly_ballot_links \
             WHERE assembly_id = $1 ORDER BY seq"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?);
        let mut prev = String::new();
        for (i, stored) in links.into_iter().enumerate() {
            let seq = stored.link.seq;
            if seq != i as i64 + 1 || stored.prev_hash != prev || stored.link.hash(assembly_id, &prev) != stored.hash {
                return Ok(Err(seq));
            }
            prev = stored.hash;
        }
        // Each counted ballot says what its link says.
        let stray: Option<i64> = read!(self, |db| sqlx::query_scalar(
            "SELECT l.seq FROM assembly_ballots b JOIN assembly_ballot_links l ON l.id = b.link_id \
             WHERE b.assembly_id = $1 AND (l.assembly_id <> b.assembly_id OR l.elector_id <> b.elector_id \
             OR l.channel <> b.channel OR l.marks <> b.marks) ORDER BY l.seq LIMIT 1"
        )
        .bind(assembly_id)
        .fetch_optional(db)
        .await?);
        Ok(match stray {
            Some(seq) => Err(seq),
            None => Ok(prev),
        })
    }
}

/// The notice goes to every owner on the roll who has an account, and to the community's
/// staff (the residents' committee is told), in their inboxes and, for those who take no
/// daily digest, to the webhook.
pub(crate) async fn announce(
    tx: &mut Tx,
    assembly_id: i64,
    community_id: i64,
    title: &str,
    kind: &str,
    now: i64,
) -> StoreResult<()> {
    let owners_and_staff = format!(
        "SELECT a.id AS account_id FROM assembly_elector_owners eo JOIN owners o ON o.id = eo.owner_id \
         JOIN accounts a ON {ACCOUNT_OF_OWNER} WHERE eo.assembly_id = $1 \
         UNION {}",
        crate::notifications::STAFF_AND_COMMITTEE
    );
    crate::notifications::tell(
        tx,
        crate::notifications::Link::Assembly(assembly_id),
        community_id,
        kind,
        title,
        &owners_and_staff,
        now,
    )
    .await
}

/// Appends `link` after `prev` and moves the assembly's chain head to it; returns its id.
async fn append_link(tx: &mut Tx, assembly_id: i64, link: &Link, prev: &str) -> StoreResult<i64> {
    let hash = link.hash(assembly_id, prev);
    let id: i64 = on!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO assembly_ballot_links (assembly_id, seq, elector_id, channel, marks, cast_by, cast_at, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"
    )
    .bind(assembly_id)
    .bind(link.seq)
    .bind(link.elector_id)
    .bind(&link.channel)
    .bind(&link.marks)
    .bind(link.cast_by)
    .bind(link.cast_at)
    .bind(prev)
    .bind(&hash)
    .fetch_one(c)
    .await
    })?;
    exec!(tx, sqlx::query("UPDATE assemblies SET chain_head = $1 WHERE id = $2").bind(&hash).bind(assembly_id))?;
    Ok(id)
}

/// What a ballot of an assembly must look like: one answer per matter, and, in an election,
/// at most `seats` candidates agreed to.
pub(crate) struct BallotShape {
    pub matters: usize,
    /// The seats and the candidates' positions (1-based), when the assembly elects.
    pub election: Option<(i64, Vec<i64>)>,
}

impl Store {
    pub(crate) async fn ballot_shape(&self, assembly_id: i64) -> StoreResult<BallotShape> {
        let matters = self.assembly_matters(assembly_id).await?.len();
        let assembly = self.assembly(assembly_id).await?;
        let election = match assembly.seats {
            Some(seats) => Some((seats, self.candidates(assembly_id).await?.iter().map(|c| c.position).collect())),
            None => None,
        };
        Ok(BallotShape { matters, election })
    }
}

/// A ballot's marks fit the assembly: one answer per matter (a paper ballot may leave a
/// matter unmarked), no more candidates agreed to than there are seats; or a blank or void
/// ballot (a paper ballot that agrees to too many candidates is keyed in as void).
pub(crate) fn check_marks(marks: &Marks, shape: &BallotShape, paper: bool) -> StoreResult<()> {
    if let Marks::Choices(c) = marks {
        if c.len() != shape.matters || (!paper && c.iter().any(Option::is_none)) {
            return Err(StoreError::Invalid(FieldError::new("marks", "error.assembly.marks")));
        }
        if let Some((seats, positions)) = &shape.election {
            let agreed = positions
                .iter()
                .filter(|p| usize::try_from(**p - 1).ok().and_then(|i| c.get(i)) == Some(&Some(Choice::Agree)))
                .count() as i64;
            if agreed > *seats {
                return Err(StoreError::Invalid(FieldError::new("marks", "error.election.too_many")));
            }
        }
    }
    Ok(())
}

/// Locks a draft assembly's row for a change to what the notice will freeze; refused once
/// the notice is out.
pub(crate) async fn lock_draft(tx: &mut Tx, assembly_id: i64) -> StoreResult<()> {
    let draft: Option<i64> = on!(tx, |c| sqlx::query_scalar(
        "UPDATE assemblies SET ballot_seq = ballot_seq WHERE id = $1 AND noticed_at IS NULL RETURNING id"
    )
    .bind(assembly_id)
    .fetch_optional(c)
    .await)?;
    draft.map(|_| ()).ok_or(StoreError::Invalid(FieldError::new("assembly", "error.assembly.frozen")))
}

/// Records a ballot inside a transaction. The assembly's row is updated first, which takes
/// its lock: ballots of one assembly are written one at a time.
pub(crate) async fn cast_in(tx: &mut Tx, cast: &Cast) -> StoreResult<CastOutcome> {
    let marks = marks_code(&cast.marks);
    let (seq, prev, opens_on, closes_on, allow_changes, counted): (i64, String, String, String, bool, Option<i64>) =
        on!(tx, |c| sqlx::query_as(
            "UPDATE assemblies SET ballot_seq = ballot_seq + 1 WHERE id = $1 AND noticed_at IS NOT NULL \
             RETURNING ballot_seq, chain_head, opens_on, closes_on, allow_changes, counted_at"
        )
        .bind(cast.assembly_id)
        .fetch_optional(c)
        .await)?
        .ok_or(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_open")))?;
    // Paper ballots (and a proxy's on paper) are keyed in after the window too, until the count.
    let in_window =
        opens_on.as_str() <= cast.today.as_str() && (cast.today.as_str() <= closes_on.as_str() || cast.on_paper);
    if counted.is_some() || !in_window {
        return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_open")));
    }
    let on_roll: Option<i64> =
        on!(tx, |c| sqlx::query_scalar("SELECT id FROM assembly_electors WHERE id = $1 AND assembly_id = $2")
            .bind(cast.elector_id)
            .bind(cast.assembly_id)
            .fetch_optional(c)
            .await)?;
    if on_roll.is_none() {
        return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_elector")));
    }
    if cast.channel == Channel::Proxy && proxies::in_force(tx, cast.assembly_id, cast.elector_id).await?.is_none() {
        return Err(StoreError::Invalid(FieldError::new("proxy", "error.assembly.no_proxy")));
    }
    let existing: Option<String> = on!(tx, |c| sqlx::query_scalar(
        "SELECT channel FROM assembly_ballots WHERE assembly_id = $1 AND elector_id = $2"
    )
    .bind(cast.assembly_id)
    .bind(cast.elector_id)
    .fetch_optional(c)
    .await)?;
    let existing = existing.map(Channel::try_from).transpose().map_err(StoreError::Invalid)?;
    let counts = match linli_domain::assembly::arrival(existing, cast.channel, allow_changes) {
        Arrival::Counts => true,
        Arrival::Kept => false,
        Arrival::Refused if existing == Some(Channel::Online) && cast.channel == Channel::Proxy => {
            return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.owner_voted")));
        }
        Arrival::Refused => return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.cast_once"))),
    };
    let link = Link {
        seq,
        elector_id: cast.elector_id,
        channel: cast.channel.as_str().to_owned(),
        marks: marks.clone(),
        cast_by: cast.cast_by,
        cast_at: cast.at,
    };
    let link = append_link(tx, cast.assembly_id, &link, &prev).await?;
    if !counts {
        return Ok(CastOutcome::Superseded);
    }
    let receipt = receipt_code();
    exec!(
        tx,
        sqlx::query(
            "INSERT INTO assembly_ballots (assembly_id, elector_id, channel, marks, receipt, cast_by, cast_at, link_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (assembly_id, elector_id) DO UPDATE SET channel = excluded.channel, marks = excluded.marks, \
             receipt = excluded.receipt, cast_by = excluded.cast_by, cast_at = excluded.cast_at, link_id = excluded.link_id"
        )
        .bind(cast.assembly_id)
        .bind(cast.elector_id)
        .bind(cast.channel.as_str())
        .bind(&marks)
        .bind(&receipt)
        .bind(cast.cast_by)
        .bind(cast.at)
        .bind(link)
    )?;
    Ok(CastOutcome::Counted { receipt })
}
