//! Open311 GeoReport v2 at `/open311/v2/` (domain guide §4): discovery, services and
//! their definitions, requests (post, list, one), tokens, and the `servicerequestupdates`
//! extension, each in `.json` and `.xml`. Case categories are the services; a posted
//! request is a case like any other (source `api`), routed by its place.
//!
//! - `api_key` (query or body) is required to post; keys come from
//!   `linli open311-key create`. GET is public and shows only public categories, with
//!   the building as the address and nothing about the reporter.
//! - `jurisdiction_id` is a community's code. Without it, a point finds its community by
//!   the grid it falls in.
//! - `address_id` is a building id (`12`) or a room (`h345`, a household id).
//! - A retried post makes one case: by the `Idempotency-Key` header, or, without it, by
//!   the key, `device_id` and the request's content.
//! - Errors are `[{"code","description"}]` (XML `<errors>`): 404 for an unknown service,
//!   request, token or jurisdiction; 403 for a missing or bad key; 400 otherwise. The
//!   description is localized (`Accept-Language`, or the `locale` parameter).

mod format;

use crate::context::Ctx;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, TimeZone};
use format::{Format, error, respond};
use linli_domain::case;
use linli_store::StoreError;
use linli_store::admin::Community;
use linli_store::cases::{Category, NewCase};
use linli_store::open311::{DEFAULT_WINDOW_MS, PublicRequest, PublicUpdate, RequestFilter};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The parameters of a request, query and body together; an empty value is an absent one.
#[derive(Debug, Default)]
struct Params(HashMap<String, Vec<String>>);

impl Params {
    /// Keeps a value, without the control characters nothing downstream can carry.
    fn add(&mut self, k: String, v: String) {
        let v = linli_domain::clean_text(&v);
        if !v.trim().is_empty() {
            self.0.entry(k).or_default().push(v);
        }
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(|v| v.first()).map(|s| s.trim())
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Params {
        let mut p = Params::default();
        for (k, v) in pairs {
            p.add(k, v);
        }
        p
    }
}

/// A failure in the spec's terms.
struct Fail(StatusCode, String);

type Outcome = Result<Response, Fail>;

impl Fail {
    fn bad(tr: Tr, field: &str, key: &str) -> Fail {
        Fail(StatusCode::BAD_REQUEST, tr.field_error(field, key))
    }

    fn not_found(tr: Tr, key: &str) -> Fail {
        Fail(StatusCode::NOT_FOUND, tr.get(key).to_owned())
    }

    fn internal(tr: Tr, e: impl std::fmt::Display) -> Fail {
        tracing::error!(error = %e, "open311");
        Fail(StatusCode::INTERNAL_SERVER_ERROR, tr.get("error.internal").to_owned())
    }

    /// For looking up what the client named in `field`: "not found" is that field's error;
    /// any other store failure is logged and answered 500, never as bad input.
    fn unless_found(tr: Tr, field: &'static str, key: &'static str) -> impl FnOnce(StoreError) -> Fail {
        move |e| match e {
            StoreError::NotFound => Fail::bad(tr, field, key),
            other => Fail::internal(tr, other),
        }
    }
}

fn finish(format: Format, outcome: Outcome) -> Response {
    outcome.unwrap_or_else(|Fail(status, description)| error(format, status, &description))
}

fn language(ctx: &Ctx, headers: &HeaderMap, params: &Params) -> Tr {
    let from_header = crate::i18n::accept_language(headers);
    let lang = params.get("locale").and_then(Lang::parse).or(from_header).unwrap_or(ctx.lang);
    Tr::new(lang)
}

/// Coordinates to six decimals (about 0.1 m), as people write them.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// China time, as every date this API writes.
fn iso(ms: i64) -> String {
    linli_domain::worktime::china_offset()
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default()
}

fn parse_date(tr: Tr, params: &Params, field: &'static str) -> Result<Option<i64>, Fail> {
    params
        .get(field)
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_millis())
                .map_err(|_| Fail::bad(tr, field, "error.open311.date"))
        })
        .transpose()
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    format!("{proto}://{host}/open311/v2/")
}

async fn jurisdiction(state: &AppState, tr: Tr, params: &Params) -> Result<Option<Community>, Fail> {
    match params.get("jurisdiction_id") {
        None => Ok(None),
        Some(code) => match state.store.community_by_code(code).await {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::NotFound) => Err(Fail::not_found(tr, "error.open311.jurisdiction")),
            Err(e) => Err(Fail::internal(tr, e)),
        },
    }
}

async fn services_of(state: &AppState, tr: Tr) -> Result<Vec<Category>, Fail> {
    state.store.case_categories().await.map_err(|e| Fail::internal(tr, e))
}

fn name(tr: Tr, zh: &str, en: &str) -> String {
    tr.pick(zh, en).to_owned()
}

// ---------------------------------------------------------------------------------------
// Routes

/// `GET /open311/v2/{resource}`: discovery, services, requests, servicerequestupdates.
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(resource): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params::from_pairs(query);
    let tr = language(&ctx, &headers, &params);
    let Some((stem, format)) = Format::split(&resource) else {
        return error(Format::Json, StatusCode::NOT_FOUND, tr.get("error.open311.resource"));
    };
    let outcome = match stem {
        "discovery" => Ok(discovery(format, &headers)),
        "services" => list_services(&state, tr, format, &params).await,
        "requests" => list_requests(&state, tr, format, &params).await,
        "servicerequestupdates" => list_updates(&state, tr, format, &params).await,
        _ => Err(Fail::not_found(tr, "error.open311.resource")),
    };
    finish(format, outcome)
}

/// `GET /open311/v2/{kind}/{item}`: one service definition, request or token.
pub async fn get_one(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path((kind, item)): Path<(String, String)>,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let params = Params::from_pairs(query);
    let tr = language(&ctx, &headers, &params);
    let Some((id, format)) = Format::split(&item) else {
        return error(Format::Json, StatusCode::NOT_FOUND, tr.get("error.open311.resource"));
    };
    let outcome = match kind.as_str() {
        "services" => service_definition(&state, tr, format, &params, id).await,
        "requests" => one_request(&state, tr, format, &params, id).await,
        "tokens" => token(&state, tr, format, id).await,
        _ => Err(Fail::not_found(tr, "error.open311.resource")),
    };
    finish(format, outcome)
}

/// `POST /open311/v2/{resource}`: a new request, or an update to one.
pub async fn post(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(resource): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
    req: Request,
) -> Response {
    let headers = req.headers().clone();
    let mut params = Params::from_pairs(query);
    let tr0 = language(&ctx, &headers, &params);
    let Some((stem, format)) = Format::split(&resource) else {
        return error(Format::Json, StatusCode::NOT_FOUND, tr0.get("error.open311.resource"));
    };
    let media = match read_body(&state, tr0, req, &mut params).await {
        Ok(media) => media,
        Err(fail) => return finish(format, Err(fail)),
    };
    let tr = language(&ctx, &headers, &params);
    let outcome = match stem {
        "requests" => post_request(&state, tr, format, &headers, &params, media).await,
        "servicerequestupdates" => post_update(&state, tr, format, &params).await,
        _ => Err(Fail::not_found(tr, "error.open311.resource")),
    };
    finish(format, outcome)
}

/// Reads an urlencoded or multipart body into `params`; returns the files of a
/// multipart `media` field (a photo of the request).
async fn read_body(state: &AppState, tr: Tr, req: Request, params: &mut Params) -> Result<Vec<Vec<u8>>, Fail> {
    let mut media = Vec::new();
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if content_type.starts_with("multipart/form-data") {
        let mut multipart =
            Multipart::from_request(req, state).await.map_err(|_| Fail::bad(tr, "body", "error.open311.body"))?;
        while let Some(field) = multipart.next_field().await.map_err(|_| Fail::bad(tr, "body", "error.open311.body"))? {
            let Some(name) = field.name().map(str::to_owned) else { continue };
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(|_| Fail::bad(tr, "media", "error.photo.size"))?;
                if name == "media" && !bytes.is_empty() {
                    media.push(bytes.to_vec());
                }
                continue;
            }
            let text = field.text().await.map_err(|_| Fail::bad(tr, "body", "error.open311.body"))?;
            params.add(name, text);
        }
    } else {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| Fail::bad(tr, "body", "error.open311.body"))?;
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&bytes).map_err(|_| Fail::bad(tr, "body", "error.open311.body"))?;
        for (k, v) in pairs {
            params.add(k, v);
        }
    }
    Ok(media)
}

fn discovery(format: Format, headers: &HeaderMap) -> Response {
    let body = json!({
        "changeset": "2026-11-27T00:00:00+08:00",
        "contact": "社区居委会 / the residents' committee of your community",
        "key_service": "Ask the platform's operator for a key (linli open311-key create)",
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": base_url(headers),
            "changeset": "2026-11-27T00:00:00+08:00",
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    });
    respond(format, StatusCode::OK, "discovery", &body)
}

async fn list_services(state: &AppState, tr: Tr, format: Format, params: &Params) -> Outcome {
    jurisdiction(state, tr, params).await?;
    let all = services_of(state, tr).await?;
    let groups: HashMap<&str, &Category> = all.iter().map(|c| (c.code.as_str(), c)).collect();
    let services: Vec<Value> = all
        .iter()
        .filter(|c| !all.iter().any(|d| d.parent_code.as_deref() == Some(c.code.as_str())))
        .map(|c| {
            let group = c.parent_code.as_deref().and_then(|p| groups.get(p)).copied().unwrap_or(c);
            json!({
                "service_code": c.code,
                "service_name": name(tr, &c.name_zh, &c.name_en),
                "description": crate::cases::limit_text(tr, c),
                "metadata": true,
                "type": "realtime",
                "keywords": "",
                "group": name(tr, &group.name_zh, &group.name_en),
            })
        })
        .collect();
    Ok(respond(format, StatusCode::OK, "services", &Value::Array(services)))
}

/// The attributes a service asks for: every service takes a room and an anonymity
/// wish; a dispute needs its risk level.
fn attributes(tr: Tr, c: &Category) -> Vec<Value> {
    let mut out = vec![
        json!({ "variable": true, "code": "room", "datatype": "string", "required": false,
                "datatype_description": tr.get("open311.room_hint"), "order": 1,
                "description": tr.get("field.room") }),
        json!({ "variable": true, "code": "anonymous", "datatype": "singlevaluelist", "required": false,
                "datatype_description": "", "order": 2, "description": tr.get("cases.anonymous"),
                "values": [{ "key": "no", "name": tr.get("open311.no") }, { "key": "yes", "name": tr.get("open311.yes") }] }),
    ];
    if c.kind == "dispute" {
        let values: Vec<Value> = ["normal", "high", "violence"]
            .iter()
            .map(|k| json!({ "key": k, "name": tr.label("dispute.risk", k) }))
            .collect();
        out.push(json!({ "variable": true, "code": "risk", "datatype": "singlevaluelist", "required": true,
            "datatype_description": "", "order": 3, "description": tr.get("field.risk"),
            "values": values }));
    }
    out
}

async fn service_definition(state: &AppState, tr: Tr, format: Format, params: &Params, code: &str) -> Outcome {
    jurisdiction(state, tr, params).await?;
    let all = services_of(state, tr).await?;
    let c = all.iter().find(|c| c.code == code).ok_or_else(|| Fail::not_found(tr, "error.open311.service"))?;
    let body = json!({ "service_code": c.code, "attributes": attributes(tr, c) });
    Ok(respond(format, StatusCode::OK, "service_definition", &body))
}

fn request_json(tr: Tr, r: &PublicRequest) -> Value {
    let agency = match &r.organisation {
        Some(o) => o.clone(),
        None => r.community_name.clone(),
    };
    json!({
        "service_request_id": r.id.to_string(),
        "status": if r.is_closed() { "closed" } else { "open" },
        "status_notes": said(tr, r.status_notes.as_deref().unwrap_or_default(), r.status_remark.as_deref()),
        "service_name": name(tr, &r.service_zh, &r.service_en),
        "service_code": r.service_code,
        "description": r.description,
        "agency_responsible": agency,
        "service_notice": "",
        "requested_datetime": iso(r.reported_at),
        "updated_datetime": iso(r.updated_at),
        "expected_datetime": r.deadline.map(iso),
        "address": r.address,
        "address_id": r.building_id.map(|b| b.to_string()),
        "zipcode": Value::Null,
        "lat": r.lat.map(round6),
        "long": r.lon.map(round6),
        "media_url": r.media_url,
    })
}

async fn list_requests(state: &AppState, tr: Tr, format: Format, params: &Params) -> Outcome {
    let community = jurisdiction(state, tr, params).await?;
    let mut filter = RequestFilter { community_id: community.map(|c| c.id), limit: 1000, ..Default::default() };
    if let Some(ids) = params.get("service_request_id") {
        filter.ids = ids.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if filter.ids.is_empty() {
            return Ok(respond(format, StatusCode::OK, "service_requests", &json!([])));
        }
    } else {
        filter.service_code = params.get("service_code").map(str::to_owned);
        let start = parse_date(tr, params, "start_date")?;
        let end = parse_date(tr, params, "end_date")?;
        let now = linli_store::now_ms();
        filter.end = end;
        filter.start = match (start, end) {
            (Some(s), _) => Some(s),
            (None, Some(e)) => Some(e - DEFAULT_WINDOW_MS),
            (None, None) => Some(now - DEFAULT_WINDOW_MS),
        };
        if let (Some(s), Some(e)) = (filter.start, filter.end)
            && s > e
        {
            return Err(Fail::bad(tr, "end_date", "error.open311.window"));
        }
        if let Some(status) = params.get("status") {
            let mut open = false;
            let mut closed = false;
            for s in status.split(',').map(str::trim) {
                match s {
                    "open" => open = true,
                    "closed" => closed = true,
                    _ => return Err(Fail::bad(tr, "status", "error.open311.status")),
                }
            }
            filter.closed = if open == closed { None } else { Some(closed) };
        }
    }
    let rows = state.store.public_requests(&filter).await.map_err(|e| Fail::internal(tr, e))?;
    let body: Vec<Value> = rows.iter().map(|r| request_json(tr, r)).collect();
    Ok(respond(format, StatusCode::OK, "service_requests", &Value::Array(body)))
}

async fn one_request(state: &AppState, tr: Tr, format: Format, params: &Params, id: &str) -> Outcome {
    let community = jurisdiction(state, tr, params).await?;
    let id: i64 = id.parse().map_err(|_| Fail::not_found(tr, "error.open311.request"))?;
    let filter = RequestFilter { ids: vec![id], limit: 1, ..Default::default() };
    let rows = state.store.public_requests(&filter).await.map_err(|e| Fail::internal(tr, e))?;
    let row = rows
        .first()
        .filter(|r| community.as_ref().is_none_or(|c| c.code == r.community_code))
        .ok_or_else(|| Fail::not_found(tr, "error.open311.request"))?;
    Ok(respond(format, StatusCode::OK, "service_requests", &json!([request_json(tr, row)])))
}

async fn token(state: &AppState, tr: Tr, format: Format, token: &str) -> Outcome {
    let id = state
        .store
        .case_by_public_token(token)
        .await
        .map_err(|e| Fail::internal(tr, e))?
        .ok_or_else(|| Fail::not_found(tr, "error.open311.token"))?;
    let body = json!([{ "service_request_id": id.to_string(), "token": token }]);
    Ok(respond(format, StatusCode::OK, "service_requests", &body))
}

async fn api_key(state: &AppState, tr: Tr, params: &Params) -> Result<i64, Fail> {
    let forbidden = || Fail(StatusCode::FORBIDDEN, tr.get("error.open311.api_key").to_owned());
    let key = params.get("api_key").ok_or_else(forbidden)?;
    state.store.open311_key(key).await.map_err(|e| Fail::internal(tr, e))?.ok_or_else(forbidden)
}

/// Where a request is: its community and grid, its building and room, its point.
struct Place {
    community_id: i64,
    grid_id: Option<i64>,
    building_id: Option<i64>,
    household_id: Option<i64>,
    lon: Option<f64>,
    lat: Option<f64>,
    address: String,
}

async fn place(state: &AppState, tr: Tr, params: &Params, community: Option<&Community>) -> Result<Place, Fail> {
    let bad = |field: &str, key: &str| Fail::bad(tr, field, key);
    let within = |id: i64| community.is_none_or(|c| c.id == id);
    if let Some(address_id) = params.get("address_id") {
        let (building_id, household) = match address_id.strip_prefix('h') {
            Some(h) => {
                let household_id: i64 = h.parse().map_err(|_| bad("address_id", "error.open311.address_id"))?;
                let h = state.store.household(household_id).await.map_err(Fail::unless_found(
                    tr,
                    "address_id",
                    "error.open311.address_id",
                ))?;
                (h.building_id, Some(h))
            }
            None => (address_id.parse().map_err(|_| bad("address_id", "error.open311.address_id"))?, None),
        };
        let b = state.store.building(building_id).await.map_err(Fail::unless_found(
            tr,
            "address_id",
            "error.open311.address_id",
        ))?;
        if !within(b.community_id) {
            return Err(bad("address_id", "error.open311.outside"));
        }
        let address = match &household {
            Some(h) => format!("{} {}-{}", b.name, h.unit, h.room),
            None => b.name.clone(),
        };
        return Ok(Place {
            community_id: b.community_id,
            grid_id: Some(b.grid_id),
            building_id: Some(b.id),
            household_id: household.map(|h| h.id),
            lon: Some(b.lon),
            lat: Some(b.lat),
            address,
        });
    }
    let address = params.get("address_string").unwrap_or_default().chars().take(200).collect::<String>();
    match (params.get("lat"), params.get("long")) {
        (Some(lat), Some(lon)) => {
            let lat: f64 = lat
                .parse()
                .ok()
                .filter(|v: &f64| (-90.0..=90.0).contains(v))
                .ok_or_else(|| bad("lat", "error.open311.lat"))?;
            let lon: f64 = lon
                .parse()
                .ok()
                .filter(|v: &f64| (-180.0..=180.0).contains(v))
                .ok_or_else(|| bad("long", "error.open311.long"))?;
            let (grid_id, community_id) = crate::cases::grid_at(state, community.map(|c| c.id), lon, lat)
                .await
                .map_err(|e| Fail::internal(tr, format!("{e:?}")))?
                .ok_or_else(|| bad("lat", "error.open311.outside"))?;
            Ok(Place {
                community_id,
                grid_id: Some(grid_id),
                building_id: None,
                household_id: None,
                lon: Some(lon),
                lat: Some(lat),
                address,
            })
        }
        (Some(_), None) => Err(bad("long", "error.required")),
        (None, Some(_)) => Err(bad("lat", "error.required")),
        (None, None) if !address.is_empty() => {
            // A street address alone places the request in a community, not a grid: its
            // staff route it.
            let community = match community {
                Some(c) => c.clone(),
                None => {
                    let all = state.store.communities(None).await.map_err(|e| Fail::internal(tr, e))?;
                    match all.as_slice() {
                        [only] => only.clone(),
                        _ => return Err(bad("jurisdiction_id", "error.open311.jurisdiction_needed")),
                    }
                }
            };
            Ok(Place {
                community_id: community.id,
                grid_id: None,
                building_id: None,
                household_id: None,
                lon: None,
                lat: None,
                address,
            })
        }
        (None, None) => Err(bad("lat", "error.open311.location")),
    }
}

async fn post_request(
    state: &AppState,
    tr: Tr,
    format: Format,
    headers: &HeaderMap,
    params: &Params,
    media: Vec<Vec<u8>>,
) -> Outcome {
    let key_id = api_key(state, tr, params).await?;
    let community = jurisdiction(state, tr, params).await?;
    let code = params.get("service_code").ok_or_else(|| Fail::bad(tr, "service_code", "error.required"))?;
    let all = services_of(state, tr).await?;
    let category = all.iter().find(|c| c.code == code).ok_or_else(|| Fail::not_found(tr, "error.open311.service"))?;
    for attribute in attributes(tr, category) {
        let code = attribute["code"].as_str().unwrap_or_default();
        let given = params.get(&format!("attribute[{code}]"));
        if attribute["required"] == json!(true) && given.is_none() {
            return Err(Fail(StatusCode::BAD_REQUEST, tr.fill("error.open311.attribute", &[("code", &code)])));
        }
        if let (Some(v), Some(values)) = (given, attribute["values"].as_array())
            && !values.iter().any(|x| x["key"] == json!(v))
        {
            return Err(Fail(StatusCode::BAD_REQUEST, tr.fill("error.open311.attribute_value", &[("code", &code)])));
        }
    }
    // One rule for a report's words, whichever way it comes ([`case::DESCRIPTION`]);
    // Open311 may leave them out, and the service's name stands in.
    let description = match params.get("description").unwrap_or_default() {
        d if d.trim().is_empty() => None,
        d => Some(case::DESCRIPTION.parse("description", d).map_err(|e| Fail::bad(tr, e.field, e.key))?),
    };
    let media_url = params.get("media_url").unwrap_or_default();
    if !(media_url.is_empty() || media_url.starts_with("https://") || media_url.starts_with("http://")) {
        return Err(Fail::bad(tr, "media_url", "error.open311.media_url"));
    }
    let mut place = place(state, tr, params, community.as_ref()).await?;
    if let Some(room) = params.get("attribute[room]") {
        place.address = format!("{} {}", place.address, room.chars().take(20).collect::<String>()).trim().to_owned();
    }
    let reporter_name = [params.get("last_name"), params.get("first_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("")
        .chars()
        .take(32)
        .collect::<String>();
    for (field, max) in [("email", 254), ("phone", 20), ("first_name", 32), ("last_name", 32), ("device_id", 80)] {
        if params.get(field).is_some_and(|v| v.chars().count() > max) {
            return Err(Fail::bad(tr, field, "error.too_long"));
        }
    }
    let contact = [params.get("email"), params.get("phone")].into_iter().flatten().collect::<Vec<_>>().join(" ");
    let key_id_text = key_id.to_string();
    let idempotency_key = match headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::trim) {
        Some(k) if !k.is_empty() && k.len() <= 80 => Some(retry_key(&[&key_id_text, "header", k])),
        Some(_) => return Err(Fail::bad(tr, "Idempotency-Key", "error.idempotency_key")),
        // The same device sending the same report again is a retry.
        None => params.get("device_id").map(|device| {
            let mut parts = vec![key_id_text.as_str(), "device", device];
            for k in ["service_code", "description", "lat", "long", "address_string", "address_id", "attribute[room]"] {
                parts.push(params.get(k).unwrap_or_default());
            }
            retry_key(&parts)
        }),
    };
    let description = description.unwrap_or_else(|| name(tr, &category.name_zh, &category.name_en));
    let dispute = if category.kind == "dispute" {
        let risk = params.get("attribute[risk]").unwrap_or_default();
        let applicant = if params.get("attribute[anonymous]") == Some("yes") { "" } else { reporter_name.as_str() };
        Some(crate::cases::read_dispute(risk, applicant, "", "").map_err(|_| Fail::bad(tr, "risk", "error.choice"))?)
    } else {
        None
    };
    let photos = crate::photo::process_all("media", media).await.map_err(|e| Fail::bad(tr, e.field, e.key))?;
    let new = NewCase {
        community_id: place.community_id,
        grid_id: place.grid_id,
        category_id: category.id,
        source: linli_domain::case::Source::Api,
        description,
        building_id: place.building_id,
        household_id: place.household_id,
        lon: place.lon,
        lat: place.lat,
        address: place.address,
        reporter_account_id: None,
        reporter_name,
        anonymous: params.get("attribute[anonymous]") == Some("yes"),
        idempotency_key,
        self_resolved: false,
        open311_key_id: Some(key_id),
        contact,
        media_url: media_url.to_owned(),
        dispute,
        photos,
    };
    let intake = state.store.report_case(&new).await.map_err(|e| match e {
        StoreError::Invalid(f) => Fail::bad(tr, f.field, f.key),
        e => Fail::internal(tr, e),
    })?;
    let token = state.store.case_public_token(intake.case_id).await.map_err(|e| Fail::internal(tr, e))?;
    let notice = tr.fill("open311.notice", &[("limit", &crate::cases::limit_text(tr, category))]);
    let body = json!([{
        "service_request_id": intake.case_id.to_string(),
        "token": token,
        "service_notice": notice,
        "account_id": Value::Null,
    }]);
    let status = if intake.created { StatusCode::CREATED } else { StatusCode::OK };
    let mut response = respond(format, status, "service_requests", &body);
    if !intake.created {
        response.headers_mut().insert("idempotent-replayed", axum::http::HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// The idempotency key of a posted request: a digest of what makes two posts the same.
fn retry_key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part.as_bytes());
        h.update([0]);
    }
    format!("open311-{}", &hex::encode(h.finalize())[..40])
}

/// A public note in the caller's language: what the system said ([`Remark`]) in words, or
/// the person's note as written.
fn said(tr: Tr, note: &str, remark: Option<&str>) -> String {
    match linli_domain::case::Remark::from_json(remark) {
        Some(r) => crate::cases::remark_text(tr, "", &r),
        None => note.to_owned(),
    }
}

fn update_json(tr: Tr, u: &PublicUpdate) -> Value {
    let step = tr.get(&format!("case.step.{}", u.kind)).to_owned();
    let note = said(tr, &u.note, u.remark.as_deref());
    let description = if note.is_empty() { step } else { format!("{step}: {note}") };
    json!({
        "update_id": u.id.to_string(),
        "service_request_id": u.case_id.to_string(),
        "status": if matches!(u.to_state.as_str(), "closed" | "refused") { "closed" } else { "open" },
        "updated_datetime": iso(u.at),
        "description": description,
        "media_url": "",
        "external_status_code": u.to_state,
    })
}

async fn list_updates(state: &AppState, tr: Tr, format: Format, params: &Params) -> Outcome {
    let now = linli_store::now_ms();
    let end = parse_date(tr, params, "end_date")?.unwrap_or(now + 1);
    let start = parse_date(tr, params, "start_date")?.unwrap_or(end - DEFAULT_WINDOW_MS);
    if start > end {
        return Err(Fail::bad(tr, "end_date", "error.open311.window"));
    }
    let case_id = match params.get("service_request_id") {
        None => None,
        Some(id) => Some(id.parse::<i64>().map_err(|_| Fail::not_found(tr, "error.open311.request"))?),
    };
    let updates = state.store.public_updates(start, end, case_id).await.map_err(|e| Fail::internal(tr, e))?;
    let body: Vec<Value> = updates.iter().map(|u| update_json(tr, u)).collect();
    Ok(respond(format, StatusCode::OK, "service_request_updates", &Value::Array(body)))
}

/// A client application adds a comment to a public request. Status changes belong to
/// the loop and its people, so a status other than the current one is refused.
async fn post_update(state: &AppState, tr: Tr, format: Format, params: &Params) -> Outcome {
    api_key(state, tr, params).await?;
    let id: i64 = params
        .get("service_request_id")
        .ok_or_else(|| Fail::bad(tr, "service_request_id", "error.required"))?
        .parse()
        .map_err(|_| Fail::not_found(tr, "error.open311.request"))?;
    let filter = RequestFilter { ids: vec![id], limit: 1, ..Default::default() };
    let rows = state.store.public_requests(&filter).await.map_err(|e| Fail::internal(tr, e))?;
    let request = rows.first().ok_or_else(|| Fail::not_found(tr, "error.open311.request"))?;
    if let Some(status) = params.get("status") {
        let current = if request.is_closed() { "closed" } else { "open" };
        if status != current {
            return Err(Fail::bad(tr, "status", "error.open311.status_change"));
        }
    }
    let description = params.get("description").ok_or_else(|| Fail::bad(tr, "description", "error.required"))?;
    if description.chars().count() > 1000 {
        return Err(Fail::bad(tr, "description", "error.case.note"));
    }
    let update = state.store.comment_on_case(request.id, description).await.map_err(|e| Fail::internal(tr, e))?;
    Ok(respond(format, StatusCode::OK, "service_request_updates", &json!([update_json(tr, &update)])))
}
