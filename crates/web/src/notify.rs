//! The notification worker: every minute it sweeps deadlines (due-soon notices,
//! automatic reminders and escalation of overdue cases), counts unanswered ratings as
//! satisfied when the operator set so, queues the daily digests at
//! 08:00 China time, and, when a webhook is configured, delivers the outbox to it. No
//! mail server is needed: the inbox is in the app, and the webhook is how an SMS or
//! WeChat gateway hears of a notice.
//!
//! The webhook receives `POST` JSON: `{"id", "type": "notice"|"digest", "kind",
//! "account_id", "name", "case_id", "text", "path"}` and must answer 2xx; anything else is
//! retried with a growing wait, up to [`linli_store::notifications::MAX_ATTEMPTS`] times.
//! It gets no phone number: the gateway maps account ids to its own recipients. The one
//! exception is an account verification's code, `{"type": "verification_code", "phone",
//! "text"}`, sent at once to the phone on the community's record. With a
//! webhook secret, each request carries `X-Linli-Signature: sha256=<hex>`, the HMAC-SHA256
//! of the body under the secret, so the gateway can tell Linli's requests from others'.

use crate::i18n::{Lang, Tr};
pub use crate::webhook::Webhook;
use linli_domain::case::Remark;
use linli_domain::worktime::china_time;
use linli_store::Store;
use linli_store::notifications::OutboxItem;
use std::time::Duration;

/// What one round of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub deadlines: linli_store::notifications::DeadlineSweep,
    pub digests: u64,
    /// Closed cases left unrated past the setting, now counted as satisfied.
    pub auto_rated: usize,
    pub delivered: usize,
    pub failed: usize,
    /// Reminders of owners' committee duties due soon or overdue.
    pub committee_reminders: usize,
    /// Joint meeting resolutions due soon (their party reminded) or overdue (escalated).
    pub resolutions: linli_store::joint::resolutions::ResolutionSweep,
    /// Satisfaction surveys whose window ended, now in their company's scorecard.
    pub surveys_scored: usize,
    /// Residents reminded of a service booked for the next day.
    pub bookings_reminded: usize,
}

/// The words of a notice, in the recipient's language.
pub fn text(item: &OutboxItem) -> String {
    let tr = Tr::new(Lang::parse(&item.locale).unwrap_or_default());
    match (item.kind.as_str(), item.notice_kind.as_deref()) {
        ("digest", _) => tr.get("notify.digest").to_owned(),
        (_, Some(kind)) => {
            let remark = Remark::from_json(item.remark.as_deref());
            notice_text(tr, kind, item.case_id, item.detail.as_deref().unwrap_or_default(), remark.as_ref())
        }
        _ => tr.get("notify.other").to_owned(),
    }
}

/// The words of one notice, the inbox's and the webhook's alike: its kind, the case and
/// its particulars (a refusal's reason, who received the case, the deadline), or what the
/// system said of it in the reader's language.
pub fn notice_text(tr: Tr, kind: &str, case_id: Option<i64>, detail: &str, remark: Option<&Remark>) -> String {
    let said;
    let detail = match remark {
        Some(r) => {
            said = crate::cases::remark_text(tr, kind, r);
            said.as_str()
        }
        None => detail,
    };
    let key = format!("notify.{kind}");
    match case_id {
        Some(id) => tr.fill(&key, &[("id", &id), ("detail", &detail)]),
        // A notice about no case (an access granted, an assembly's notice) says its detail.
        None if tr.has(&key) => tr.fill(&key, &[("detail", &detail)]),
        None => tr.get("notify.other").to_owned(),
    }
}

/// One round: deadlines, digests (from 08:00), then the outbox.
pub async fn run_once(store: &Store, webhook: Option<&Webhook>, now: i64) -> linli_store::StoreResult<Round> {
    let mut round = Round {
        deadlines: store.sweep_deadlines(now).await?,
        auto_rated: store.rate_unanswered(now).await?,
        ..Round::default()
    };
    let local = china_time(now);
    round.committee_reminders = store.remind_committees(&local.date().to_string(), now).await?;
    round.resolutions = store.sweep_resolutions(local.date(), now).await?;
    round.surveys_scored = store.score_ended_surveys().await?;
    round.bookings_reminded = store.remind_bookings().await?;
    if local.time() >= chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default() {
        round.digests = store.queue_digests(&local.date().to_string(), now).await?;
    }
    match webhook {
        None => {
            store.prune_outbox(now, false).await?;
        }
        Some(hook) => {
            for item in store.due_outbox(now, 100).await? {
                let body = serde_json::json!({
                    "id": item.id,
                    "type": item.kind,
                    "kind": item.notice_kind,
                    "account_id": item.account_id,
                    "name": item.display_name,
                    "case_id": item.case_id,
                    "text": text(&item),
                    "path": item.case_id.map(|c| format!("/cases/{c}")).unwrap_or_else(|| "/inbox".into()),
                });
                let error = hook.post(&body).await.err();
                if error.is_some() {
                    round.failed += 1;
                } else {
                    round.delivered += 1;
                }
                store.outbox_result(item.id, now, error.as_deref()).await?;
            }
            store.prune_outbox(now, true).await?;
        }
    }
    Ok(round)
}

/// Runs the worker every minute until the process ends; a failed round is logged and
/// the next one tries again.
pub fn spawn(store: Store, webhook: Option<Webhook>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match run_once(&store, webhook.as_ref(), linli_store::now_ms()).await {
                Ok(round) if round != Round::default() => tracing::info!(?round, "notifications"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "notification round failed"),
            }
        }
    })
}
