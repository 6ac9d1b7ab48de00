//! Registering the parties of a community, shared by the page and the API.

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::admin::OrganisationKind;
use linli_domain::identity::DisplayName;
use linli_domain::{Action, FieldError};
use linli_store::admin::Organisation;
use serde::Deserialize;
use utoipa::ToSchema;

/// A party to register.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct OrganisationInput {
    /// party_branch, residents_committee, owners_committee, property_company or social_organisation.
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::organisation_kind, required = true)]
    pub kind: String,
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::display_name, required = true)]
    pub name: String,
    /// Office hours, place or phone of the office (shown to residents).
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::contact)]
    pub contact: String,
}

pub async fn register(
    state: &AppState,
    user: &User,
    community_id: i64,
    form: &OrganisationInput,
) -> AppResult<Organisation> {
    let community = state.store.community(community_id).await?;
    if !user.principal().can_in_community(Action::ManageOrganisations, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    let kind = OrganisationKind::parse(form.kind.trim()).ok_or(FieldError::new("kind", "error.choice"))?;
    let name = DisplayName::parse("name", &form.name)?;
    let contact = linli_domain::admin::CONTACT.parse("contact", &form.contact)?;
    let existing = state.store.organisations(community.id).await?;
    if kind.one_per_community() && existing.iter().any(|o| o.kind == kind.as_str()) {
        return Err(AppError::Conflict(FieldError::new("kind", "error.org_unique")));
    }
    let id = state.store.insert_organisation(community.id, kind, name.as_str(), &contact).await?;
    state
        .store
        .audit(Some(user.principal().account_id), Some(community.id), "organisation.created", name.as_str())
        .await?;
    Ok(state.store.organisation(id).await?)
}
