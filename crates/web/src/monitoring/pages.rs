//! Remote monitoring pages: the live alarm board (server-sent events tell an open board
//! to fetch itself again), acknowledging and clearing alarms, the community's devices,
//! and one device's last values, alarms and charts.

use crate::chart::LineChart;
use crate::context::User;
use crate::error::{AppError, AppResult};
use crate::frame::{Chrome, format_ms, render};
use crate::i18n::Tr;
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use linli_domain::monitoring::Severity;
use linli_domain::{Action, Reach};
use linli_store::admin::Community;
use linli_store::monitoring::{AlarmRow, DeviceRow, LastValue};
use serde::Deserialize;
use std::convert::Infallible;
use tokio_stream::StreamExt;
use tokio_stream::wrappers::BroadcastStream;

const DAY: i64 = 24 * 3_600_000;

/// The community, if the user's monitoring reaches into it (a grid worker's own grids
/// are enough); anything else is not found.
async fn reachable(state: &AppState, user: &User, community_id: i64) -> AppResult<Community> {
    let community = state.store.community(community_id).await?;
    if user.principal().reach(Action::ViewMonitoring, community.id, community.street_id) == Reach::Nothing {
        return Err(AppError::NotFound);
    }
    Ok(community)
}

/// Whether `action` reaches this alarm or device (its grid, and a resident's reach for a
/// personal one): see [`linli_domain::Principal::reaches_device`].
fn reaches(user: &User, action: Action, community: &Community, grid_id: Option<i64>, personal: bool) -> bool {
    user.principal().reaches_device(action, community.id, community.street_id, grid_id, personal)
}

/// The alarms of the community that `action` reaches.
async fn alarms_within_reach(
    state: &AppState,
    user: &User,
    action: Action,
    community: &Community,
    closed_since: Option<i64>,
) -> AppResult<Vec<AlarmRow>> {
    let mut alarms = state.store.alarms(community.id, closed_since).await?;
    alarms.retain(|a| reaches(user, action, community, a.grid_id, a.personal));
    Ok(alarms)
}

#[derive(Template)]
#[template(path = "alarm_board.html")]
struct BoardPart {
    t: Tr,
    community_id: i64,
    csrf: String,
    /// Open alarms by building (the building's id and name, or none), with how many are
    /// not yet acknowledged.
    groups: Vec<(String, String, usize, Vec<AlarmRow>)>,
    recent: Vec<AlarmRow>,
    counts: Vec<(&'static str, usize)>,
    may_handle: bool,
    updated: String,
    now: i64,
}

impl BoardPart {
    fn at(&self, ms: &i64) -> String {
        format_ms(*ms)
    }

    /// How long an alarm has been open, in words (已持续 5 小时): a five-hour-old alarm must
    /// not look like a fresh one.
    fn age(&self, a: &AlarmRow) -> String {
        let minutes = ((self.now - a.raised_at) / 60_000).max(0);
        let (n, unit) = match minutes {
            m if m < 60 => (m, "alarms.minutes"),
            m if m < 48 * 60 => (m / 60, "alarms.hours"),
            m => (m / (24 * 60), "alarms.days"),
        };
        self.t.fill("alarms.age", &[("n", &n), ("unit", &self.t.get(unit))])
    }

    /// An alarm nobody has acknowledged for over an hour.
    fn waiting_long(&self, a: &AlarmRow) -> bool {
        a.acknowledged_at.is_none() && self.now - a.raised_at > 3_600_000
    }
}

#[derive(Template)]
#[template(path = "alarms.html")]
struct AlarmsPage {
    chrome: Chrome,
    community: Community,
    board: String,
    notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    fragment: Option<String>,
    done: Option<String>,
}

async fn board_part(state: &AppState, user: &User, community: &Community) -> AppResult<String> {
    let now = linli_store::now_ms();
    let alarms = alarms_within_reach(state, user, Action::ViewMonitoring, community, Some(now - DAY)).await?;
    let (open, recent): (Vec<AlarmRow>, Vec<AlarmRow>) = alarms.into_iter().partition(|a| !a.closed);
    let mut groups: Vec<(String, String, usize, Vec<AlarmRow>)> = Vec::new();
    for a in open {
        let id = a.building_id.map(|b| b.to_string()).unwrap_or_default();
        let name = a.building_name.clone().unwrap_or_default();
        let unacked = usize::from(a.acknowledged_at.is_none());
        match groups.iter_mut().find(|(i, ..)| *i == id) {
            Some((_, _, n, list)) => {
                *n += unacked;
                list.push(a);
            }
            None => groups.push((id, name, unacked, vec![a])),
        }
    }
    let counts = Severity::ALL
        .iter()
        .map(|&s| {
            let n = groups.iter().flat_map(|g| &g.3).filter(|a| a.severity == s && a.cleared_at.is_none()).count();
            (s.as_str(), n)
        })
        .collect();
    let part = BoardPart {
        t: user.0.tr(),
        community_id: community.id,
        csrf: user.0.csrf.clone(),
        groups,
        recent,
        counts,
        may_handle: user.principal().can(Action::HandleAlarms),
        updated: format_ms(now),
        now,
    };
    part.render().map_err(|e| AppError::Internal(e.into()))
}

/// `GET /communities/{community_id}/alarms`: the board; `?fragment=1` only its body.
pub async fn board(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(q): Query<BoardQuery>,
) -> AppResult<Response> {
    let community = reachable(&state, &user, community_id).await?;
    let board = board_part(&state, &user, &community).await?;
    if q.fragment.is_some() {
        return Ok(Html(board).into_response());
    }
    let t = user.0.tr();
    let notice = match q.done.as_deref() {
        Some("ack") => Some(t.get("alarms.acknowledged").to_owned()),
        Some("clear") => Some(t.get("alarms.cleared_by_hand").to_owned()),
        _ => None,
    };
    let page = AlarmsPage {
        chrome: Chrome::new(&user.0, t.fill("alarms.title", &[("community", &community.name)])),
        community,
        board,
        notice,
    };
    Ok(render(StatusCode::OK, &page))
}

/// `GET /communities/{community_id}/alarms/events`: an event each time the community's
/// alarms change (the page then fetches its board again). The stream ends when the server
/// begins to stop; the browser's `EventSource` then reconnects, to another instance or to
/// this one once it is back.
pub async fn events(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
) -> AppResult<Sse<impl tokio_stream::Stream<Item = Result<SseEvent, Infallible>>>> {
    let community = reachable(&state, &user, community_id).await?;
    let stream = BroadcastStream::new(state.monitor.subscribe()).filter_map(move |changed| match changed {
        Ok(c) if c == community.id => Some(Ok(SseEvent::default().event("alarms").data("changed"))),
        Ok(_) => None,
        // Missed some: refresh to be sure.
        Err(_) => Some(Ok(SseEvent::default().event("alarms").data("changed"))),
    });
    // When the server begins to stop: one event asking the board to come back after a
    // moment, and the end of the stream.
    let closing = SseEvent::default().event("closing").retry(std::time::Duration::from_secs(2)).data("stopping");
    let stream = futures_util::StreamExt::take_until(stream, state.stopping.clone().cancelled_owned())
        .chain(tokio_stream::once(Ok(closing)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// The alarm's community, if the user may handle this alarm; otherwise not found.
async fn handled(state: &AppState, user: &User, alarm_id: i64) -> AppResult<Community> {
    let alarm = state.store.alarm(alarm_id).await?;
    let community = reachable(state, user, alarm.community_id).await?;
    if !reaches(user, Action::HandleAlarms, &community, alarm.grid_id, alarm.personal) {
        return Err(AppError::NotFound);
    }
    Ok(community)
}

/// `POST /alarms/{alarm_id}/acknowledge`: acknowledges the alarm and accepts its case.
pub async fn acknowledge(State(state): State<AppState>, user: User, Path(alarm_id): Path<i64>) -> AppResult<Response> {
    let community = handled(&state, &user, alarm_id).await?;
    state.store.acknowledge_alarm(alarm_id, user.principal().account_id).await?;
    state.monitor.changed(community.id);
    Ok(Redirect::to(&format!("/communities/{}/alarms?done=ack", community.id)).into_response())
}

#[derive(Deserialize, Default)]
pub struct BuildingForm {
    #[serde(default)]
    building_id: String,
}

/// `POST /communities/{community_id}/alarms/acknowledge`: acknowledges every open alarm of
/// one building (a wave of offline warnings is one click, not forty).
pub async fn acknowledge_building(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<BuildingForm>,
) -> AppResult<Response> {
    let community = reachable(&state, &user, community_id).await?;
    let building_id = match form.building_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::Invalid(linli_domain::FieldError::new("building", "error.choice")))?,
        ),
    };
    let mine = alarms_within_reach(&state, &user, Action::HandleAlarms, &community, None).await?;
    for alarm in mine.iter().filter(|a| a.building_id == building_id && a.acknowledged_at.is_none()) {
        state.store.acknowledge_alarm(alarm.id, user.principal().account_id).await?;
    }
    state.monitor.changed(community.id);
    Ok(Redirect::to(&format!("/communities/{}/alarms?done=ack", community.id)).into_response())
}

/// `POST /alarms/{alarm_id}/clear`: clears the alarm by hand.
pub async fn clear(State(state): State<AppState>, user: User, Path(alarm_id): Path<i64>) -> AppResult<Response> {
    let community = handled(&state, &user, alarm_id).await?;
    state.store.clear_alarm(alarm_id, user.principal().account_id).await?;
    state.monitor.changed(community.id);
    Ok(Redirect::to(&format!("/communities/{}/alarms?done=clear", community.id)).into_response())
}

#[derive(Template)]
#[template(path = "devices.html")]
struct DevicesPage {
    chrome: Chrome,
    community: Community,
    /// The devices the filter lets through, each with the care record of the resident it
    /// watches over when the viewer may open it.
    devices: Vec<(DeviceRow, Option<i64>)>,
    filter: DeviceFilter,
    /// The filter's choices, from the devices in reach: types (code, name), buildings.
    types: Vec<(String, String)>,
    places: Vec<(i64, String)>,
    summary: String,
    /// How many the filter shows, when one is set.
    shown: Option<String>,
    topic_hint: String,
    /// Shown to those who may register devices: profiles (code, name) and buildings.
    profiles: Vec<(String, String)>,
    buildings: Vec<(i64, String)>,
    form: DeviceForm,
    error: Option<String>,
    /// The notice and the new device's token, shown once.
    token: Option<(String, String)>,
}

/// The resident whose care record a device (an elderly resident's water meter) leads to,
/// when the viewer's reach includes that resident.
fn care_record(user: &User, community: &Community, d: &DeviceRow) -> Option<i64> {
    let p = user.principal();
    d.resident_id.filter(|_| {
        d.grid_id.is_some_and(|g| p.can_in_grid(Action::ViewResidents, community.id, community.street_id, g))
    })
}

/// The device list's filter: a type, a state, a building, and words of the name, code or
/// room.
#[derive(Deserialize, Default, Clone)]
pub struct DeviceFilter {
    #[serde(default)]
    pub profile: String,
    /// `online`, `offline`, or `alarm` (with an open alarm).
    #[serde(default)]
    pub state: String,
    #[serde(default, deserialize_with = "crate::form::optional_id")]
    pub building_id: Option<i64>,
    #[serde(default)]
    pub q: String,
}

impl DeviceFilter {
    fn is_set(&self) -> bool {
        !self.profile.is_empty() || !self.state.is_empty() || self.building_id.is_some() || !self.q.trim().is_empty()
    }

    fn lets_through(&self, d: &DeviceRow) -> bool {
        let words = self.q.trim().to_lowercase();
        (self.profile.is_empty() || d.profile_code == self.profile)
            && match self.state.as_str() {
                "online" => d.online,
                "offline" => !d.online,
                "alarm" => d.open_alarms > 0,
                _ => true,
            }
            && self.building_id.is_none_or(|b| d.building_id == Some(b))
            && (words.is_empty()
                || [&d.name, &d.code, &d.room].iter().any(|f| f.to_lowercase().contains(&words))
                || d.building_name.as_ref().is_some_and(|b| b.contains(&words)))
    }
}

/// The registration form, kept as typed when it is refused.
#[derive(Deserialize, Default, Clone)]
pub struct DeviceForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub profile: String,
    #[serde(default)]
    pub building_id: String,
    #[serde(default)]
    pub room: String,
}

impl DevicesPage {
    fn seen(&self, ms: &Option<i64>) -> String {
        ms.map(format_ms).unwrap_or_else(|| "—".into())
    }
}

async fn devices_page(
    state: &AppState,
    user: &User,
    community: Community,
    status: StatusCode,
    (filter, form): (DeviceFilter, DeviceForm),
    error: Option<String>,
    token: Option<(String, String)>,
) -> AppResult<Response> {
    let mut devices = state.store.devices(community.id).await?;
    devices.retain(|d| reaches(user, Action::ViewMonitoring, &community, d.grid_id, d.personal));
    let t = user.0.tr();
    let en = t.lang == crate::i18n::Lang::En;
    let (online, total) = (devices.iter().filter(|d| d.online).count(), devices.len());
    let mut types: Vec<(String, String)> = devices
        .iter()
        .map(|d| (d.profile_code.clone(), if en { d.profile_en.clone() } else { d.profile_zh.clone() }))
        .collect();
    types.sort();
    types.dedup();
    let mut places: Vec<(i64, String)> =
        devices.iter().filter_map(|d| Some((d.building_id?, d.building_name.clone()?))).collect();
    places.sort();
    places.dedup();
    let devices = devices
        .into_iter()
        .filter(|d| filter.lets_through(d))
        .map(|d| {
            let care = care_record(user, &community, &d);
            (d, care)
        })
        .collect::<Vec<_>>();
    let (profiles, buildings) = if user.principal().can(Action::ManageDevices) {
        let profiles = state
            .store
            .device_profiles()
            .await?
            .into_iter()
            .map(|p| (p.code, t.pick(&p.name_zh, &p.name_en).to_owned()))
            .collect();
        let buildings =
            state.store.buildings_in_community(community.id).await?.into_iter().map(|b| (b.id, b.name)).collect();
        (profiles, buildings)
    } else {
        (Vec::new(), Vec::new())
    };
    let page = DevicesPage {
        chrome: Chrome::new(&user.0, t.fill("devices.title", &[("community", &community.name)])),
        summary: t.fill("devices.summary", &[("total", &total), ("online", &online)]),
        shown: filter.is_set().then(|| t.fill("devices.shown", &[("n", &devices.len())])),
        filter,
        types,
        places,
        topic_hint: t.fill("devices.topic_hint", &[("community", &community.code)]),
        community,
        devices,
        profiles,
        buildings,
        form,
        error,
        token,
    };
    Ok(render(status, &page))
}

/// `GET /communities/{community_id}/devices`.
pub async fn devices(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    Query(filter): Query<DeviceFilter>,
) -> AppResult<Response> {
    let community = reachable(&state, &user, community_id).await?;
    devices_page(&state, &user, community, StatusCode::OK, (filter, DeviceForm::default()), None, None).await
}

/// `POST /communities/{community_id}/devices`: registers a device and shows its token once.
pub async fn register(
    State(state): State<AppState>,
    user: User,
    Path(community_id): Path<i64>,
    axum::Form(form): axum::Form<DeviceForm>,
) -> AppResult<Response> {
    let community = reachable(&state, &user, community_id).await?;
    let building_id = match form.building_id.trim() {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return Err(AppError::Invalid(linli_domain::FieldError::new("building", "error.choice"))),
        },
    };
    let new = linli_store::monitoring::NewDevice {
        community_id: community.id,
        code: form.code.clone(),
        name: form.name.clone(),
        profile_code: form.profile.clone(),
        building_id,
        room: form.room.clone(),
        ..Default::default()
    };
    match state.store.register_device(&new).await {
        Ok((_, token)) => {
            let message = user.0.tr().fill("devices.registered", &[("code", &form.code.trim())]);
            let shown = Some((message, token));
            let (filter, form) = (DeviceFilter::default(), DeviceForm::default());
            devices_page(&state, &user, community, StatusCode::CREATED, (filter, form), None, shown).await
        }
        Err(e) => {
            let (field, key) = match AppError::from(e) {
                AppError::Invalid(e) => (e.field, e.key),
                AppError::Taken(field) => (field, "error.taken"),
                other => return Err(other),
            };
            let message = user.0.tr().field_error(field, key);
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            devices_page(&state, &user, community, status, (DeviceFilter::default(), form), Some(message), None).await
        }
    }
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    chrome: Chrome,
    community: Community,
    device: DeviceRow,
    values: Vec<LastValue>,
    alarms: Vec<AlarmRow>,
    charts: Vec<(String, String)>,
    days: i64,
    /// The care record of the resident the device watches over, for those who may open it.
    care: Option<i64>,
}

impl DevicePage {
    fn at(&self, ms: &i64) -> String {
        format_ms(*ms)
    }
    fn number(&self, v: &f64) -> String {
        if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.2}") }
    }
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    days: Option<i64>,
}

/// `GET /devices/{device_id}?days=1|7|30|365`: last values, alarms, and a chart per value
/// (at most 150 points, however long the range).
pub async fn device(
    State(state): State<AppState>,
    user: User,
    Path(device_id): Path<i64>,
    Query(q): Query<RangeQuery>,
) -> AppResult<Response> {
    let device = state.store.device(device_id).await?;
    let community = reachable(&state, &user, device.community_id).await?;
    if !reaches(&user, Action::ViewMonitoring, &community, device.grid_id, device.personal) {
        return Err(AppError::NotFound);
    }
    let days = match q.days.unwrap_or(1) {
        d @ (1 | 7 | 30 | 365) => d,
        _ => return Err(AppError::Invalid(linli_domain::FieldError::new("days", "error.choice"))),
    };
    let t = user.0.tr();
    let to = linli_store::now_ms();
    let from = to - days * DAY;
    let values = state.store.device_values(device.id).await?;
    let mut charts = Vec::new();
    for v in values.iter().take(6) {
        let series = state.store.telemetry_series(device.id, &v.key, from, to, 150).await?;
        let points: Vec<_> = series.iter().map(|p| (p.ts, p.low, p.mean, p.high)).collect();
        // 24 hours: month, day and time ("11-27 06:31"); longer: the date.
        let label = if days == 1 {
            |ms: i64| format_ms(ms).chars().skip(5).collect()
        } else {
            |ms: i64| format_ms(ms).chars().take(10).collect()
        };
        let mut chart = LineChart::new(t.reading(&v.key), &points, from, to, label);
        chart.empty_label = t.get("device.no_data").to_owned();
        charts.push((v.key.clone(), chart.svg()));
    }
    let alarms = state.store.device_alarms(device.id).await?;
    let care = care_record(&user, &community, &device);
    let page = DevicePage {
        care,
        chrome: Chrome::new(&user.0, t.fill("device.title", &[("device", &device.name)])),
        community,
        device,
        values,
        alarms,
        charts,
        days,
    };
    Ok(render(StatusCode::OK, &page))
}
