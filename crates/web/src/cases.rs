//! Cases as the pages and the API share them: who sees a case, which steps each person
//! may take on it, reading a step from a form, and where a report lands.

use crate::auth::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::case::{Event, Level, State};
use linli_domain::{Action, FieldError, Principal, Role};
use linli_store::admin::Community;
use linli_store::cases::CaseRow;

/// Every step a page can offer, in the order buttons appear.
pub const STEPS: [&str; 14] = [
    "register",
    "refuse",
    "dispatch",
    "accept",
    "feedback",
    "verify_pass",
    "verify_fail",
    "suspend",
    "resume",
    "extend",
    "escalate",
    "remind",
    "rate",
    "reopen",
];

/// A case within the caller's reach, with its community; anything else is not found.
pub async fn reachable_case(state: &AppState, user: &User, case_id: i64) -> AppResult<(CaseRow, Community)> {
    let case = state.store.case(case_id).await?;
    let community = state.store.community(case.community_id).await?;
    let scope = user.principal().case_scope(community.id, community.street_id);
    if !scope.includes(case.grid_id, case.assignee_organisation_id, case.reporter_account_id) {
        return Err(AppError::NotFound);
    }
    Ok((case, community))
}

fn organisations(p: &Principal) -> Vec<i64> {
    p.assignments
        .iter()
        .filter(|a| matches!(a.role, Role::PropertyStaff | Role::SocialOrgStaff))
        .filter_map(|a| a.organisation_id)
        .collect()
}

/// The steps this person may take on this case now. The loop itself (the domain) still
/// decides whether a step is legal; this decides whose step it is.
pub fn steps_for(p: &Principal, community: &Community, case: &CaseRow) -> Vec<&'static str> {
    let Some(state) = State::parse(&case.state) else { return Vec::new() };
    let level = Level::parse(&case.level).unwrap_or(Level::Grid);
    let staff = p.assignments.iter().any(|a| {
        matches!(a.role, Role::CommunityStaff | Role::CommunityDirector) && a.community_id == Some(community.id)
    });
    let street = level == Level::Street && p.can_in_street(Action::ActOnCases, community.street_id);
    let manager = staff || street;
    let grid_worker = level == Level::Grid
        && case
            .grid_id
            .is_some_and(|g| p.assignments.iter().any(|a| a.role == Role::GridWorker && a.grid_ids.contains(&g)));
    let assignee = case.assignee_account_id == Some(p.account_id)
        || case.assignee_organisation_id.is_some_and(|o| organisations(p).contains(&o))
        || (case.assignee_account_id.is_none() && case.assignee_organisation_id.is_none() && manager);
    let reporter = case.reporter_account_id == Some(p.account_id);
    let open = !matches!(state, State::Closed | State::Refused);
    let mut out = Vec::new();
    for step in STEPS {
        let mine = match step {
            "register" | "refuse" => state == State::Reported && (manager || grid_worker),
            "dispatch" => state == State::Registered && (manager || grid_worker),
            "accept" => state == State::Dispatched && assignee,
            "feedback" => state == State::Accepted && assignee,
            "verify_pass" | "verify_fail" => state == State::Handled && (manager || grid_worker),
            "suspend" => matches!(state, State::Registered | State::Dispatched | State::Accepted) && manager,
            "resume" => state == State::Suspended && manager,
            "extend" => open && state != State::Reported && state != State::Suspended && manager,
            "escalate" => {
                level.above().is_some()
                    && matches!(state, State::Reported | State::Registered | State::Dispatched | State::Accepted)
                    && (manager || grid_worker)
            }
            "remind" => state.clock_runs() && state != State::Reported && manager,
            "rate" => state == State::Closed && reporter && case.rating.is_none(),
            "reopen" => state == State::Closed && reporter,
            _ => false,
        };
        if mine {
            out.push(step);
        }
    }
    out
}

/// Reads a step from a form: its name, a note (a refusal's reason), and stars for a rating.
pub fn parse_step(step: &str, note: &str, stars: Option<&str>) -> AppResult<Event> {
    let note = note.trim();
    if note.chars().count() > 1000 {
        return Err(FieldError::new("note", "error.case.note").into());
    }
    Ok(match step {
        "register" => Event::Register,
        "refuse" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.refuse_reason").into());
            }
            Event::Refuse { reason: note.to_owned() }
        }
        "dispatch" => Event::Dispatch,
        "accept" => Event::Accept,
        "feedback" => {
            if note.is_empty() {
                return Err(FieldError::new("note", "error.case.feedback").into());
            }
            Event::Feedback
        }
        "verify_pass" => Event::VerifyPass,
        "verify_fail" => Event::VerifyFail,
        "suspend" => Event::Suspend,
        "resume" => Event::Resume,
        "extend" => Event::Extend,
        "escalate" => Event::Escalate,
        "remind" => Event::Remind,
        "rate" => {
            let stars: u8 = stars
                .and_then(|s| s.trim().parse().ok())
                .filter(|s| (1..=5).contains(s))
                .ok_or(FieldError::new("stars", "error.case.stars"))?;
            Event::Rate { stars }
        }
        "reopen" => Event::Reopen,
        _ => return Err(FieldError::new("step", "error.choice").into()),
    })
}

/// Takes a step as the signed-in person, if it is theirs to take.
pub async fn take_step(
    state: &AppState,
    user: &User,
    case_id: i64,
    step: &str,
    note: &str,
    stars: Option<&str>,
) -> AppResult<CaseRow> {
    let event = parse_step(step, note, stars)?;
    let (case, community) = reachable_case(state, user, case_id).await?;
    if !steps_for(user.principal(), &community, &case).contains(&step) {
        return Err(AppError::Forbidden);
    }
    Ok(state.store.apply_case_step(case.id, Some(user.principal().account_id), &event, note.trim()).await?)
}
