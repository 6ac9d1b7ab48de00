//! Mediation history for the demo's dispute cases and the grids' screening sweeps: every
//! dispute has its parties, the ones in hand have sessions, the closed ones an agreement
//! and most of those a follow-up visit; every grid was screened in the past half-months,
//! and one grid has not been screened yet in the current one (as happens).

use super::person_name;
use crate::disputes::NewParty;
use crate::{Store, StoreResult, read, transaction};
use linli_domain::case::Remark;
use linli_domain::dispute::{Side, half_month, half_month_bounds};
use linli_domain::identity::Phone;
use linli_domain::worktime::china_time;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const DAY: i64 = 24 * 3_600_000;

const AGREEMENTS: [&str; 3] = [
    "双方同意：楼上住户夜间 22 点后不再进行装修作业，装修前在单元群内告知；楼下住户不再上门争吵。",
    "双方同意：漏水由楼上住户负责维修防水层，并赔偿楼下天花板修补费用 800 元，于十日内付清。",
    "双方同意：犬只出门一律牵绳，不在楼道便溺；如再发生，由网格员见证登记。",
];

#[derive(sqlx::FromRow)]
struct DisputeCase {
    id: i64,
    grid_id: Option<i64>,
    reported_at: i64,
    accepted_at: Option<i64>,
    closed_at: Option<i64>,
}

pub async fn seed(
    store: &Store,
    community_id: i64,
    staff: (i64, String),
    grid_workers: &[(i64, i64)],
    rng: &mut ChaCha8Rng,
) -> StoreResult<()> {
    let cases: Vec<DisputeCase> = read!(store, |db| sqlx::query_as(
        "SELECT c.id, c.grid_id, c.reported_at, c.accepted_at, c.closed_at FROM cases c \
         JOIN case_categories k ON k.id = c.category_id \
         WHERE c.community_id = $1 AND k.kind = 'dispute' AND c.state <> 'refused' ORDER BY c.id"
    )
    .bind(community_id)
    .fetch_all(db)
    .await?);
    let now = crate::now_ms();
    for case in &cases {
        let parties: Vec<(Side, (String, Option<String>))> = [Side::Applicant, Side::Respondent]
            .into_iter()
            .map(|side| {
                let phone = Phone::parse("phone", &format!("139{:08}", rng.gen_range(0..100_000_000))).ok();
                let male = rng.gen_bool(0.5);
                let party = NewParty { side, name: person_name(rng, None, male), phone };
                Ok((side, store.seal_party(&party)?))
            })
            .collect::<StoreResult<_>>()?;
        let risk = if rng.gen_bool(0.15) { "high" } else { "normal" };
        // Sessions after acceptance, each a few hours to a day after the one before; the
        // last one agrees if the case closed.
        let mut sessions = Vec::new();
        if let Some(accepted) = case.accepted_at {
            let end = case.closed_at.unwrap_or(now);
            let n = rng.gen_range(1..=2);
            let mut held = accepted;
            for i in 0..n {
                held += rng.gen_range(DAY / 8..DAY);
                let at = held.min(end - 60_000);
                let last = i + 1 == n;
                let outcome = if last && case.closed_at.is_some() { "agreed" } else { "continue" };
                sessions.push((at, outcome));
            }
        }
        let settled = case.closed_at.map(|closed| {
            let kind = if rng.gen_bool(0.7) { "agreement" } else { "record" };
            ((closed - 30_000).max(case.reported_at), kind, AGREEMENTS[rng.gen_range(0..AGREEMENTS.len())])
        });
        let agreement = settled.map(|(_, _, text)| store.key().seal("dispute.agreement", text)).transpose()?;
        let follow_up = case.closed_at.filter(|c| *c < now - 8 * DAY && rng.gen_bool(0.8)).map(|c| {
            let result = if rng.gen_bool(0.9) { "kept" } else { "partly" };
            (c + 7 * DAY, result)
        });
        let date = |ms: i64| china_time(ms).date().to_string();
        // A note entered for a past moment carries the state the case was in then.
        let timeline = store.case_timeline(case.id).await?;
        let state_at = |at: i64| {
            timeline
                .iter()
                .take_while(|e| e.at <= at)
                .last()
                .map_or("reported".to_owned(), |e| e.to_state.as_str().to_owned())
        };
        transaction!(store, |tx| {
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO disputes (case_id, risk, settlement, settled_on, agreement_sealed, follow_up, followed_up_on, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(case.id)
            .bind(risk)
            .bind(settled.map(|s| s.1))
            .bind(settled.map(|s| date(s.0)))
            .bind(&agreement)
            .bind(follow_up.map(|f| f.1))
            .bind(follow_up.map(|f| date(f.0)))
            .bind(case.reported_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            for (side, (name, phone)) in &parties {
                crate::on!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO dispute_parties (case_id, side, name_sealed, phone_sealed, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(case.id)
                .bind(side.as_str())
                .bind(name)
                .bind(phone)
                .bind(case.reported_at)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
            }
            let mut notes: Vec<(i64, &str, Remark)> = Vec::new();
            for (at, outcome) in &sessions {
                let mediators = format!("{}、人民调解员王建国", staff.1);
                crate::exec!(tx, sqlx::query(
                    "INSERT INTO mediation_sessions (case_id, held_on, mediators, outcome, recorded_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(case.id)
                .bind(date(*at))
                .bind(&mediators)
                .bind(*outcome)
                .bind(staff.0)
                .bind(*at))?;
                let session = Remark::Mediation {
                    held_on: date(*at),
                    outcome: (*outcome).to_owned(),
                    mediators: mediators.clone(),
                };
                notes.push((*at, "mediation", session));
            }
            if let Some((at, kind, _)) = settled {
                notes.push((at, "settlement", Remark::Code { code: kind.to_owned() }));
            }
            if let Some((at, result)) = follow_up.filter(|f| f.0 < now) {
                notes.push((at, "follow_up", Remark::Code { code: result.to_owned() }));
            }
            for (at, kind, remark) in &notes {
                let state = state_at(*at);
                crate::exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note, remark) \
                     VALUES ($1, $2, $3, $4, $5, $5, '', $6)",
                    )
                    .bind(case.id)
                    .bind(*at)
                    .bind(staff.0)
                    .bind(*kind)
                    .bind(&state)
                    .bind(remark.to_json())
                )?;
            }
        })?;
    }
    seed_sweeps(store, community_id, grid_workers, &cases, rng).await
}

/// Every grid swept once or twice in each of the last three half-months, except one grid
/// not yet in the current one; what a sweep found is the disputes reported in its grid
/// in that half-month.
async fn seed_sweeps(
    store: &Store,
    community_id: i64,
    grid_workers: &[(i64, i64)],
    cases: &[DisputeCase],
    rng: &mut ChaCha8Rng,
) -> StoreResult<()> {
    let today = china_time(crate::now_ms()).date();
    let mut periods = vec![half_month_bounds(today)];
    for _ in 0..2 {
        let Some(before) = periods.last().and_then(|(start, _)| start.pred_opt()) else { break };
        periods.push(half_month_bounds(before));
    }
    let mut grids: Vec<(i64, i64)> = grid_workers.to_vec();
    grids.sort_unstable();
    let now = crate::now_ms();
    transaction!(store, |tx| {
        for (p, (start, end)) in periods.iter().enumerate() {
            let period = half_month(*start);
            let last_day = (*end).min(today);
            let span = (last_day - *start).num_days().max(0);
            for (g, (grid_id, worker)) in grids.iter().enumerate() {
                if p == 0 && g + 1 == grids.len() {
                    continue;
                }
                let found = cases
                    .iter()
                    .filter(|c| c.grid_id == Some(*grid_id) && half_month(china_time(c.reported_at).date()) == period)
                    .count() as i64;
                let sweeps = if p == 0 { 1 } else { rng.gen_range(1..=2) };
                for s in 0..sweeps {
                    let on = *start + chrono::Duration::days(rng.gen_range(0..=span));
                    let note = if found == 0 || s > 0 { "未发现矛盾纠纷" } else { "已登记并转入调解" };
                    crate::on!(tx, |c| {
                        sqlx::query(
                        "INSERT INTO screening_sweeps (community_id, grid_id, swept_on, half_month, account_id, found, note, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(community_id)
                    .bind(*grid_id)
                    .bind(on.to_string())
                    .bind(&period)
                    .bind(*worker)
                    .bind(if s == 0 { found } else { 0 })
                    .bind(note)
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
                    })?;
                }
            }
        }
    })
}
