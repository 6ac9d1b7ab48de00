//! The owners' assembly in the API: a community's assemblies, one assembly with its
//! matters, live participation, the caller's ballots and (once voting has ended, or while
//! voting when the assembly shows it) the results; and casting a ballot, with the same
//! rules and refusals as the page.

use super::{Refused, cast_ballot, community_for, reachable, stage_key, voices_of};
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use linli_domain::Action;
use linli_domain::assembly::{Threshold, Weight};
use linli_store::assemblies::documents::Document;
use linli_store::assemblies::{Assembly, Matter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Both counts of one thing, as every Art. 278 decision reads them.
#[derive(Serialize, ToSchema)]
pub struct WeightView {
    /// Owners by number, as the law counts them.
    pub owners: i64,
    /// Exclusive area in dm² (m² × 100).
    pub area_dm2: i64,
}

impl From<Weight> for WeightView {
    fn from(w: Weight) -> Self {
        WeightView { owners: w.owners, area_dm2: w.area_dm2 }
    }
}

/// An owners' assembly (业主大会会议).
#[derive(Serialize, ToSchema)]
pub struct AssemblyView {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    /// `meeting` (collective discussion) or `written` (written consultation).
    pub form: String,
    /// `owners_committee` or `residents_committee`.
    pub convener: String,
    /// First and last China dates of voting, `YYYY-MM-DD`.
    pub opens_on: String,
    pub closes_on: String,
    /// An owner may change the ballot until the window closes; the last one counts.
    pub allow_changes: bool,
    /// `draft`, `noticed`, `voting`, `ended`, `preliminary` (counted, open to objections) or `final`.
    pub stage: String,
    /// The electorate frozen by the notice.
    pub electorate: Option<WeightView>,
    /// After the count: the hash of the ballot chain's last link, published with the result.
    pub tally_hash: Option<String>,
    /// After the count: the last China date of the objection period.
    pub objections_until: Option<String>,
}

fn assembly_view(a: Assembly, today: &str) -> AssemblyView {
    AssemblyView {
        stage: stage_key(&a, today).trim_start_matches("assembly.stage.").to_owned(),
        electorate: a.electorate().map(WeightView::from),
        id: a.id,
        community_id: a.community_id,
        form: a.form.as_str().to_owned(),
        convener: a.convener.as_str().to_owned(),
        allow_changes: a.allow_changes,
        title: a.title,
        opens_on: a.opens_on,
        closes_on: a.closes_on,
        tally_hash: a.tally_hash,
        objections_until: a.objections_until,
    }
}

/// A matter put to the vote.
#[derive(Serialize, ToSchema)]
pub struct MatterView {
    pub position: i64,
    /// One of the nine Art. 278 kinds (`property_company`, `raise_fund`, …).
    pub kind: String,
    /// `more_than_half` or `three_quarters` of the participating area AND owners.
    pub threshold: String,
    pub title: String,
    pub body: String,
    /// What owners read before voting on it.
    pub documents: Vec<DocumentView>,
}

/// A document of a matter; `url` serves it to anyone who sees the assembly.
#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    pub title: String,
    /// `application/pdf` or `image/jpeg`.
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes, as published with the notice.
    pub sha256: String,
    pub url: String,
}

impl MatterView {
    fn new(m: Matter, assembly_id: i64, documents: &[Document]) -> Self {
        let documents = documents
            .iter()
            .filter(|d| d.matter_id == m.id)
            .map(|d| DocumentView {
                title: d.title.clone(),
                content_type: d.content_type.clone(),
                size: d.size,
                sha256: d.sha256.clone(),
                url: format!("/assemblies/{assembly_id}/documents/{}", d.id),
            })
            .collect();
        MatterView {
            documents,
            position: m.position,
            kind: m.kind.as_str().to_owned(),
            threshold: match m.kind.threshold() {
                Threshold::MoreThanHalf => "more_than_half",
                Threshold::ThreeQuarters => "three_quarters",
            }
            .to_owned(),
            title: m.title,
            body: m.body,
        }
    }
}

/// One matter's count.
#[derive(Serialize, ToSchema)]
pub struct MatterResultView {
    pub position: i64,
    pub agree: WeightView,
    pub oppose: WeightView,
    pub abstain: WeightView,
    pub passed: bool,
}

/// Ballots by how they came.
#[derive(Serialize, ToSchema)]
pub struct ChannelsView {
    pub online: i64,
    pub paper: i64,
    pub proxy: i64,
    pub blank: i64,
    pub invalid: i64,
}

/// The count: participation against the 2/3 bars, and each matter.
#[derive(Serialize, ToSchema)]
pub struct ResultsView {
    pub participation: WeightView,
    /// Both 2/3 bars met.
    pub quorum: bool,
    pub channels: ChannelsView,
    pub matters: Vec<MatterResultView>,
}

/// A ballot as stored.
#[derive(Serialize, ToSchema)]
pub struct BallotView {
    /// `online`, `paper` or `proxy`.
    pub channel: String,
    /// One answer per matter in order (`agree`, `oppose`, `abstain`, or empty for none).
    pub marks: Vec<String>,
    /// The code that lets the owner check the ballot was counted as cast.
    pub receipt: String,
    /// Milliseconds since the epoch.
    pub cast_at: i64,
}

/// A ballot the caller casts: their own, or an owner's whose proxy they are.
#[derive(Serialize, ToSchema)]
pub struct VoiceView {
    pub elector_id: i64,
    /// The voter's units, in words.
    pub units: String,
    pub area_dm2: i64,
    pub as_proxy: bool,
    pub ballot: Option<BallotView>,
}

#[derive(Serialize, ToSchema)]
pub struct AssemblyDetail {
    pub assembly: AssemblyView,
    pub matters: Vec<MatterView>,
    /// Who has taken part so far (after the notice).
    pub participation: Option<WeightView>,
    /// Agree and oppose: once voting has ended, or while voting if the assembly shows them.
    pub results: Option<ResultsView>,
    pub voices: Vec<VoiceView>,
}

/// A community's assemblies, newest first.
#[utoipa::path(get, path = "/api/v1/communities/{community_id}/assemblies", tag = "assemblies",
    params(("community_id" = i64, Path, description = "Community id")),
    responses((status = 200, body = [AssemblyView]), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn list(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
) -> AppResult<Json<Vec<AssemblyView>>> {
    let community = community_for(&state, &user, community_id, Action::ViewAssemblies).await?;
    let today = linli_store::today().to_string();
    let all = state.store.assemblies(community.id).await?;
    Ok(Json(all.into_iter().map(|a| assembly_view(a, &today)).collect()))
}

/// One assembly: matters, participation, the caller's ballots, and the results when shown.
#[utoipa::path(get, path = "/api/v1/assemblies/{assembly_id}", tag = "assemblies",
    params(("assembly_id" = i64, Path, description = "Assembly id")),
    responses((status = 200, body = AssemblyDetail), (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody)),
    security(("token" = []), ("session" = [])))]
pub async fn show(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Json<AssemblyDetail>> {
    let (assembly, _) = reachable(&state, &user, id, Action::ViewAssemblies).await?;
    let today = linli_store::today().to_string();
    let matters = state.store.assembly_matters(assembly.id).await?;
    let documents = state.store.documents(assembly.id).await?;
    let mut voices = Vec::new();
    for (elector, as_proxy) in voices_of(&state, &user, &assembly).await? {
        let ballot = state.store.ballot_of(assembly.id, elector.id).await?.map(|b| BallotView {
            channel: b.channel.as_str().to_owned(),
            marks: b.marks.split(',').map(str::to_owned).collect(),
            receipt: b.receipt,
            cast_at: b.cast_at,
        });
        voices.push(VoiceView {
            elector_id: elector.id,
            units: elector.label,
            area_dm2: elector.area_dm2,
            as_proxy,
            ballot,
        });
    }
    let (participation, results) = if assembly.noticed_at.is_some() {
        let t = state.store.assembly_tally(assembly.id).await?;
        let ended = today.as_str() > assembly.closes_on.as_str();
        let results = (ended || assembly.show_running).then(|| ResultsView {
            participation: t.participation.into(),
            quorum: t.quorum,
            channels: ChannelsView {
                online: t.channels.online,
                paper: t.channels.paper,
                proxy: t.channels.proxy,
                blank: t.channels.blank,
                invalid: t.channels.invalid,
            },
            matters: t
                .matters
                .iter()
                .zip(&matters)
                .map(|(r, m)| MatterResultView {
                    position: m.position,
                    agree: r.agree.into(),
                    oppose: r.oppose.into(),
                    abstain: r.abstain.into(),
                    passed: r.passed,
                })
                .collect(),
        });
        (Some(t.participation.into()), results)
    } else {
        (None, None)
    };
    Ok(Json(AssemblyDetail {
        assembly: assembly_view(assembly, &today),
        matters: matters.into_iter().map(|m| MatterView::new(m, id, &documents)).collect(),
        participation,
        results,
        voices,
    }))
}

/// A ballot: one answer per matter, in the matters' order.
#[derive(Deserialize, ToSchema)]
pub struct BallotInput {
    /// The voter to cast for, when the caller is also an owner's proxy; else their own.
    pub elector_id: Option<i64>,
    /// `agree`, `oppose` or `abstain` for each matter, in order.
    pub marks: Vec<String>,
}

/// What a cast ballot gives back.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    pub elector_id: i64,
    /// Keep it: it checks, after the count, that the ballot was counted as cast.
    pub receipt: String,
}

/// Casts the caller's ballot. Exactly one per owner: a second one is refused unless the
/// assembly allows changes (then the last counts until the window closes).
#[utoipa::path(post, path = "/api/v1/assemblies/{assembly_id}/ballot", tag = "assemblies",
    params(("assembly_id" = i64, Path, description = "Assembly id")),
    request_body = BallotInput,
    responses((status = 201, body = Receipt), (status = 403, body = crate::api::ErrorBody, description = "The caller is not on the roll, nor the proxy of the voter named"),
              (status = 404, body = crate::api::ErrorBody),
              (status = 409, body = crate::api::ErrorBody, description = "Outside the voting window, or a ballot is already in"),
              (status = 422, body = crate::api::ErrorBody, description = "Not one valid answer per matter")),
    security(("token" = []), ("session" = [])))]
pub async fn vote(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    crate::api::ApiJson(input): crate::api::ApiJson<BallotInput>,
) -> AppResult<(StatusCode, Json<Receipt>)> {
    let (assembly, _) = reachable(&state, &user, id, Action::ViewAssemblies).await?;
    let count = state.store.assembly_matters(assembly.id).await?.len();
    if input.marks.len() != count {
        return Err(AppError::invalid("marks", "error.assembly.marks"));
    }
    let answer = |position: i64| usize::try_from(position - 1).ok().and_then(|i| input.marks.get(i)).cloned();
    match cast_ballot(&state, &user, &assembly, input.elector_id, answer).await? {
        Ok((elector, receipt)) => Ok((StatusCode::CREATED, Json(Receipt { elector_id: elector.id, receipt }))),
        Err(Refused(StatusCode::FORBIDDEN, _)) => Err(AppError::Forbidden),
        Err(Refused(StatusCode::UNPROCESSABLE_ENTITY, e)) => Err(AppError::Invalid(e)),
        Err(Refused(_, e)) => Err(AppError::Conflict(e)),
    }
}
