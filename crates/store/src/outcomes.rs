//! Outcome figures of services and community culture for one calendar month (China time):
//! services delivered (bookings served, by the slot's day), referrals served (by the day
//! the organisation recorded service), attendance at activities (by the activity's day)
//! against the residents living there now, and volunteer hours (by the day served); per
//! grid of a community, or per community of a street.

use crate::{Store, StoreResult, read};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// One place's figures for a month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub services: i64,
    pub referrals: i64,
    pub attended: i64,
    /// Residents living there (now), the base of attendance per 100 residents.
    pub residents: i64,
    pub minutes: i64,
}

impl Outcome {
    /// Attendances per 100 residents, in hundredths (`1234` is 12.34), if anyone lives there.
    pub fn per_100(&self) -> Option<i64> {
        (self.residents > 0).then(|| (self.attended * 10_000 + self.residents / 2) / self.residents)
    }

    pub fn add(&mut self, other: &Outcome) {
        self.services += other.services;
        self.referrals += other.referrals;
        self.attended += other.attended;
        self.residents += other.residents;
        self.minutes += other.minutes;
    }
}

/// What the figures are grouped by.
#[derive(Debug, Clone, Copy)]
pub enum OutcomeScope {
    /// A community's grids (key: grid id, 0 for residents without a grid).
    Community(i64),
    /// A street's communities (key: community id).
    Street(i64),
}

/// The first day of the month `day` falls in, and of the next.
pub fn month_bounds(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = day.with_day(1).unwrap_or(day);
    let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
    (first, next)
}

impl Store {
    /// The month's figures of each grid (or community) in scope.
    pub async fn outcomes(&self, scope: OutcomeScope, month: NaiveDate) -> StoreResult<BTreeMap<i64, Outcome>> {
        let (first, next) = month_bounds(month);
        let (from, to) = (first.to_string(), next.to_string());
        let ms = |d: NaiveDate| linli_domain::worktime::utc_ms(d.and_hms_opt(0, 0, 0).unwrap_or_default());
        let (id, key, inside) = match scope {
            OutcomeScope::Community(id) => (id, "grid_id", "community_id = $1"),
            OutcomeScope::Street(id) => {
                (id, "community_id", "community_id IN (SELECT id FROM communities WHERE street_id = $1)")
            }
        };
        let mut out: BTreeMap<i64, Outcome> = BTreeMap::new();
        let counts = |rows: Vec<(Option<i64>, i64)>| rows.into_iter().map(|(k, n)| (k.unwrap_or(0), n));

        let sql = format!(
            "SELECT b.{key}, COUNT(*) FROM bookings b JOIN service_slots t ON t.id = b.slot_id \
             WHERE b.{inside} AND b.status = 'served' AND t.starts_at >= $2 AND t.starts_at < $3 GROUP BY b.{key}"
        );
        let rows: Vec<(Option<i64>, i64)> =
            read!(self, |db| sqlx::query_as(&sql).bind(id).bind(&from).bind(&to).fetch_all(db).await?);
        for (k, n) in counts(rows) {
            out.entry(k).or_default().services = n;
        }

        let sql = format!(
            "SELECT {key}, COUNT(*) FROM referrals WHERE {inside} AND served_at >= $2 AND served_at < $3 GROUP BY {key}"
        );
        let rows: Vec<(Option<i64>, i64)> =
            read!(self, |db| sqlx::query_as(&sql).bind(id).bind(ms(first)).bind(ms(next)).fetch_all(db).await?);
        for (k, n) in counts(rows) {
            out.entry(k).or_default().referrals = n;
        }

        let sql = format!(
            "SELECT g.{key}, COUNT(*) FROM registrations g JOIN activities a ON a.id = g.activity_id \
             WHERE g.{inside} AND g.status = 'served' AND a.starts_at >= $2 AND a.starts_at < $3 GROUP BY g.{key}"
        );
        let rows: Vec<(Option<i64>, i64)> =
            read!(self, |db| sqlx::query_as(&sql).bind(id).bind(&from).bind(&to).fetch_all(db).await?);
        for (k, n) in counts(rows) {
            out.entry(k).or_default().attended = n;
        }

        let sql = format!(
            "SELECT p.{key}, CAST(SUM(h.minutes) AS BIGINT) FROM volunteer_hours h \
             JOIN volunteers v ON v.id = h.volunteer_id JOIN residents p ON p.id = v.resident_id \
             WHERE h.{inside} AND h.served_on >= $2 AND h.served_on < $3 GROUP BY p.{key}"
        );
        let rows: Vec<(Option<i64>, i64)> =
            read!(self, |db| sqlx::query_as(&sql).bind(id).bind(&from).bind(&to).fetch_all(db).await?);
        for (k, n) in counts(rows) {
            out.entry(k).or_default().minutes = n;
        }

        let sql =
            format!("SELECT {key}, COUNT(*) FROM residents WHERE {inside} AND moved_out_on IS NULL GROUP BY {key}");
        let rows: Vec<(Option<i64>, i64)> = read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_all(db).await?);
        for (k, n) in counts(rows) {
            out.entry(k).or_default().residents = n;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_runs_from_its_first_day_to_the_next_months_and_attendance_is_per_100() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(month_bounds(d("2026-12-06")), (d("2026-12-01"), d("2027-01-01")));
        assert_eq!(month_bounds(d("2026-01-31")), (d("2026-01-01"), d("2026-02-01")));
        let o = Outcome { attended: 141, residents: 1000, ..Outcome::default() };
        assert_eq!(o.per_100(), Some(1410));
        assert_eq!(Outcome::default().per_100(), None);
    }
}
