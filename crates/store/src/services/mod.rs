//! Services of social organisations: the directory (services and their slots), bookings
//! with a waiting list (`bookings`), and referrals from cases, disputes and care visits
//! (`referrals`). Every change to a slot's bookings first takes the slot's row
//! ([`lock_slot`]), so places are counted and the line numbered one change at a time: a
//! rush never overbooks and never loses a place in line, on either backend.

pub(crate) mod bookings;
mod referrals;

pub use bookings::{Booking, Placed};
pub use referrals::{NewReferral, Referral};

use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::FieldError;
use linli_domain::service::{Eligibility, Kind};

/// A checked service to publish.
#[derive(Debug, Clone)]
pub struct NewService {
    pub community_id: i64,
    pub organisation_id: i64,
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub place: String,
    pub eligibility: Eligibility,
    pub by: i64,
}

/// A service as the directory shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Service {
    pub id: i64,
    pub community_id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub title: String,
    pub description: String,
    pub place: String,
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub care_tags: String,
    pub active: bool,
    /// Slots from now on, and places left in them.
    pub upcoming: i64,
    pub places_left: i64,
}

impl Service {
    pub fn eligibility(&self) -> Eligibility {
        Eligibility { min_age: self.min_age, max_age: self.max_age, tags: Eligibility::parse_tags(&self.care_tags) }
    }
}

/// One slot of a service, with its places taken and its line.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Slot {
    pub id: i64,
    pub service_id: i64,
    /// Local time, `YYYY-MM-DD HH:MM`.
    pub starts_at: String,
    pub minutes: i64,
    pub capacity: i64,
    /// Places held (booked, served or missed).
    pub taken: i64,
    pub waiting: i64,
}

impl Slot {
    pub fn left(&self) -> i64 {
        (self.capacity - self.taken).max(0)
    }

    /// It has begun (local time now is past its start).
    pub fn started(&self) -> bool {
        self.starts_at <= now_local()
    }
}

/// Local time now in the form slots keep (`YYYY-MM-DD HH:MM`).
pub fn now_local() -> String {
    linli_domain::worktime::china_time(crate::now_ms()).format("%Y-%m-%d %H:%M").to_string()
}

/// Places a slot holds: booked, served, missed (a missed place was still given).
pub(crate) const HELD: &str = "('booked', 'served', 'no_show')";

/// A service's columns for the directory; `$now` is the parameter holding local time now.
fn service_columns(now: usize) -> String {
    format!(
        "s.id, s.community_id, s.organisation_id, o.name AS organisation, s.kind, s.title, s.description, s.place, \
         s.min_age, s.max_age, s.care_tags, s.active, \
         (SELECT COUNT(*) FROM service_slots t WHERE t.service_id = s.id AND t.starts_at > ${now}) AS upcoming, \
         (SELECT CAST(COALESCE(SUM(t.capacity), 0) AS BIGINT) FROM service_slots t WHERE t.service_id = s.id AND t.starts_at > ${now}) \
         - (SELECT COUNT(*) FROM bookings b JOIN service_slots t ON t.id = b.slot_id WHERE t.service_id = s.id \
            AND t.starts_at > ${now} AND b.status IN {HELD}) AS places_left"
    )
}

const SLOT_COLUMNS: &str = "t.id, t.service_id, t.starts_at, t.minutes, t.capacity, \
     (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = t.id AND b.status IN ('booked', 'served', 'no_show')) AS taken, \
     (SELECT COUNT(*) FROM bookings b WHERE b.slot_id = t.id AND b.status = 'waiting') AS waiting";

pub(crate) fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(FieldError::new(field, key))
}

/// What a booking change needs to know of its slot, read under the slot's row lock.
pub(crate) struct Locked {
    pub service_id: i64,
    pub community_id: i64,
    /// The service's title and the slot's start, which notices say.
    pub title: String,
    pub capacity: i64,
    pub starts_at: String,
    pub held: crate::places::Held,
}

impl Locked {
    /// What a notice about the slot says: the service and when.
    pub fn said(&self) -> String {
        format!("{} {}", self.title, self.starts_at)
    }
}

/// Takes the slot's row for this transaction (every booking change on it waits for the
/// one before, see [`crate::places`]) and counts its places, its line and whether
/// `resident_id` (0: nobody) holds one.
pub(crate) async fn lock_slot(tx: &mut crate::Tx, slot_id: i64, resident_id: i64) -> StoreResult<Locked> {
    let held = crate::places::lock(tx, crate::places::SLOTS, slot_id, resident_id).await?;
    let (service_id, starts_at, community_id, title): (i64, String, i64, String) = on!(tx, |c| sqlx::query_as(
        "SELECT t.service_id, t.starts_at, s.community_id, s.title FROM service_slots t \
         JOIN services s ON s.id = t.service_id WHERE t.id = $1"
    )
    .bind(slot_id)
    .fetch_one(c)
    .await)?;
    Ok(Locked { service_id, community_id, title, capacity: held.capacity, starts_at, held })
}

impl Store {
    /// Publishes a service of an organisation of the community.
    pub async fn create_service(&self, new: &NewService) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let theirs: i64 = on!(tx, |c| sqlx::query_scalar(
                "SELECT COUNT(*) FROM organisations WHERE id = $1 AND community_id = $2"
            )
            .bind(new.organisation_id)
            .bind(new.community_id)
            .fetch_one(c)
            .await)?;
            if theirs == 0 {
                return Err(StoreError::NotFound);
            }
            on!(tx, |c| {
                sqlx::query_scalar::<_, i64>(
                "INSERT INTO services (community_id, organisation_id, kind, title, description, place, min_age, max_age, \
                 care_tags, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id"
            )
            .bind(new.community_id)
            .bind(new.organisation_id)
            .bind(new.kind.as_str())
            .bind(&new.title)
            .bind(&new.description)
            .bind(&new.place)
            .bind(new.eligibility.min_age)
            .bind(new.eligibility.max_age)
            .bind(new.eligibility.tags_code())
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await
            })?
        })
    }

    /// Takes a service off the directory, or puts it back; its bookings stay.
    pub async fn set_service_active(&self, service_id: i64, active: bool) -> StoreResult<()> {
        transaction!(self, |tx| {
            let n =
                exec!(tx, sqlx::query("UPDATE services SET active = $1 WHERE id = $2").bind(active).bind(service_id))?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    pub async fn service(&self, id: i64) -> StoreResult<Service> {
        let sql = format!(
            "SELECT {} FROM services s JOIN organisations o ON o.id = s.organisation_id WHERE s.id = $1",
            service_columns(2)
        );
        let now = now_local();
        read!(self, |db| sqlx::query_as(&sql).bind(id).bind(&now).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's services in the directory (active ones, or all of them), one
    /// organisation's or all; by kind and title.
    pub async fn services(
        &self,
        community_id: i64,
        organisation_id: Option<i64>,
        with_inactive: bool,
    ) -> StoreResult<Vec<Service>> {
        let sql = format!(
            "SELECT {} FROM services s JOIN organisations o ON o.id = s.organisation_id \
             WHERE s.community_id = $1 AND (s.active OR $2) AND ($3 = 0 OR s.organisation_id = $3) \
             ORDER BY s.kind, s.title",
            service_columns(4)
        );
        let now = now_local();
        Ok(read!(self, |db| sqlx::query_as(&sql)
            .bind(community_id)
            .bind(with_inactive)
            .bind(organisation_id.unwrap_or(0))
            .bind(&now)
            .fetch_all(db)
            .await?))
    }

    /// Adds a slot to a service: a start in local time, a length and its places.
    pub async fn add_slot(&self, service_id: i64, starts_at: &str, minutes: i64, capacity: i64) -> StoreResult<i64> {
        if starts_at <= now_local().as_str() {
            return Err(invalid("slot_start", "error.service.slot_past"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            on!(tx, |c| sqlx::query_scalar::<_, i64>(
                "INSERT INTO service_slots (service_id, starts_at, minutes, capacity, created_at) \
                 SELECT id, $2, $3, $4, $5 FROM services WHERE id = $1 RETURNING id"
            )
            .bind(service_id)
            .bind(starts_at)
            .bind(minutes)
            .bind(capacity)
            .bind(now)
            .fetch_optional(c)
            .await)?
            .ok_or(StoreError::NotFound)?
        })
    }

    /// A service's slots from `from` (local time) on, or all of them, in time order.
    pub async fn slots(&self, service_id: i64, from: Option<&str>) -> StoreResult<Vec<Slot>> {
        let sql = format!(
            "SELECT {SLOT_COLUMNS} FROM service_slots t WHERE t.service_id = $1 AND t.starts_at >= $2 ORDER BY t.starts_at"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(service_id).bind(from.unwrap_or("")).fetch_all(db).await?))
    }

    pub async fn slot(&self, slot_id: i64) -> StoreResult<Slot> {
        let sql = format!("SELECT {SLOT_COLUMNS} FROM service_slots t WHERE t.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(slot_id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A resident's age today and care tags, for matching services.
    pub async fn age_and_tags(&self, resident_id: i64) -> StoreResult<(i64, Vec<linli_domain::care::CareTag>)> {
        let born: String = read!(self, |db| sqlx::query_scalar("SELECT birth_date FROM residents WHERE id = $1")
            .bind(resident_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)?;
        let born = chrono::NaiveDate::parse_from_str(&born, "%Y-%m-%d")
            .map_err(|_| sqlx::Error::Decode(format!("resident {resident_id} has birth date {born}").into()))?;
        let tags = self.care_tags(resident_id).await?;
        Ok((
            linli_domain::service::age_on(born, crate::today()),
            tags.iter().filter_map(|t| linli_domain::care::CareTag::parse(t)).collect(),
        ))
    }
}
