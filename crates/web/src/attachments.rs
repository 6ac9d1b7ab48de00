//! Attachments on the web: those who publish an announcement or convene a joint meeting add
//! a PDF or a picture to it (the meeting's minutes' documents) and remove one; whoever may
//! read the announcement or the meeting opens them. A file is taken as matters' documents
//! are ([`crate::assemblies::documents::taken_file`]).

use crate::assemblies::documents::{inline, taken_file};
use crate::context::User;
use crate::error::AppResult;
use crate::form::WithFiles;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::{Action, FieldError};
use linli_store::attachments::{NewAttachment, Owner};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct AttachmentForm {
    #[serde(default)]
    pub document_title: String,
}

/// The owner within the user's reach for `manage` (adding, removing) or reading, and the
/// page it is shown on.
async fn owner(state: &AppState, user: &User, owner: Owner, manage: bool) -> AppResult<String> {
    match owner {
        Owner::Announcement(id) => {
            let action = if manage { Action::PublishAnnouncements } else { Action::ViewAnnouncements };
            crate::announcements::announcement_for(state, user, id, action).await?;
            Ok(format!("/announcements/{id}#files"))
        }
        Owner::Meeting(id) => {
            let action = if manage { Action::ConveneMeetings } else { Action::ViewJointMeetings };
            crate::joint::meetings::meeting_for(state, user, id, action).await?;
            Ok(format!("/meetings/{id}#files"))
        }
    }
}

async fn add(state: AppState, user: User, to: Owner, form: AttachmentForm, files: Vec<Vec<u8>>) -> AppResult<Response> {
    let back = owner(&state, &user, to, true).await?;
    let checked = async {
        let title = linli_domain::assembly::TITLE.parse("document_title", &form.document_title)?;
        let (content_type, bytes) = taken_file(files).await?;
        Ok::<_, FieldError>(NewAttachment { title, content_type, bytes })
    };
    let new = checked.await.map_err(crate::error::AppError::from)?;
    state.store.add_attachment(to, &new, user.principal().account_id).await?;
    Ok(Redirect::to(&back).into_response())
}

async fn remove(state: AppState, user: User, from: Owner, attachment_id: i64) -> AppResult<Response> {
    let back = owner(&state, &user, from, true).await?;
    state.store.remove_attachment(from, attachment_id).await?;
    Ok(Redirect::to(&back).into_response())
}

async fn open(state: AppState, user: User, of: Owner, attachment_id: i64) -> AppResult<Response> {
    owner(&state, &user, of, false).await?;
    let (content_type, bytes) = state.store.attachment(of, attachment_id).await?;
    Ok(inline(&content_type, bytes))
}

pub async fn add_to_announcement(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    WithFiles { form, files }: WithFiles<AttachmentForm>,
) -> AppResult<Response> {
    add(state, user, Owner::Announcement(id), form, files).await
}

pub async fn add_to_meeting(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    WithFiles { form, files }: WithFiles<AttachmentForm>,
) -> AppResult<Response> {
    add(state, user, Owner::Meeting(id), form, files).await
}

pub async fn remove_from_announcement(
    State(state): State<AppState>,
    user: User,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    remove(state, user, Owner::Announcement(id), attachment_id).await
}

pub async fn remove_from_meeting(
    State(state): State<AppState>,
    user: User,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    remove(state, user, Owner::Meeting(id), attachment_id).await
}

pub async fn open_on_announcement(
    State(state): State<AppState>,
    user: User,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    open(state, user, Owner::Announcement(id), attachment_id).await
}

pub async fn open_on_meeting(
    State(state): State<AppState>,
    user: User,
    Path((id, attachment_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    open(state, user, Owner::Meeting(id), attachment_id).await
}
