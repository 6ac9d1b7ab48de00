//! Operational endpoints: liveness, readiness, Prometheus metrics, the OpenAPI
//! document, and the middleware that measures every request.

use crate::state::AppState;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers too.
/// Ready when the database answers and can write. After a write failed for lack of space,
/// each call tries a one-row write, so readiness returns by itself once space does.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if !state.store.ping().await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    if state.store.cannot_write() && state.store.probe_write().await.is_err() {
        return (StatusCode::SERVICE_UNAVAILABLE, "database cannot write: no space left").into_response();
    }
    (StatusCode::OK, "ready").into_response()
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let body = state.metrics.render(state.store.pool_state());
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    r
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    Json(state.openapi.as_ref().clone()).into_response()
}

/// Counts and times each request under its route template (not its raw path, which
/// would explode the label set) and a known method, so that anonymous requests cannot
/// grow `/metrics` without bound.
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    // Anyone can send a made-up method: only the standard ones get a label of their own.
    let method = match *req.method() {
        Method::GET | Method::HEAD | Method::POST | Method::PUT | Method::PATCH | Method::DELETE | Method::OPTIONS => {
            req.method().as_str().to_owned()
        }
        _ => "OTHER".to_owned(),
    };
    let route =
        req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    state.metrics.observe(&method, &route, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}
