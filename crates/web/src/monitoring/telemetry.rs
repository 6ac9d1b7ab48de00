//! HTTP ingestion: `POST /api/v1/telemetry` with the device's own token
//! (`Authorization: Bearer dev_…`) and the same payloads as MQTT; `?channel=event` or
//! `?channel=state` for the other two. The answer comes after the message is stored.
//! Refusals use the API's one error shape.

use crate::error::ErrorInfo;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use linli_domain::FieldError;
use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming, Outcome};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Params {
    /// `telemetry` (the default), `event` or `state`.
    #[param(schema_with = crate::api::schema::channel)]
    channel: Option<String>,
}

/// A telemetry message: `{"ts": …, "values": {"temp": 21.5, "smoke": false}}`, or the
/// values as a flat object (a `ts` key in it is the time). An event is
/// `{"event": "name"}`; a state is `online`, `offline` or `{"online": true}`.
/// (For the document only: the payload is read by `linli_domain::monitoring::Message`.)
#[derive(ToSchema)]
pub struct TelemetryPayload {
    /// When the device measured, UTC milliseconds (2000 to 2100); the server's time if absent.
    #[schema(minimum = 946684800000_i64, maximum = 4102444800000_i64)]
    pub ts: Option<i64>,
    /// Up to 64 named numbers or booleans.
    pub values: std::collections::BTreeMap<String, f64>,
}

/// What became of the message.
#[derive(Serialize, ToSchema)]
pub struct Accepted {
    /// `stored`, or `duplicate` for a message already stored (same device, time and values).
    pub outcome: &'static str,
}

/// A device's message over HTTP, with the device's own token.
#[utoipa::path(post, path = "/api/v1/telemetry", tag = "monitoring", params(Params),
    request_body(content = TelemetryPayload, content_type = "application/json"),
    responses(
        (status = 202, description = "Stored", body = Accepted),
        (status = 200, description = "Already stored", body = Accepted),
        (status = 400, description = "Unknown channel", body = crate::api::ErrorBody),
        (status = 401, description = "Not a device token", body = crate::api::ErrorBody),
        (status = 422, description = "The payload does not read", body = crate::api::ErrorBody),
        (status = 503, description = "Not stored: retry after the Retry-After seconds", body = crate::api::ErrorBody),
        (status = 507, description = "Not stored: the disk is full", body = crate::api::ErrorBody)),
    security(("device" = [])))]
pub async fn telemetry(
    State(state): State<AppState>,
    Query(params): Query<Params>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let channel = match params.channel.as_deref().map(Channel::parse).transpose() {
        Ok(c) => c.unwrap_or(Channel::Telemetry),
        Err(e) => return refuse(StatusCode::BAD_REQUEST, "bad_request", e),
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default();
    let bad_token =
        || refuse(StatusCode::UNAUTHORIZED, "unauthenticated", FieldError::new("token", "error.device.token"));
    let device = match state.store.device_by_token(token).await {
        Ok(Some(id)) => id,
        Ok(None) => {
            state.monitor.refused("http", "bad_token", "");
            return bad_token();
        }
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let incoming =
        Incoming { device: DeviceRef::Id(device), channel, payload: body.to_vec(), received_at: linli_store::now_ms() };
    match state.monitor.ingest("http", std::slice::from_ref(&incoming)).await {
        Ok(out) => match out.outcomes.first() {
            Some(Outcome::Stored) => (StatusCode::ACCEPTED, Json(Accepted { outcome: "stored" })).into_response(),
            Some(Outcome::Duplicate) => (StatusCode::OK, Json(Accepted { outcome: "duplicate" })).into_response(),
            Some(Outcome::Malformed(e)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.clone()),
            Some(Outcome::UnknownDevice) | None => bad_token(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "storing an HTTP device message failed");
            // Not stored: the device keeps it and retries. A full disk says so (507).
            let (status, code) = if e.is_out_of_space() {
                (StatusCode::INSUFFICIENT_STORAGE, "storage_full")
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
            };
            let mut response = refuse(status, code, FieldError::new("payload", "error.device.retry"));
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

/// A refusal in the API's error shape, rendered in the caller's language on the way out.
fn refuse(status: StatusCode, code: &'static str, e: FieldError) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorInfo { code, key: e.key, field: Some(e.field) });
    response
}
