//! The scoped, filtered, paged case lists: every filter value bound, none spliced in.

use super::*;

impl Store {
    /// A page of cases, newest first, and the total that match.
    pub async fn cases(&self, q: &CaseQuery) -> StoreResult<(Vec<CaseRow>, i64)> {
        /// A value bound to a placeholder: every filter is bound, none spliced into the SQL.
        enum Value {
            Int(i64),
            Text(String),
        }
        let mut sql = String::from(" WHERE c.community_id = $1");
        let mut values: Vec<Value> = vec![Value::Int(q.community_id)];
        // `clause` with each `?` a new placeholder bound to the next of `bound`.
        let mut with = |sql: &mut String, clause: &str, bound: Vec<Value>| {
            let mut out = String::new();
            let mut bound = bound.into_iter();
            for (i, part) in clause.split('?').enumerate() {
                if i > 0 {
                    values.push(bound.next().unwrap_or(Value::Int(0)));
                    out.push_str(&format!("${}", values.len()));
                }
                out.push_str(part);
            }
            sql.push_str(&out);
        };
        let ints = |v: &[i64]| v.iter().map(|i| Value::Int(*i)).collect::<Vec<_>>();
        let marks = |n: usize| vec!["?"; n].join(", ");
        if let Some(scope) = q.scope.as_ref().filter(|s| !s.all) {
            let mut any = Vec::new();
            let mut bound = Vec::new();
            let lists = [
                ("c.grid_id", scope.grids.as_slice()),
                ("c.assignee_organisation_id", scope.organisations.as_slice()),
                ("c.reporter_account_id", scope.reporter.as_slice()),
            ];
            for (column, ids) in lists.iter().filter(|(_, ids)| !ids.is_empty()) {
                any.push(format!("{column} IN ({})", marks(ids.len())));
                bound.extend(ints(ids));
            }
            if any.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                with(&mut sql, &format!(" AND ({})", any.join(" OR ")), bound);
            }
        }
        if let Some(grid) = q.grid_id {
            with(&mut sql, " AND c.grid_id = ?", ints(&[grid]));
        }
        if let Some(account) = q.assignee_account_id {
            with(&mut sql, " AND c.assignee_account_id = ?", ints(&[account]));
        }
        if let Some(category) = q.category_id {
            // A top-level category stands for its own cases and its children's.
            with(
                &mut sql,
                " AND c.category_id IN (SELECT id FROM case_categories WHERE id = ? \
                  OR parent_code = (SELECT code FROM case_categories WHERE id = ?))",
                ints(&[category, category]),
            );
        }
        match q.holder {
            None => {}
            Some(Holder::Person(id)) => with(&mut sql, " AND c.assignee_account_id = ?", ints(&[id])),
            Some(Holder::Party(id)) => with(&mut sql, " AND c.assignee_organisation_id = ?", ints(&[id])),
            Some(Holder::Community) => sql.push_str(
                " AND c.assignee_account_id IS NULL AND c.assignee_organisation_id IS NULL \
                  AND c.state NOT IN ('reported', 'refused')",
            ),
        }
        if let Some(source) = &q.source {
            with(&mut sql, " AND c.source = ?", vec![Value::Text(source.as_str().to_owned())]);
        }
        if let Some(text) = q.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            // A number finds that case; words find descriptions and places.
            let number = text.trim_start_matches('#').parse::<i64>().unwrap_or(0);
            let like = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            with(
                &mut sql,
                " AND (c.id = ? OR c.description LIKE ? ESCAPE '\\' OR c.address LIKE ? ESCAPE '\\')",
                vec![Value::Int(number), Value::Text(like.clone()), Value::Text(like)],
            );
        }
        if q.disputes_only {
            sql.push_str(" AND c.category_id IN (SELECT id FROM case_categories WHERE kind = 'dispute')");
        }
        match q.state.as_deref() {
            None | Some("") | Some("all") => {}
            Some("open") => sql.push_str(" AND c.state NOT IN ('closed', 'refused')"),
            // Closed reports their reporter has not rated yet.
            Some("unrated") => sql.push_str(" AND c.state = 'closed' AND c.rating IS NULL AND NOT c.self_resolved"),
            Some("overdue") => with(
                &mut sql,
                " AND c.state NOT IN ('closed', 'refused', 'suspended', 'reported') AND c.deadline < ?",
                ints(&[now_ms()]),
            ),
            Some(s) => match State::parse(s) {
                Some(state) => with(&mut sql, " AND c.state = ?", vec![Value::Text(state.as_str().to_owned())]),
                None => return Err(StoreError::Invalid(FieldError::new("state", "error.choice"))),
            },
        }
        let order = match q.sort {
            CaseSort::Newest => "c.reported_at DESC, c.id DESC",
            CaseSort::Oldest => "c.reported_at, c.id",
            // The nearest deadline first; cases without one last.
            CaseSort::Deadline => "CASE WHEN c.deadline IS NULL THEN 1 ELSE 0 END, c.deadline, c.id",
        };
        let n = values.len();
        let list_sql = format!("{SELECT}{sql} ORDER BY {order} LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let count_sql = format!("SELECT COUNT(*) FROM cases c{sql}");
        read!(self, |db| {
            let mut list = sqlx::query_as(&list_sql);
            let mut count = sqlx::query_scalar(&count_sql);
            for v in &values {
                match v {
                    Value::Int(i) => {
                        list = list.bind(*i);
                        count = count.bind(*i);
                    }
                    Value::Text(t) => {
                        list = list.bind(t.as_str());
                        count = count.bind(t.as_str());
                    }
                }
            }
            let rows: Vec<CaseRow> = list.bind(q.limit.clamp(1, 500)).bind(q.offset.max(0)).fetch_all(db).await?;
            let total: i64 = count.fetch_one(db).await?;
            Ok((rows, total))
        })
    }
}
