//! System administration: the account list (phones masked; administrators have no
//! routine access to residents' personal data).

use super::{Chrome, render};
use crate::auth::User;
use crate::error::AppResult;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use linli_store::accounts::AccountSummary;
use serde::Deserialize;

pub const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    accounts: Vec<(AccountSummary, String)>,
    page: i64,
    has_next: bool,
    total: i64,
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub page: Option<i64>,
}

pub async fn accounts(State(state): State<AppState>, user: User, Query(q): Query<PageQuery>) -> AppResult<Response> {
    let t = user.0.tr();
    let page_no = q.page.unwrap_or(1).max(1);
    let total = state.store.account_count().await?;
    let accounts = state
        .store
        .accounts((page_no - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?
        .into_iter()
        .map(|a| {
            let roles = a
                .roles
                .split(',')
                .filter_map(linli_domain::Role::parse)
                .map(|r| t.role(r))
                .collect::<Vec<_>>()
                .join("、");
            (a, roles)
        })
        .collect();
    let page = AccountsPage {
        chrome: Chrome::new(&user.0, t.get("nav.accounts")),
        accounts,
        page: page_no,
        has_next: page_no * PAGE_SIZE < total,
        total,
    };
    Ok(render(StatusCode::OK, &page))
}
