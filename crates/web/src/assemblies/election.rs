//! Electing the owners' committee on the web: on a draft assembly the convener sets the
//! seats and adds candidates found by their unit (each becomes a matter of the ballot);
//! after the count the assembly page and the notice say who is elected, who are alternates,
//! who tied across the last seat and what stays vacant.

use super::{View, assembly_page, reachable};
use crate::context::User;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::state::AppState;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::election::{CommitteeRules, ElectionResult, Nomination, Outcome};
use linli_domain::ownership::Holder;
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::assemblies::elections::Candidate;
use serde::Deserialize;

async fn refuse(state: &AppState, user: &User, id: i64, e: FieldError) -> AppResult<Response> {
    let error = Some(user.0.tr().field_error(e.field, e.key));
    assembly_page(state, user, id, StatusCode::UNPROCESSABLE_ENTITY, View { error, ..View::default() }).await
}

fn back(id: i64) -> Response {
    Redirect::to(&format!("/assemblies/{id}#election")).into_response()
}

/// The seats a form asks for: empty for no election, else an odd number the estate's size
/// allows ([`CommitteeRules`]).
pub(crate) fn parse_seats(rules: CommitteeRules, raw: &str, households: i64) -> Result<Option<i64>, FieldError> {
    match raw.trim() {
        "" => Ok(None),
        raw => {
            let n = raw.parse::<i64>().map_err(|_| FieldError::new("seats", "error.election.seats"))?;
            rules.check_seats(households, n)?;
            Ok(Some(n))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SeatsForm {
    #[serde(default)]
    pub seats: String,
}

/// Sets how many members the assembly elects (empty: no election).
pub async fn seats(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<SeatsForm>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let households = state.store.electorate(assembly.community_id).await?.units as i64;
    let rules = state.store.self_governance().await?.committee;
    let seats = match parse_seats(rules, &form.seats, households) {
        Ok(s) => s,
        Err(e) => return refuse(&state, &user, id, e).await,
    };
    match state.store.set_seats(assembly.id, seats).await {
        Ok(()) => Ok(back(id)),
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, e).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct CandidateForm {
    /// The candidate's unit as the roll's search reads it (3-1-1202).
    #[serde(default)]
    pub candidate_unit: String,
    #[serde(default)]
    pub nomination: String,
    #[serde(default)]
    pub statement: String,
}

/// The one owner of record of the one unit a search finds, or the field's error.
async fn owner_of_unit(state: &AppState, community_id: i64, query: &str) -> AppResult<Result<i64, FieldError>> {
    let not_one = FieldError::new("candidate_unit", "error.election.unit");
    if query.trim().is_empty() {
        return Ok(Err(FieldError::new("candidate_unit", "error.required")));
    }
    let labels = state.store.unit_labels(community_id).await?;
    let found: Vec<i64> =
        labels.iter().filter(|(_, l)| linli_domain::assembly::units_match(l, query)).map(|(u, _)| *u).collect();
    let [unit] = found[..] else { return Ok(Err(not_one)) };
    let holdings = state.store.holdings(community_id).await?;
    let owner = holdings.iter().find(|h| h.unit_id == unit).and_then(|h| {
        h.holders.iter().find_map(|x| match x {
            Holder::Owner(o) => Some(*o),
            Holder::Developer => None,
        })
    });
    Ok(owner.ok_or(FieldError::new("candidate_unit", "error.election.not_owner")))
}

/// Adds a candidate, found by their unit, to a draft assembly's ballot.
pub async fn add_candidate(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<CandidateForm>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let nomination = match Nomination::parse(&form.nomination) {
        Ok(n) => n,
        Err(e) => return refuse(&state, &user, id, e).await,
    };
    let statement = match linli_domain::assembly::CANDIDATE_STATEMENT.parse("statement", &form.statement) {
        Ok(s) => s,
        Err(e) => return refuse(&state, &user, id, e).await,
    };
    let owner = match owner_of_unit(&state, assembly.community_id, &form.candidate_unit).await? {
        Ok(o) => o,
        Err(e) => return refuse(&state, &user, id, e).await,
    };
    match state.store.add_candidate(&assembly, owner, nomination, &statement).await {
        Ok(_) => Ok(back(id)),
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn remove_candidate(
    State(state): State<AppState>,
    user: User,
    Path((id, candidate_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    match state.store.remove_candidate(assembly.id, candidate_id).await {
        Ok(()) => Ok(back(id)),
        Err(StoreError::Invalid(e)) => refuse(&state, &user, id, e).await,
        Err(e) => Err(e.into()),
    }
}

/// The election in words, for the assembly page and the notice.
pub struct ElectionView {
    pub seats: i64,
    /// The rule in words (seats, at most that many agrees).
    pub rule: String,
    pub candidates: Vec<Candidate>,
    /// After the count: each outcome's line (elected, alternates, tied, not passed), and
    /// what stays vacant and why.
    pub result: Vec<String>,
}

pub(crate) fn view(t: Tr, seats: i64, candidates: Vec<Candidate>, result: Option<&ElectionResult>) -> ElectionView {
    let names = |o: Outcome, r: &ElectionResult| -> Vec<String> {
        r.with(o).filter_map(|s| candidates.iter().find(|c| c.id == s.candidate)).map(|c| c.name.clone()).collect()
    };
    let mut lines = Vec::new();
    if let Some(r) = result {
        let sep = t.get("list.separator");
        for (o, key) in [
            (Outcome::Elected, "election.elected"),
            (Outcome::Alternate, "election.alternates"),
            (Outcome::Tied, "election.tied"),
            (Outcome::NotPassed, "election.not_passed"),
        ] {
            let n = names(o, r);
            if !n.is_empty() {
                lines.push(t.fill(key, &[("names", &n.join(sep))]));
            }
        }
        if r.vacancies > 0 {
            lines.push(t.fill("election.vacancies", &[("n", &r.vacancies)]));
        }
    }
    ElectionView { rule: t.fill("election.rule", &[("seats", &seats)]), seats, candidates, result: lines }
}
