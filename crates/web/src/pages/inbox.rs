//! The inbox: a person's notices (new cases, due soon, overdue, reminders, ratings,
//! reopenings), newest first, with "mark all read" and the daily-digest choice.

use crate::context::User;
use crate::error::AppResult;
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_store::notifications::InboxItem;
use serde::Deserialize;

/// One notice as the inbox shows it: its text, its time, where it leads, and the case's
/// category in the reader's language.
struct Notice {
    item: InboxItem,
    text: String,
    at: String,
    href: Option<String>,
    category: Option<String>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    chrome: Chrome,
    items: Vec<Notice>,
    unread: i64,
    digest: bool,
    notice: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let me = user.principal().account_id;
    let items = state
        .store
        .inbox(me, 100)
        .await?
        .into_iter()
        .map(|n| {
            let remark = linli_domain::case::Remark::from_json(n.remark.as_deref());
            let text = crate::notify::notice_text(t, &n.kind, n.case_id, &n.detail, remark.as_ref());
            let at = format_ms(n.created_at);
            let href = if let Some(c) = n.case_id {
                Some(format!("/cases/{c}"))
            } else if let Some(a) = n.assembly_id {
                Some(format!("/assemblies/{a}"))
            } else if let Some(p) = n.petition_id {
                Some(format!("/petitions/{p}"))
            } else if let Some(c) = n.committee_id {
                Some(format!("/committees/{c}"))
            } else if let Some(m) = n.meeting_id {
                Some(format!("/meetings/{m}"))
            } else if let Some(r) = n.resolution_id {
                Some(format!("/resolutions/{r}"))
            } else if let Some(p) = n.proposal_id {
                Some(format!("/proposals/{p}"))
            } else if let Some(a) = n.announcement_id {
                Some(format!("/announcements/{a}"))
            } else if let Some(s) = n.survey_id {
                Some(format!("/surveys/{s}"))
            } else if let Some(b) = n.booking_id {
                Some(format!("/bookings/{b}"))
            } else if let Some(f) = n.referral_id {
                Some(format!("/referrals/{f}"))
            } else {
                n.activity_id.map(|a| format!("/activities/{a}"))
            };
            let category =
                n.category_zh.as_deref().map(|zh| t.pick(zh, n.category_en.as_deref().unwrap_or(zh)).to_owned());
            Notice { item: n, text, at, href, category }
        })
        .collect();
    let page = InboxPage {
        chrome: Chrome::new(&user.0, t.get("inbox.title")),
        items,
        unread: state.store.unread_count(me).await?,
        digest: state.store.daily_digest(me).await?,
        notice: q.done.filter(|d| d == "settings").map(|_| t.get("inbox.saved").to_owned()),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn mark_read(State(state): State<AppState>, user: User) -> AppResult<Response> {
    state.store.mark_all_read(user.principal().account_id).await?;
    Ok(Redirect::to("/inbox").into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    pub daily_digest: Option<String>,
}

pub async fn settings(State(state): State<AppState>, user: User, Form(f): Form<SettingsForm>) -> AppResult<Response> {
    state.store.set_daily_digest(user.principal().account_id, f.daily_digest.is_some()).await?;
    Ok(Redirect::to("/inbox?done=settings").into_response())
}
