//! The assessment indicators' one grouped pass over the cases (its SQL is in
//! `indicators.sql`), and the facts the domain's definitions are checked against.

use super::*;

/// How indicator counts are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Community,
    Grid,
    Category,
    /// Who holds the case (承办人): a person, a party, or the community itself; read with
    /// [`Store::holder_indicators`].
    Holder,
}

impl Dimension {
    fn column(self) -> &'static str {
        match self {
            Dimension::Community => "c.community_id",
            Dimension::Grid => "c.grid_id",
            Dimension::Category => "c.category_id",
            // A party's key is its id negated, so that one integer column tells the two apart.
            Dimension::Holder => {
                "CASE WHEN c.assignee_organisation_id IS NOT NULL THEN -c.assignee_organisation_id \
                 ELSE c.assignee_account_id END"
            }
        }
    }
}

/// Which cases the indicators cover.
#[derive(Debug, Clone, Default)]
pub struct IndicatorScope {
    /// These communities (one, or a street's).
    pub community_ids: Vec<i64>,
    /// Only these grids, if set.
    pub grid_ids: Option<Vec<i64>>,
    /// Only the cases held by these parties (a property company's own figures), if set.
    pub organisation_ids: Option<Vec<i64>>,
}

#[derive(sqlx::FromRow)]
struct CountRow {
    k: Option<i64>,
    accepted: Option<i64>,
    registered: Option<i64>,
    dispatched: Option<i64>,
    due: Option<i64>,
    closed: Option<i64>,
    closed_on_time: Option<i64>,
    reworked: Option<i64>,
    extended: Option<i64>,
    self_resolved: Option<i64>,
    rated: Option<i64>,
    satisfied: Option<i64>,
    overdue: Option<i64>,
    acceptance_ms_sum: Option<i64>,
    acceptance_n: Option<i64>,
    handling_ms_sum: Option<i64>,
    handling_n: Option<i64>,
}

impl CountRow {
    fn counts(&self) -> linli_domain::indicators::Counts {
        let u = |v: Option<i64>| u64::try_from(v.unwrap_or(0)).unwrap_or(0);
        linli_domain::indicators::Counts {
            accepted: u(self.accepted),
            registered: u(self.registered),
            dispatched: u(self.dispatched),
            due: u(self.due),
            closed: u(self.closed),
            closed_on_time: u(self.closed_on_time),
            reworked: u(self.reworked),
            extended: u(self.extended),
            self_resolved: u(self.self_resolved),
            rated: u(self.rated),
            satisfied: u(self.satisfied),
            overdue: u(self.overdue),
            acceptance_ms_sum: self.acceptance_ms_sum.unwrap_or(0),
            acceptance_n: u(self.acceptance_n),
            handling_ms_sum: self.handling_ms_sum.unwrap_or(0),
            handling_n: u(self.handling_n),
        }
    }
}

impl Store {
    /// The indicators by who holds each case: the persons, the parties (物业、社会组织) and
    /// the community itself.
    pub async fn holder_indicators(
        &self,
        scope: &IndicatorScope,
        from: i64,
        to: i64,
        rule: linli_domain::indicators::DueRule,
    ) -> StoreResult<Vec<(Holder, linli_domain::indicators::Counts)>> {
        let rows = self.case_indicators(scope, from, to, rule, Dimension::Holder).await?;
        Ok(rows
            .into_iter()
            .map(|(key, counts)| {
                let holder = match key {
                    Some(k) if k < 0 => Holder::Party(-k),
                    Some(k) => Holder::Person(k),
                    None => Holder::Community,
                };
                (holder, counts)
            })
            .collect())
    }

    /// The indicator counts of a period `[from, to)`, grouped, computed in one pass over
    /// the cases that touch the period (no precomputed tables). The definitions are those
    /// of `linli_domain::indicators` (a test holds the two to the same answers); "suspended"
    /// is the case's state now.
    pub async fn case_indicators(
        &self,
        scope: &IndicatorScope,
        from: i64,
        to: i64,
        rule: linli_domain::indicators::DueRule,
        group: Dimension,
    ) -> StoreResult<Vec<(Option<i64>, linli_domain::indicators::Counts)>> {
        if scope.community_ids.is_empty() {
            return Ok(Vec::new());
        }
        let exclude_suspended = rule == linli_domain::indicators::DueRule::ExcludeSuspended;
        let mut ints: Vec<i64> = vec![from, to, i64::from(exclude_suspended)];
        let marks = |values: &[i64], ints: &mut Vec<i64>| {
            values
                .iter()
                .map(|v| {
                    ints.push(*v);
                    format!("${}", ints.len())
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let communities = marks(&scope.community_ids, &mut ints);
        let mut filter = format!("c.community_id IN ({communities})");
        if let Some(grids) = &scope.grid_ids {
            if grids.is_empty() {
                filter.push_str(" AND 1 = 0");
            } else {
                let g = marks(grids, &mut ints);
                filter.push_str(&format!(" AND c.grid_id IN ({g})"));
            }
        }
        if let Some(parties) = &scope.organisation_ids {
            if parties.is_empty() {
                filter.push_str(" AND 1 = 0");
            } else {
                let o = marks(parties, &mut ints);
                filter.push_str(&format!(" AND c.assignee_organisation_id IN ({o})"));
            }
        }
        let k = group.column();
        let sql = include_str!("indicators.sql").replace("{group}", k).replace("{scope}", &filter);
        let rows: Vec<CountRow> = read!(self, |db| {
            let mut q = sqlx::query_as(&sql);
            for v in &ints {
                q = q.bind(*v);
            }
            q.fetch_all(db).await?
        });
        Ok(rows.into_iter().map(|r| (r.k, r.counts())).collect())
    }

    /// The facts of every case of a community, as `linli_domain::indicators` reads them:
    /// what the indicator query is checked against.
    pub async fn case_facts(
        &self,
        community_id: i64,
    ) -> StoreResult<Vec<(Option<i64>, linli_domain::indicators::CaseFacts)>> {
        type Row = (
            Option<i64>,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            String,
            bool,
            Option<i64>,
        );
        let rows: Vec<Row> = read!(self, |db| {
            sqlx::query_as(
            "SELECT grid_id, reported_at, registered_at, dispatched_at, accepted_at, deadline, closed_at, reworks, extensions, \
             state, self_resolved, rating FROM cases WHERE community_id = $1 AND merged_into IS NULL"
        )
        .bind(community_id)
        .fetch_all(db)
        .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    grid,
                    reported_at,
                    registered_at,
                    dispatched_at,
                    accepted_at,
                    deadline,
                    closed_at,
                    reworks,
                    extensions,
                    state,
                    self_resolved,
                    rating,
                )| {
                    (
                        grid,
                        linli_domain::indicators::CaseFacts {
                            reported_at,
                            registered: registered_at.is_some(),
                            dispatched: dispatched_at.is_some(),
                            deadline,
                            closed_at,
                            reworks: u32::try_from(reworks).unwrap_or(0),
                            extensions: u32::try_from(extensions).unwrap_or(0),
                            suspended: state == "suspended",
                            self_resolved,
                            rating: rating.and_then(|r| u8::try_from(r).ok()),
                            acceptance_ms: accepted_at.zip(dispatched_at).map(|(a, d)| a - d),
                            handling_ms: closed_at.zip(registered_at).map(|(c, r)| c - r),
                        },
                    )
                },
            )
            .collect())
    }
}
