//! Joint meetings: scheduled with every party of the community invited and guests by name
//! (each told in the inbox), an agenda of ledger items, attendance and minutes (纪要). The
//! first minutes mark the meeting held.

use super::{LedgerItem, MEMBERS, Meeting, Member, audit};
use crate::joint::ledger::{ITEM_COLUMNS, ITEM_FROM};
use crate::notifications::{Link, tell};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;

/// A checked meeting to schedule.
#[derive(Debug, Clone)]
pub struct NewMeeting {
    pub community_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub place: String,
    /// Invited guests by name and unit (the police officer, the street's office …).
    pub guests: Vec<String>,
    pub by: i64,
}

const MEETING_COLUMNS: &str = "id, community_id, title, starts_at, place, convened_by, minutes, held_at";

impl Store {
    /// Schedules a meeting, invites every party of the community and the guests, and tells
    /// everyone who sits at the table.
    pub async fn schedule_meeting(&self, new: &NewMeeting) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO joint_meetings (community_id, title, starts_at, place, convened_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(new.community_id)
                .bind(&new.title)
                .bind(new.starts_at)
                .bind(&new.place)
                .bind(new.by)
                .bind(now)
                .fetch_one(c)
                .await
            })?;
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO meeting_members (meeting_id, organisation_id) \
                     SELECT $1, id FROM organisations WHERE community_id = $2 ORDER BY id"
                )
                .bind(id)
                .bind(new.community_id)
            )?;
            for guest in &new.guests {
                exec!(
                    tx,
                    sqlx::query("INSERT INTO meeting_members (meeting_id, guest) VALUES ($1, $2)").bind(id).bind(guest)
                )?;
            }
            tell(tx, Link::Meeting(id), new.community_id, "meeting_called", &new.title, MEMBERS, now).await?;
            audit(tx, Some(new.by), new.community_id, "meeting.scheduled", &format!("#{id}"), now).await?;
            id
        })
    }

    /// The community's meetings, the latest first.
    pub async fn meetings(&self, community_id: i64) -> StoreResult<Vec<Meeting>> {
        let sql =
            format!("SELECT {MEETING_COLUMNS} FROM joint_meetings WHERE community_id = $1 ORDER BY starts_at DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn meeting(&self, id: i64) -> StoreResult<Meeting> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM joint_meetings WHERE id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// Who was invited, parties first, and whether they came.
    pub async fn meeting_members(&self, meeting_id: i64) -> StoreResult<Vec<Member>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT m.id, m.organisation_id, o.name AS organisation_name, o.kind AS organisation_kind, m.guest, m.present \
             FROM meeting_members m LEFT JOIN organisations o ON o.id = m.organisation_id \
             WHERE m.meeting_id = $1 ORDER BY m.organisation_id IS NULL, m.id"
        )
        .bind(meeting_id)
        .fetch_all(db)
        .await?
        }))
    }

    /// The ledger items on a meeting's agenda, oldest first.
    pub async fn meeting_agenda(&self, meeting_id: i64) -> StoreResult<Vec<LedgerItem>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM {ITEM_FROM} JOIN meeting_agenda g ON g.ledger_item_id = l.id \
             WHERE g.meeting_id = $1 ORDER BY l.raised_at"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(meeting_id).fetch_all(db).await?))
    }

    /// Puts live items of the meeting's community on its agenda; they are then on an agenda.
    /// An item already there, closed, or of another community is refused, naming the field.
    pub async fn add_to_agenda(&self, meeting: &Meeting, items: &[i64], by: i64) -> StoreResult<()> {
        if items.is_empty() {
            return Err(StoreError::Invalid(FieldError::new("items", "error.joint.pick")));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            for item in items {
                let added = exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO meeting_agenda (meeting_id, ledger_item_id) SELECT $1, id FROM ledger_items \
                         WHERE id = $2 AND community_id = $3 AND status IN ('open', 'on_agenda') \
                         AND NOT EXISTS (SELECT 1 FROM meeting_agenda WHERE meeting_id = $1 AND ledger_item_id = $2)"
                    )
                    .bind(meeting.id)
                    .bind(item)
                    .bind(meeting.community_id)
                )?;
                if added == 0 {
                    return Err(StoreError::Invalid(FieldError::new("items", "error.joint.pick")));
                }
                exec!(tx, sqlx::query("UPDATE ledger_items SET status = 'on_agenda' WHERE id = $1").bind(item))?;
            }
            let detail = format!("#{} +{}", meeting.id, items.len());
            audit(tx, Some(by), meeting.community_id, "meeting.agenda", &detail, now).await?;
        })
    }

    /// Posts a meeting's resolutions and their progress on the community's public board, as
    /// of now: a new item each time (an item on the board is never changed).
    pub async fn post_resolutions(&self, meeting: &Meeting, title: &str, body: &str, by: i64) -> StoreResult<i64> {
        let now = crate::now_ms();
        let today = crate::today().to_string();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO public_records (community_id, kind, title, body, arose_on, published_at, created_by, created_at) \
                     VALUES ($1, 'resolutions', $2, $3, $4, $5, $6, $5) RETURNING id",
                )
                .bind(meeting.community_id)
                .bind(title)
                .bind(body)
                .bind(&today)
                .bind(now)
                .bind(by)
                .fetch_one(c)
                .await
            })?;
            audit(tx, Some(by), meeting.community_id, "meeting.posted", &format!("#{} {id}", meeting.id), now).await?;
            id
        })
    }

    /// Records (or corrects) the minutes and who came; the first minutes mark the meeting
    /// held and tell everyone at the table. A meeting that has not begun has no minutes.
    pub async fn record_minutes(&self, meeting: &Meeting, minutes: &str, present: &[i64], by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        if meeting.starts_at > now {
            return Err(StoreError::Invalid(FieldError::new("minutes", "error.joint.not_yet")));
        }
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE joint_meetings SET minutes = $1, held_at = COALESCE(held_at, $2) WHERE id = $3")
                    .bind(minutes)
                    .bind(now)
                    .bind(meeting.id)
            )?;
            exec!(
                tx,
                sqlx::query("UPDATE meeting_members SET present = FALSE WHERE meeting_id = $1").bind(meeting.id)
            )?;
            for member in present {
                exec!(
                    tx,
                    sqlx::query("UPDATE meeting_members SET present = TRUE WHERE meeting_id = $1 AND id = $2")
                        .bind(meeting.id)
                        .bind(member)
                )?;
            }
            if meeting.held_at.is_none() {
                tell(
                    tx,
                    Link::Meeting(meeting.id),
                    meeting.community_id,
                    "meeting_minutes",
                    &meeting.title,
                    MEMBERS,
                    now,
                )
                .await?;
            }
            audit(tx, Some(by), meeting.community_id, "meeting.minutes", &format!("#{}", meeting.id), now).await?;
        })
    }
}
