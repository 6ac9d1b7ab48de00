//! Service points on the web: a resident's balance, ledger and the points shop with
//! redemption; for staff the earning rules, the shop and its stock, redemptions to hand
//! over or reverse, the community's ledger, one resident's ledger and corrections by
//! entries with a reason.

use crate::context::{User, community_for, community_of};
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::volunteer::{self, Action as Earning, RedemptionStatus};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::points::{Entry, Item, NewItem, Redemption};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PointsQuery {
    pub done: Option<String>,
    /// Staff: the resident whose ledger to show.
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub resident: Option<i64>,
}

/// One resident's points as staff open them.
pub struct Account {
    pub resident_id: i64,
    pub name: String,
    pub balance: i64,
    pub ledger: Vec<Entry>,
}

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage {
    chrome: Chrome,
    community: Community,
    /// The caller's own points (a resident of record).
    balance: Option<i64>,
    ledger: Vec<Entry>,
    mine: Vec<Redemption>,
    items: Vec<Item>,
    redeems: bool,
    /// Staff.
    manages: bool,
    rules: Vec<(&'static str, i64)>,
    redemptions: Vec<Redemption>,
    community_ledger: Vec<Entry>,
    account: Option<Account>,
    error: Option<String>,
    notice: Option<String>,
}

impl PointsPage {
    fn affords(&self, cost: &i64) -> bool {
        self.balance.is_some_and(|b| b >= *cost)
    }
}

/// A signed points figure as the ledger shows it.
pub fn signed(delta: &i64) -> String {
    if *delta > 0 { format!("+{delta}") } else { delta.to_string() }
}

async fn points_page(
    state: &AppState,
    user: &User,
    community: Community,
    q: PointsQuery,
    status: StatusCode,
    error: Option<FieldError>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let p = user.principal();
    let redeems = p.can_in_community(Action::RedeemPoints, community.id, community.street_id);
    let manages = p.can_in_community(Action::ManagePoints, community.id, community.street_id);
    let own = if redeems { state.store.verified_resident(p.account_id, community.id).await? } else { None };
    let (balance, ledger, mine) = match own {
        Some(r) => (
            Some(state.store.points_balance(r).await?),
            state.store.points_ledger(r, 100).await?,
            state.store.redemptions_of(r).await?,
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    let account = match q.resident.filter(|_| manages) {
        Some(r) => {
            let resident = state.store.resident(r).await?;
            if resident.community_id != community.id {
                return Err(AppError::NotFound);
            }
            Some(Account {
                resident_id: r,
                name: resident.name.clone(),
                balance: state.store.points_balance(r).await?,
                ledger: state.store.points_ledger(r, 200).await?,
            })
        }
        None => None,
    };
    let page = PointsPage {
        chrome: Chrome::new(&user.0, t.get("points.title")),
        balance,
        ledger,
        mine,
        items: state.store.items(community.id, manages).await?,
        redeems,
        manages,
        rules: if manages {
            state.store.points_rules(community.id).await?.into_iter().map(|(a, n)| (a.as_str(), n)).collect()
        } else {
            Vec::new()
        },
        redemptions: if manages { state.store.redemptions(community.id).await? } else { Vec::new() },
        community_ledger: if manages {
            state.store.community_points_ledger(community.id, 50).await?
        } else {
            Vec::new()
        },
        account,
        community,
        error: error.map(|e| t.field_error(e.field, e.key)),
        notice: q.done.filter(|d| t.has(&format!("points.done.{d}"))).map(|d| t.label("points.done", &d)),
    };
    Ok(render(status, &page))
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<PointsQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewActivities).await?;
    points_page(&state, &user, community, q, StatusCode::OK, None).await
}

fn back(community: &Community, done: &str) -> Response {
    Redirect::to(&format!("/communities/{}/points?done={done}", community.id)).into_response()
}

/// A resident redeems an item of their community's shop.
pub async fn redeem(State(state): State<AppState>, user: User, Path(item_id): Path<i64>) -> AppResult<Response> {
    let item = state.store.item(item_id).await?;
    let community = community_of(&state, &user, item.community_id, Action::RedeemPoints).await?;
    let p = user.principal();
    let Some(resident) = state.store.verified_resident(p.account_id, community.id).await? else {
        return Ok(Redirect::to("/account/verify").into_response());
    };
    match state.store.redeem(item.id, resident, p.account_id).await {
        Ok(_) => Ok(back(&community, "redeemed")),
        Err(StoreError::Invalid(e)) => {
            points_page(&state, &user, community, PointsQuery::default(), StatusCode::UNPROCESSABLE_ENTITY, Some(e))
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct RulesForm {
    #[serde(default)]
    pub volunteer_hour: String,
    #[serde(default)]
    pub activity_attended: String,
}

fn points_of(field: &'static str, raw: &str) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=volunteer::MAX_POINTS).contains(n))
        .ok_or_else(|| FieldError::new(field, "error.points.points"))
}

/// Staff set what each action earns.
pub async fn set_rules(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<RulesForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePoints).await?;
    let checked = (|| {
        Ok::<_, FieldError>([
            (Earning::VolunteerHour, points_of("volunteer_hour", &form.volunteer_hour)?),
            (Earning::ActivityAttended, points_of("activity_attended", &form.activity_attended)?),
        ])
    })();
    match checked {
        Ok(rules) => {
            for (action, points) in rules {
                state.store.set_points_rule(community.id, action, points).await?;
            }
            Ok(back(&community, "rules"))
        }
        Err(e) => {
            points_page(&state, &user, community, PointsQuery::default(), StatusCode::UNPROCESSABLE_ENTITY, Some(e))
                .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ItemForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub cost: String,
    #[serde(default)]
    pub stock: String,
}

/// Staff put an item in the shop.
pub async fn create_item(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<ItemForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePoints).await?;
    let checked = (|| {
        let title = volunteer::ITEM_TITLE.parse("title", &form.title)?;
        linli_domain::publicity::check_public_text("title", &title)?;
        let description = volunteer::ITEM_DESCRIPTION.parse("description", &form.description)?;
        linli_domain::publicity::check_public_text("description", &description)?;
        let cost = crate::form::number("cost", &form.cost, 1..=volunteer::MAX_POINTS)?;
        let stock = crate::form::number("stock", &form.stock, 0..=100_000)?;
        Ok::<_, FieldError>((title, description, cost, stock))
    })();
    match checked {
        Ok((title, description, cost, stock)) => {
            let new = NewItem {
                community_id: community.id,
                organisation_id: None,
                title,
                description,
                cost,
                stock,
                by: user.principal().account_id,
            };
            state.store.create_item(&new).await?;
            Ok(back(&community, "item"))
        }
        Err(e) => {
            points_page(&state, &user, community, PointsQuery::default(), StatusCode::UNPROCESSABLE_ENTITY, Some(e))
                .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RestockForm {
    #[serde(default)]
    pub stock: String,
    pub withdraw: Option<String>,
}

/// Staff add stock to an item, or withdraw it from the shop.
pub async fn restock(
    State(state): State<AppState>,
    user: User,
    Path(item_id): Path<i64>,
    axum::Form(form): axum::Form<RestockForm>,
) -> AppResult<Response> {
    let item = state.store.item(item_id).await?;
    let community = community_of(&state, &user, item.community_id, Action::ManagePoints).await?;
    let add = if form.stock.trim().is_empty() { 0 } else { crate::form::number("stock", &form.stock, 0..=100_000)? };
    state.store.restock_item(item.id, add, form.withdraw.is_none()).await?;
    Ok(back(&community, "item"))
}

#[derive(Deserialize, Default)]
pub struct RedemptionForm {
    pub reverse: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// Staff hand a redeemed item over, or reverse the redemption with a reason.
pub async fn settle(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<RedemptionForm>,
) -> AppResult<Response> {
    let r = state.store.redemption(id).await?;
    let community = community_of(&state, &user, r.community_id, Action::ManagePoints).await?;
    let by = user.principal().account_id;
    let done = if form.reverse.is_some() {
        let note = volunteer::POINTS_NOTE.parse("note", &form.note)?;
        state.store.reverse_redemption(r.id, &note, by).await.map(|_| "reversed")
    } else {
        state.store.hand_over(r.id, by).await.map(|_| "handed")
    };
    match done {
        Ok(done) => Ok(back(&community, done)),
        Err(StoreError::Invalid(e)) => {
            points_page(&state, &user, community, PointsQuery::default(), StatusCode::UNPROCESSABLE_ENTITY, Some(e))
                .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct CorrectForm {
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub resident_id: Option<i64>,
    #[serde(default)]
    pub delta: String,
    #[serde(default)]
    pub note: String,
}

/// Staff correct a resident's points by an entry with a reason.
pub async fn correct(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<CorrectForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManagePoints).await?;
    let resident = form.resident_id.ok_or_else(|| AppError::invalid("resident_id", "error.required"))?;
    let checked = (|| {
        let delta = form
            .delta
            .trim()
            .trim_start_matches('+')
            .parse::<i64>()
            .ok()
            .filter(|d| *d != 0 && d.abs() <= volunteer::MAX_POINTS)
            .ok_or_else(|| FieldError::new("delta", "error.points.delta"))?;
        let note = volunteer::POINTS_NOTE.parse("note", &form.note)?;
        Ok::<_, FieldError>((delta, note))
    })();
    let refused = match checked {
        Ok((delta, note)) => {
            match state.store.correct_points(community.id, resident, delta, &note, user.principal().account_id).await {
                Ok(_) => {
                    let to = format!("/communities/{}/points?resident={resident}&done=corrected#account", community.id);
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(StoreError::Invalid(e)) => e,
                Err(e) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    let q = PointsQuery { done: None, resident: Some(resident) };
    points_page(&state, &user, community, q, StatusCode::UNPROCESSABLE_ENTITY, Some(refused)).await
}

/// How a redemption's status reads.
pub fn redemption_key(s: &RedemptionStatus) -> String {
    format!("points.redemption.{}", s.as_str())
}
