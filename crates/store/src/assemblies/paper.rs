//! Paper ballots keyed in twice: each person's entry is kept with the photo of the signed
//! paper, and the ballot is cast only when two different people's entries agree
//! ([`linli_domain::assembly::double_entry`]); a mismatch is flagged on the desk and counts
//! for nothing until someone keys the paper in again. The roll shows where every voter
//! stands: no ballot, online, proxy, paper, or paper waiting for its second entry.

use super::{Cast, CastOutcome, cast_in, check_marks, marks_code};
use crate::photos::NewPhoto;
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::assembly::{Channel, DoubleEntry, Marks, double_entry};

/// One person's reading of a signed paper ballot.
#[derive(Debug, Clone)]
pub struct PaperEntry {
    pub assembly_id: i64,
    pub elector_id: i64,
    pub marks: Marks,
    /// Signed by the owner's registered proxy.
    pub by_proxy: bool,
    /// The photo of the signed paper; the first entry of a ballot must carry one.
    pub photo: Option<NewPhoto>,
    pub entered_by: i64,
    /// The China date and the instant of the entry.
    pub today: String,
    pub at: i64,
}

/// What became of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaperOutcome {
    /// The first entry: it waits for a second person.
    AwaitingSecond,
    /// It agrees with another person's entry, and the ballot is cast.
    Cast(CastOutcome),
    /// It disagrees with the other entries: flagged, nothing counted.
    Mismatch,
}

/// A voter on the roll as the committee's desk sees them: units and area, how their ballot
/// came, where its paper entry stands, and whether a proxy is in force. No names.
#[derive(Debug, Clone)]
pub struct RollEntry {
    pub elector_id: i64,
    pub label: String,
    pub area_dm2: i64,
    pub units: i64,
    pub ballot: Option<Channel>,
    pub paper: DoubleEntry,
    pub proxy: bool,
}

/// One stored entry, for the desk: who keyed it in and what.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredEntry {
    pub id: i64,
    pub marks: String,
    pub by_proxy: bool,
    pub entered_by: i64,
    pub entered_at: i64,
    pub has_photo: bool,
}

impl StoredEntry {
    fn reading(&self) -> (&str, bool) {
        (self.marks.as_str(), self.by_proxy)
    }
}

impl Store {
    /// Keys in one person's reading of a paper ballot. Nothing is written if the entry is
    /// refused (not on the roll, marks that do not fit, no photo, a proxy not in force).
    pub async fn enter_paper(&self, entry: &PaperEntry) -> StoreResult<PaperOutcome> {
        let shape = self.ballot_shape(entry.assembly_id).await?;
        check_marks(&entry.marks, &shape, true)?;
        let marks = marks_code(&entry.marks);
        let now = entry.at;
        transaction!(self, |tx| {
            // The assembly's row lock: entries and ballots of one assembly go one at a time.
            let open: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                "UPDATE assemblies SET ballot_seq = ballot_seq WHERE id = $1 AND noticed_at IS NOT NULL \
                 AND counted_at IS NULL AND opens_on <= $2 RETURNING id"
            )
            .bind(entry.assembly_id)
            .bind(&entry.today)
            .fetch_optional(c)
            .await)?;
            if open.is_none() {
                return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_open")));
            }
            let on_roll: Option<i64> =
                on!(tx, |c| sqlx::query_scalar("SELECT id FROM assembly_electors WHERE id = $1 AND assembly_id = $2")
                    .bind(entry.elector_id)
                    .bind(entry.assembly_id)
                    .fetch_optional(c)
                    .await)?;
            if on_roll.is_none() {
                return Err(StoreError::Invalid(FieldError::new("ballot", "error.assembly.not_elector")));
            }
            if entry.by_proxy && super::proxies::in_force(tx, entry.assembly_id, entry.elector_id).await?.is_none() {
                return Err(StoreError::Invalid(FieldError::new("proxy", "error.assembly.no_proxy")));
            }
            let earlier: Vec<StoredEntry> = on!(tx, |c| sqlx::query_as(
                "SELECT id, marks, by_proxy, entered_by, entered_at, photo IS NOT NULL AS has_photo \
                 FROM assembly_paper_entries WHERE assembly_id = $1 AND elector_id = $2"
            )
            .bind(entry.assembly_id)
            .bind(entry.elector_id)
            .fetch_all(c)
            .await)?;
            if entry.photo.is_none() && !earlier.iter().any(|o| o.has_photo) {
                return Err(StoreError::Invalid(FieldError::new("photo", "error.assembly.paper_photo")));
            }
            let photo = entry.photo.as_ref();
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO assembly_paper_entries (assembly_id, elector_id, marks, by_proxy, photo, thumbnail, \
                     entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (assembly_id, elector_id, entered_by) DO UPDATE SET marks = excluded.marks, \
                     by_proxy = excluded.by_proxy, photo = COALESCE(excluded.photo, assembly_paper_entries.photo), \
                     thumbnail = COALESCE(excluded.thumbnail, assembly_paper_entries.thumbnail), \
                     entered_at = excluded.entered_at"
                )
                .bind(entry.assembly_id)
                .bind(entry.elector_id)
                .bind(&marks)
                .bind(entry.by_proxy)
                .bind(photo.map(|p| &p.bytes))
                .bind(photo.map(|p| &p.thumbnail))
                .bind(entry.entered_by)
                .bind(now)
            )?;
            let mine = (marks.as_str(), entry.by_proxy);
            let others: Vec<&StoredEntry> = earlier.iter().filter(|o| o.entered_by != entry.entered_by).collect();
            if others.is_empty() {
                PaperOutcome::AwaitingSecond
            } else if others.iter().any(|o| o.reading() == mine) {
                let cast = Cast {
                    assembly_id: entry.assembly_id,
                    elector_id: entry.elector_id,
                    channel: if entry.by_proxy { Channel::Proxy } else { Channel::Paper },
                    marks: entry.marks.clone(),
                    cast_by: Some(entry.entered_by),
                    on_paper: true,
                    today: entry.today.clone(),
                    at: now,
                };
                PaperOutcome::Cast(cast_in(tx, &cast).await?)
            } else {
                PaperOutcome::Mismatch
            }
        })
    }

    /// The entries of one voter's paper ballot, oldest first.
    pub async fn paper_entries(&self, assembly_id: i64, elector_id: i64) -> StoreResult<Vec<StoredEntry>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id, marks, by_proxy, entered_by, entered_at, photo IS NOT NULL AS has_photo \
             FROM assembly_paper_entries WHERE assembly_id = $1 AND elector_id = $2 ORDER BY id"
        )
        .bind(assembly_id)
        .bind(elector_id)
        .fetch_all(db)
        .await?))
    }

    /// The photo of a keyed-in paper ballot (or its thumbnail).
    pub async fn paper_photo(&self, assembly_id: i64, entry_id: i64, thumbnail: bool) -> StoreResult<Option<Vec<u8>>> {
        let sql = if thumbnail {
            "SELECT thumbnail FROM assembly_paper_entries WHERE id = $1 AND assembly_id = $2"
        } else {
            "SELECT photo FROM assembly_paper_entries WHERE id = $1 AND assembly_id = $2"
        };
        let photo: Option<Option<Vec<u8>>> =
            read!(self, |db| sqlx::query_scalar(sql).bind(entry_id).bind(assembly_id).fetch_optional(db).await?);
        Ok(photo.flatten())
    }

    /// The whole roll with where each voter stands, in roll order.
    pub async fn assembly_roll(&self, assembly_id: i64) -> StoreResult<Vec<RollEntry>> {
        let voters: Vec<(i64, String, i64, i64, Option<String>, bool)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT e.id, e.label, e.area_dm2, e.units, b.channel, \
             EXISTS (SELECT 1 FROM assembly_proxies x WHERE x.assembly_id = e.assembly_id AND x.elector_id = e.id \
                     AND x.revoked_at IS NULL) AS proxy \
             FROM assembly_electors e LEFT JOIN assembly_ballots b ON b.assembly_id = e.assembly_id AND b.elector_id = e.id \
             WHERE e.assembly_id = $1 ORDER BY e.id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?
        });
        let entries: Vec<(i64, i64, String, bool)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT elector_id, entered_by, marks, by_proxy FROM assembly_paper_entries WHERE assembly_id = $1 ORDER BY id"
        )
        .bind(assembly_id)
        .fetch_all(db)
        .await?
        });
        // Each voter's entries: who keyed in what (marks, by proxy).
        type Readings = Vec<(i64, (String, bool))>;
        let mut by_voter: std::collections::HashMap<i64, Readings> = Default::default();
        for (elector, by, marks, proxy) in entries {
            by_voter.entry(elector).or_default().push((by, (marks, proxy)));
        }
        voters
            .into_iter()
            .map(|(elector_id, label, area_dm2, units, channel, proxy)| {
                Ok(RollEntry {
                    paper: double_entry(by_voter.get(&elector_id).map_or(&[][..], Vec::as_slice)),
                    ballot: channel.map(Channel::try_from).transpose().map_err(StoreError::Invalid)?,
                    elector_id,
                    label,
                    area_dm2,
                    units,
                    proxy,
                })
            })
            .collect()
    }
}
