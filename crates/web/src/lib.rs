//! Linli's web layer: the router, pages, JSON API, authentication and operations
//! endpoints. [`app`] assembles them with the middleware stack; `routes.rs` holds the
//! one list of routes.

pub mod accounts;
pub mod activities;
pub mod announcements;
pub mod api;
pub mod assemblies;
pub mod assets;
pub mod attachments;
pub mod auth;
pub mod cases;
pub mod chart;
pub mod consultations;
pub mod context;
pub mod error;
pub mod export_log;
pub mod form;
pub mod frame;
pub mod i18n;
pub mod indicators;
pub mod joint;
pub mod metrics;
pub mod monitoring;
pub mod notify;
pub mod open311;
pub mod ops;
pub mod outcomes;
pub mod pages;
pub mod photo;
pub mod points;
pub mod proposals;
pub mod publicity;
pub mod registry;
pub mod residents;
pub mod routes;
pub mod scorecards;
pub mod services;
pub mod spreadsheet;
pub mod state;
pub mod surveys;
pub mod volunteers;
pub mod webhook;

use crate::context::Ctx;
use crate::error::AppError;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::{from_fn_with_state, map_request};
use axum::response::{IntoResponse, Response};
use linli_store::Store;
pub use state::{AppState, WebSettings};
use std::sync::Arc;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted by default; upload routes set their own.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

/// Builds the application: state, routes and middleware.
pub fn app(store: Store, settings: WebSettings) -> (Router, AppState) {
    let routes = routes::build();
    let metrics = Arc::new(metrics::Metrics::new());
    let state = AppState {
        monitor: linli_monitor::Monitor::new(store.clone(), metrics.devices.clone()),
        store,
        settings: Arc::new(settings),
        metrics,
        openapi: Arc::new(routes.openapi),
        stopping: tokio_util::sync::CancellationToken::new(),
    };
    let csp = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
    let router = routes
        .router
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), ops::track))
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(from_fn_with_state(state.clone(), auth::context))
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp)))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
        .layer(map_request(strip_forged_context))
        .with_state(state.clone());
    (router, state)
}

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client cannot smuggle in a context: only the middleware puts one in.
async fn strip_forged_context<B>(mut req: Request<B>) -> Request<B> {
    req.extensions_mut().remove::<Ctx>();
    req
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Re-exported so the binary can name the response type of the router.
pub type AppResponse = Response;
