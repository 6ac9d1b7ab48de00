//! The issues ledger's page: every item of the community with where it came from and where
//! it stands; a form to raise one from the sources one's role may raise from (a case's page
//! links here with the case filled in); dropping a live item with a reason.

use super::chosen_id;
use crate::context::{User, community_for};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::joint::{BODY, REASON, Source, TITLE, sources_for};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::{Community, Organisation};
use linli_store::joint::LedgerItem;
use linli_store::joint::ledger::NewLedgerItem;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ItemForm {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub item_text: String,
    #[serde(default)]
    pub case_id: String,
    #[serde(default)]
    pub organisation_id: String,
}

#[derive(Deserialize)]
pub struct LedgerQuery {
    /// Raise from this case: the form comes filled in.
    pub case: Option<i64>,
}

#[derive(Template)]
#[template(path = "joint_ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    community: Community,
    /// Items with when they were raised.
    items: Vec<(LedgerItem, String)>,
    /// The sources this person may raise from; none: no form.
    sources: Vec<Source>,
    /// The parties this person may raise an item for.
    parties: Vec<Organisation>,
    can_convene: bool,
    form: ItemForm,
    error: Option<String>,
}

/// The sources `user` may raise items from in this community.
fn sources(user: &User, community: &Community) -> Vec<Source> {
    let p = user.principal();
    let mut out: Vec<Source> = Vec::new();
    let raising = p.assignments.iter().filter(|a| {
        a.community_id == Some(community.id) && linli_domain::permission::permits(a.role, Action::RaiseLedgerItems)
    });
    for a in raising {
        for s in sources_for(a.role) {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out
}

async fn page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    form: ItemForm,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let can_convene = p.can_in_community(Action::ConveneMeetings, community.id, community.street_id);
    let orgs = state.store.organisations(community.id).await?;
    let mine = super::parties_of(p, &orgs);
    let parties = orgs.into_iter().filter(|o| can_convene || mine.contains(&o.id)).collect();
    let items = state.store.ledger(community.id).await?.into_iter().map(|i| {
        let at = format_ms(i.raised_at);
        (i, at)
    });
    let page = LedgerPage {
        chrome: Chrome::new(&user.0, t.get("ledger.title")),
        items: items.collect(),
        sources: sources(user, &community),
        parties,
        can_convene,
        community,
        form,
        error: error.map(|e| t.field_error(e.field, e.key)),
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<LedgerQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewJointMeetings).await?;
    let mut form = ItemForm::default();
    if let Some(case) = q.case {
        form.case_id = case.to_string();
        form.source = Source::Case.as_str().to_owned();
        if let Ok(c) = state.store.case(case).await
            && c.community_id == community.id
        {
            form.item_text = c.description;
        }
    }
    page(&state, &user, community, StatusCode::OK, form, None).await
}

fn checked(
    user: &User,
    community: &Community,
    parties: &[Organisation],
    f: &ItemForm,
) -> Result<NewLedgerItem, FieldError> {
    let source = Source::parse(&f.source)?;
    if !sources(user, community).contains(&source) {
        return Err(FieldError::new("source", "error.choice"));
    }
    let title = TITLE.parse("title", &f.title)?;
    let body = BODY.parse("item_text", &f.item_text)?;
    let case_id = chosen_id("case_id", f.case_id.trim_start_matches('#'))?;
    if source.names_case() && case_id.is_none() {
        return Err(FieldError::new("case_id", "error.joint.case"));
    }
    let mut organisation_id = chosen_id("organisation_id", &f.organisation_id)?;
    // One party to speak for: it is that one.
    if organisation_id.is_none() && parties.len() == 1 && matches!(source, Source::Motion | Source::PartyRequest) {
        organisation_id = Some(parties[0].id);
    }
    let party = organisation_id.and_then(|id| parties.iter().find(|o| o.id == id));
    if organisation_id.is_some() && party.is_none() {
        return Err(FieldError::new("organisation_id", "error.choice"));
    }
    let needs_party = match source {
        Source::Motion => party.is_none_or(|o| o.kind != "owners_committee"),
        Source::PartyRequest => party.is_none(),
        _ => false,
    };
    if needs_party {
        return Err(FieldError::new("organisation_id", "error.joint.party"));
    }
    Ok(NewLedgerItem {
        community_id: community.id,
        source,
        title,
        body,
        case_id,
        organisation_id,
        by: user.principal().account_id,
    })
}

pub async fn raise(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<ItemForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::RaiseLedgerItems).await?;
    let p = user.principal();
    let orgs = state.store.organisations(community.id).await?;
    let mine = super::parties_of(p, &orgs);
    let can_convene = p.can_in_community(Action::ConveneMeetings, community.id, community.street_id);
    let parties: Vec<Organisation> = orgs.into_iter().filter(|o| can_convene || mine.contains(&o.id)).collect();
    let outcome = match checked(&user, &community, &parties, &form) {
        Ok(new) => state.store.raise_ledger_item(&new).await,
        Err(e) => Err(StoreError::Invalid(e)),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/communities/{}/ledger", community.id)).into_response()),
        Err(StoreError::Invalid(e)) => {
            page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(e)).await
        }
        Err(e) => Err(AppError::from(e)),
    }
}

#[derive(Deserialize, Default)]
pub struct DropForm {
    #[serde(default)]
    pub drop_reason: String,
}

pub async fn drop_item(
    State(state): State<AppState>,
    user: User,
    Path((community_id, item_id)): Path<(i64, i64)>,
    Form(f): Form<DropForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ConveneMeetings).await?;
    match REASON.parse("drop_reason", &f.drop_reason) {
        Ok(reason) => {
            state.store.drop_ledger_item(community.id, item_id, &reason, user.principal().account_id).await?;
            Ok(Redirect::to(&format!("/communities/{}/ledger", community.id)).into_response())
        }
        Err(e) => page(&state, &user, community, StatusCode::UNPROCESSABLE_ENTITY, ItemForm::default(), Some(e)).await,
    }
}
