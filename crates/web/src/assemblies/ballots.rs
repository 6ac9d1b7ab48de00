//! Printable paper ballots: one sheet per voter on the frozen roll, pre-filled with the
//! voter's units, area and ballot number, every matter with its three boxes, and the
//! signature line. Staff print them for the owners who vote on paper (by building, or only
//! those who have no ballot in yet); the number on a returned sheet finds the voter on the
//! desk. No name is printed: the sheet goes to the unit, and the owner signs it.

use super::{reachable, window};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::Action;
use linli_domain::ownership::Area;
use linli_store::assemblies::{Assembly, Matter};
use serde::Deserialize;

/// Sheets on one printed batch.
const BATCH: usize = 100;

#[derive(Deserialize, Default)]
pub struct BallotsQuery {
    /// Units to print for (as the roll's search reads it: 3号楼, 3-1, 3-1-1202), or all.
    #[serde(default)]
    pub q: String,
    /// Only voters with no ballot counted or keyed in yet.
    #[serde(default)]
    pub pending: Option<String>,
    #[serde(default)]
    pub offset: usize,
}

/// One sheet: the ballot number, the units and the area.
pub struct Sheet {
    pub number: String,
    pub units: String,
    pub area: String,
}

#[derive(Template)]
#[template(path = "assembly_ballots.html")]
struct BallotsPage {
    chrome: Chrome,
    assembly: Assembly,
    matters: Vec<Matter>,
    window: String,
    heading: String,
    sheets: Vec<Sheet>,
    query: BallotsQuery,
    shown_of: String,
    next: Option<String>,
    convened_by: String,
    /// In an election: the rule (how many to agree to at most) and the candidates.
    election_rule: Option<String>,
    candidates: Vec<linli_store::assemblies::elections::Candidate>,
}

impl BallotsPage {
    fn candidate(&self, m: &Matter) -> Option<&linli_store::assemblies::elections::Candidate> {
        self.candidates.iter().find(|c| c.matter_id == m.id)
    }

    fn threshold_key(&self, m: &Matter) -> &'static str {
        super::threshold_key(m.kind)
    }
}

/// The ballot number printed on a sheet: the desk's roll finds the voter by it.
pub fn ballot_number(elector_id: i64) -> String {
    format!("#{elector_id}")
}

pub async fn print(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(query): Query<BallotsQuery>,
) -> AppResult<Response> {
    let (assembly, community) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    // Before the notice there is no roll to print for; after the count no ballot is taken.
    if assembly.noticed_at.is_none() || assembly.counted_at.is_some() {
        return Err(AppError::NotFound);
    }
    let t = user.0.tr();
    let matching: Vec<_> = state
        .store
        .assembly_roll(assembly.id)
        .await?
        .into_iter()
        .filter(|r| {
            query.pending.is_none() || (r.ballot.is_none() && r.paper == linli_domain::assembly::DoubleEntry::None)
        })
        .filter(|r| linli_domain::assembly::units_match(&r.label, &query.q))
        .collect();
    let total = matching.len();
    let sheets: Vec<Sheet> = matching
        .into_iter()
        .skip(query.offset)
        .take(BATCH)
        .map(|r| Sheet {
            number: ballot_number(r.elector_id),
            area: t.fill("assembly.sheet_area", &[("area", &Area::from_dm2(r.area_dm2).grouped_m2())]),
            units: r.label,
        })
        .collect();
    let shown_of = if total == 0 {
        t.get("assembly.roll_none").to_owned()
    } else {
        let last = (query.offset + sheets.len()).min(total);
        t.fill("assembly.sheets_shown", &[("from", &(query.offset + 1).min(last)), ("to", &last), ("total", &total)])
    };
    let next = (query.offset + BATCH < total).then(|| {
        let mut pairs = vec![("q", query.q.clone()), ("offset", (query.offset + BATCH).to_string())];
        if query.pending.is_some() {
            pairs.push(("pending", "1".to_owned()));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    });
    let matters = state.store.assembly_matters(assembly.id).await?;
    let candidates = state.store.candidates(assembly.id).await?;
    let election_rule = assembly.seats.map(|seats| t.fill("election.rule", &[("seats", &seats)]));
    let page = BallotsPage {
        candidates,
        election_rule,
        chrome: Chrome::new(&user.0, t.get("assembly.print_ballots")),
        heading: t.fill("assembly.sheet_heading", &[("community", &community.name)]),
        window: window(t, &assembly),
        convened_by: t
            .fill("assembly.convened_by", &[("convener", &t.label("assembly.convener", assembly.convener.as_str()))]),
        matters,
        assembly,
        sheets,
        query,
        shown_of,
        next,
    };
    Ok(render(StatusCode::OK, &page))
}
