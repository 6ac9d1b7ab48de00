//! Application state, built once at start and passed to every handler (no globals).

use crate::metrics::Metrics;
use linli_store::Store;
use linli_store::throttle::ThrottlePolicy;
use std::sync::Arc;

/// Settings the web layer needs, resolved from configuration by the binary.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Idle lifetime of a session.
    pub session_ttl_ms: i64,
    /// Mark cookies `Secure` (set when served behind TLS).
    pub secure_cookies: bool,
    /// Failed logins per login name before a lockout.
    pub login_policy: ThrottlePolicy,
    /// Failed logins per client address before a lockout.
    pub address_policy: ThrottlePolicy,
    /// Shown on the login page when the demo community is loaded.
    pub demo_logins: Vec<(linli_domain::Role, String)>,
    /// The gateway that also sends account verification codes by SMS; without it only
    /// the community's staff can confirm an account.
    pub webhook: Option<crate::webhook::Webhook>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            session_ttl_ms: 12 * 3600 * 1000,
            secure_cookies: false,
            login_policy: ThrottlePolicy { max_failures: 5, window_ms: 15 * 60 * 1000, lockout_ms: 15 * 60 * 1000 },
            address_policy: ThrottlePolicy { max_failures: 50, window_ms: 15 * 60 * 1000, lockout_ms: 15 * 60 * 1000 },
            demo_logins: Vec::new(),
            webhook: None,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<WebSettings>,
    pub metrics: Arc<Metrics>,
    /// The OpenAPI document, generated from the route list at start.
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    /// Where device messages go, whichever way they came.
    pub monitor: linli_monitor::Monitor,
    /// Cancelled when the server begins to stop: long-lived responses (the alarm board's
    /// event stream) end, so that the requests in flight can finish and the process exit.
    pub stopping: tokio_util::sync::CancellationToken,
}
