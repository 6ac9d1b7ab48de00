//! The request's context as handlers see it: who is asking ([`Ctx`], [`User`]), how they
//! proved it, and in what language. The `auth` middleware resolves it once per request.

use crate::error::AppError;
use crate::i18n::{Lang, Tr};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use linli_domain::Principal;
use std::sync::Arc;

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session; holds the cookie token.
    Session(String),
    ApiToken,
}

#[derive(Debug)]
pub struct Authed {
    pub principal: Principal,
    pub credential: Credential,
}

/// The request's context: the signed-in person (if any), language, CSRF token to embed
/// in forms, and the request id that error pages quote.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub user: Option<Arc<Authed>>,
    pub lang: Lang,
    pub csrf: String,
    pub request_id: String,
    pub path: String,
    /// The peer address, when the server was started with connect info.
    pub client_ip: Option<std::net::IpAddr>,
}

impl Ctx {
    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    pub fn principal(&self) -> Option<&Principal> {
        self.user.as_deref().map(|a| &a.principal)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("context middleware missing")))
    }
}

/// A signed-in caller; extracting it from an anonymous request is a 401.
pub struct User(pub Ctx, pub Arc<Authed>);

impl User {
    pub fn principal(&self) -> &Principal {
        &self.1.principal
    }
}

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let authed = ctx.user.clone().ok_or(AppError::Unauthenticated)?;
        Ok(User(ctx, authed))
    }
}

/// The community of an object the caller opened by its id (a meeting, a survey, …), if the
/// caller may do `action` in it; else 404, as if the object did not exist.
pub(crate) async fn community_of(
    state: &crate::state::AppState,
    user: &User,
    community_id: i64,
    action: linli_domain::Action,
) -> crate::error::AppResult<linli_store::admin::Community> {
    community_for(state, user, community_id, action).await.map_err(|e| match e {
        AppError::Forbidden => AppError::NotFound,
        e => e,
    })
}

/// The community `community_id`, if the caller may do `action` in it (else 403: the route
/// is the caller's, the community is not).
pub(crate) async fn community_for(
    state: &crate::state::AppState,
    user: &User,
    community_id: i64,
    action: linli_domain::Action,
) -> crate::error::AppResult<linli_store::admin::Community> {
    let community = state.store.community(community_id).await?;
    if !user.principal().can_in_community(action, community.id, community.street_id) {
        return Err(AppError::Forbidden);
    }
    Ok(community)
}
