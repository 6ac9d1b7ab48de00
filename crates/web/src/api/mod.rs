//! The JSON API under `/api/v1`. Routes and the OpenAPI document come from the same
//! definitions (utoipa-axum), so the document cannot drift from the router. Errors use
//! one shape: `{"error":{"code","message","field","request_id"}}`. Each capability keeps its
//! own API handlers and view types beside its pages (`cases::api`, `registry::api`, …).

pub mod schema;

use crate::error::AppError;
use axum::extract::{FromRequest, Request};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(title = "Linli 邻里 API", description = "Community governance platform: the JSON API. Authenticate with a personal access token (`Authorization: Bearer lnl_…`) or a browser session plus the `X-CSRF-Token` header on writes."),
    modifiers(&Security),
    components(schemas(ErrorBody, ErrorDetail)),
    tags((name = "account", description = "The caller's own account"), (name = "communities", description = "Communities, grids and parties"), (name = "residents", description = "The registry: residents, masked, with audited reveals"), (name = "registry", description = "Units, owners of record and the owners' assembly, residence history"), (name = "assemblies", description = "Owners' assemblies (Civil Code Art. 278): matters, participation, ballots and results"), (name = "cases", description = "Closed-loop case handling: reports, the timeline, steps"), (name = "admin", description = "System administration"), (name = "monitoring", description = "Device messages over HTTP, with the device's own token (`Authorization: Bearer dev_…`)"))
)]
pub struct ApiDoc;

/// Declares an API view type that shows chosen fields of a store row, and its `From` the
/// row: the API shows its own shapes, so a column added to a table is not published by
/// accident. Each field is moved from the row's field of the same name.
#[macro_export]
macro_rules! view {
    ($(#[$doc:meta])* $name:ident from $row:ty { $($(#[$fdoc:meta])* $field:ident: $ty:ty),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty),+
        }

        impl From<$row> for $name {
            fn from(row: $row) -> Self {
                $name { $($field: row.$field),+ }
            }
        }
    };
}

/// Store rows as the API's view types.
pub fn views<T, V: From<T>>(rows: Vec<T>) -> Vec<V> {
    rows.into_iter().map(V::from).collect()
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
        components.add_security_scheme(
            "device",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A device's own token (dev_…), shown once when the device is registered"))
                    .build(),
            ),
        );
    }
}

/// The error shape of every API response that is not a success.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code: invalid, unauthenticated, forbidden, csrf, not_found,
    /// locked_out, taken, conflict, too_large, unsupported_media_type, storage_full, internal.
    pub code: String,
    /// A sentence in the caller's language.
    pub message: String,
    /// The offending field, when there is one.
    pub field: Option<String>,
    /// Quote this when reporting a problem; it is in the server log.
    pub request_id: String,
}

/// A JSON body whose rejection is our error shape: 413 for a body over the limit, 415 for
/// one that is not JSON, and 422 naming `body` for JSON that does not parse or fit.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state).await.map(|axum::Json(v)| ApiJson(v)).map_err(|rejection| {
            match rejection.status() {
                axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType,
                _ => AppError::invalid("body", "error.body"),
            }
        })
    }
}

/// Rows to skip and to return, as a list was asked for: `offset` 0 or more (default 0),
/// `limit` 1 to `max` (default `default`); out of range is an error naming the parameter.
pub fn page(offset: Option<i64>, limit: Option<i64>, default: i64, max: i64) -> Result<(i64, i64), AppError> {
    let offset = offset.unwrap_or(0);
    if offset < 0 {
        return Err(AppError::invalid("offset", "error.range"));
    }
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(AppError::invalid("limit", "error.range"));
    }
    Ok((offset, limit))
}
