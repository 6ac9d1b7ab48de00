//! What Open311 GeoReport v2 needs from the database: the keys client applications post
//! with, grid boundaries across the city (a point finds its community and grid), and the
//! public view of requests and their updates. Requests of private categories (disputes,
//! care) are never listed, and no reporter data leaves through this view. Free text goes
//! out only once public: a description after registration, a step's note when its author
//! made it public (`case_events.public`; a client's comment always is), and then with phone numbers, ID numbers
//! and registry names masked (`linli_domain::privacy`).

use crate::crypto::{random_token, token_hash};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::privacy::{Names, mask_public_text};
use std::sync::Arc;

/// Prefix that marks an Open311 key, so a leaked one is easy to grep for.
pub const KEY_PREFIX: &str = "o311_";

/// A client application's key (the secret itself is not kept).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Open311Key {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A grid and its stored boundary (GeoJSON text).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GridBoundary {
    pub grid_id: i64,
    pub community_id: i64,
    pub code: String,
    pub name: String,
    pub boundary: String,
}

/// A request as the public sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicRequest {
    pub id: i64,
    pub community_id: i64,
    pub community_code: String,
    pub community_name: String,
    pub service_code: String,
    pub service_zh: String,
    pub service_en: String,
    pub description: String,
    pub state: String,
    /// The latest note of the loop (a refusal's reason, the handler's feedback, …).
    pub status_notes: Option<String>,
    /// What the system said on that step, as `linli_domain::case::Remark` JSON.
    pub status_remark: Option<String>,
    /// The organisation that must act, if a party holds it.
    pub organisation: Option<String>,
    pub reported_at: i64,
    pub updated_at: i64,
    pub deadline: Option<i64>,
    /// The building's name, or the address the client sent; never a room.
    pub address: String,
    pub building_id: Option<i64>,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    pub media_url: String,
}

impl PublicRequest {
    /// Open311 knows two statuses.
    pub fn is_closed(&self) -> bool {
        matches!(self.state.as_str(), "closed" | "refused")
    }
}

/// Which public requests.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// These ids only; the other filters are ignored.
    pub ids: Vec<i64>,
    pub community_id: Option<i64>,
    pub service_code: Option<String>,
    /// Milliseconds since the epoch.
    pub start: Option<i64>,
    pub end: Option<i64>,
    /// `Some(true)`: closed only; `Some(false)`: open only.
    pub closed: Option<bool>,
    pub limit: i64,
}

/// One step of a public request's timeline (`servicerequestupdates`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicUpdate {
    pub id: i64,
    pub case_id: i64,
    pub community_id: i64,
    pub at: i64,
    pub kind: String,
    pub to_state: String,
    pub note: String,
    /// What the system said on the step, as `linli_domain::case::Remark` JSON.
    pub remark: Option<String>,
}

/// The longest window GET requests covers when no dates are given (90 days).
pub const DEFAULT_WINDOW_MS: i64 = 90 * 24 * 3600 * 1000;

const PUBLIC_SELECT: &str = "SELECT c.id, c.community_id, m.code AS community_code, m.name AS community_name, \
     k.code AS service_code, k.name_zh AS service_zh, k.name_en AS service_en, \
     CASE WHEN c.registered_at IS NOT NULL THEN c.description ELSE '' END AS description, c.state, \
     (SELECT e.note FROM case_events e WHERE e.case_id = c.id AND (e.note <> '' OR e.remark IS NOT NULL) \
      AND e.public AND e.kind <> 'rate' ORDER BY e.id DESC LIMIT 1) AS status_notes, \
     (SELECT e.remark FROM case_events e WHERE e.case_id = c.id AND (e.note <> '' OR e.remark IS NOT NULL) \
      AND e.public AND e.kind <> 'rate' ORDER BY e.id DESC LIMIT 1) AS status_remark, \
     o.name AS organisation, c.reported_at, \
     COALESCE((SELECT MAX(e.at) FROM case_events e WHERE e.case_id = c.id), c.reported_at) AS updated_at, \
     c.deadline, CASE WHEN c.building_id IS NOT NULL OR c.registered_at IS NOT NULL \
     THEN COALESCE(b.name, c.address) ELSE '' END AS address, c.building_id, COALESCE(c.lon, b.lon) AS lon, \
     COALESCE(c.lat, b.lat) AS lat, c.media_url \
     FROM cases c JOIN case_categories k ON k.id = c.category_id JOIN communities m ON m.id = c.community_id \
     LEFT JOIN buildings b ON b.id = c.building_id LEFT JOIN organisations o ON o.id = c.assignee_organisation_id \
     WHERE k.public";

impl Store {
    /// Makes a key for a client application; returns the key (shown once) and its record.
    pub async fn create_open311_key(&self, name: &str) -> StoreResult<(String, Open311Key)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(StoreError::Invalid(linli_domain::FieldError::new("name", "error.required")));
        }
        let key = format!("{KEY_PREFIX}{}", random_token());
        let now = now_ms();
        let id: i64 = transaction!(self, |tx| {
            crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO open311_keys (name, key_hash, created_at) VALUES ($1, $2, $3) RETURNING id"
            )
            .bind(name)
            .bind(token_hash(&key))
            .bind(now)
            .fetch_one(c)
            .await)?
        })?;
        Ok((key, Open311Key { id, name: name.to_owned(), created_at: now, revoked_at: None }))
    }

    /// The id of the active key with this secret, if any.
    pub async fn open311_key(&self, key: &str) -> StoreResult<Option<i64>> {
        if !key.starts_with(KEY_PREFIX) {
            return Ok(None);
        }
        Ok(read!(self, |db| sqlx::query_scalar(
            "SELECT id FROM open311_keys WHERE key_hash = $1 AND revoked_at IS NULL"
        )
        .bind(token_hash(key))
        .fetch_optional(db)
        .await?))
    }

    pub async fn open311_keys(&self) -> StoreResult<Vec<Open311Key>> {
        Ok(read!(self, |db| sqlx::query_as("SELECT id, name, created_at, revoked_at FROM open311_keys ORDER BY id")
            .fetch_all(db)
            .await?))
    }

    pub async fn revoke_open311_key(&self, id: i64) -> StoreResult<()> {
        let now = now_ms();
        let n = transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("UPDATE open311_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(id)
            )?
        })?;
        if n == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Grids with a boundary, in one community or in all of them, in code order (the first
    /// code wins a shared edge, see [`linli_domain::geometry::locate`]).
    pub async fn grid_boundaries(&self, community_id: Option<i64>) -> StoreResult<Vec<GridBoundary>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT id AS grid_id, community_id, code, name, boundary FROM grids \
             WHERE boundary IS NOT NULL AND ($1 IS NULL OR community_id = $1) ORDER BY code"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?))
    }

    /// Public requests, newest first.
    pub async fn public_requests(&self, f: &RequestFilter) -> StoreResult<Vec<PublicRequest>> {
        let mut sql = String::from(PUBLIC_SELECT);
        let mut ints: Vec<i64> = Vec::new();
        let mut text: Option<&str> = None;
        let mark = |ints: &mut Vec<i64>, v: i64| {
            ints.push(v);
            format!("${}", ints.len())
        };
        if !f.ids.is_empty() {
            let marks: Vec<String> = f.ids.iter().map(|id| mark(&mut ints, *id)).collect();
            sql.push_str(&format!(" AND c.id IN ({})", marks.join(", ")));
        } else {
            if let Some(community) = f.community_id {
                sql.push_str(&format!(" AND c.community_id = {}", mark(&mut ints, community)));
            }
            if let Some(start) = f.start {
                sql.push_str(&format!(" AND c.reported_at >= {}", mark(&mut ints, start)));
            }
            if let Some(end) = f.end {
                sql.push_str(&format!(" AND c.reported_at < {}", mark(&mut ints, end)));
            }
            match f.closed {
                Some(true) => sql.push_str(" AND c.state IN ('closed', 'refused')"),
                Some(false) => sql.push_str(" AND c.state NOT IN ('closed', 'refused')"),
                None => {}
            }
            if let Some(code) = &f.service_code {
                text = Some(code);
                sql.push_str(&format!(" AND k.code = ${}", ints.len() + 1));
            }
        }
        let limit_mark = ints.len() + usize::from(text.is_some()) + 1;
        sql.push_str(&format!(" ORDER BY c.reported_at DESC, c.id DESC LIMIT ${limit_mark}"));
        let mut rows = read!(self, |db| {
            let mut q = sqlx::query_as(&sql);
            for v in &ints {
                q = q.bind(*v);
            }
            if let Some(t) = text {
                q = q.bind(t);
            }
            Ok::<Vec<PublicRequest>, StoreError>(q.bind(f.limit.clamp(1, 1000)).fetch_all(db).await?)
        })?;
        let mut names = NamesByCommunity::default();
        for r in &mut rows {
            let n = names.of(self, r.community_id).await?;
            r.description = mask_public_text(&r.description, &n);
            // A building's name, or what the client typed (which may name a person).
            r.address = mask_public_text(&r.address, &n);
            r.status_notes = r.status_notes.as_deref().map(|t| mask_public_text(t, &n));
        }
        Ok(rows)
    }

    /// The names of a community's registry, to mask in its public text and in what someone
    /// outside a case's circle reads ([`mask_public_text`]).
    pub async fn public_names(&self, community_id: i64) -> StoreResult<Arc<Names>> {
        let day = chrono::NaiveDate::default();
        let names = self
            .cached(&self.caches().names, community_id, day, || async {
                let list: Vec<String> =
                    read!(self, |db| sqlx::query_scalar("SELECT DISTINCT name FROM residents WHERE community_id = $1")
                        .bind(community_id)
                        .fetch_all(db)
                        .await?);
                Ok(Arc::new(Names::new(list)))
            })
            .await?;
        Ok(names.unwrap_or_else(|| Arc::new(Names::none())))
    }

    /// The case a public token stands for (Open311 `tokens/{token}`).
    pub async fn case_by_public_token(&self, token: &str) -> StoreResult<Option<i64>> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT id FROM cases WHERE public_token = $1")
            .bind(token)
            .fetch_optional(db)
            .await?))
    }

    /// Steps of public requests in a window (by the step's time), oldest first.
    pub async fn public_updates(&self, start: i64, end: i64, case_id: Option<i64>) -> StoreResult<Vec<PublicUpdate>> {
        let mut rows: Vec<PublicUpdate> = read!(self, |db| {
            sqlx::query_as(
            "SELECT e.id, e.case_id, c.community_id, e.at, e.kind, e.to_state, \
             CASE WHEN e.public AND e.kind <> 'rate' THEN e.note ELSE '' END AS note, \
             CASE WHEN e.public AND e.kind <> 'rate' THEN e.remark END AS remark \
             FROM case_events e JOIN cases c ON c.id = e.case_id JOIN case_categories k ON k.id = c.category_id \
             WHERE k.public AND e.at >= $1 AND e.at < $2 AND ($3 IS NULL OR e.case_id = $3) ORDER BY e.at, e.id LIMIT 1000"
        )
        .bind(start)
        .bind(end)
        .bind(case_id)
        .fetch_all(db)
        .await?
        });
        let mut names = NamesByCommunity::default();
        for u in &mut rows {
            let n = names.of(self, u.community_id).await?;
            u.note = mask_public_text(&u.note, &n);
        }
        Ok(rows)
    }

    /// Adds a comment from a client application to a case's timeline, without changing
    /// its state; returns the new update.
    pub async fn comment_on_case(&self, case_id: i64, note: &str) -> StoreResult<PublicUpdate> {
        let now = now_ms();
        let u = transaction!(self, |tx| {
            let id =
                crate::disputes::note(tx, case_id, now, None, "comment", crate::disputes::Said::Text(note)).await?;
            let (state, community_id): (String, i64) =
                crate::on!(tx, |c| sqlx::query_as("SELECT state, community_id FROM cases WHERE id = $1")
                    .bind(case_id)
                    .fetch_one(c)
                    .await)?;
            PublicUpdate {
                id,
                case_id,
                community_id,
                at: now,
                kind: "comment".into(),
                to_state: state,
                note: note.to_owned(),
                remark: None,
            }
        })?;
        let names = self.public_names(u.community_id).await?;
        Ok(PublicUpdate { note: mask_public_text(&u.note, &names), ..u })
    }
}

/// The names of each community met in one answer, read once.
#[derive(Default)]
struct NamesByCommunity(std::collections::HashMap<i64, Arc<Names>>);

impl NamesByCommunity {
    async fn of(&mut self, store: &Store, community_id: i64) -> StoreResult<Arc<Names>> {
        if let Some(n) = self.0.get(&community_id) {
            return Ok(n.clone());
        }
        let n = store.public_names(community_id).await?;
        self.0.insert(community_id, n.clone());
        Ok(n)
    }
}
