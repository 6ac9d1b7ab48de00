//! Volunteers: registration with consent, teams and projects, shifts of an activity taken
//! as places ([`crate::places`], with a line), hours recorded by the organiser and earning
//! points ([`crate::points`]), the record's other categories, and corrections asked by the
//! volunteer and decided by the organiser.

use crate::places::SHIFTS;
use crate::points::{Post, earn, post, rule};
use crate::services::{Placed, invalid, now_local};
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::service::{BookingStatus, placement};
use linli_domain::volunteer::{Action, CorrectionStatus, EntryKind, Reason, TeamKind, hour_points};

/// A registered volunteer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Volunteer {
    pub id: i64,
    pub community_id: i64,
    pub resident_id: i64,
    pub name: String,
    pub grid_id: Option<i64>,
    pub skills: String,
    /// Consent to be named to other residents (team lists, a shift's roster).
    pub named: bool,
    pub consent_at: i64,
    /// Hours served, in minutes.
    pub minutes: i64,
}

const VOLUNTEER: &str = "v.id, v.community_id, v.resident_id, p.name, p.grid_id, v.skills, v.named, v.consent_at, \
     (SELECT CAST(COALESCE(SUM(h.minutes), 0) AS BIGINT) FROM volunteer_hours h WHERE h.volunteer_id = v.id) AS minutes \
     FROM volunteers v JOIN residents p ON p.id = v.resident_id";

/// A team or project.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Team {
    pub id: i64,
    pub community_id: i64,
    #[sqlx(try_from = "String")]
    pub kind: TeamKind,
    pub name: String,
    pub description: String,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub members: i64,
}

const TEAM: &str = "t.id, t.community_id, t.kind, t.name, t.description, t.organisation_id, o.name AS organisation, \
     (SELECT COUNT(*) FROM volunteer_members m WHERE m.team_id = t.id) AS members \
     FROM volunteer_teams t LEFT JOIN organisations o ON o.id = t.organisation_id";

/// A member as other residents see them: a name only with their consent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub volunteer_id: i64,
    pub name: String,
    pub named: bool,
}

/// A shift of an activity.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Shift {
    pub id: i64,
    pub activity_id: i64,
    pub role: String,
    pub starts_at: String,
    pub ends_at: String,
    pub capacity: i64,
    pub taken: i64,
    pub waiting: i64,
}

impl Shift {
    /// Its length in minutes (the hours a volunteer is recorded by default).
    pub fn minutes(&self) -> i64 {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").ok();
        match (at(&self.starts_at), at(&self.ends_at)) {
            (Some(a), Some(b)) => (b - a).num_minutes().max(0),
            _ => 0,
        }
    }
}

const SHIFT: &str = "s.id, s.activity_id, s.role, s.starts_at, s.ends_at, s.capacity, \
     (SELECT COUNT(*) FROM shift_signups u WHERE u.shift_id = s.id AND u.status IN ('booked', 'served', 'no_show')) AS taken, \
     (SELECT COUNT(*) FROM shift_signups u WHERE u.shift_id = s.id AND u.status = 'waiting') AS waiting \
     FROM shifts s";

/// One volunteer's sign-up for a shift.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Signup {
    pub id: i64,
    pub shift_id: i64,
    pub activity_id: i64,
    pub title: String,
    pub role: String,
    pub starts_at: String,
    pub ends_at: String,
    pub resident_id: i64,
    pub resident: String,
    pub named: bool,
    #[sqlx(try_from = "String")]
    pub status: BookingStatus,
    pub line: i64,
}

const SIGNUP: &str = "u.id, u.shift_id, s.activity_id, a.title, s.role, s.starts_at, s.ends_at, u.resident_id, \
     p.name AS resident, COALESCE(v.named, FALSE) AS named, u.status, u.line \
     FROM shift_signups u JOIN shifts s ON s.id = u.shift_id JOIN activities a ON a.id = s.activity_id \
     JOIN residents p ON p.id = u.resident_id LEFT JOIN volunteers v ON v.resident_id = u.resident_id";

/// Hours to record: for a sign-up (the activity's organiser, after the shift) or for the
/// work of a team or project.
#[derive(Debug, Clone)]
pub struct NewHours {
    pub volunteer_id: i64,
    pub signup_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub team_id: Option<i64>,
    pub project: String,
    /// `YYYY-MM-DD`
    pub served_on: String,
    pub minutes: i64,
    pub content: String,
    /// Who records certifies: the organisation's or the community's name.
    pub issuer: String,
    pub organisation_id: Option<i64>,
    pub by: i64,
}

/// An hours record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hours {
    pub id: i64,
    pub community_id: i64,
    pub volunteer_id: i64,
    pub resident_id: i64,
    pub volunteer: String,
    pub activity_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub project: String,
    pub served_on: String,
    pub minutes: i64,
    pub content: String,
    pub issuer: String,
    pub recorder: String,
    pub recorded_by: i64,
}

const HOURS: &str = "h.id, h.community_id, h.volunteer_id, v.resident_id, p.name AS volunteer, h.activity_id, \
     h.organisation_id, h.project, h.served_on, h.minutes, h.content, h.issuer, a.display_name AS recorder, h.recorded_by \
     FROM volunteer_hours h JOIN volunteers v ON v.id = h.volunteer_id JOIN residents p ON p.id = v.resident_id \
     JOIN accounts a ON a.id = h.recorded_by";

/// A correction asked of an hours record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Correction {
    pub id: i64,
    pub hours_id: i64,
    pub volunteer: String,
    pub project: String,
    pub served_on: String,
    pub organisation_id: Option<i64>,
    pub community_id: i64,
    pub was_minutes: i64,
    pub asked_minutes: i64,
    pub reason: String,
    #[sqlx(try_from = "String")]
    pub status: CorrectionStatus,
    pub answer: String,
}

const CORRECTION: &str = "c.id, c.hours_id, p.name AS volunteer, h.project, h.served_on, h.organisation_id, \
     h.community_id, c.was_minutes, c.asked_minutes, c.reason, c.status, c.answer \
     FROM volunteer_corrections c JOIN volunteer_hours h ON h.id = c.hours_id \
     JOIN volunteers v ON v.id = h.volunteer_id JOIN residents p ON p.id = v.resident_id";

/// A training, award or evaluation on a volunteer's record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordEntry {
    pub id: i64,
    #[sqlx(try_from = "String")]
    pub kind: EntryKind,
    pub title: String,
    pub on_date: String,
    pub issuer: String,
}

impl Store {
    /// Registers a resident of the community as a volunteer; the caller has their consent
    /// to the record. `named`: they also agree to be named to other residents.
    pub async fn join_volunteers(&self, resident_id: i64, skills: &str, named: bool, by: i64) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let community: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                "SELECT community_id FROM residents WHERE id = $1 AND moved_out_on IS NULL"
            )
            .bind(resident_id)
            .fetch_optional(c)
            .await)?;
            let community_id = community.ok_or(StoreError::NotFound)?;
            let id: Option<i64> = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO volunteers (community_id, resident_id, skills, consent_at, named, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $4) ON CONFLICT (resident_id) DO NOTHING RETURNING id"
            )
            .bind(community_id)
            .bind(resident_id)
            .bind(skills)
            .bind(now)
            .bind(named)
            .bind(by)
            .fetch_optional(c)
            .await
            })?;
            id.ok_or_else(|| invalid("consent", "error.volunteer.already"))?
        })
    }

    /// A volunteer changes their skills or their consent to be named.
    pub async fn update_volunteer(&self, volunteer_id: i64, skills: &str, named: bool) -> StoreResult<()> {
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE volunteers SET skills = $2, named = $3 WHERE id = $1")
                    .bind(volunteer_id)
                    .bind(skills)
                    .bind(named)
            )?;
        })
    }

    pub async fn volunteer_of(&self, resident_id: i64) -> StoreResult<Option<Volunteer>> {
        let sql = format!("SELECT {VOLUNTEER} WHERE v.resident_id = $1");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).fetch_optional(db).await?))
    }

    pub async fn volunteer(&self, id: i64) -> StoreResult<Volunteer> {
        let sql = format!("SELECT {VOLUNTEER} WHERE v.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's volunteers, the most hours first.
    pub async fn volunteers(&self, community_id: i64) -> StoreResult<Vec<Volunteer>> {
        let sql = format!("SELECT {VOLUNTEER} WHERE v.community_id = $1 ORDER BY minutes DESC, v.id LIMIT 500");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn create_team(
        &self,
        community_id: i64,
        organisation_id: Option<i64>,
        kind: TeamKind,
        name: &str,
        description: &str,
        by: i64,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO volunteer_teams (community_id, organisation_id, kind, name, description, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
            )
            .bind(community_id)
            .bind(organisation_id)
            .bind(kind.as_str())
            .bind(name)
            .bind(description)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await
            })?
        })
    }

    pub async fn teams(&self, community_id: i64) -> StoreResult<Vec<Team>> {
        let sql = format!("SELECT {TEAM} WHERE t.community_id = $1 ORDER BY t.kind DESC, t.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }

    pub async fn team(&self, id: i64) -> StoreResult<Team> {
        let sql = format!("SELECT {TEAM} WHERE t.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The teams a volunteer belongs to (ids).
    pub async fn teams_of(&self, volunteer_id: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT team_id FROM volunteer_members WHERE volunteer_id = $1")
            .bind(volunteer_id)
            .fetch_all(db)
            .await?))
    }

    /// Joins (or, `join` false, leaves) a team of the volunteer's community.
    pub async fn set_membership(&self, team_id: i64, volunteer_id: i64, join: bool) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            if join {
                let n = exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO volunteer_members (team_id, volunteer_id, joined_at) \
                         SELECT t.id, v.id, $3 FROM volunteer_teams t JOIN volunteers v ON v.community_id = t.community_id \
                         WHERE t.id = $1 AND v.id = $2 ON CONFLICT (team_id, volunteer_id) DO NOTHING"
                    )
                    .bind(team_id)
                    .bind(volunteer_id)
                    .bind(now)
                )?;
                if n == 0 {
                    return Err(invalid("team", "error.volunteer.member"));
                }
            } else {
                exec!(
                    tx,
                    sqlx::query("DELETE FROM volunteer_members WHERE team_id = $1 AND volunteer_id = $2")
                        .bind(team_id)
                        .bind(volunteer_id)
                )?;
            }
        })
    }

    pub async fn team_members(&self, team_id: i64) -> StoreResult<Vec<Member>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT v.id AS volunteer_id, p.name, v.named FROM volunteer_members m \
             JOIN volunteers v ON v.id = m.volunteer_id JOIN residents p ON p.id = v.resident_id \
             WHERE m.team_id = $1 ORDER BY m.joined_at"
        )
        .bind(team_id)
        .fetch_all(db)
        .await?))
    }

    /// Adds a shift to an activity that has not begun.
    pub async fn add_shift(
        &self,
        activity_id: i64,
        role: &str,
        starts_at: &str,
        ends_at: &str,
        capacity: i64,
    ) -> StoreResult<i64> {
        if ends_at <= starts_at {
            return Err(invalid("shift_end", "error.volunteer.shift_ends"));
        }
        if !(1..=500).contains(&capacity) {
            return Err(invalid("capacity", "error.service.capacity"));
        }
        let a = self.activity(activity_id).await?;
        if a.started() {
            return Err(invalid("shift_start", "error.activity.past"));
        }
        transaction!(self, |tx| {
            on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO shifts (activity_id, role, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4, $5) RETURNING id"
            )
            .bind(activity_id)
            .bind(role)
            .bind(starts_at)
            .bind(ends_at)
            .bind(capacity)
            .fetch_one(c)
            .await
            })?
        })
    }

    /// The activity a shift belongs to.
    pub async fn shift_activity(&self, shift_id: i64) -> StoreResult<i64> {
        read!(self, |db| sqlx::query_scalar("SELECT activity_id FROM shifts WHERE id = $1")
            .bind(shift_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    pub async fn shifts(&self, activity_id: i64) -> StoreResult<Vec<Shift>> {
        let sql = format!("SELECT {SHIFT} WHERE s.activity_id = $1 ORDER BY s.starts_at, s.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(activity_id).fetch_all(db).await?))
    }

    /// A volunteer of the activity's community signs up for a shift: a place, or the line
    /// if full and `wait`. Not for a shift begun, nor twice.
    pub async fn sign_up(&self, shift_id: i64, resident_id: i64, wait: bool) -> StoreResult<Placed> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let found: Option<(String, String, Option<i64>)> = on!(tx, |c| sqlx::query_as(
                "SELECT s.starts_at, a.status, v.id FROM shifts s JOIN activities a ON a.id = s.activity_id \
                 LEFT JOIN volunteers v ON v.resident_id = $2 AND v.community_id = a.community_id WHERE s.id = $1"
            )
            .bind(shift_id)
            .bind(resident_id)
            .fetch_optional(c)
            .await)?;
            let (starts_at, status, volunteer) = found.ok_or(StoreError::NotFound)?;
            if volunteer.is_none() {
                return Err(invalid("shift", "error.volunteer.not_volunteer"));
            }
            if status != "approved" || starts_at <= now_local() {
                return Err(invalid("shift", "error.activity.closed"));
            }
            let held = crate::places::lock(tx, SHIFTS, shift_id, resident_id).await?;
            if held.holds {
                return Err(invalid("shift", "error.volunteer.twice"));
            }
            let placed = placement(held.taken, held.capacity);
            if placed == BookingStatus::Waiting && !wait {
                return Err(invalid("shift", "error.volunteer.full"));
            }
            let insert = format!(
                "INSERT INTO shift_signups (shift_id, resident_id, status, line, created_at, updated_at) \
                 VALUES ($1, $2, $3, {}, $4, $4) RETURNING id",
                crate::places::next_line(SHIFTS)
            );
            let id: i64 = on!(tx, |c| sqlx::query_scalar(&insert)
                .bind(shift_id)
                .bind(resident_id)
                .bind(placed.as_str())
                .bind(now)
                .fetch_one(c)
                .await)?;
            let ahead = if placed == BookingStatus::Waiting { held.waiting } else { 0 };
            Placed { id, status: placed, ahead }
        })
    }

    /// Withdraws from a shift before it begins; the place goes to the first in line.
    pub async fn cancel_signup(&self, signup_id: i64) -> StoreResult<Option<i64>> {
        let s = self.signup(signup_id).await?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            crate::places::lock(tx, SHIFTS, s.shift_id, 0).await?;
            if s.starts_at <= now_local() {
                return Err(invalid("signup", "error.service.too_late"));
            }
            crate::places::give_up(tx, SHIFTS, s.shift_id, signup_id, now).await?
        })
    }

    pub async fn signup(&self, id: i64) -> StoreResult<Signup> {
        let sql = format!("SELECT {SIGNUP} WHERE u.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// An activity's sign-ups in shift and arrival order (withdrawn ones left out).
    pub async fn signups(&self, activity_id: i64) -> StoreResult<Vec<Signup>> {
        let sql = format!(
            "SELECT {SIGNUP} WHERE s.activity_id = $1 AND u.status <> 'cancelled' ORDER BY s.starts_at, s.id, u.line"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(activity_id).fetch_all(db).await?))
    }

    /// A resident's sign-ups, the latest shift first.
    pub async fn signups_of(&self, resident_id: i64) -> StoreResult<Vec<Signup>> {
        let sql = format!(
            "SELECT {SIGNUP} WHERE u.resident_id = $1 AND u.status <> 'cancelled' ORDER BY s.starts_at DESC LIMIT 50"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).fetch_all(db).await?))
    }

    /// Records hours and credits the points they earn. For a sign-up: only one holding a
    /// place on a shift of that activity, once, after the shift began; for a team's or
    /// project's work, only a member of it.
    pub async fn record_hours(&self, new: &NewHours) -> StoreResult<i64> {
        let v = self.volunteer(new.volunteer_id).await?;
        if !(1..=linli_domain::volunteer::MAX_MINUTES).contains(&new.minutes) {
            return Err(invalid("minutes", "error.volunteer.minutes"));
        }
        // A sign-up's hours wait for its shift to begin (checked below); others for their day.
        if new.signup_id.is_none() && new.served_on.as_str() > crate::today().to_string().as_str() {
            return Err(invalid("served_on", "error.volunteer.future"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            if let Some(signup) = new.signup_id {
                let found: Option<(i64, i64, String, String)> = on!(tx, |c| sqlx::query_as(
                    "SELECT s.activity_id, u.resident_id, u.status, s.starts_at FROM shift_signups u \
                     JOIN shifts s ON s.id = u.shift_id WHERE u.id = $1"
                )
                .bind(signup)
                .fetch_optional(c)
                .await)?;
                let ok = found.as_ref().is_some_and(|(activity, resident, status, _)| {
                    Some(*activity) == new.activity_id && *resident == v.resident_id && status == "booked"
                });
                if !ok {
                    return Err(invalid("signup", "error.volunteer.not_signed_up"));
                }
                if found.is_some_and(|(_, _, _, starts)| starts > now_local()) {
                    return Err(invalid("signup", "error.volunteer.not_yet"));
                }
                let n = exec!(
                    tx,
                    sqlx::query("UPDATE shift_signups SET status = 'served', updated_at = $2 WHERE id = $1 AND status = 'booked'")
                        .bind(signup)
                        .bind(now)
                )?;
                if n == 0 {
                    return Err(invalid("signup", "error.volunteer.recorded"));
                }
            }
            if let (None, Some(team)) = (new.signup_id, new.team_id) {
                let member: Option<i64> = on!(tx, |c| sqlx::query_scalar(
                    "SELECT team_id FROM volunteer_members WHERE team_id = $1 AND volunteer_id = $2"
                )
                .bind(team)
                .bind(v.id)
                .fetch_optional(c)
                .await)?;
                if member.is_none() {
                    return Err(invalid("volunteer_id", "error.volunteer.not_member"));
                }
            }
            let id: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO volunteer_hours (community_id, volunteer_id, signup_id, activity_id, team_id, project, \
                 served_on, minutes, content, issuer, organisation_id, recorded_by, recorded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
            )
            .bind(v.community_id)
            .bind(v.id)
            .bind(new.signup_id)
            .bind(new.activity_id)
            .bind(new.team_id)
            .bind(&new.project)
            .bind(&new.served_on)
            .bind(new.minutes)
            .bind(&new.content)
            .bind(&new.issuer)
            .bind(new.organisation_id)
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?;
            let per_hour = rule(tx, v.community_id, Action::VolunteerHour).await?;
            let points = hour_points(new.minutes, per_hour);
            let note = format!("{} {}", new.served_on, new.project);
            let earned = Post::earned(
                (v.community_id, v.resident_id),
                Action::VolunteerHour,
                points,
                &note,
                format!("hours:{id}"),
                new.by,
            );
            earn(tx, &earned, now).await?;
            id
        })
    }

    pub async fn hours(&self, id: i64) -> StoreResult<Hours> {
        let sql = format!("SELECT {HOURS} WHERE h.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A volunteer's hours, the latest first.
    pub async fn hours_of(&self, volunteer_id: i64) -> StoreResult<Vec<Hours>> {
        let sql = format!("SELECT {HOURS} WHERE h.volunteer_id = $1 ORDER BY h.served_on DESC, h.id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(volunteer_id).fetch_all(db).await?))
    }

    /// The hours recorded for an activity.
    pub async fn activity_hours(&self, activity_id: i64) -> StoreResult<Vec<Hours>> {
        let sql = format!("SELECT {HOURS} WHERE h.activity_id = $1 ORDER BY h.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(activity_id).fetch_all(db).await?))
    }

    /// A volunteer asks for a correction of one of their hours records; one open at a time.
    pub async fn ask_correction(&self, hours_id: i64, asked_minutes: i64, reason: &str) -> StoreResult<i64> {
        let h = self.hours(hours_id).await?;
        if !(1..=linli_domain::volunteer::MAX_MINUTES).contains(&asked_minutes) || asked_minutes == h.minutes {
            return Err(invalid("asked_minutes", "error.volunteer.minutes"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let id: Option<i64> = on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO volunteer_corrections (hours_id, was_minutes, asked_minutes, reason, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'open', $5) ON CONFLICT DO NOTHING RETURNING id"
            )
            .bind(hours_id)
            .bind(h.minutes)
            .bind(asked_minutes)
            .bind(reason)
            .bind(now)
            .fetch_optional(c)
            .await
            })?;
            id.ok_or_else(|| invalid("asked_minutes", "error.volunteer.asked"))?
        })
    }

    /// The organiser accepts a correction (the record takes the minutes asked, the points
    /// follow by an entry for the difference) or declines it with an answer.
    pub async fn decide_correction(&self, id: i64, accept: bool, answer: &str, by: i64) -> StoreResult<()> {
        let c = self.correction(id).await?;
        let h = self.hours(c.hours_id).await?;
        let now = crate::now_ms();
        let to = if accept { CorrectionStatus::Accepted } else { CorrectionStatus::Declined };
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query(
                    "UPDATE volunteer_corrections SET status = $2, answer = $3, decided_by = $4, decided_at = $5 \
                     WHERE id = $1 AND status = 'open'"
                )
                .bind(id)
                .bind(to.as_str())
                .bind(answer)
                .bind(by)
                .bind(now)
            )?;
            if n == 0 {
                return Err(invalid("correction", "error.volunteer.decided"));
            }
            if accept {
                exec!(
                    tx,
                    sqlx::query("UPDATE volunteer_hours SET minutes = $2 WHERE id = $1")
                        .bind(c.hours_id)
                        .bind(c.asked_minutes)
                )?;
                let per_hour = rule(tx, h.community_id, Action::VolunteerHour).await?;
                let delta = hour_points(c.asked_minutes, per_hour) - hour_points(c.was_minutes, per_hour);
                if delta != 0 {
                    let note = format!("{} {}", h.served_on, h.project);
                    let p = Post {
                        community_id: h.community_id,
                        resident_id: h.resident_id,
                        delta,
                        reason: Reason::Correction,
                        note: &note,
                        source: format!("correction:{id}"),
                        reverses_id: None,
                        by: Some(by),
                    };
                    post(tx, &p, now).await?.ok_or_else(|| invalid("correction", "error.points.below_zero"))?;
                }
            }
        })
    }

    pub async fn correction(&self, id: i64) -> StoreResult<Correction> {
        let sql = format!("SELECT {CORRECTION} WHERE c.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A community's open corrections (`organisation`: only those of its records).
    pub async fn open_corrections(&self, community_id: i64, organisation: Option<i64>) -> StoreResult<Vec<Correction>> {
        let sql = format!(
            "SELECT {CORRECTION} WHERE h.community_id = $1 AND c.status = 'open' \
             AND ($2 IS NULL OR h.organisation_id = $2) ORDER BY c.id"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).bind(organisation).fetch_all(db).await?))
    }

    /// A volunteer's corrections, the latest first.
    pub async fn corrections_of(&self, volunteer_id: i64) -> StoreResult<Vec<Correction>> {
        let sql = format!("SELECT {CORRECTION} WHERE h.volunteer_id = $1 ORDER BY c.id DESC");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(volunteer_id).fetch_all(db).await?))
    }

    /// Adds a training, an award or an evaluation to a volunteer's record.
    pub async fn add_record_entry(
        &self,
        volunteer_id: i64,
        kind: EntryKind,
        title: &str,
        on_date: &str,
        issuer: &str,
        by: i64,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO volunteer_entries (volunteer_id, kind, title, on_date, issuer, recorded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id"
            )
            .bind(volunteer_id)
            .bind(kind.as_str())
            .bind(title)
            .bind(on_date)
            .bind(issuer)
            .bind(by)
            .bind(now)
            .fetch_one(c)
            .await)?
        })
    }

    pub async fn record_entries(&self, volunteer_id: i64) -> StoreResult<Vec<RecordEntry>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT id, kind, title, on_date, issuer FROM volunteer_entries WHERE volunteer_id = $1 ORDER BY on_date DESC, id"
        )
        .bind(volunteer_id)
        .fetch_all(db)
        .await?
        }))
    }
}
