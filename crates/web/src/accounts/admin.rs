//! System administration: accounts with their roles (phones masked; administrators have
//! no routine access to residents' personal data), creating accounts, disabling them.

use crate::accounts::{self, AccountInput};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::Form;
use linli_domain::Role;
use linli_store::accounts::AccountSummary;
use linli_store::admin::{Community, Grid, Organisation, Street};
use serde::Deserialize;
use std::borrow::Borrow;

pub const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<(AccountSummary, String)>,
    page: i64,
    has_next: bool,
    total: i64,
    notice: Option<String>,
    me: i64,
}

#[derive(Deserialize)]
pub struct ListQuery {
    pub page: Option<i64>,
    pub created: Option<i64>,
}

pub async fn accounts(State(state): State<AppState>, user: User, Query(q): Query<ListQuery>) -> AppResult<Response> {
    let t = user.0.tr();
    let page_no = q.page.unwrap_or(1).max(1);
    let total = state.store.account_count().await?;
    let accounts = state
        .store
        .accounts((page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?
        .into_iter()
        .map(|a| {
            let roles = a.roles.split(',').filter_map(Role::parse).map(|r| t.role(r)).collect::<Vec<_>>().join("、");
            (a, roles)
        })
        .collect();
    let page = AccountsPage {
        chrome: Chrome::new(&user.0, t.get("nav.accounts")),
        accounts,
        page: page_no,
        has_next: page_no * PAGE_SIZE < total,
        total,
        notice: q.created.map(|id| t.fill("accounts.created", &[("id", &id)])),
        me: user.principal().account_id,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "account_new.html")]
struct NewAccountPage {
    chrome: Chrome,
    roles: Vec<(&'static str, &'static str)>,
    streets: Vec<Street>,
    communities: Vec<Community>,
    community_id: Option<i64>,
    organisations: Vec<Organisation>,
    grids: Vec<Grid>,
    input: AccountInput,
    error: Option<(&'static str, String)>,
}

/// Which options the form shows as chosen.
impl NewAccountPage {
    fn is_community<T: Borrow<i64>>(&self, id: T) -> bool {
        self.community_id == Some(*id.borrow())
    }

    fn is_street<T: Borrow<i64>>(&self, id: T) -> bool {
        self.input.street_id == Some(*id.borrow())
    }

    fn is_org<T: Borrow<i64>>(&self, id: T) -> bool {
        self.input.organisation_id == Some(*id.borrow())
    }

    fn is_grid<T: Borrow<i64>>(&self, id: T) -> bool {
        self.input.grid_ids.contains(id.borrow())
    }
}

#[derive(Deserialize)]
pub struct NewQuery {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub community_id: Option<i64>,
}

async fn new_page(
    state: &AppState,
    user: &User,
    status: StatusCode,
    input: AccountInput,
    error: Option<(&'static str, String)>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let communities = state.store.communities(None).await?;
    let community_id = input.community_id.filter(|id| communities.iter().any(|c| c.id == *id));
    let (organisations, grids) = match community_id {
        Some(id) => (
            state
                .store
                .organisations(id)
                .await?
                .into_iter()
                .filter(|o| o.kind == "property_company" || o.kind == "social_organisation")
                .collect(),
            state.store.grids(id).await?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let page = NewAccountPage {
        chrome: Chrome::new(&user.0, t.get("accounts.new")),
        roles: Role::ALL.into_iter().map(|r| (r.as_str(), t.role(r))).collect(),
        streets: state.store.streets().await?,
        communities,
        community_id,
        organisations,
        grids,
        input,
        error,
    };
    Ok(render(status, &page))
}

pub async fn new_account(State(state): State<AppState>, user: User, Query(q): Query<NewQuery>) -> AppResult<Response> {
    let input = AccountInput { community_id: q.community_id, ..AccountInput::default() };
    new_page(&state, &user, StatusCode::OK, input, None).await
}

pub async fn create_account(
    State(state): State<AppState>,
    user: User,
    Form(mut input): Form<AccountInput>,
) -> AppResult<Response> {
    match accounts::create(&state, user.principal().account_id, &input).await {
        Ok(id) => Ok(Redirect::to(&format!("/admin/accounts?created={id}")).into_response()),
        Err(e @ (AppError::Invalid(_) | AppError::Taken(_))) => {
            let t = user.0.tr();
            let info = e.info();
            let field = info.field.unwrap_or("");
            let message = t.field_error(field, info.key);
            input.password.clear();
            new_page(&state, &user, e.status(), input, Some((field, message))).await
        }
        Err(e) => Err(e),
    }
}

pub async fn disable_account(
    State(state): State<AppState>,
    user: User,
    Path(account_id): Path<i64>,
) -> AppResult<Response> {
    accounts::set_disabled(&state, user.principal().account_id, account_id, true).await?;
    Ok(Redirect::to("/admin/accounts").into_response())
}

pub async fn enable_account(
    State(state): State<AppState>,
    user: User,
    Path(account_id): Path<i64>,
) -> AppResult<Response> {
    accounts::set_disabled(&state, user.principal().account_id, account_id, false).await?;
    Ok(Redirect::to("/admin/accounts").into_response())
}
