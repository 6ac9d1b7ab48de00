//! The committee's desk for an assembly: the roll with where each voter stands, and one
//! voter's page where paper ballots are keyed in (twice, by two people, from the signed
//! paper's photo) and proxies are registered from the written authorisation or revoked.
//! The desk shows units and areas, never owners' names; a proxy's name and ID number are
//! masked, and opening an authorisation's photo is audited.

use super::reachable;
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::form::WithFiles;
use crate::frame::{Chrome, format_ms, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::assembly::{Choice, DoubleEntry, Marks};
use linli_domain::ownership::Area;
use linli_domain::{Action, FieldError};
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::assemblies::paper::{PaperEntry, PaperOutcome, RollEntry, StoredEntry};
use linli_store::assemblies::proxies::{NewProxy, Proxy};
use linli_store::assemblies::{Assembly, CastOutcome, ElectorRow, Matter};
use serde::Deserialize;
use std::collections::HashMap;

/// At most this many voters on one page of the roll.
const ROLL_PAGE: usize = 200;

/// Where a voter stands, as the roll filters and shows it.
fn standing(r: &RollEntry) -> &'static str {
    match (r.ballot, r.paper) {
        (Some(c), _) => c.as_str(),
        (None, DoubleEntry::Mismatch) => "mismatch",
        (None, DoubleEntry::Once) => "once",
        (None, _) => "none",
    }
}

const STANDINGS: [&str; 6] = ["none", "online", "paper", "proxy", "once", "mismatch"];

#[derive(Deserialize, Default)]
pub struct RollQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub offset: usize,
}

/// A voter's units as one line of the roll: a buyer of many units (the developer's unsold
/// ones above all) shows the first two and how many in all.
fn units_line(t: crate::i18n::Tr, label: &str, units: i64) -> String {
    if units <= 2 {
        return label.to_owned();
    }
    let first: Vec<&str> = label.split('、').take(2).collect();
    t.fill("assembly.units_more", &[("first", &first.join("、")), ("n", &units)])
}

#[derive(Template)]
#[template(path = "assembly_roll.html")]
struct RollPage {
    chrome: Chrome,
    assembly: Assembly,
    query: RollQuery,
    /// Each voter shown: the roll entry, its units in a line, its area in m², its standing's code.
    rows: Vec<(RollEntry, String, String, &'static str)>,
    /// The query of the next and previous pages, if any.
    next: Option<String>,
    prev: Option<String>,
    /// How many voters stand each way, in [`STANDINGS`] order.
    counts: Vec<(&'static str, usize)>,
    shown_of: String,
}

pub async fn roll(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Query(query): Query<RollQuery>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    if assembly.noticed_at.is_none() {
        return Err(AppError::NotFound);
    }
    let roll = state.store.assembly_roll(assembly.id).await?;
    let counts = STANDINGS.iter().map(|s| (*s, roll.iter().filter(|r| standing(r) == *s).count())).collect();
    let matching: Vec<RollEntry> = roll
        .into_iter()
        .filter(|r| query.status.is_empty() || standing(r) == query.status)
        .filter(|r| match query.q.trim().strip_prefix('#') {
            // A printed ballot's number (see ballots::ballot_number) finds its voter.
            Some(number) => number.trim().parse::<i64>().is_ok_and(|n| n == r.elector_id),
            None => linli_domain::assembly::units_match(&r.label, &query.q),
        })
        .collect();
    let total = matching.len();
    let t = user.0.tr();
    let rows: Vec<_> = matching
        .into_iter()
        .skip(query.offset)
        .take(ROLL_PAGE)
        .map(|r| {
            let area = Area::from_dm2(r.area_dm2).grouped_m2();
            let s = standing(&r);
            (units_line(t, &r.label, r.units), area, s, r)
        })
        .map(|(line, area, s, r)| (r, line, area, s))
        .collect();
    let page_at = |offset: usize| {
        serde_urlencoded::to_string([
            ("status", query.status.as_str()),
            ("q", query.q.as_str()),
            ("offset", &offset.to_string()),
        ])
        .unwrap_or_default()
    };
    let next = (query.offset + ROLL_PAGE < total).then(|| page_at(query.offset + ROLL_PAGE));
    let prev = (query.offset > 0).then(|| page_at(query.offset.saturating_sub(ROLL_PAGE)));
    let shown_of = if total == 0 {
        t.get("assembly.roll_none").to_owned()
    } else {
        let last = (query.offset + rows.len()).min(total);
        t.fill("assembly.roll_shown", &[("from", &(query.offset + 1).min(last)), ("to", &last), ("total", &total)])
    };
    let page = RollPage {
        chrome: Chrome::new(&user.0, t.get("assembly.roll")),
        shown_of,
        next,
        prev,
        rows,
        counts,
        query,
        assembly,
    };
    Ok(render(StatusCode::OK, &page))
}

/// The voter `elector_id` of a noticed assembly within the caller's reach.
async fn voter(
    state: &AppState,
    user: &User,
    id: i64,
    elector_id: i64,
) -> AppResult<(Assembly, Community, ElectorRow)> {
    let (assembly, community) = reachable(state, user, id, Action::ManageAssemblies).await?;
    let elector = state.store.assembly_elector(assembly.id, elector_id).await?.ok_or(AppError::NotFound)?;
    Ok((assembly, community, elector))
}

/// One keyed-in reading, as the voter page lists it.
pub struct EntryLine {
    pub entry: StoredEntry,
    pub who: String,
    pub at: String,
    pub reading: String,
}

#[derive(Template)]
#[template(path = "assembly_voter.html")]
struct VoterPage {
    chrome: Chrome,
    assembly: Assembly,
    elector: ElectorRow,
    area: String,
    matters: Vec<Matter>,
    standing: String,
    entries: Vec<EntryLine>,
    flagged: bool,
    proxy: Option<Proxy>,
    proxy_line: String,
    /// Revoked proxies, in words.
    past_proxies: Vec<String>,
    can_revoke: bool,
    /// Whether the paper form is offered: `Some(false)` to key in, `Some(true)` folded away
    /// as a correction, `None` not at all (the ballot came online or by proxy).
    paper_form: Option<bool>,
    /// The caller's own entry waits for another person's.
    waiting_on_me: bool,
    error: Option<String>,
    done: Option<String>,
    /// The paper form's answers as sent, when refused.
    sent: HashMap<String, String>,
    counted: bool,
}

impl VoterPage {
    fn sent_is(&self, name: &str, value: &str) -> bool {
        self.sent.get(name).is_some_and(|v| v == value)
    }
}

fn entries_by(entries: &[EntryLine], account: i64) -> bool {
    entries.iter().any(|e| e.entry.entered_by == account)
}

/// A name as the desk shows it: the surname and a star for each other character.
pub(crate) fn masked_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or(String::new(), |first| std::iter::once(first).chain(chars.map(|_| '*')).collect())
}

#[derive(Default)]
struct Said {
    error: Option<String>,
    done: Option<String>,
    sent: HashMap<String, String>,
}

async fn voter_page(
    state: &AppState,
    user: &User,
    (id, elector_id): (i64, i64),
    status: StatusCode,
    said: Said,
) -> AppResult<Response> {
    let (assembly, _, elector) = voter(state, user, id, elector_id).await?;
    let t = user.0.tr();
    let matters = state.store.assembly_matters(assembly.id).await?;
    let stored = state.store.paper_entries(assembly.id, elector.id).await?;
    let names = state.store.display_names(&stored.iter().map(|e| e.entered_by).collect::<Vec<_>>()).await?;
    let me = user.principal().account_id;
    let paper = linli_domain::assembly::double_entry(
        &stored.iter().map(|e| (e.entered_by, (e.marks.clone(), e.by_proxy))).collect::<Vec<_>>(),
    );
    let entries: Vec<EntryLine> = stored
        .into_iter()
        .map(|entry| EntryLine {
            who: if entry.entered_by == me {
                t.get("assembly.entered_by_you").to_owned()
            } else {
                names.get(&entry.entered_by).cloned().unwrap_or_default()
            },
            at: format_ms(entry.entered_at),
            // The second person keys in blind: another's reading stays hidden until two agree
            // or disagree, else the second entry could copy the first.
            reading: if paper == DoubleEntry::Once && entry.entered_by != me {
                t.get("assembly.reading_hidden").to_owned()
            } else {
                super::answers_in_words(t, &matters, &entry.marks)
                    + if entry.by_proxy { t.get("assembly.by_proxy_suffix") } else { "" }
            },
            entry,
        })
        .collect();
    let ballot = state.store.ballot_of(assembly.id, elector.id).await?;
    let standing = match (&ballot, paper) {
        (Some(b), _) => t.fill(
            "assembly.voter_voted",
            &[("channel", &t.label("assembly.channel", b.channel.as_str())), ("at", &format_ms(b.cast_at))],
        ),
        (None, DoubleEntry::Once) => t.get("assembly.standing.once").to_owned(),
        (None, DoubleEntry::Mismatch) => t.get("assembly.standing.mismatch").to_owned(),
        (None, _) => t.get("assembly.voter_not_voted").to_owned(),
    };
    // The paper form is for a ballot not in yet, or a paper ballot to correct; not for
    // the person whose entry waits for someone else's.
    let waiting_on_me = paper == DoubleEntry::Once && entries_by(&entries, me);
    let paper_form = match &ballot {
        None => (!waiting_on_me).then_some(false),
        Some(b) if b.channel != linli_domain::assembly::Channel::Online && !entries.is_empty() => Some(true),
        Some(_) => None,
    };
    let proxies = state.store.assembly_proxies(assembly.id).await?;
    let (current, past): (Vec<Proxy>, Vec<Proxy>) =
        proxies.into_iter().filter(|p| p.elector_id == elector.id).partition(|p| p.revoked_at.is_none());
    let proxy = current.into_iter().next();
    let line = |p: &Proxy| {
        t.fill(
            "assembly.proxy_line",
            &[("name", &masked_name(&p.name)), ("id_number", &p.id_number_masked), ("at", &format_ms(p.registered_at))],
        )
    };
    let page = VoterPage {
        chrome: Chrome::new(&user.0, &elector.label),
        area: Area::from_dm2(elector.area_dm2).grouped_m2(),
        proxy_line: proxy.as_ref().map(line).unwrap_or_default(),
        past_proxies: past.iter().map(|p| line(p) + t.get("assembly.proxy_revoked_suffix")).collect(),
        can_revoke: ballot.is_none() && assembly.counted_at.is_none(),
        proxy,
        flagged: paper == DoubleEntry::Mismatch,
        counted: assembly.counted_at.is_some(),
        paper_form,
        waiting_on_me,
        standing,
        entries,
        matters,
        elector,
        error: said.error,
        done: said.done,
        sent: said.sent,
        assembly,
    };
    Ok(render(status, &page))
}

pub async fn show_voter(
    State(state): State<AppState>,
    user: User,
    Path((id, elector_id)): Path<(i64, i64)>,
    Query(q): Query<crate::form::Done>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let done = q.done.as_deref().and_then(|d| match d {
        "awaiting" | "counted" | "kept" | "mismatch" | "proxy" | "revoked" => {
            Some(t.get(&format!("assembly.done.{d}")).to_owned())
        }
        _ => None,
    });
    voter_page(&state, &user, (id, elector_id), StatusCode::OK, Said { done, ..Said::default() }).await
}

/// Reads a paper ballot's form: `whole` = blank or invalid, or one answer per matter
/// (`m_{position}`, empty where the paper is unmarked).
fn paper_marks(form: &HashMap<String, String>, matters: &[Matter]) -> Result<Marks, FieldError> {
    match form.get("whole").map(|w| w.trim()).unwrap_or_default() {
        "blank" => return Ok(Marks::Blank),
        "invalid" => return Ok(Marks::Invalid),
        "" => {}
        _ => return Err(FieldError::new("marks", "error.choice")),
    }
    let choices = matters
        .iter()
        .map(|m| match form.get(&format!("m_{}", m.position)).map_or("", |v| v.trim()) {
            "" => Ok(None),
            raw => Choice::parse(raw).map(Some).map_err(|_| FieldError::new("marks", "error.choice")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if choices.iter().all(Option::is_none) {
        // Nothing marked anywhere is a blank ballot, and the desk says so explicitly.
        return Err(FieldError::new("marks", "error.assembly.paper_unmarked"));
    }
    Ok(Marks::Choices(choices))
}

async fn refused(
    state: &AppState,
    user: &User,
    ids: (i64, i64),
    status: StatusCode,
    e: FieldError,
    sent: HashMap<String, String>,
) -> AppResult<Response> {
    let error = Some(user.0.tr().field_error(e.field, e.key));
    voter_page(state, user, ids, status, Said { error, sent, ..Said::default() }).await
}

/// One person's reading of a signed paper ballot, with the paper's photo.
pub async fn enter_paper(
    State(state): State<AppState>,
    user: User,
    Path((id, elector_id)): Path<(i64, i64)>,
    WithFiles { form, files: photos }: WithFiles<HashMap<String, String>>,
) -> AppResult<Response> {
    let (assembly, _, elector) = voter(&state, &user, id, elector_id).await?;
    let matters = state.store.assembly_matters(assembly.id).await?;
    let ids = (id, elector_id);
    let marks = match paper_marks(&form, &matters) {
        Ok(m) => m,
        Err(e) => return refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, form).await,
    };
    if photos.len() > 1 {
        let e = FieldError::new("photos", "error.assembly.one_photo");
        return refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, form).await;
    }
    let photo = match crate::photo::process_all("photos", photos).await {
        Ok(p) => p.into_iter().next(),
        Err(e) => return refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, form).await,
    };
    let entry = PaperEntry {
        assembly_id: assembly.id,
        elector_id: elector.id,
        marks,
        by_proxy: form.contains_key("by_proxy"),
        photo,
        entered_by: user.principal().account_id,
        today: linli_store::today().to_string(),
        at: linli_store::now_ms(),
    };
    match state.store.enter_paper(&entry).await {
        Ok(outcome) => {
            let done = match outcome {
                PaperOutcome::AwaitingSecond => "awaiting",
                PaperOutcome::Cast(CastOutcome::Counted { .. }) => "counted",
                PaperOutcome::Cast(CastOutcome::Superseded) => "kept",
                PaperOutcome::Mismatch => "mismatch",
            };
            Ok(Redirect::to(&format!("/assemblies/{id}/voters/{elector_id}?done={done}")).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            let e = FieldError::new(if e.field == "photo" { "photos" } else { e.field }, e.key);
            refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct ProxyForm {
    #[serde(default)]
    pub proxy_name: String,
    #[serde(default)]
    pub proxy_id_number: String,
}

/// Registers a proxy from the owner's written authorisation (its photo is required).
pub async fn register_proxy(
    State(state): State<AppState>,
    user: User,
    Path((id, elector_id)): Path<(i64, i64)>,
    WithFiles { form, files: photos }: WithFiles<ProxyForm>,
) -> AppResult<Response> {
    let (assembly, community, elector) = voter(&state, &user, id, elector_id).await?;
    let ids = (id, elector_id);
    let sent = HashMap::from([("proxy_name".to_owned(), form.proxy_name.clone())]);
    let checked = (|| {
        let name = linli_domain::assembly::PROXY_NAME.parse("proxy_name", &form.proxy_name)?;
        let id_number =
            linli_domain::person::IdNumber::parse("proxy_id_number", &form.proxy_id_number, linli_store::today())?;
        if photos.len() != 1 {
            return Err(FieldError::new("authorisation", "error.assembly.authorisation"));
        }
        Ok((name, id_number))
    })();
    let (name, id_number) = match checked {
        Ok(v) => v,
        Err(e) => return refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, sent).await,
    };
    let authorisation = match crate::photo::process_all("authorisation", photos).await {
        Ok(mut p) => p.remove(0),
        Err(e) => return refused(&state, &user, ids, StatusCode::UNPROCESSABLE_ENTITY, e, sent).await,
    };
    let by = user.principal().account_id;
    let new = NewProxy {
        assembly_id: assembly.id,
        elector_id: elector.id,
        name,
        id_number,
        authorisation,
        registered_by: by,
    };
    match state.store.register_proxy(&new).await {
        Ok(proxy) => {
            let detail = format!("assembly {} voter {} proxy {proxy}", assembly.id, elector.id);
            state.store.audit(Some(by), Some(community.id), "assembly.proxy_registered", &detail).await?;
            Ok(Redirect::to(&format!("/assemblies/{id}/voters/{elector_id}?done=proxy")).into_response())
        }
        Err(StoreError::Invalid(e)) => refused(&state, &user, ids, StatusCode::CONFLICT, e, sent).await,
        Err(e) => Err(e.into()),
    }
}

/// Revokes a proxy, until the owner or the proxy has voted.
pub async fn revoke_proxy(
    State(state): State<AppState>,
    user: User,
    Path((id, proxy_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (assembly, community) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let proxy = state
        .store
        .assembly_proxies(assembly.id)
        .await?
        .into_iter()
        .find(|p| p.id == proxy_id)
        .ok_or(AppError::NotFound)?;
    let by = user.principal().account_id;
    match state.store.revoke_proxy(assembly.id, proxy.id, by).await {
        Ok(()) => {
            let detail = format!("assembly {} voter {} proxy {}", assembly.id, proxy.elector_id, proxy.id);
            state.store.audit(Some(by), Some(community.id), "assembly.proxy_revoked", &detail).await?;
            Ok(Redirect::to(&format!("/assemblies/{id}/voters/{}?done=revoked", proxy.elector_id)).into_response())
        }
        Err(StoreError::Invalid(e)) => {
            refused(&state, &user, (id, proxy.elector_id), StatusCode::CONFLICT, e, HashMap::new()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The photo of a keyed-in paper ballot.
pub async fn paper_photo(
    State(state): State<AppState>,
    user: User,
    Path((id, entry_id)): Path<(i64, i64)>,
    Query(q): Query<crate::photo::PhotoQuery>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let thumb = q.thumbnail();
    Ok(crate::photo::jpeg_response(
        state.store.paper_photo(assembly.id, entry_id, thumb).await?.ok_or(AppError::NotFound)?,
    ))
}

/// The photo of a proxy's written authorisation: it shows the owner's and the proxy's
/// identity in full, so every opening is audited.
pub async fn authorisation(
    State(state): State<AppState>,
    user: User,
    Path((id, proxy_id)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let (assembly, community) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let bytes = state.store.proxy_authorisation(assembly.id, proxy_id, false).await?.ok_or(AppError::NotFound)?;
    let detail = format!("assembly {} proxy {proxy_id}", assembly.id);
    state
        .store
        .audit(Some(user.principal().account_id), Some(community.id), "assembly.authorisation_viewed", &detail)
        .await?;
    // Never from a cache: each look is an audited opening.
    let mut response = crate::photo::jpeg_response(bytes);
    response.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    Ok(response)
}
