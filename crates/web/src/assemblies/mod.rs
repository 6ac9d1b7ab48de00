//! The owners' assembly on the web: the community's assemblies, preparing one and
//! publishing its notice (the owners' committee or the community's staff), and one
//! assembly's page. An owner on the roll votes there from a phone and keeps a receipt;
//! everyone within reach watches participation against the 2/3 bars. Agree and oppose
//! stay hidden until the count unless the assembly shows them while voting.
//!
//! This is the first slice of the capability: petitions, proxies, paper double entry,
//! results with objection periods, elections and scorecards come next (issue 15).

use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use linli_domain::assembly::{Channel, Choice, Convener, Form as MeetingForm, Marks, MatterKind, Tally, Weight};
use linli_domain::rules::SelfGovernance;
use linli_domain::{Action, FieldError};
use linli_store::admin::Community;
use linli_store::assemblies::{Assembly, Ballot, Cast, CastOutcome, ElectorRow, Matter, NewAssembly, NewMatter};
use serde::Deserialize;
use std::collections::HashMap;

pub mod api;
pub mod ballots;
pub mod committee;
pub mod desk;
pub mod documents;
pub mod election;
pub mod petitions;
pub mod results;
pub mod street;

/// How many matters the form offers.
const MATTER_ROWS: usize = 5;

pub(crate) use crate::context::community_for;

/// The assembly and its community, if the caller may `action` there; outside reach it does
/// not exist.
pub(crate) async fn reachable(
    state: &AppState,
    user: &User,
    id: i64,
    action: Action,
) -> AppResult<(Assembly, Community)> {
    let assembly = state.store.assembly(id).await?;
    let community = state.store.community(assembly.community_id).await?;
    if !user.principal().can_in_community(action, community.id, community.street_id) {
        return Err(AppError::NotFound);
    }
    Ok((assembly, community))
}

#[derive(Template)]
#[template(path = "assemblies.html")]
struct ListPage {
    chrome: Chrome,
    community: Community,
    /// Each assembly with its voting window in words.
    assemblies: Vec<(Assembly, String)>,
    can_manage: bool,
    /// Petitions for a temporary meeting, with their double bar and whether it is met.
    petitions: Vec<(linli_store::assemblies::petitions::Petition, Vec<Bar>, bool)>,
    /// The caller stands for an owner here and may start a petition.
    owner: bool,
    /// The community's 从众 rule.
    follow_majority: bool,
}

pub(crate) fn window(t: crate::i18n::Tr, a: &Assembly) -> String {
    t.fill("assembly.window", &[("opens", &a.opens_on), ("closes", &a.closes_on)])
}

pub async fn list(State(state): State<AppState>, user: User, Path(community_id): Path<i64>) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ViewAssemblies).await?;
    let p = user.principal();
    let page = ListPage {
        chrome: Chrome::new(&user.0, user.0.tr().get("assembly.heading")),
        assemblies: state
            .store
            .assemblies(community.id)
            .await?
            .into_iter()
            .map(|a| {
                let w = window(user.0.tr(), &a);
                (a, w)
            })
            .collect(),
        can_manage: p.can_in_community(Action::ManageAssemblies, community.id, community.street_id),
        petitions: state
            .store
            .petition_standings(community.id)
            .await?
            .into_iter()
            .map(|(petition, standing)| (petition, petitions::petition_bars(&standing), standing.met))
            .collect(),
        owner: !state.store.owners_of_account(community.id, p.account_id).await?.is_empty(),
        follow_majority: state.store.follows_majority(community.id).await?,
        community,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Deserialize, Default, Clone)]
pub struct AssemblyForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub form: String,
    #[serde(default)]
    pub opens_on: String,
    #[serde(default)]
    pub closes_on: String,
    pub allow_changes: Option<String>,
    pub show_running: Option<String>,
    /// The petition a temporary meeting answers (its id), or empty.
    #[serde(default)]
    pub petition: String,
    /// The committee members the assembly elects, or empty for no election.
    #[serde(default)]
    pub seats: String,
    /// `kind_1` … `kind_5` and `matter_1` … `matter_5`, as the form sends them.
    #[serde(flatten)]
    pub rows: HashMap<String, String>,
}

impl AssemblyForm {
    fn row(&self, prefix: &str, i: usize) -> &str {
        self.rows.get(&format!("{prefix}_{i}")).map_or("", String::as_str)
    }
}

#[derive(Template)]
#[template(path = "assembly_new.html")]
struct NewPage {
    chrome: Chrome,
    community: Community,
    form: AssemblyForm,
    /// Each matter row: its number, its label, and what was sent.
    rows: Vec<(usize, String, String, String)>,
    error: Option<String>,
    notice_hint: String,
    seats_hint: String,
}

fn new_page(
    user: &User,
    rules: SelfGovernance,
    community: Community,
    status: StatusCode,
    form: AssemblyForm,
    error: Option<String>,
) -> AppResult<Response> {
    let t = user.0.tr();
    let rows = (1..=MATTER_ROWS)
        .map(|i| {
            let label = t.fill("assembly.matter_n", &[("n", &i)]);
            (i, label, form.row("kind", i).to_owned(), form.row("matter", i).to_owned())
        })
        .collect();
    let page = NewPage {
        chrome: Chrome::new(&user.0, t.get("assembly.new")),
        community,
        form,
        rows,
        error,
        notice_hint: t.fill(
            "assembly.notice_hint",
            &[
                ("days", &rules.assembly.notice_days),
                ("min", &rules.assembly.min_window_days),
                ("max", &rules.assembly.max_window_days),
            ],
        ),
        seats_hint: t.fill(
            "election.seats_hint",
            &[
                ("min", &rules.committee.min_seats),
                ("max", &rules.committee.max_seats),
                ("households", &rules.committee.small_estate_households),
                ("small", &rules.committee.small_estate_seats),
            ],
        ),
    };
    Ok(render(status, &page))
}

#[derive(Deserialize)]
pub struct NewQuery {
    pub petition: Option<i64>,
}

pub async fn new_form(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManageAssemblies).await?;
    let today = linli_store::today();
    let rules = state.store.self_governance().await?;
    let calendar = rules.assembly;
    // A temporary meeting called on a petition starts from the petition's title and reason.
    let mut rows = HashMap::new();
    let (mut title, mut petition) = (String::new(), String::new());
    if let Some(id) = q.petition
        && let Ok(p) = petitions::to_answer(&state, community.id, id).await?
    {
        rows.insert("matter_1".to_owned(), p.reason.clone());
        title = p.title;
        petition = p.id.to_string();
    }
    let form = AssemblyForm {
        title,
        petition,
        rows,
        opens_on: (today + chrono::Duration::days(calendar.notice_days)).to_string(),
        closes_on: (today + chrono::Duration::days(calendar.notice_days + 14)).to_string(),
        form: MeetingForm::Written.as_str().into(),
        ..AssemblyForm::default()
    };
    new_page(&user, rules, community, StatusCode::OK, form, None)
}

/// The catalog key of a matter kind's threshold, for the page and the printed ballot.
pub(crate) fn threshold_key(kind: MatterKind) -> &'static str {
    match kind.threshold() {
        linli_domain::assembly::Threshold::MoreThanHalf => "assembly.threshold.more_than_half",
        linli_domain::assembly::Threshold::ThreeQuarters => "assembly.threshold.three_quarters",
    }
}

/// A China date from a form's date field, or the field's error.
pub(crate) fn day(field: &'static str, raw: &str) -> Result<chrono::NaiveDate, FieldError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| FieldError::new(field, "error.assembly.date"))
}

/// Checks the form as a whole: every bad field is named, nothing is written.
fn read_form(
    rules: &SelfGovernance,
    f: &AssemblyForm,
    community_id: i64,
    convener: Convener,
    households: i64,
) -> Result<NewAssembly, FieldError> {
    let title = linli_domain::assembly::TITLE.parse("title", &f.title)?;
    let form = MeetingForm::parse(&f.form)?;
    let (opens, closes) = (day("opens_on", &f.opens_on)?, day("closes_on", &f.closes_on)?);
    let days = |d: chrono::NaiveDate| d.signed_duration_since(chrono::NaiveDate::default()).num_days();
    rules.assembly.check(days(linli_store::today()), days(opens), days(closes))?;
    let mut matters = Vec::new();
    for i in 1..=MATTER_ROWS {
        let (kind, text) = (f.row("kind", i), f.row("matter", i));
        if kind.trim().is_empty() && text.trim().is_empty() {
            continue;
        }
        let kind = MatterKind::parse(kind).map_err(|_| FieldError::new("matters", "error.choice"))?;
        let title = linli_domain::assembly::MATTER_TEXT.parse("matters", text)?;
        matters.push(NewMatter { kind, title, body: String::new() });
    }
    let seats = election::parse_seats(rules.committee, &f.seats, households)?;
    if matters.is_empty() && seats.is_none() {
        return Err(FieldError::new("matters", "error.assembly.no_matters"));
    }
    Ok(NewAssembly {
        seats,
        community_id,
        title,
        form,
        opens_on: opens.to_string(),
        closes_on: closes.to_string(),
        allow_changes: f.allow_changes.is_some(),
        show_running: f.show_running.is_some(),
        matters,
        convener,
        petition_id: match f.petition.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| FieldError::new("petition", "error.choice"))?),
        },
    })
}

pub async fn create(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<AssemblyForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManageAssemblies).await?;
    // The owners' committee convenes; community staff convene as the residents' committee
    // (a first assembly, or an estate without an owners' committee).
    let convener = if user.principal().has_role(linli_domain::Role::OwnersCommitteeMember) {
        Convener::OwnersCommittee
    } else {
        Convener::ResidentsCommittee
    };
    let households = state.store.electorate(community.id).await?.units as i64;
    let rules = state.store.self_governance().await?;
    let checked = match read_form(&rules, &form, community.id, convener, households) {
        Ok(new) => match new.petition_id {
            Some(p) => petitions::to_answer(&state, community.id, p).await?.map(|_| new),
            None => Ok(new),
        },
        Err(e) => Err(e),
    };
    let created = match checked {
        Ok(new) => match state.store.create_assembly(&new, Some(user.principal().account_id)).await {
            Ok(id) => Ok(id),
            Err(linli_store::StoreError::Invalid(e)) => Err(e),
            Err(e) => return Err(e.into()),
        },
        Err(e) => Err(e),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!("/assemblies/{id}")).into_response()),
        Err(e) => {
            let message = user.0.tr().field_error(e.field, e.key);
            new_page(&user, rules, community, StatusCode::UNPROCESSABLE_ENTITY, form, Some(message))
        }
    }
}

#[derive(Deserialize, Default)]
pub struct RuleForm {
    pub follow_majority: Option<String>,
}

/// Records the community's rule on non-voters (从众), as its own rules say: abstainers count
/// with the side that leads, or not (the default). Assemblies already noticed keep theirs.
pub async fn set_rule(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Form(form): Form<RuleForm>,
) -> AppResult<Response> {
    let community = community_for(&state, &user, community_id, Action::ManageAssemblies).await?;
    let on = form.follow_majority.is_some();
    state.store.set_follow_majority(community.id, on).await?;
    let what = if on { "assembly.follow_majority_on" } else { "assembly.follow_majority_off" };
    state.store.audit(Some(user.principal().account_id), None, what, &community.id.to_string()).await?;
    Ok(Redirect::to(&format!("/communities/{}/assemblies", community.id)).into_response())
}

/// Publishes the notice: the matters and the roll are frozen from now on.
pub async fn publish(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    // The community's 从众 rule as it stands now is frozen with the notice.
    let follow_majority = state.store.follows_majority(assembly.community_id).await?;
    state.store.publish_assembly(assembly.id, follow_majority).await?;
    state.store.audit(Some(user.principal().account_id), None, "assembly.noticed", &assembly.id.to_string()).await?;
    Ok(Redirect::to(&format!("/assemblies/{id}")).into_response())
}

/// One bar of a double condition: a share of the roll against the fraction it must reach.
pub struct Bar {
    pub label: &'static str,
    /// Percent of the bar, one decimal, for the width and the figure.
    pub percent: String,
    pub met: bool,
    pub figure: String,
    /// Where the bar's mark stands, in percent.
    pub mark: String,
}

/// Area and headcount against `num/den` (以上: the fraction itself meets it).
pub(crate) fn bars(part: Weight, whole: Weight, (num, den): (i64, i64)) -> Vec<Bar> {
    let pct = |p: i64, w: i64| if w == 0 { 0.0 } else { p as f64 * 100.0 / w as f64 };
    let area = |dm2: i64| linli_domain::ownership::Area::from_dm2(dm2).grouped_m2();
    let mark = format!("{:.3}", num as f64 * 100.0 / den as f64);
    vec![
        Bar {
            label: "assembly.by_area",
            percent: format!("{:.1}", pct(part.area_dm2, whole.area_dm2)),
            met: linli_domain::assembly::at_least(part.area_dm2, whole.area_dm2, num, den),
            figure: format!("{} / {} m²", area(part.area_dm2), area(whole.area_dm2)),
            mark: mark.clone(),
        },
        Bar {
            label: "assembly.by_owners",
            percent: format!("{:.1}", pct(part.owners, whole.owners)),
            met: linli_domain::assembly::at_least(part.owners, whole.owners, num, den),
            figure: format!("{} / {}", part.owners, whole.owners),
            mark,
        },
    ]
}

#[derive(Template)]
#[template(path = "assembly.html")]
struct AssemblyPage {
    chrome: Chrome,
    community: Community,
    assembly: Assembly,
    matters: Vec<Matter>,
    /// The state in words.
    stage: &'static str,
    can_manage: bool,
    open: bool,
    participation: Vec<Bar>,
    /// The count, shown when the assembly allows it or voting has ended.
    tally: Option<Tally>,
    window: String,
    /// The ballots the caller casts: their own as an owner, and those of owners whose
    /// proxy they are.
    voices: Vec<Voice>,
    error: Option<String>,
    receipt: Option<String>,
    receipt_check: Option<String>,
    /// After the count: that it is closed, with the tally's hash.
    counted: Option<String>,
    /// The objection period and final result, once counted.
    results: Option<results::Phase>,
    ended: bool,
    /// Who convened it, in words.
    convened_by: String,
    /// The committee election it holds, with its result once the count is shown.
    election: Option<election::ElectionView>,
    /// The matters' documents, with each one's size in words.
    documents: Vec<(linli_store::assemblies::documents::Document, String)>,
}

/// One ballot the caller may cast: whose, what is in, and what the page says about it.
pub struct Voice {
    pub elector: ElectorRow,
    /// Cast as the owner's registered proxy rather than as the owner.
    pub as_proxy: bool,
    pub ballot: Option<Ballot>,
    /// The units and area in words, and whose they are.
    pub units: String,
    pub voted: Option<String>,
    /// The answers in, per matter, as codes.
    pub marked: Vec<String>,
    /// For the owner's own ballot: the proxy registered in their name, in words, so a
    /// forged authorisation does not go unnoticed.
    pub proxy: Option<String>,
}

impl Voice {
    fn marked_as(&self, position: &i64, code: &str) -> bool {
        usize::try_from(*position - 1).ok().and_then(|i| self.marked.get(i)).is_some_and(|m| m == code)
    }
}

impl AssemblyPage {
    fn threshold_key(&self, m: &Matter) -> &'static str {
        threshold_key(m.kind)
    }

    /// Both counts of a side, as the decision reads them: owners and area, each with its
    /// share of those who took part (the base of the thresholds).
    fn weight(&self, w: &Weight) -> String {
        let area = linli_domain::ownership::Area::from_dm2(w.area_dm2).grouped_m2();
        let base = self.tally.as_ref().map(|t| t.participation).unwrap_or_default();
        let share = |part: i64, whole: i64| {
            if whole == 0 { "0.0".to_owned() } else { format!("{:.1}", part as f64 * 100.0 / whole as f64) }
        };
        self.chrome.t.fill(
            "assembly.weight",
            &[
                ("owners", &w.owners),
                ("owners_share", &share(w.owners, base.owners)),
                ("area", &area),
                ("area_share", &share(w.area_dm2, base.area_dm2)),
            ],
        )
    }

    /// The documents of a matter.
    fn docs(&self, m: &Matter) -> Vec<&(linli_store::assemblies::documents::Document, String)> {
        self.documents.iter().filter(|(d, _)| d.matter_id == m.id).collect()
    }

    /// The candidate a matter stands for, in an election.
    fn candidate(&self, m: &Matter) -> Option<&linli_store::assemblies::elections::Candidate> {
        self.election.as_ref().and_then(|e| e.candidates.iter().find(|c| c.matter_id == m.id))
    }

    fn result(&self, i: &usize) -> Option<&linli_domain::assembly::MatterResult> {
        self.tally.as_ref().and_then(|t| t.matters.get(*i))
    }
}

/// Where an assembly stands on `today`, as its catalog key (`assembly.stage.{code}`).
pub(crate) fn stage_key(assembly: &Assembly, today: &str) -> &'static str {
    let open = assembly.is_open_on(today);
    let ended = assembly.noticed_at.is_some() && today > assembly.closes_on.as_str();
    match (assembly.noticed_at, open, ended) {
        (None, _, _) => "assembly.stage.draft",
        (Some(_), true, _) => "assembly.stage.voting",
        _ if assembly.finalised_at.is_some() => "assembly.stage.final",
        _ if assembly.counted_at.is_some() => "assembly.stage.preliminary",
        (Some(_), _, true) => "assembly.stage.ended",
        _ => "assembly.stage.noticed",
    }
}

pub(crate) async fn assembly_page(
    state: &AppState,
    user: &User,
    id: i64,
    status: StatusCode,
    view: View,
) -> AppResult<Response> {
    let View { error, just_voted, receipt: asked } = view;
    let (assembly, community) = reachable(state, user, id, Action::ViewAssemblies).await?;
    let p = user.principal();
    let matters = state.store.assembly_matters(assembly.id).await?;
    let today = linli_store::today().to_string();
    let open = assembly.is_open_on(&today);
    let ended = assembly.noticed_at.is_some() && today.as_str() > assembly.closes_on.as_str();
    let stage = stage_key(&assembly, &today);
    let t = user.0.tr();
    let mut voices = Vec::new();
    let mine = voices_of(state, user, &assembly).await?;
    let proxies = if mine.iter().any(|(_, as_proxy)| !as_proxy) {
        state.store.assembly_proxies(assembly.id).await?
    } else {
        Vec::new()
    };
    for (elector, as_proxy) in mine {
        let proxy =
            proxies.iter().find(|p| !as_proxy && p.elector_id == elector.id && p.revoked_at.is_none()).map(|p| {
                let at = crate::frame::format_ms(p.registered_at);
                t.fill("assembly.your_proxy", &[("name", &desk::masked_name(&p.name)), ("at", &at)])
            });
        let ballot = state.store.ballot_of(assembly.id, elector.id).await?;
        let area = linli_domain::ownership::Area::from_dm2(elector.area_dm2).grouped_m2();
        let key = if as_proxy { "assembly.proxy_units" } else { "assembly.your_units" };
        voices.push(Voice {
            units: t.fill(key, &[("units", &elector.label), ("area", &area)]),
            voted: ballot.as_ref().map(|b| {
                t.fill("assembly.voted", &[("at", &crate::frame::format_ms(b.cast_at)), ("receipt", &b.receipt)])
            }),
            marked: ballot.as_ref().map(|b| b.marks.split(',').map(str::to_owned).collect()).unwrap_or_default(),
            elector,
            as_proxy,
            ballot,
            proxy,
        });
    }
    let (participation, tally) = match assembly.electorate() {
        Some(whole) => {
            let t = state.store.assembly_tally(assembly.id).await?;
            let bars = bars(t.participation, whole, (2, 3));
            (bars, (ended || assembly.show_running).then_some(t))
        }
        None => (Vec::new(), None),
    };
    let receipt = voices
        .iter()
        .filter(|_| just_voted)
        .filter_map(|v| v.ballot.as_ref())
        .max_by_key(|b| b.cast_at)
        .map(|b| t.fill("assembly.receipt", &[("receipt", &b.receipt)]));
    // A receipt code checked against the counted ballots: what it says, never whose it is.
    let receipt_check = match asked.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => Some(match state.store.ballot_by_receipt(assembly.id, code).await? {
            Some(b) => {
                let answers = answers_in_words(t, &matters, &b.marks);
                let channel = t.label("assembly.channel", b.channel.as_str());
                t.fill(
                    "assembly.receipt_found",
                    &[("receipt", &b.receipt), ("answers", &answers), ("channel", &channel)],
                )
            }
            None => t.get("assembly.receipt_unknown").to_owned(),
        }),
    };
    let counted = assembly.tally_hash.as_ref().map(|h| t.fill("assembly.counted", &[("hash", h)]));
    let can_manage = p.can_in_community(Action::ManageAssemblies, community.id, community.street_id);
    let results = results::phase(state, user, &assembly, can_manage, !voices.is_empty(), &today).await?;
    let convened_by =
        t.fill("assembly.convened_by", &[("convener", &t.label("assembly.convener", assembly.convener.as_str()))]);
    let election = match assembly.seats {
        Some(seats) => {
            let candidates = state.store.candidates(assembly.id).await?;
            let result = tally
                .as_ref()
                .filter(|_| ended)
                .map(|t| linli_store::assemblies::elections::election_result(seats, &candidates, t));
            Some(election::view(t, seats, candidates, result.as_ref()))
        }
        None => None,
    };
    let documents = state
        .store
        .documents(assembly.id)
        .await?
        .into_iter()
        .map(|d| {
            let kb = (d.size + 1023) / 1024;
            let size = t.fill("document.size", &[("kb", &kb)]);
            (d, size)
        })
        .collect();
    let page = AssemblyPage {
        documents,
        convened_by,
        election,
        chrome: Chrome::new(&user.0, &assembly.title),
        window: window(t, &assembly),
        can_manage,
        results,
        community,
        matters,
        stage,
        open,
        participation,
        tally,
        voices,
        error,
        receipt,
        receipt_check,
        counted,
        ended,
        assembly,
    };
    Ok(render(status, &page))
}

/// What a stored ballot says, in words: each matter's answer, or blank or void as a whole.
pub(crate) fn answers_in_words(t: crate::i18n::Tr, matters: &[Matter], marks: &str) -> String {
    match marks {
        "blank" | "invalid" => t.get(&format!("assembly.whole.{marks}")).to_owned(),
        _ => matters
            .iter()
            .zip(marks.split(','))
            .map(|(m, c)| {
                let answer = if c.is_empty() {
                    t.get("assembly.unmarked").to_owned()
                } else {
                    t.label_or_code("assembly.choice", c)
                };
                format!("{}. {answer}", m.position)
            })
            .collect::<Vec<_>>()
            .join(t.get("list.separator")),
    }
}

/// The voters the caller casts ballots for: their own place on the roll (through the
/// owner of record their account is linked to), then each owner whose proxy in force they
/// are (`true`).
pub(crate) async fn voices_of(
    state: &AppState,
    user: &User,
    assembly: &Assembly,
) -> AppResult<Vec<(ElectorRow, bool)>> {
    if assembly.noticed_at.is_none() {
        return Ok(Vec::new());
    }
    let account = user.principal().account_id;
    let mut voices = Vec::new();
    for owner in state.store.owners_of_account(assembly.community_id, account).await? {
        if let Some(e) = state.store.elector_of_owner(assembly.id, owner).await? {
            voices.push((e, false));
            break;
        }
    }
    for p in state.store.proxied_by(assembly.id, account).await? {
        if voices.iter().any(|(v, _)| v.id == p.elector_id) {
            continue;
        }
        if let Some(e) = state.store.assembly_elector(assembly.id, p.elector_id).await? {
            voices.push((e, true));
        }
    }
    Ok(voices)
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    pub done: Option<String>,
    /// A receipt code to check against the counted ballots.
    pub receipt: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<ShowQuery>,
) -> AppResult<Response> {
    let view = View { just_voted: q.done.as_deref() == Some("voted"), receipt: q.receipt, ..View::default() };
    assembly_page(&state, &user, id, StatusCode::OK, view).await
}

/// Closes the count after the window and keeps the chain's hash as the tally's.
pub async fn count(State(state): State<AppState>, user: User, Path(id): Path<i64>) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ManageAssemblies).await?;
    let today = linli_store::today();
    let until = today + chrono::Duration::days(state.store.self_governance().await?.assembly.objection_days);
    match state.store.count_assembly(assembly.id, &today.to_string(), &until.to_string()).await {
        Ok(hash) => {
            state
                .store
                .audit(Some(user.principal().account_id), None, "assembly.counted", &format!("{id} {hash}"))
                .await?;
            Ok(Redirect::to(&format!("/assemblies/{id}")).into_response())
        }
        Err(linli_store::StoreError::Invalid(e)) => {
            let error = Some(user.0.tr().field_error(e.field, e.key));
            assembly_page(&state, &user, id, StatusCode::CONFLICT, View { error, ..View::default() }).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What the page says beyond the assembly itself.
#[derive(Default)]
pub(crate) struct View {
    pub(crate) error: Option<String>,
    pub(crate) just_voted: bool,
    /// A receipt code the visitor asked about.
    pub(crate) receipt: Option<String>,
}

/// Why a ballot sent from the page or the API was refused: the status and the field.
pub(crate) struct Refused(pub StatusCode, pub FieldError);

/// Casts the caller's ballot in an assembly: their own as an owner, or, when `named` says
/// so, that of an owner whose registered proxy they are. `answer` gives the code sent for
/// each matter by its position; every matter needs one. Returns the voter and the receipt.
pub(crate) async fn cast_ballot(
    state: &AppState,
    user: &User,
    assembly: &Assembly,
    named: Option<i64>,
    answer: impl Fn(i64) -> Option<String>,
) -> AppResult<Result<(ElectorRow, String), Refused>> {
    let voices = voices_of(state, user, assembly).await?;
    let Some((elector, as_proxy)) = voices.into_iter().find(|(e, _)| named.is_none_or(|n| n == e.id)) else {
        return Ok(Err(Refused(StatusCode::FORBIDDEN, FieldError::new("ballot", "error.assembly.not_elector"))));
    };
    let matters = state.store.assembly_matters(assembly.id).await?;
    let choices: Result<Vec<Option<Choice>>, FieldError> = matters
        .iter()
        .map(|m| {
            let raw = answer(m.position).unwrap_or_default();
            Choice::parse(&raw).map(Some).map_err(|_| FieldError::new("marks", "error.assembly.marks"))
        })
        .collect();
    let choices = match choices {
        Ok(c) => c,
        Err(e) => return Ok(Err(Refused(StatusCode::UNPROCESSABLE_ENTITY, e))),
    };
    let cast = Cast {
        assembly_id: assembly.id,
        elector_id: elector.id,
        channel: if as_proxy { Channel::Proxy } else { Channel::Online },
        marks: Marks::Choices(choices),
        cast_by: Some(user.principal().account_id),
        on_paper: false,
        today: linli_store::today().to_string(),
        at: linli_store::now_ms(),
    };
    match state.store.cast_ballot(&cast).await {
        Ok(CastOutcome::Counted { receipt }) => Ok(Ok((elector, receipt))),
        Ok(CastOutcome::Superseded) => {
            Ok(Err(Refused(StatusCode::CONFLICT, FieldError::new("ballot", "error.assembly.cast_once"))))
        }
        Err(linli_store::StoreError::Invalid(e)) => Ok(Err(Refused(StatusCode::CONFLICT, e))),
        Err(e) => Err(e.into()),
    }
}

/// An owner's ballot: one answer per matter, `m_{position}`.
pub async fn vote(
    State(state): State<AppState>,
    user: User,
    Path(id): Path<i64>,
    Form(form): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let (assembly, _) = reachable(&state, &user, id, Action::ViewAssemblies).await?;
    let named: Option<i64> = form.get("elector").and_then(|v| v.trim().parse().ok());
    match cast_ballot(&state, &user, &assembly, named, |position| form.get(&format!("m_{position}")).cloned()).await? {
        // The page after a redirect shows the receipt, so a reload sends nothing again.
        Ok((elector, _)) => {
            Ok(Redirect::to(&format!("/assemblies/{id}?done=voted#ballot-{}", elector.id)).into_response())
        }
        Err(Refused(status, e)) => {
            let error = Some(user.0.tr().field_error(e.field, e.key));
            assembly_page(&state, &user, id, status, View { error, ..View::default() }).await
        }
    }
}
