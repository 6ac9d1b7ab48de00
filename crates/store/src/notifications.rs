//! Notifications: the in-app inbox, the transactional outbox for an optional webhook
//! (SMS or WeChat gateway), the daily digest, and the deadline sweep that reminds
//! (催办) and escalates overdue cases on its own.
//!
//! A notice is written by [`notify!`] inside the transaction of the change it announces:
//! one row per recipient in `notifications` (the inbox) and, unless the recipient takes
//! a daily digest, one in `outbox`. Deadline notices carry a dedupe key, so the sweep
//! can run every minute and still say each thing once.

use crate::cases::{StepExtras, StepNote};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::case::{Event, Remark};

const DAY: i64 = 24 * 3_600_000;

/// Who must act on the case now: its assignee, or every account of the party holding it.
pub(crate) const ASSIGNEES: &str = "SELECT assignee_account_id AS account_id FROM cases WHERE id = $1 \
     AND assignee_account_id IS NOT NULL \
     UNION SELECT r.account_id FROM role_assignments r JOIN cases c ON r.organisation_id = c.assignee_organisation_id \
     WHERE c.id = $1";

/// Who registers a new report: the grid's worker on duty, or the community's staff for a
/// report without a grid.
pub(crate) const FIRST_RESPONDERS: &str = "SELECT w.account_id FROM grid_workers w JOIN cases c ON c.grid_id = w.grid_id \
     WHERE c.id = $1 AND w.duty = 'worker' \
     UNION SELECT r.account_id FROM role_assignments r JOIN cases c ON r.community_id = c.community_id \
     WHERE c.id = $1 AND c.grid_id IS NULL AND r.role = 'community_staff'";

/// The community's staff.
pub(crate) const STAFF: &str = "SELECT r.account_id FROM role_assignments r JOIN cases c ON r.community_id = c.community_id \
     WHERE c.id = $1 AND r.role = 'community_staff'";

/// The reporter of a resident's report, told of each step that matters to them (staff
/// taking a call or a grid worker on patrol report for others, and are not told).
pub(crate) const REPORTER: &str = "SELECT reporter_account_id AS account_id FROM cases WHERE id = $1 \
     AND reporter_account_id IS NOT NULL AND source = 'resident'";

/// Who is told of a notice, and what it says: everyone `who` selects (a query over `$1` =
/// the case) but the one who acted, with an optional dedupe key and its particulars in
/// words (`detail`: a refusal's reason, who received the case …) or as the system's
/// [`Remark`], put in words in the reader's language.
pub(crate) struct Notice<'a> {
    pub kind: &'a str,
    pub who: &'a str,
    pub actor: Option<i64>,
    pub dedupe: Option<&'a str>,
    pub detail: &'a str,
    pub remark: Option<&'a Remark>,
}

/// What a governance notice links to from the inbox.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Link {
    Assembly(i64),
    Petition(i64),
    Committee(i64),
    /// A joint meeting.
    Meeting(i64),
    /// A joint meeting's resolution.
    Resolution(i64),
    /// A residents' proposal.
    Proposal(i64),
    /// An announcement.
    Announcement(i64),
    /// A survey sent to one.
    Survey(i64),
    /// A booking of a service's slot.
    Booking(i64),
    /// A referral to a service.
    Referral(i64),
    /// A community activity.
    Activity(i64),
}

impl Link {
    fn column_and_id(self) -> (&'static str, i64) {
        match self {
            Link::Assembly(id) => ("assembly_id", id),
            Link::Petition(id) => ("petition_id", id),
            Link::Committee(id) => ("committee_id", id),
            Link::Meeting(id) => ("meeting_id", id),
            Link::Resolution(id) => ("resolution_id", id),
            Link::Proposal(id) => ("proposal_id", id),
            Link::Announcement(id) => ("announcement_id", id),
            Link::Survey(id) => ("survey_id", id),
            Link::Booking(id) => ("booking_id", id),
            Link::Referral(id) => ("referral_id", id),
            Link::Activity(id) => ("activity_id", id),
        }
    }
}

/// Tells the accounts `recipients` selects (an `account_id` column; `$1` is the linked
/// object's id and `$5` the community's) a notice of `kind` linked to the object, with its
/// `detail`, and queues it for the webhook for those who take no daily digest.
pub(crate) async fn tell(
    tx: &mut crate::Tx,
    link: Link,
    community_id: i64,
    kind: &str,
    detail: &str,
    recipients: &str,
    now: i64,
) -> crate::StoreResult<()> {
    let (column, id) = link.column_and_id();
    crate::exec!(
        tx,
        sqlx::query(&format!(
            "INSERT INTO notifications (account_id, {column}, kind, created_at, detail) \
             SELECT DISTINCT r.account_id, $1, $2, $3, $4 FROM ({recipients}) r"
        ))
        .bind(id)
        .bind(kind)
        .bind(now)
        .bind(detail)
        .bind(community_id)
    )?;
    crate::exec!(
        tx,
        sqlx::query(&format!(
            "INSERT INTO outbox (account_id, kind, notification_id, created_at, next_attempt_at) \
             SELECT n.account_id, 'notice', n.id, $2, $2 FROM notifications n \
             WHERE n.{column} = $1 AND n.kind = $3 AND n.created_at = $2 \
             AND NOT EXISTS (SELECT 1 FROM notification_settings s WHERE s.account_id = n.account_id AND s.daily_digest)"
        ))
        .bind(id)
        .bind(now)
        .bind(kind)
    )?;
    Ok(())
}

/// The community's staff and its owners' committee members (`$5` is the community).
pub(crate) const STAFF_AND_COMMITTEE: &str = "SELECT account_id FROM role_assignments WHERE community_id = $5 \
     AND role IN ('community_staff', 'owners_committee_member')";

/// Writes `notice` about case `case_id` to the inboxes it reaches, and queues each for
/// delivery (unless the person reads a daily digest); inside a transaction.
pub(crate) async fn notify(tx: &mut crate::Tx, case_id: i64, notice: &Notice<'_>, now: i64) -> crate::StoreResult<()> {
    let sql = format!(
        "INSERT INTO notifications (account_id, case_id, kind, dedupe_key, created_at, detail, remark) \
         SELECT DISTINCT r.account_id, $1, $2, $3, $4, $6, $7 FROM ({}) r WHERE r.account_id <> COALESCE($5, 0) \
         ON CONFLICT DO NOTHING",
        notice.who
    );
    crate::exec!(
        tx,
        sqlx::query(&sql)
            .bind(case_id)
            .bind(notice.kind)
            .bind(notice.dedupe)
            .bind(now)
            .bind(notice.actor)
            .bind(notice.detail)
            .bind(notice.remark.map(Remark::to_json))
    )?;
    crate::exec!(
        tx,
        sqlx::query(
            "INSERT INTO outbox (account_id, kind, notification_id, created_at, next_attempt_at) \
         SELECT n.account_id, 'notice', n.id, $3, $3 FROM notifications n \
         WHERE n.case_id = $1 AND n.kind = $2 AND n.created_at = $3 \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = n.id) \
         AND NOT EXISTS (SELECT 1 FROM notification_settings s WHERE s.account_id = n.account_id AND s.daily_digest)",
        )
        .bind(case_id)
        .bind(notice.kind)
        .bind(now)
    )?;
    Ok(())
}

/// What a step of the loop announces to those who take the next step, and who they are.
/// Only someone with a step to take is told: a rating, which leaves nothing to do, is
/// not announced.
pub(crate) fn notice_of(event: &Event) -> Option<(&'static str, &'static str)> {
    Some(match event {
        Event::Dispatch => ("assigned", ASSIGNEES),
        Event::Reopen => ("reopened", ASSIGNEES),
        Event::VerifyFail => ("rework", ASSIGNEES),
        Event::Remind => ("reminder", ASSIGNEES),
        Event::Escalate => ("escalated", STAFF),
        Event::HandBack { .. } => ("handed_back", STAFF),
        _ => return None,
    })
}

/// What a step tells the resident who reported the case ([`REPORTER`]), in their words:
/// taken on or refused, sent to whom, handled, closed, sent back to be redone, passed up,
/// reopened.
pub(crate) fn reporter_notice_of(event: &Event) -> Option<&'static str> {
    Some(match event {
        Event::Register => "yours_registered",
        Event::Refuse { .. } => "yours_refused",
        Event::Dispatch => "yours_dispatched",
        Event::Feedback => "yours_handled",
        Event::VerifyPass => "yours_closed",
        Event::VerifyFail => "yours_rework",
        Event::Escalate => "yours_escalated",
        Event::Reopen => "yours_reopened",
        _ => return None,
    })
}

/// One notice in an inbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxItem {
    pub id: i64,
    pub case_id: Option<i64>,
    /// The owners' assembly a notice is about.
    pub assembly_id: Option<i64>,
    /// The petition for a temporary meeting a notice is about.
    pub petition_id: Option<i64>,
    /// The owners' committee whose duty a notice is about.
    pub committee_id: Option<i64>,
    /// The joint meeting a notice is about.
    pub meeting_id: Option<i64>,
    /// The joint meeting's resolution a notice is about.
    pub resolution_id: Option<i64>,
    /// The residents' proposal a notice is about.
    pub proposal_id: Option<i64>,
    /// The announcement a notice is.
    pub announcement_id: Option<i64>,
    /// The survey a notice sends.
    pub survey_id: Option<i64>,
    pub booking_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub kind: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub category_zh: Option<String>,
    pub category_en: Option<String>,
    pub description: Option<String>,
    /// The particulars in words (a refusal's reason, who received the case …), or empty.
    pub detail: String,
    /// What the system said, as [`Remark`] JSON: read it with [`Remark::from_json`].
    pub remark: Option<String>,
}

/// A message waiting for the webhook.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxItem {
    pub id: i64,
    pub account_id: i64,
    pub display_name: String,
    pub locale: String,
    /// `notice` or `digest`.
    pub kind: String,
    pub attempts: i64,
    pub notice_kind: Option<String>,
    pub case_id: Option<i64>,
    pub detail: Option<String>,
    /// What the system said, as [`Remark`] JSON.
    pub remark: Option<String>,
}

/// What one deadline sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeadlineSweep {
    pub due_soon: usize,
    pub reminded: usize,
    pub escalated: usize,
}

/// At most this many reminders and escalations per sweep, so that a backlog (a city's
/// first start, a long outage) is worked off over a few rounds, not in one.
const ROUND_LIMIT: i64 = 500;

/// Attempts before the outbox gives a message up.
pub const MAX_ATTEMPTS: i64 = 8;

impl Store {
    /// The newest notices of an account.
    pub async fn inbox(&self, account_id: i64, limit: i64) -> StoreResult<Vec<InboxItem>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT n.id, n.case_id, n.assembly_id, n.petition_id, n.committee_id, n.meeting_id, n.resolution_id, n.proposal_id, n.announcement_id, n.survey_id, n.booking_id, n.referral_id, n.activity_id, n.kind, n.created_at, n.read_at, k.name_zh AS category_zh, k.name_en AS category_en, \
             c.description, n.detail, n.remark FROM notifications n LEFT JOIN cases c ON c.id = n.case_id \
             LEFT JOIN case_categories k ON k.id = c.category_id \
             WHERE n.account_id = $1 ORDER BY n.id DESC LIMIT $2"
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(db)
        .await?
        }))
    }

    pub async fn unread_count(&self, account_id: i64) -> StoreResult<i64> {
        Ok(read!(self, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE account_id = $1 AND read_at IS NULL"
        )
        .bind(account_id)
        .fetch_one(db)
        .await?))
    }

    /// Marks every notice of an account read.
    pub async fn mark_all_read(&self, account_id: i64) -> StoreResult<u64> {
        let now = now_ms();
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("UPDATE notifications SET read_at = $1 WHERE account_id = $2 AND read_at IS NULL")
                    .bind(now)
                    .bind(account_id)
            )?
        })
    }

    pub async fn daily_digest(&self, account_id: i64) -> StoreResult<bool> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT daily_digest FROM notification_settings WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(db)
            .await?)
        .unwrap_or(false))
    }

    pub async fn set_daily_digest(&self, account_id: i64, on: bool) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO notification_settings (account_id, daily_digest) VALUES ($1, $2) \
                 ON CONFLICT (account_id) DO UPDATE SET daily_digest = excluded.daily_digest",
                )
                .bind(account_id)
                .bind(on)
            )?;
        })
    }

    /// Reminds, escalates and warns by the deadlines of running cases:
    /// - a case due within a day: a due-soon notice to whoever holds it, once per deadline;
    /// - an overdue case: an automatic reminder (催办) on its timeline, which notifies the
    ///   holder, and an overdue notice to the community's staff, once per deadline;
    /// - a case a day overdue and still at its grid: escalated to the community.
    pub async fn sweep_deadlines(&self, now: i64) -> StoreResult<DeadlineSweep> {
        let mut done = DeadlineSweep::default();
        let soon: Vec<(i64, i64)> = read!(self, |db| sqlx::query_as(
            "SELECT id, deadline FROM cases WHERE state IN ('registered', 'dispatched', 'accepted', 'handled') \
             AND deadline > $1 AND deadline <= $2"
        )
        .bind(now)
        .bind(now + DAY)
        .fetch_all(db)
        .await?);
        if !soon.is_empty() {
            transaction!(self, |tx| {
                for (id, deadline) in &soon {
                    let key = format!("due_soon:{id}:{deadline}");
                    let notice = Notice {
                        kind: "due_soon",
                        who: ASSIGNEES,
                        actor: None,
                        dedupe: Some(&key),
                        detail: "",
                        remark: None,
                    };
                    notify(tx, *id, &notice, now).await?;
                }
            })?;
            done.due_soon = soon.len();
        }
        let overdue: Vec<(i64, i64)> = read!(self, |db| sqlx::query_as(
            "SELECT c.id, c.deadline FROM cases c \
             WHERE c.state IN ('registered', 'dispatched', 'accepted', 'handled') AND c.deadline <= $1 \
             AND NOT EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.kind = 'remind' \
                             AND e.account_id IS NULL AND e.at >= c.deadline) \
             ORDER BY c.deadline LIMIT $2"
        )
        .bind(now)
        .bind(ROUND_LIMIT)
        .fetch_all(db)
        .await?);
        for (id, deadline) in &overdue {
            let remark = StepNote::remark(&Remark::OverdueReminder);
            match self.apply_case_step_with(*id, None, &Event::Remind, &remark, StepExtras::default()).await {
                Ok(_) => done.reminded += 1,
                // Someone acted on the case meanwhile: the next sweep looks again.
                Err(StoreError::Invalid(_)) => continue,
                Err(e) => return Err(e),
            }
            transaction!(self, |tx| {
                let key = format!("overdue:{id}:{deadline}");
                let notice =
                    Notice { kind: "overdue", who: STAFF, actor: None, dedupe: Some(&key), detail: "", remark: None };
                notify(tx, *id, &notice, now).await?;
            })?;
        }
        let stuck: Vec<i64> = read!(self, |db| sqlx::query_scalar(
            "SELECT id FROM cases WHERE state IN ('registered', 'dispatched', 'accepted') AND level = 'grid' \
             AND deadline <= $1 ORDER BY deadline LIMIT $2"
        )
        .bind(now - DAY)
        .bind(ROUND_LIMIT)
        .fetch_all(db)
        .await?);
        for id in stuck {
            let remark = StepNote::remark(&Remark::OverdueEscalation);
            match self.apply_case_step_with(id, None, &Event::Escalate, &remark, StepExtras::default()).await {
                Ok(_) => done.escalated += 1,
                Err(StoreError::Invalid(_)) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Queues one digest for each account that takes one, has unread notices and has
    /// not had today's (`today` as `YYYY-MM-DD`, China time).
    pub async fn queue_digests(&self, today: &str, now: i64) -> StoreResult<u64> {
        transaction!(self, |tx| {
            let n = crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO outbox (account_id, kind, created_at, next_attempt_at) \
                 SELECT s.account_id, 'digest', $2, $2 FROM notification_settings s WHERE s.daily_digest \
                 AND (s.digest_sent_on IS NULL OR s.digest_sent_on < $1) \
                 AND EXISTS (SELECT 1 FROM notifications n WHERE n.account_id = s.account_id AND n.read_at IS NULL)",
                )
                .bind(today)
                .bind(now)
            )?;
            crate::exec!(
                tx,
                sqlx::query(
                    "UPDATE notification_settings SET digest_sent_on = $1 WHERE daily_digest \
                 AND (digest_sent_on IS NULL OR digest_sent_on < $1)",
                )
                .bind(today)
            )?;
            n
        })
    }

    /// Messages due for the webhook, oldest first.
    pub async fn due_outbox(&self, now: i64, limit: i64) -> StoreResult<Vec<OutboxItem>> {
        Ok(read!(self, |db| {
            sqlx::query_as(
            "SELECT o.id, o.account_id, a.display_name, a.locale, o.kind, o.attempts, n.kind AS notice_kind, n.case_id, n.detail, \
             n.remark FROM outbox o JOIN accounts a ON a.id = o.account_id LEFT JOIN notifications n ON n.id = o.notification_id \
             WHERE o.sent_at IS NULL AND o.attempts < $1 AND o.next_attempt_at <= $2 ORDER BY o.id LIMIT $3"
        )
        .bind(MAX_ATTEMPTS)
        .bind(now)
        .bind(limit)
        .fetch_all(db)
        .await?
        }))
    }

    /// Records a delivery, or a failure with a backoff (1, 2, 4 … minutes).
    pub async fn outbox_result(&self, id: i64, now: i64, error: Option<&str>) -> StoreResult<()> {
        transaction!(self, |tx| {
            match error {
                None => {
                    crate::exec!(
                        tx,
                        sqlx::query(
                            "UPDATE outbox SET sent_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2",
                        )
                        .bind(now)
                        .bind(id)
                    )?;
                }
                Some(e) => {
                    let attempts: i64 =
                        crate::on!(tx, |c| sqlx::query_scalar("SELECT attempts FROM outbox WHERE id = $1")
                            .bind(id)
                            .fetch_one(c)
                            .await)?;
                    let wait = 60_000 * (1_i64 << attempts.clamp(0, 10));
                    crate::on!(tx, |c| {
                        sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3",
                    )
                    .bind(now + wait)
                    .bind(e.chars().take(300).collect::<String>())
                    .bind(id)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
                    })?;
                }
            }
        })
    }

    /// Keeps the outbox small: delivered or abandoned messages older than a week go; with
    /// no webhook configured, nothing is waiting to be sent at all.
    pub async fn prune_outbox(&self, now: i64, webhook: bool) -> StoreResult<u64> {
        transaction!(self, |tx| {
            let mut n = crate::exec!(
                tx,
                sqlx::query("DELETE FROM outbox WHERE (sent_at IS NOT NULL OR attempts >= $1) AND created_at < $2")
                    .bind(MAX_ATTEMPTS)
                    .bind(now - 7 * DAY)
            )?;
            if !webhook {
                n += crate::exec!(tx, sqlx::query("DELETE FROM outbox"))?;
            }
            n
        })
    }
}
