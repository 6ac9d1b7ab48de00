//! The error policy.
//!
//! - Inside a request, handlers return [`AppError`]. It carries a stable `code` (which the
//!   front end and API clients can rely on), a message key for the localized sentence,
//!   and the name of the offending field where there is one.
//! - `AppError` does not render itself: it becomes a bare response carrying an
//!   [`ErrorInfo`] extension, and the `render_errors` middleware turns that into an HTML
//!   page or the JSON shape `{"error":{"code","message","field"}}`, in the user's
//!   language, with the request id as the reference a user can quote.
//! - Internal errors are logged with their cause chain and answered with an opaque 500.
//! - Outside requests (start-up, CLI) the binary uses `anyhow`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use linli_domain::FieldError;
use linli_store::StoreError;

#[derive(Debug)]
pub enum AppError {
    /// Bad input in one field (422).
    Invalid(FieldError),
    /// Not signed in, or the credentials are not valid (401).
    Unauthenticated,
    /// Signed in but not allowed (403).
    Forbidden,
    /// The CSRF token is missing or wrong (403).
    Csrf,
    /// Unknown thing, or outside the caller's reach (404).
    NotFound,
    /// Too many failed logins (429).
    LockedOut,
    /// A value that must be unique is taken (409).
    Taken(&'static str),
    /// The request clashes with what is already there, as the key says (409): a second
    /// residents' committee, say.
    Conflict(FieldError),
    /// The body is larger than the route takes (413).
    TooLarge,
    /// The body is not in the format the route takes (415: JSON for the API).
    UnsupportedMediaType,
    /// The database has no space left to write (507): nothing was saved, and writes
    /// resume by themselves once space returns.
    StorageFull,
    /// Anything else (500); the cause is logged, never shown.
    Internal(anyhow::Error),
}

/// What the renderer needs to know about an error, passed as a response extension.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    pub code: &'static str,
    pub key: &'static str,
    pub field: Option<&'static str>,
}

impl AppError {
    pub fn invalid(field: &'static str, key: &'static str) -> Self {
        AppError::Invalid(FieldError::new(field, key))
    }

    /// For looking up what the caller named in `field`: "not found" is that field's error
    /// (`key`); any other store failure stays what it is (a logged 500, a 507), never a
    /// field error that would hide an outage.
    pub fn unless_found(field: &'static str, key: &'static str) -> impl FnOnce(StoreError) -> AppError {
        move |e| match e {
            StoreError::NotFound => AppError::invalid(field, key),
            other => AppError::from(other),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::LockedOut => StatusCode::TOO_MANY_REQUESTS,
            AppError::Taken(_) | AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::StorageFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn info(&self) -> ErrorInfo {
        let (code, key, field) = match self {
            AppError::Invalid(e) => ("invalid", e.key, Some(e.field)),
            AppError::Unauthenticated => ("unauthenticated", "error.unauthenticated", None),
            AppError::Forbidden => ("forbidden", "error.forbidden", None),
            AppError::Csrf => ("csrf", "error.csrf", None),
            AppError::NotFound => ("not_found", "error.not_found", None),
            AppError::LockedOut => ("locked_out", "error.locked_out", None),
            AppError::Taken(field) => ("taken", "error.taken", Some(*field)),
            AppError::Conflict(e) => ("conflict", e.key, Some(e.field)),
            AppError::StorageFull => ("storage_full", "error.storage_full", None),
            AppError::TooLarge => ("too_large", "error.too_large", None),
            AppError::UnsupportedMediaType => ("unsupported_media_type", "error.media_type", None),
            AppError::Internal(_) => ("internal", "error.internal", None),
        };
        ErrorInfo { code, key, field }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Invalid(e)
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Taken { field } => AppError::Taken(field),
            StoreError::Invalid(e) => AppError::Invalid(e),
            full if full.is_out_of_space() => AppError::StorageFull,
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let mut response = self.status().into_response();
        response.extensions_mut().insert(self.info());
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_out_of_space_is_a_507_that_says_nothing_was_saved() {
        let full = StoreError::Database(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::StorageFull)));
        let e = AppError::from(full);
        assert_eq!(e.status(), StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(e.info().code, "storage_full");
        let t = crate::i18n::Tr::new(crate::i18n::Lang::Zh);
        assert!(t.get(e.info().key).contains("没有保存"));
        // Any other database failure stays an opaque 500.
        let other = AppError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
