//! The documents of a matter on the web: the committee adds a PDF or a picture to a matter
//! of a draft assembly (a picture is re-encoded, as photos are, so no metadata survives; a
//! PDF is taken as it is, by its content, not its name), owners open them from the matter
//! before they vote. After the notice nothing can be added or removed.

use super::{View, assembly_page, reachable};
use crate::context::User;
use crate::error::AppResult;
use crate::form::WithFiles;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::assemblies::documents::NewDocument;
use serde::Deserialize;

/// The largest document taken.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;
/// The body limit of the upload form.
pub const UPLOAD_LIMIT: usize = MAX_DOCUMENT_BYTES + 1024 * 1024;

#[derive(Deserialize, Default)]
pub struct DocumentForm {
    #[serde(default)]
    pub matter_id: i64,
    #[serde(default)]
    pub document_title: String,
}

/// One uploaded file as kept: a PDF as sent (known by its content, not its name), or a
/// picture re-encoded as JPEG so no metadata survives; at most [`MAX_DOCUMENT_BYTES`].
/// Matters' documents, announcements' and meetings' attachments all take files so.
pub(crate) async fn taken_file(files: Vec<Vec<u8>>) -> Result<(&'static str, Vec<u8>), FieldError> {
    let [bytes]: [Vec<u8>; 1] = files.try_into().map_err(|_| FieldError::new("document", "error.document.one"))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(FieldError::new("document", "error.document.size"));
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(("application/pdf", bytes));
    }
    let photo = crate::photo::process_all("document", vec![bytes])
        .await
        .map_err(|_| FieldError::new("document", "error.document.type"))?;
    Ok(("image/jpeg", photo.into_iter().next().map(|p| p.bytes).unwrap_or_default()))
}

/// A stored file, shown in the browser (never sniffed as anything else).
pub(crate) fn inline(content_type: &str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    response
}

/// A checked document: its title and file.
async fn checked(form: &DocumentForm, files: Vec<Vec<u8>>) -> Result<NewDocument, FieldError> {
    let title = linli_domain::assembly::TITLE.parse("document_title", &form.document_title)?;
    let (content_type, bytes) = taken_file(files).await?;
    Ok(NewDocument { matter_id: form.matter_id, title, content_type, bytes })
}

async fn refused(state: &AppState, user: &User, id: i64, e: FieldError) -> AppResult<Response> {
    let error = Some(user.0.tr().field_error(e.field, e.key));
    assembly_page(state, user, id, StatusCode::UNPROCESSABLE_ENTITY, View { error, ..View::default() }).await
}

pub async fn add(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    WithFiles { form, files: photos }: WithFiles<DocumentForm>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let new = match checked(&form, photos).await {
        Ok(new) => new,
        Err(e) => return refused(&state, &user, id, e).await,
    };
    match state.store.add_document(assembly.id, &new, user.principal().account_id).await {
        Ok(_) => Ok(Redirect::to(&format!("/assemblies/{id}#matters")).into_response()),
        Err(StoreError::Invalid(e)) => refused(&state, &user, id, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    user: User,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    match state.store.remove_document(assembly.id, document_id).await {
        Ok(()) => Ok(Redirect::to(&format!("/assemblies/{id}#matters")).into_response()),
        Err(StoreError::Invalid(e)) => refused(&state, &user, id, e).await,
        Err(e) => Err(e.into()),
    }
}

/// A document, for anyone who sees the assembly.
pub async fn open(
    State(state): State<AppState>,
    user: User,
    Path((id, document_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ViewAssemblies).await?;
    let (content_type, bytes) = state.store.document(assembly.id, document_id).await?;
    Ok(inline(&content_type, bytes))
}
