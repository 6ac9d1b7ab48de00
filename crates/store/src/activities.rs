//! Community activities: published by staff or a social organisation, or proposed by
//! residents and approved by staff; registration with a waiting line (the places of
//! [`crate::places`]), each with a check-in code; check-in on the day by code or by the
//! organiser's tick (which earns the resident the points the community sets for it); a
//! report with photos afterwards. Volunteers' shifts are in [`crate::volunteers`].

use crate::notifications::{Link, tell};
use crate::photos::NewPhoto;
use crate::places::ACTIVITIES;
use crate::points::Post;
use crate::services::{Placed, invalid, now_local};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::activity::{Kind, Organiser, Status};
use linli_domain::service::{BookingStatus, Eligibility, placement};
use linli_domain::volunteer::Action;
use rand::Rng;

/// A checked activity to write.
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub community_id: i64,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub venue: String,
    /// Local times, `YYYY-MM-DD HH:MM`.
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub eligibility: Eligibility,
    pub grids: Vec<i64>,
    pub organiser: Organiser,
    pub organisation_id: Option<i64>,
    /// Approved at once (staff, an organisation), or proposed (residents).
    pub status: Status,
    pub by: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Activity {
    pub id: i64,
    pub community_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub venue: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub care_tags: String,
    pub grid_ids: String,
    #[sqlx(try_from = "String")]
    pub organiser: Organiser,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: Status,
    pub decision_note: String,
    pub report: Option<String>,
    pub created_by: i64,
    pub creator: String,
    /// Places held (registered, attended or absent), those in line, those who came.
    pub taken: i64,
    pub waiting: i64,
    pub attended: i64,
}

impl Activity {
    pub fn eligibility(&self) -> Eligibility {
        Eligibility { min_age: self.min_age, max_age: self.max_age, tags: Eligibility::parse_tags(&self.care_tags) }
    }

    pub fn grids(&self) -> Vec<i64> {
        linli_domain::activity::parse_grids(&self.grid_ids)
    }

    pub fn started(&self) -> bool {
        self.starts_at <= now_local()
    }

    /// Open for registration: approved and not begun.
    pub fn open(&self) -> bool {
        self.status == Status::Approved && !self.started()
    }

    pub fn left(&self) -> i64 {
        (self.capacity - self.taken).max(0)
    }

    /// The day it is held on.
    pub fn day(&self) -> &str {
        self.starts_at.get(..10).unwrap_or_default()
    }
}

/// One registration, as its resident and the organiser see it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Registration {
    pub id: i64,
    pub activity_id: i64,
    pub title: String,
    pub starts_at: String,
    pub venue: String,
    pub community_id: i64,
    pub resident_id: i64,
    pub resident: String,
    pub grid_id: Option<i64>,
    #[sqlx(try_from = "String")]
    pub status: BookingStatus,
    pub line: i64,
    pub ahead: i64,
    pub code: String,
    pub checked_in_at: Option<i64>,
}

const COLUMNS: &str = "a.id, a.community_id, a.kind, a.title, a.description, a.venue, a.starts_at, a.ends_at, a.capacity, \
     a.min_age, a.max_age, a.care_tags, a.grid_ids, a.organiser, a.organisation_id, o.name AS organisation, a.status, \
     a.decision_note, a.report, a.created_by, c.display_name AS creator, \
     (SELECT COUNT(*) FROM registrations r WHERE r.activity_id = a.id AND r.status IN ('booked', 'served', 'no_show')) AS taken, \
     (SELECT COUNT(*) FROM registrations r WHERE r.activity_id = a.id AND r.status = 'waiting') AS waiting, \
     (SELECT COUNT(*) FROM registrations r WHERE r.activity_id = a.id AND r.status = 'served') AS attended \
     FROM activities a LEFT JOIN organisations o ON o.id = a.organisation_id JOIN accounts c ON c.id = a.created_by";

const REGISTRATION: &str = "g.id, g.activity_id, a.title, a.starts_at, a.venue, g.community_id, g.resident_id, \
     p.name AS resident, g.grid_id, g.status, g.line, \
     (SELECT COUNT(*) FROM registrations w WHERE w.activity_id = g.activity_id AND w.status = 'waiting' AND w.line < g.line) AS ahead, \
     g.code, g.checked_in_at \
     FROM registrations g JOIN activities a ON a.id = g.activity_id JOIN residents p ON p.id = g.resident_id";

/// The accounts of a registration's resident: the recipients of a notice linked to its
/// activity (whose id is `$1` there), so the registration is named in the query itself.
fn resident_of(registration_id: i64) -> String {
    format!(
        "SELECT id AS account_id FROM accounts WHERE resident_id = (SELECT resident_id FROM registrations WHERE id = {registration_id})"
    )
}

/// The community's staff (`$5` is the community).
const STAFF: &str = "SELECT account_id FROM role_assignments WHERE community_id = $5 AND role = 'community_staff'";

/// An activity's community, status and start, and the resident's id and grid if they live
/// in that community.
type Opening = (i64, String, String, Option<i64>, Option<i64>);

impl Store {
    pub async fn create_activity(&self, new: &NewActivity) -> StoreResult<i64> {
        if new.ends_at <= new.starts_at {
            return Err(invalid("ends_at", "error.activity.ends"));
        }
        if new.starts_at <= now_local() {
            return Err(invalid("starts_at_local", "error.activity.past"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO activities (community_id, kind, title, description, venue, starts_at, ends_at, capacity, \
                 min_age, max_age, care_tags, grid_ids, organiser, organisation_id, status, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id"
            )
            .bind(new.community_id)
            .bind(new.kind.as_str())
            .bind(&new.title)
            .bind(&new.description)
            .bind(&new.venue)
            .bind(&new.starts_at)
            .bind(&new.ends_at)
            .bind(new.capacity)
            .bind(new.eligibility.min_age)
            .bind(new.eligibility.max_age)
            .bind(new.eligibility.tags_code())
            .bind(linli_domain::activity::grids_code(&new.grids))
            .bind(new.organiser.as_str())
            .bind(new.organisation_id)
            .bind(new.status.as_str())
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            if new.status == Status::Proposed {
                tell(tx, Link::Activity(id), new.community_id, "activity.proposed", &new.title, STAFF, now).await?;
            }
            id
        })
    }

    /// Staff approve a residents' proposal or reject it with a reason; its proposer is told.
    pub async fn decide_activity(&self, id: i64, approve: bool, note: &str, by: i64) -> StoreResult<()> {
        let a = self.activity(id).await?;
        let now = crate::now_ms();
        let to = if approve { Status::Approved } else { Status::Rejected };
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query(
                    "UPDATE activities SET status = $2, decision_note = $3, decided_by = $4 WHERE id = $1 AND status = 'proposed'"
                )
                .bind(id)
                .bind(to.as_str())
                .bind(note)
                .bind(by)
            )?;
            if n == 0 {
                return Err(invalid("status", "error.activity.decided"));
            }
            let kind = format!("activity.{}", to.as_str());
            let proposer = "SELECT created_by AS account_id FROM activities WHERE id = $1";
            tell(tx, Link::Activity(id), a.community_id, &kind, &a.title, proposer, now).await?;
        })
    }

    pub async fn activity(&self, id: i64) -> StoreResult<Activity> {
        let sql = format!("SELECT {COLUMNS} WHERE a.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's activities: approved ones, and the proposals and refusals too for
    /// `all` (staff) or those `account_id` proposed; upcoming first (soonest first), then
    /// past ones (latest first).
    pub async fn activities(&self, community_id: i64, all: bool, account_id: i64) -> StoreResult<Vec<Activity>> {
        let sql = format!(
            "SELECT {COLUMNS} WHERE a.community_id = $1 AND (a.status = 'approved' OR $2 OR a.created_by = $3) \
             ORDER BY CASE WHEN a.starts_at >= $4 THEN 0 ELSE 1 END, \
             CASE WHEN a.starts_at >= $4 THEN a.starts_at ELSE '' END, a.starts_at DESC LIMIT 200"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql)
            .bind(community_id)
            .bind(all)
            .bind(account_id)
            .bind(now_local())
            .fetch_all(db)
            .await?))
    }

    /// Registers a resident (of the community, admitted, checked by the caller): a place,
    /// or the line if full and `wait`; a check-in code unique within the activity (a clash
    /// of the random code, one in a million per registration, is met by the unique index and
    /// the registration is tried again with another).
    pub async fn register(&self, activity_id: i64, resident_id: i64, by: i64, wait: bool) -> StoreResult<Placed> {
        let mut tries = 0;
        loop {
            match self.register_once(activity_id, resident_id, by, wait).await {
                Err(StoreError::Database(sqlx::Error::Database(e))) if e.is_unique_violation() && tries < 5 => {
                    tries += 1
                }
                other => return other,
            }
        }
    }

    async fn register_once(&self, activity_id: i64, resident_id: i64, by: i64, wait: bool) -> StoreResult<Placed> {
        let now = crate::now_ms();
        let code = format!("{:06}", rand::thread_rng().gen_range(0..1_000_000));
        transaction!(self, |tx| {
            // Before the lock: what does not change under it.
            let found: Option<Opening> = on!(tx, |c| sqlx::query_as(
                "SELECT a.community_id, a.status, a.starts_at, r.id, r.grid_id FROM activities a \
                 LEFT JOIN residents r ON r.id = $2 AND r.community_id = a.community_id AND r.moved_out_on IS NULL \
                 WHERE a.id = $1"
            )
            .bind(activity_id)
            .bind(resident_id)
            .fetch_optional(c)
            .await)?;
            let (community_id, status, starts_at, resident, grid_id) = found.ok_or(StoreError::NotFound)?;
            if status != Status::Approved.as_str() || starts_at <= now_local() {
                return Err(invalid("activity", "error.activity.closed"));
            }
            if resident.is_none() {
                return Err(StoreError::NotFound);
            }
            // The critical section: the lock, one count, the insert.
            let held = crate::places::lock(tx, ACTIVITIES, activity_id, resident_id).await?;
            if held.holds {
                return Err(invalid("activity", "error.activity.twice"));
            }
            let placed = placement(held.taken, held.capacity);
            if placed == BookingStatus::Waiting && !wait {
                return Err(invalid("activity", "error.activity.full"));
            }
            let insert = format!(
                "INSERT INTO registrations (activity_id, community_id, resident_id, grid_id, registered_by, status, line, \
                 code, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, {}, $7, $8, $8) RETURNING id",
                crate::places::next_line(ACTIVITIES)
            );
            let id: i64 = on!(tx, |c| sqlx::query_scalar(&insert)
                .bind(activity_id)
                .bind(community_id)
                .bind(resident_id)
                .bind(grid_id)
                .bind(by)
                .bind(placed.as_str())
                .bind(&code)
                .bind(now)
                .fetch_one(c)
                .await)?;
            let ahead = if placed == BookingStatus::Waiting { held.waiting } else { 0 };
            Placed { id, status: placed, ahead }
        })
    }

    /// Cancels a registration before the activity begins; a place given up goes to the
    /// first in line, who is told.
    pub async fn cancel_registration(&self, registration_id: i64) -> StoreResult<Option<i64>> {
        let r = self.registration(registration_id).await?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            crate::places::lock(tx, ACTIVITIES, r.activity_id, 0).await?;
            if r.starts_at <= now_local() {
                return Err(invalid("registration", "error.service.too_late"));
            }
            let first = crate::places::give_up(tx, ACTIVITIES, r.activity_id, registration_id, now).await?;
            if let Some(next) = first {
                let said = format!("{} {}", r.title, r.starts_at);
                tell(
                    tx,
                    Link::Activity(r.activity_id),
                    r.community_id,
                    "activity.promoted",
                    &said,
                    &resident_of(next),
                    now,
                )
                .await?;
            }
            first
        })
    }

    /// Checks a resident in on the day: by the code on their phone (`code`) or by the
    /// organiser's tick (`registration`). Only a registration holding a place, of this
    /// activity, once.
    pub async fn check_in(
        &self,
        activity_id: i64,
        code: Option<&str>,
        registration: Option<i64>,
        by: i64,
    ) -> StoreResult<Registration> {
        let a = self.activity(activity_id).await?;
        if a.day() != crate::today().to_string() {
            return Err(invalid("checkin_code", "error.activity.not_today"));
        }
        let sql = format!(
            "SELECT {REGISTRATION} WHERE g.activity_id = $1 AND (g.code = $2 OR g.id = $3) \
             AND g.status <> 'cancelled' ORDER BY g.id DESC LIMIT 1"
        );
        let found: Option<Registration> = read!(self, |db| sqlx::query_as(&sql)
            .bind(activity_id)
            .bind(code.map(str::trim).unwrap_or("-"))
            .bind(registration.unwrap_or(0))
            .fetch_optional(db)
            .await?);
        let r = found.ok_or_else(|| invalid("checkin_code", "error.activity.code"))?;
        match r.status {
            BookingStatus::Booked => {}
            BookingStatus::Served => return Err(invalid("checkin_code", "error.activity.checked_in")),
            _ => return Err(invalid("checkin_code", "error.activity.no_place")),
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query(
                    "UPDATE registrations SET status = 'served', checked_in_at = $2, checked_in_by = $3, updated_at = $2 \
                     WHERE id = $1 AND status = 'booked'"
                )
                .bind(r.id)
                .bind(now)
                .bind(by)
            )?;
            if n == 0 {
                return Err(invalid("checkin_code", "error.activity.checked_in"));
            }
            let points = crate::points::rule(tx, r.community_id, Action::ActivityAttended).await?;
            let source = format!("registration:{}", r.id);
            let earned =
                Post::earned((r.community_id, r.resident_id), Action::ActivityAttended, points, &a.title, source, by);
            crate::points::earn(tx, &earned, now).await?;
        })?;
        self.registration(r.id).await
    }

    /// The organiser's report afterwards, with photos; written again, it replaces the text
    /// and adds the photos.
    pub async fn report_activity(&self, id: i64, report: &str, photos: &[NewPhoto]) -> StoreResult<()> {
        let a = self.activity(id).await?;
        if !a.started() || a.status != Status::Approved {
            return Err(invalid("report", "error.activity.report_early"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE activities SET report = $2, reported_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(report)
                    .bind(now)
            )?;
            for photo in photos {
                exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO activity_photos (activity_id, bytes, thumbnail, created_at) VALUES ($1, $2, $3, $4)"
                    )
                    .bind(id)
                    .bind(&photo.bytes)
                    .bind(&photo.thumbnail)
                    .bind(now)
                )?;
            }
        })
    }

    pub async fn activity_photos(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT id FROM activity_photos WHERE activity_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(db)
            .await?))
    }

    pub async fn activity_photo(&self, id: i64, photo_id: i64, thumbnail: bool) -> StoreResult<Option<Vec<u8>>> {
        let column = if thumbnail { "thumbnail" } else { "bytes" };
        let sql = format!("SELECT {column} FROM activity_photos WHERE activity_id = $1 AND id = $2");
        Ok(read!(self, |db| sqlx::query_scalar(&sql).bind(id).bind(photo_id).fetch_optional(db).await?))
    }

    pub async fn registration(&self, id: i64) -> StoreResult<Registration> {
        let sql = format!("SELECT {REGISTRATION} WHERE g.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// An activity's registrations in arrival order (cancelled ones left out).
    pub async fn registrations(&self, activity_id: i64) -> StoreResult<Vec<Registration>> {
        let sql = format!("SELECT {REGISTRATION} WHERE g.activity_id = $1 AND g.status <> 'cancelled' ORDER BY g.line");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(activity_id).fetch_all(db).await?))
    }

    /// A resident's registrations, the latest activity first (cancelled ones left out).
    pub async fn registrations_of(&self, resident_id: i64) -> StoreResult<Vec<Registration>> {
        let sql = format!(
            "SELECT {REGISTRATION} WHERE g.resident_id = $1 AND g.status <> 'cancelled' ORDER BY a.starts_at DESC LIMIT 50"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).fetch_all(db).await?))
    }
}
