//! Small helpers for reading HTML forms and query strings as browsers send them.

use crate::error::AppError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use linli_domain::FieldError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// The query of a page shown after a redirect (post/redirect/get): what was just done, so
/// the page can confirm it.
#[derive(Deserialize)]
pub struct Done {
    pub done: Option<String>,
}

/// A form sent urlencoded or as multipart (when it carries files: photos, a document): its
/// fields, and the files of its file inputs (an empty file input sends nothing). Each form
/// that takes files has one file input, so its files need no name.
pub struct WithFiles<T> {
    pub form: T,
    pub files: Vec<Vec<u8>>,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for WithFiles<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bad = || AppError::invalid("body", "error.form");
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .starts_with("multipart/");
        if !multipart {
            let axum::Form(form) = axum::Form::<T>::from_request(req, state).await.map_err(|_| bad())?;
            return Ok(WithFiles { form, files: Vec::new() });
        }
        let mut parts = Multipart::from_request(req, state).await.map_err(|_| bad())?;
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut files = Vec::new();
        while let Some(field) = parts.next_field().await.map_err(|_| AppError::invalid("photos", "error.photo.size"))? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|_| AppError::invalid("photos", "error.photo.size"))?;
                if !bytes.is_empty() {
                    files.push(bytes.to_vec());
                }
            } else {
                pairs.push((name, field.text().await.map_err(|_| bad())?));
            }
        }
        let encoded = serde_urlencoded::to_string(&pairs).map_err(|_| bad())?;
        let form = serde_urlencoded::from_str(&encoded).map_err(|_| bad())?;
        Ok(WithFiles { form, files })
    }
}

/// An optional id from a `<select>` whose "all" option sends an empty value: empty (or
/// not a number) is `None`, so the default choice never fails the request.
pub fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.and_then(|s| s.trim().parse().ok()))
}

/// A whole number typed into `field`, within `range`; else the field's range error.
pub fn number(field: &'static str, raw: &str, range: std::ops::RangeInclusive<i64>) -> Result<i64, FieldError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| FieldError::new(field, "error.service.number"))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "super::optional_id")]
        grid_id: Option<i64>,
    }

    #[test]
    fn empty_and_missing_ids_are_none() {
        let q: Q = serde_urlencoded::from_str("grid_id=").unwrap();
        assert_eq!(q.grid_id, None);
        let q: Q = serde_urlencoded::from_str("").unwrap();
        assert_eq!(q.grid_id, None);
        let q: Q = serde_urlencoded::from_str("grid_id=7").unwrap();
        assert_eq!(q.grid_id, Some(7));
    }
}
