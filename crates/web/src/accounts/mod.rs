//! Accounts, in one place. What administration's page and API share: submitted fields
//! become a valid account holding one role, anchored where that role acts (a street, a
//! community, an organisation, or grids of a community); every failure names its field.
//! The administrators' pages ([`admin`]) and API ([`api`]); one's own account: its page
//! ([`own`]), `GET /api/v1/me` ([`me`]) and personal access tokens ([`tokens`]).

pub mod admin;
pub mod api;
pub mod me;
pub mod own;
pub mod tokens;
pub mod verify;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use linli_domain::admin::OrganisationKind;
use linli_domain::identity::{DisplayName, NewPassword, Phone, Username};
use linli_domain::role::ScopeKind;
use linli_domain::{FieldError, Role};
use linli_store::StoreError;
use linli_store::accounts::{NewAccount, NewAssignment};
use serde::Deserialize;
use utoipa::ToSchema;

/// A new account as submitted. Empty strings count as absent.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AccountInput {
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::display_name, required = true)]
    pub display_name: String,
    pub username: Option<String>,
    /// Mainland mobile number; stored only as a keyed index and a masked form.
    pub phone: Option<String>,
    /// The initial password (8+ characters, letters and digits).
    #[serde(default)]
    #[schema(min_length = 8, max_length = 128, required = true)]
    pub password: String,
    /// resident, grid_worker, community_staff, community_director, owners_committee_member,
    /// property_staff, social_org_staff, street_supervisor or system_admin.
    #[serde(default)]
    #[schema(schema_with = crate::api::schema::role, required = true)]
    pub role: String,
    /// Required for street supervisors.
    pub street_id: Option<i64>,
    /// Required for community roles and grid workers.
    pub community_id: Option<i64>,
    /// Required for property and social-organisation staff.
    pub organisation_id: Option<i64>,
    /// Required for grid workers: grids of the community they work in.
    #[serde(default)]
    pub grid_ids: Vec<i64>,
}

fn present(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn bad(field: &'static str, key: &'static str) -> AppError {
    AppError::Invalid(FieldError::new(field, key))
}

/// Checks every field and the role's anchor against the database.
pub async fn parse(state: &AppState, input: &AccountInput) -> AppResult<NewAccount> {
    let display_name = DisplayName::parse("display_name", &input.display_name)?;
    let username = present(&input.username).map(|u| Username::parse("username", u)).transpose()?;
    let phone = present(&input.phone).map(|p| Phone::parse("phone", p)).transpose()?;
    if username.is_none() && phone.is_none() {
        return Err(bad("username", "error.login_required"));
    }
    let password = NewPassword::parse("password", &input.password)?;
    let role = Role::parse(input.role.trim()).ok_or_else(|| bad("role", "error.choice"))?;
    let exists = |field: &'static str| {
        move |e: StoreError| match e {
            StoreError::NotFound => bad(field, "error.choice"),
            other => other.into(),
        }
    };
    let mut assignment = NewAssignment { role, street_id: None, community_id: None, organisation_id: None };
    let mut grid_ids = Vec::new();
    match role.scope_kind() {
        ScopeKind::Global => {}
        ScopeKind::Street => {
            let id = input.street_id.ok_or_else(|| bad("street_id", "error.required"))?;
            assignment.street_id = Some(state.store.street(id).await.map_err(exists("street_id"))?.id);
        }
        ScopeKind::Community | ScopeKind::Grids => {
            let id = input.community_id.ok_or_else(|| bad("community_id", "error.required"))?;
            let community = state.store.community(id).await.map_err(exists("community_id"))?;
            assignment.community_id = Some(community.id);
            if role.scope_kind() == ScopeKind::Grids {
                if input.grid_ids.is_empty() {
                    return Err(bad("grid_ids", "error.required"));
                }
                let grids = state.store.grids(community.id).await?;
                if !input.grid_ids.iter().all(|g| grids.iter().any(|x| x.id == *g)) {
                    return Err(bad("grid_ids", "error.grid_outside"));
                }
                grid_ids = input.grid_ids.clone();
                grid_ids.dedup();
            }
        }
        ScopeKind::Organisation => {
            let id = input.organisation_id.ok_or_else(|| bad("organisation_id", "error.required"))?;
            let org = state.store.organisation(id).await.map_err(exists("organisation_id"))?;
            let expected = if role == Role::PropertyStaff {
                OrganisationKind::PropertyCompany
            } else {
                OrganisationKind::SocialOrganisation
            };
            if org.kind != expected.as_str() {
                return Err(bad("organisation_id", "error.org_kind"));
            }
            assignment.organisation_id = Some(org.id);
            assignment.community_id = Some(org.community_id);
        }
    }
    Ok(NewAccount { username, phone, display_name, password, assignments: vec![assignment], grid_ids })
}

/// Creates the account and records who did it.
pub async fn create(state: &AppState, actor: i64, input: &AccountInput) -> AppResult<i64> {
    let new = parse(state, input).await?;
    let id = state.store.create_account_by(Some(actor), &new).await?;
    let role = new.assignments.first().map(|a| a.role.as_str()).unwrap_or_default();
    state
        .store
        .audit(
            Some(actor),
            new.assignments.first().and_then(|a| a.community_id),
            "account.created",
            &format!("{id} {role}"),
        )
        .await?;
    Ok(id)
}

/// Disables or enables an account; nobody disables their own.
pub async fn set_disabled(state: &AppState, actor: i64, account_id: i64, disabled: bool) -> AppResult<()> {
    if actor == account_id && disabled {
        return Err(AppError::Conflict(FieldError::new("account_id", "error.self")));
    }
    state.store.set_account_disabled(account_id, disabled).await?;
    let action = if disabled { "account.disabled" } else { "account.enabled" };
    state.store.audit(Some(actor), None, action, &account_id.to_string()).await?;
    // Enabled again, an account that reads residents is announced like a new one.
    if !disabled {
        state.store.announce_account_grants(actor, account_id).await?;
    }
    Ok(())
}
