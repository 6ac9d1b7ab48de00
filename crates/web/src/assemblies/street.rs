//! The street's oversight of owners' self-governance across its communities: each
//! community's assemblies with their stage and participation, a final result past its
//! deadline, petitions that met their bar and were not answered, and the committee in
//! office with its overdue duties. Figures only: no owner is named.

use super::{Bar, bars, stage_key};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::Action;
use linli_domain::committee::{DutyState, open_duties};
use linli_store::admin::Community;

/// One assembly as the street sees it.
pub struct AssemblyLine {
    pub id: i64,
    pub title: String,
    pub stage: &'static str,
    pub window: String,
    /// Participation against 2/3, once the roll is frozen.
    pub participation: Vec<Bar>,
    /// The final result is past the days the law gives after the count.
    pub late: bool,
}

/// One community's self-governance at a glance.
pub struct CommunityCard {
    pub community: Community,
    pub assemblies: Vec<AssemblyLine>,
    /// Petitions whose bar was met and that no meeting answers yet.
    pub unanswered: usize,
    /// The committee in office: since when, and its overdue duties.
    pub committee: Option<(i64, String, usize)>,
}

#[derive(Template)]
#[template(path = "assemblies_street.html")]
struct StreetPage {
    chrome: Chrome,
    street_id: i64,
    cards: Vec<CommunityCard>,
}

pub async fn show(State(state): State<AppState>, user: User, Path(street_id): Path<i64>) -> AppResult<Response> {
    if !user.principal().can_in_street(Action::ViewStreet, street_id) {
        return Err(AppError::NotFound);
    }
    let t = user.0.tr();
    let today = linli_store::today();
    let today_s = today.to_string();
    let today_days = today.signed_duration_since(chrono::NaiveDate::default()).num_days();
    let year_ago = (today - chrono::Duration::days(366)).to_string();
    let rules = state.store.self_governance().await?;
    let mut cards = Vec::new();
    for community in state.store.communities(Some(street_id)).await? {
        let mut assemblies = Vec::new();
        for a in state.store.assemblies(community.id).await? {
            // Drafts are the committee's own; the street sees what was noticed in the last year.
            if a.noticed_at.is_none() || a.closes_on.as_str() < year_ago.as_str() {
                continue;
            }
            let participation = match a.electorate() {
                Some(whole) => bars(state.store.assembly_tally(a.id).await?.participation, whole, (2, 3)),
                None => Vec::new(),
            };
            let due = a.objections_until.as_deref().map(|u| super::results::final_due(u, rules.assembly.publish_days));
            assemblies.push(AssemblyLine {
                id: a.id,
                stage: stage_key(&a, &today_s),
                window: t.fill("assembly.window", &[("opens", &a.opens_on), ("closes", &a.closes_on)]),
                late: a.finalised_at.is_none() && due.is_some_and(|due| today_s > due),
                title: a.title,
                participation,
            });
        }
        let unanswered = state
            .store
            .petitions(community.id)
            .await?
            .iter()
            .filter(|p| p.met_at.is_some() && p.assembly_id.is_none())
            .count();
        let committee = match state.store.committees(community.id).await?.into_iter().next() {
            Some(c) => {
                let record = state.store.committee_record(&c).await?;
                let overdue = open_duties(rules.duties, &record, today_days)
                    .iter()
                    .filter(|d| d.state == DutyState::Overdue)
                    .count();
                Some((c.id, c.elected_on, overdue))
            }
            None => None,
        };
        cards.push(CommunityCard { community, assemblies, unanswered, committee });
    }
    let page = StreetPage { chrome: Chrome::new(&user.0, t.get("assembly.street_heading")), street_id, cards };
    Ok(render(StatusCode::OK, &page))
}
