//! `GET /api/v1/me`: who the caller is.

use crate::context::User;
use axum::Json;
use linli_domain::Assignment;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub account_id: i64,
    pub display_name: String,
    pub roles: Vec<RoleView>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleView {
    /// resident, grid_worker, community_staff, community_director, owners_committee_member,
    /// property_staff, social_org_staff, street_supervisor or system_admin.
    pub role: String,
    pub street_id: Option<i64>,
    pub community_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub grid_ids: Vec<i64>,
}

impl From<&Assignment> for RoleView {
    fn from(a: &Assignment) -> Self {
        RoleView {
            role: a.role.as_str().to_owned(),
            street_id: a.street_id,
            community_id: a.community_id,
            organisation_id: a.organisation_id,
            grid_ids: a.grid_ids.clone(),
        }
    }
}

/// The signed-in account and its roles with their scopes.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, body = Me), (status = 401, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn me(user: User) -> Json<Me> {
    let p = user.principal();
    Json(Me {
        account_id: p.account_id,
        display_name: p.display_name.clone(),
        roles: p.assignments.iter().map(RoleView::from).collect(),
    })
}
