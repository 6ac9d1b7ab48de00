//! HTTP ingestion: `POST /api/v1/telemetry` with the device's own token
//! (`Authorization: Bearer dev_…`) and the same payloads as MQTT; `?channel=event` or
//! `?channel=state` for the other two. The answer comes after the message is stored.

use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::state::AppState;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming, Outcome};
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
pub struct Params {
    channel: Option<String>,
}

pub async fn telemetry(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let tr = Tr::new(crate::i18n::accept_language(&headers).unwrap_or(ctx.lang));
    let refuse = |status: StatusCode, field: &str, key: &str| {
        (status, axum::Json(json!({ "field": field, "error": key, "message": tr.field_error(field, key) })))
            .into_response()
    };
    let channel = match params.channel.as_deref().map(Channel::parse).transpose() {
        Ok(c) => c.unwrap_or(Channel::Telemetry),
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.field, e.key),
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let device = match state.store.device_by_token(token).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            state.monitor.refused("http", "bad_token", "");
            return refuse(StatusCode::UNAUTHORIZED, "token", "error.device.token");
        }
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let incoming =
        Incoming { device: DeviceRef::Id(device), channel, payload: body.to_vec(), received_at: linli_store::now_ms() };
    match state.monitor.ingest("http", std::slice::from_ref(&incoming)).await {
        Ok(out) => match out.outcomes.first() {
            Some(Outcome::Stored) => (StatusCode::ACCEPTED, axum::Json(json!({ "outcome": "stored" }))).into_response(),
            Some(Outcome::Duplicate) => (StatusCode::OK, axum::Json(json!({ "outcome": "duplicate" }))).into_response(),
            Some(Outcome::Malformed(e)) => refuse(StatusCode::BAD_REQUEST, e.field, e.key),
            Some(Outcome::UnknownDevice) | None => refuse(StatusCode::UNAUTHORIZED, "token", "error.device.token"),
        },
        Err(e) => {
            tracing::warn!(error = %e, "storing an HTTP device message failed");
            // Not stored: the device keeps it and retries. A full disk says so (507).
            let status =
                if e.is_out_of_space() { StatusCode::INSUFFICIENT_STORAGE } else { StatusCode::SERVICE_UNAVAILABLE };
            let mut response = refuse(status, "payload", "error.device.retry");
            response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            response
        }
    }
}
