//! Residents as staff and grid workers look them up: scoped lists and search, one
//! resident's record with masked personal data, reveals that are audited in the same
//! transaction, and the access log of personal data.

use crate::registry::{FIELD_ID_NUMBER, FIELD_PHONE};
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use serde::Serialize;

/// A resident as listed: personal data masked.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResidentRow {
    pub id: i64,
    pub community_id: i64,
    pub grid_id: i64,
    pub household_id: i64,
    pub building: String,
    pub unit: i64,
    pub room: String,
    pub name: String,
    /// `M` or `F`.
    pub gender: String,
    /// The year of birth only: the full date is part of the ID number and is shown only
    /// when that is revealed (see `docs/architecture.md`, personal data).
    pub birth_year: i64,
    /// head, spouse, child, parent, …
    pub relation: String,
    /// registered (户籍), permanent (常住) or floating (流动).
    pub residence_type: String,
    /// e.g. `3101************34`.
    pub id_number_masked: Option<String>,
    /// e.g. `138****5678`.
    pub phone_masked: Option<String>,
    /// When the current stay began, if known (`YYYY-MM-DD`).
    pub moved_in_on: Option<String>,
    /// Set when the resident has left the community; the row stays as history.
    pub moved_out_on: Option<String>,
}

/// Which residents, narrowed by grids and a search text.
#[derive(Debug, Clone, Default)]
pub struct ResidentQuery {
    pub community_id: i64,
    /// `None`: the whole community; `Some`: only these grids (a grid worker's own).
    pub grid_ids: Option<Vec<i64>>,
    /// Name or part of it, pinyin initials (`zs`), building and room (`3号楼1202`, `3-1202`),
    /// or the last four digits of a phone.
    pub search: Option<String>,
    /// List residents who moved out instead of current ones.
    pub former: bool,
    pub offset: i64,
    pub limit: i64,
}

/// A personal-data field that can be revealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonalField {
    IdNumber,
    Phone,
}

impl PersonalField {
    pub const ALL: [PersonalField; 2] = [PersonalField::IdNumber, PersonalField::Phone];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "id_number" => Some(Self::IdNumber),
            "phone" => Some(Self::Phone),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdNumber => "id_number",
            Self::Phone => "phone",
        }
    }
}

/// One access to personal data, for the audit page and the resident's own view.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccessRecord {
    pub id: i64,
    pub at: i64,
    /// personal.reveal, personal.export or cases.export.
    pub action: String,
    pub account_id: Option<i64>,
    pub actor: Option<String>,
    pub subject_resident_id: Option<i64>,
    pub subject: Option<String>,
    pub field: Option<String>,
    pub reason: Option<String>,
    pub detail: String,
}

const SELECT: &str = "SELECT r.id, r.community_id, r.grid_id, r.household_id, b.name AS building, h.unit, h.room, r.name, \
     r.gender, CAST(substr(r.birth_date, 1, 4) AS BIGINT) AS birth_year, r.relation, r.residence_type, r.id_number_masked, r.phone_masked, r.moved_in_on, r.moved_out_on \
     FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id";

enum Arg {
    Int(i64),
    Text(String),
}

/// How a search text is read.
#[derive(Debug, PartialEq, Eq)]
enum Search {
    PhoneTail(String),
    Initials(String),
    Room { building: String, room: String },
    Name(String),
}

fn read_search(raw: &str) -> Option<Search> {
    let q: String = raw.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if q.is_empty() {
        return None;
    }
    if q.len() == 4 && q.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Search::PhoneTail(q));
    }
    if q.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(Search::Initials(q.to_ascii_lowercase()));
    }
    let split = q.split_once("号楼").or_else(|| q.split_once('-')).or_else(|| q.split_once('/'));
    if let Some((b, r)) = split
        && !b.is_empty()
        && b.bytes().all(|c| c.is_ascii_digit())
        && r.bytes().all(|c| c.is_ascii_digit())
    {
        return Some(Search::Room { building: format!("{b}号楼"), room: r.to_owned() });
    }
    Some(Search::Name(q))
}

/// A prefix match that walks an index: the one dialect difference of this module.
/// PostgreSQL: `LIKE 'p%'` against a `text_pattern_ops` index; SQLite: `GLOB 'p*'`
/// (its `LIKE` ignores case and cannot use a plain index).
fn prefix_operator(postgres: bool) -> &'static str {
    if postgres { "LIKE" } else { "GLOB" }
}

fn prefix_pattern(prefix: &str, postgres: bool) -> String {
    let mut out = String::new();
    for c in prefix.chars() {
        match (postgres, c) {
            (true, '%' | '_' | '\\') => {
                out.push('\\');
                out.push(c);
            }
            (false, '*' | '?' | '[') => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out.push(if postgres { '%' } else { '*' });
    out
}

/// The WHERE clause and its arguments, numbered from `$1`.
fn filter(q: &ResidentQuery, postgres: bool) -> (String, Vec<Arg>) {
    let mut args = vec![Arg::Int(q.community_id)];
    let mut sql = String::from(if q.former {
        " WHERE r.community_id = $1 AND r.moved_out_on IS NOT NULL"
    } else {
        " WHERE r.community_id = $1 AND r.moved_out_on IS NULL"
    });
    if let Some(grids) = &q.grid_ids {
        if grids.is_empty() {
            sql.push_str(" AND 1 = 0");
        } else {
            let mut marks = Vec::new();
            for g in grids {
                args.push(Arg::Int(*g));
                marks.push(format!("${}", args.len()));
            }
            sql.push_str(&format!(" AND r.grid_id IN ({})", marks.join(", ")));
        }
    }
    match q.search.as_deref().and_then(read_search) {
        None => {}
        Some(Search::PhoneTail(d)) => {
            args.push(Arg::Text(d));
            sql.push_str(&format!(" AND r.phone_last4 = ${}", args.len()));
        }
        Some(Search::Initials(i)) => {
            args.push(Arg::Text(prefix_pattern(&i, postgres)));
            sql.push_str(&format!(" AND r.name_initials {} ${}", prefix_operator(postgres), args.len()));
        }
        Some(Search::Room { building, room }) => {
            args.push(Arg::Text(building));
            sql.push_str(&format!(" AND b.name = ${}", args.len()));
            if !room.is_empty() {
                args.push(Arg::Text(room));
                sql.push_str(&format!(" AND h.room = ${}", args.len()));
            }
        }
        Some(Search::Name(n)) => {
            // Names are found from their start (surname first), walking the index.
            args.push(Arg::Text(prefix_pattern(&n, postgres)));
            sql.push_str(&format!(" AND r.name {} ${}", prefix_operator(postgres), args.len()));
        }
    }
    (sql, args)
}

macro_rules! bind_all {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                Arg::Int(v) => query.bind(*v),
                Arg::Text(s) => query.bind(s.clone()),
            };
        }
        query
    }};
}

impl Store {
    /// A page of residents and the total that match.
    pub async fn residents(&self, q: &ResidentQuery) -> StoreResult<(Vec<ResidentRow>, i64)> {
        let (clause, args) = filter(q, matches!(self.backend(), crate::Backend::Postgres(_)));
        let limit_at = args.len() + 1;
        let list_sql =
            format!("{SELECT}{clause} ORDER BY b.id, h.unit, h.room, r.id LIMIT ${limit_at} OFFSET ${}", limit_at + 1);
        // Only a building-and-room search needs the joins to count.
        let count_sql = if clause.contains("b.name") {
            format!(
                "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
                 JOIN buildings b ON b.id = h.building_id{clause}"
            )
        } else {
            format!("SELECT COUNT(*) FROM residents r{clause}")
        };
        let rows: Vec<ResidentRow> = read!(self, |db| bind_all!(sqlx::query_as(&list_sql), &args)
            .bind(q.limit.clamp(1, 500))
            .bind(q.offset.max(0))
            .fetch_all(db)
            .await?);
        // Without a search the total is the sum of the (cached, version-checked) grid counts.
        let has_search = q.search.as_deref().is_some_and(|s| !s.trim().is_empty());
        let total = if has_search || q.former {
            read!(self, |db| bind_all!(sqlx::query_scalar(&count_sql), &args).fetch_one(db).await?)
        } else {
            self.grid_summaries(q.community_id, crate::today())
                .await?
                .iter()
                .filter(|s| q.grid_ids.as_ref().is_none_or(|g| g.contains(&s.grid_id)))
                .map(|s| s.residents)
                .sum()
        };
        Ok((rows, total))
    }

    /// The current members of a household.
    pub async fn household_members(&self, household_id: i64) -> StoreResult<Vec<ResidentRow>> {
        let sql = format!("{SELECT} WHERE r.household_id = $1 AND r.moved_out_on IS NULL ORDER BY r.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(household_id).fetch_all(db).await?))
    }

    pub async fn resident(&self, id: i64) -> StoreResult<ResidentRow> {
        let sql = format!("{SELECT} WHERE r.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The full value of one field, written to the access log in the same transaction:
    /// no reveal without its record. `None` if the field is empty.
    pub async fn reveal(
        &self,
        resident_id: i64,
        field: PersonalField,
        actor: i64,
        reason: &str,
    ) -> StoreResult<Option<String>> {
        let (column, label) = match field {
            PersonalField::IdNumber => ("id_number_enc", FIELD_ID_NUMBER),
            PersonalField::Phone => ("phone_enc", FIELD_PHONE),
        };
        let sql = format!("SELECT community_id, {column} FROM residents WHERE id = $1");
        let sealed: Option<String> = transaction!(self, |tx| {
            let row: Option<(i64, Option<String>)> =
                crate::on!(tx, |c| sqlx::query_as(&sql).bind(resident_id).fetch_optional(c).await)?;
            let row = row.ok_or(StoreError::NotFound)?;
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO audit_events (community_id, account_id, action, detail, at, subject_resident_id, field, reason) \
                 VALUES ($1, $2, 'personal.reveal', '', $3, $4, $5, $6)",
            )
            .bind(row.0)
            .bind(actor)
            .bind(now_ms())
            .bind(resident_id)
            .bind(field.as_str())
            .bind(reason)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            row.1
        })?;
        sealed.map(|s| self.key().open(label, &s)).transpose()
    }

    /// Records an export of personal data (who, which rows, why).
    /// Records an export. A full one (`subjects`: the residents whose ID numbers and phones
    /// it carried in full) is also a reveal for each of them, recorded on each resident's
    /// own access log in the same transaction.
    pub async fn record_export(
        &self,
        community_id: i64,
        actor: i64,
        detail: &str,
        reason: &str,
        subjects: &[i64],
    ) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO audit_events (community_id, account_id, action, detail, at, reason) \
                 VALUES ($1, $2, 'personal.export', $3, $4, $5)",
                )
                .bind(community_id)
                .bind(actor)
                .bind(detail)
                .bind(now)
                .bind(reason)
            )?;
            for chunk in subjects.chunks(500) {
                crate::on!(tx, |c| {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO audit_events (community_id, account_id, action, subject_resident_id, detail, at, reason) ",
                    );
                    qb.push_values(chunk, |mut row, id| {
                        row.push_bind(community_id)
                            .push_bind(actor)
                            .push_bind("personal.export")
                            .push_bind(*id)
                            .push_bind("full export")
                            .push_bind(now)
                            .push_bind(reason.to_owned());
                    });
                    qb.build().execute(c).await.map(|r| r.rows_affected())
                })?;
            }
        })
    }

    /// Accesses to personal data and exports of the case list, newest first: of one
    /// community, of one resident, or all.
    pub async fn personal_data_accesses(
        &self,
        community_id: Option<i64>,
        resident_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<AccessRecord>> {
        Ok(read!(self, |db| sqlx::query_as(
            "SELECT e.id, e.at, e.action, e.account_id, a.display_name AS actor, e.subject_resident_id, \
               r.name AS subject, e.field, e.reason, e.detail \
             FROM audit_events e LEFT JOIN accounts a ON a.id = e.account_id \
             LEFT JOIN residents r ON r.id = e.subject_resident_id \
             WHERE (e.action LIKE 'personal.%' OR e.action = 'cases.export') AND ($1 IS NULL OR e.community_id = $1) \
               AND ($2 IS NULL OR e.subject_resident_id = $2) \
             ORDER BY e.id DESC LIMIT $3"
        )
        .bind(community_id)
        .bind(resident_id)
        .bind(limit)
        .fetch_all(db)
        .await?))
    }

    /// The resident record linked to an account, if any.
    pub async fn resident_of_account(&self, account_id: i64) -> StoreResult<Option<i64>> {
        let id: Option<Option<i64>> =
            read!(self, |db| sqlx::query_scalar("SELECT resident_id FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(db)
                .await?);
        Ok(id.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_patterns_escape_the_wildcards_of_each_dialect() {
        assert_eq!(prefix_pattern("张", true), "张%");
        assert_eq!(prefix_pattern("a%_\\", true), "a\\%\\_\\\\%");
        assert_eq!(prefix_pattern("a*?[", false), "a[*][?][[]*");
    }

    #[test]
    fn search_texts_are_read_by_their_shape() {
        assert_eq!(read_search("5678"), Some(Search::PhoneTail("5678".into())));
        assert_eq!(read_search("ZS"), Some(Search::Initials("zs".into())));
        assert_eq!(read_search("3号楼 1202"), Some(Search::Room { building: "3号楼".into(), room: "1202".into() }));
        assert_eq!(read_search("3-1202"), Some(Search::Room { building: "3号楼".into(), room: "1202".into() }));
        assert_eq!(read_search("12号楼"), Some(Search::Room { building: "12号楼".into(), room: String::new() }));
        assert_eq!(read_search("张"), Some(Search::Name("张".into())));
        assert_eq!(read_search("  "), None);
    }
}
