//! A few weeks of realistic case history for the demo community, so that its lists and
//! dashboards mean something. Every case's steps are played through the domain loop
//! (`Case::apply`), with times that only move forward and stop at the present: recent
//! cases are still open, a few are overdue, some were fixed on the spot, some reworked,
//! escalated, suspended or refused, and most closed ones are rated.

use crate::cases::Category;
use crate::{Store, StoreResult, read, transaction};
use linli_domain::case::{Case, Event, Level, State};
use linli_domain::worktime::{china_time, utc_ms};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const HOUR: i64 = 3_600_000;

/// Who acts in the demo community.
pub struct Cast {
    pub staff: i64,
    pub resident: i64,
    pub resident_name: String,
    /// Per grid: its grid worker's account.
    pub grid_workers: Vec<(i64, i64)>,
    /// The property company and its staff account; a social organisation and its staff.
    pub property: (i64, i64),
    pub social: (i64, i64),
}

struct Step {
    at: i64,
    actor: Option<i64>,
    event: Event,
    note: &'static str,
}

const FEEDBACK: [&str; 6] =
    ["已清理完毕", "已更换损坏部件", "已上门调解，双方达成一致", "已联系业主整改", "已疏通", "已张贴告示并劝导"];
/// What a resident would write about a problem of this category.
fn description(code: &str) -> &'static str {
    match code {
        "0101" => "垃圾桶满了没人清理，有异味",
        "0102" => "厨余垃圾和其他垃圾混在一起扔",
        "0103" => "楼道里堆满纸箱和旧家具，影响通行",
        "0201" => "路灯晚上不亮，老人走路不安全",
        "0202" => "电梯运行时有异响，停在两层之间",
        "0203" => "楼上管道漏水，渗到我家天花板",
        "0204" => "单元门禁坏了，外人随便进出",
        "0301" => "楼上晚上十一点后还在装修，沟通无果",
        "0302" => "邻居家漏水渗到我家，对方不愿维修",
        "0303" => "邻居的狗不牵绳，吓到孩子",
        "0304" => "隔壁夫妻经常激烈争吵，邻居担心出事",
        "0401" => "楼道好几天没人打扫",
        "0402" => "绿化带有人私自种菜",
        "0403" => "对物业费调整有疑问，想了解依据",
        "0501" => "小区门口车辆乱停，挡住消防通道",
        "0502" => "电动车停在楼道里充电",
        "0503" => "楼上有人往下扔东西，差点砸到人",
        "06" => "一楼住户私自扩建院子",
        "07" => "广场舞音响声音太大，影响休息",
        "08" => "小区门口车辆乱停，进出困难",
        "09" => "想咨询高龄补贴怎么申请",
        _ => "独居老人需要上门照看",
    }
}

/// Generates `days` days of cases ending now, about `per_day` a day, and returns the id
/// of an open case the demo resident reported (for tests and the first look).
pub async fn seed(
    store: &Store,
    community_id: i64,
    days: u32,
    per_day: u32,
    cast: &Cast,
    rng: &mut ChaCha8Rng,
) -> StoreResult<Option<i64>> {
    if days == 0 {
        return Ok(None);
    }
    let categories: Vec<Category> =
        store.case_categories().await?.into_iter().filter(|c| c.parent_code.is_some()).collect();
    let buildings: Vec<(i64, i64, String, f64, f64)> = read!(store, |db| sqlx::query_as(
        "SELECT id, grid_id, name, lon, lat FROM buildings WHERE community_id = $1 ORDER BY id"
    )
    .bind(community_id)
    .fetch_all(db)
    .await?);
    if categories.is_empty() || buildings.is_empty() {
        return Ok(None);
    }
    let calendar = store.work_calendar().await?;
    let now = crate::now_ms();
    let start = now - i64::from(days) * 24 * HOUR;
    let total = days * per_day;
    let mut resident_case = None;
    for n in 0..total {
        // Reports come in daytime, spread over the period; the last one is the resident's, fresh.
        let last = n + 1 == total;
        let day_start = start + i64::from(n) * (now - start) / i64::from(total.max(1));
        let reported_at = if last { now - HOUR / 2 } else { (day_start + rng.gen_range(0..10) * HOUR).min(now - HOUR) };
        let category = &categories[rng.gen_range(0..categories.len())];
        let (building, grid, building_name, lon, lat) = buildings[rng.gen_range(0..buildings.len())].clone();
        let worker = cast.grid_workers.iter().find(|g| g.0 == grid).map(|g| g.1);
        let roll: f64 = rng.r#gen();
        let (source, reporter, reporter_name) = if last || roll < 0.5 {
            ("resident", Some(cast.resident), cast.resident_name.clone())
        } else if roll < 0.85 {
            ("patrol", worker, String::new())
        } else if roll < 0.93 {
            ("phone", Some(cast.staff), "来电居民".to_owned())
        } else {
            ("hotline", Some(cast.staff), "12345 转办".to_owned())
        };
        let (handler_account, handler_org) = match category.handler.as_str() {
            "grid_worker" => (worker, None),
            "property_company" => (Some(cast.property.1), Some(cast.property.0)),
            "social_organisation" => (Some(cast.social.1), Some(cast.social.0)),
            _ => (Some(cast.staff), None),
        };
        // The script of this case, played until the present.
        let mut steps: Vec<Step> = Vec::new();
        let mut t = reported_at;
        let mut next = |rng: &mut ChaCha8Rng, lo: i64, hi: i64| {
            t += rng.gen_range(lo..=hi) * HOUR / 4;
            t
        };
        let self_resolved = source == "patrol" && rng.gen_bool(0.4) && !last;
        if self_resolved {
            steps.push(Step { at: reported_at, actor: worker, event: Event::SelfResolve, note: "" });
        } else if rng.gen_bool(0.03) && !last {
            let at = next(rng, 1, 8);
            steps.push(Step {
                at,
                actor: Some(cast.staff),
                event: Event::Refuse {
                    reason: "不属于社区受理范围，已告知当事人向有关部门反映".into()
                },
                note: "不属于社区受理范围，已告知当事人向有关部门反映",
            });
        } else {
            steps.push(Step { at: next(rng, 1, 12), actor: Some(cast.staff), event: Event::Register, note: "" });
            if rng.gen_bool(0.04) {
                steps.push(Step {
                    at: next(rng, 1, 8),
                    actor: Some(cast.staff),
                    event: Event::Escalate,
                    note: "涉及多个部门，上报街道协调",
                });
                steps.push(Step { at: next(rng, 2, 16), actor: Some(cast.staff), event: Event::Dispatch, note: "" });
            } else {
                steps.push(Step { at: next(rng, 1, 6), actor: Some(cast.staff), event: Event::Dispatch, note: "" });
            }
            steps.push(Step { at: next(rng, 1, 24), actor: handler_account, event: Event::Accept, note: "" });
            if rng.gen_bool(0.05) {
                steps.push(Step {
                    at: next(rng, 2, 8),
                    actor: Some(cast.staff),
                    event: Event::Suspend,
                    note: "等待业主回来开门",
                });
                steps.push(Step { at: next(rng, 24, 96), actor: Some(cast.staff), event: Event::Resume, note: "" });
            }
            let feedback = FEEDBACK[rng.gen_range(0..FEEDBACK.len())];
            steps.push(Step { at: next(rng, 4, 200), actor: handler_account, event: Event::Feedback, note: feedback });
            if rng.gen_bool(0.08) {
                steps.push(Step {
                    at: next(rng, 2, 40),
                    actor: worker,
                    event: Event::VerifyFail,
                    note: "现场复查仍未解决",
                });
                steps.push(Step { at: next(rng, 1, 12), actor: handler_account, event: Event::Accept, note: "" });
                steps.push(Step {
                    at: next(rng, 4, 80),
                    actor: handler_account,
                    event: Event::Feedback,
                    note: "已重新处理",
                });
            }
            steps.push(Step {
                at: next(rng, 2, 48),
                actor: worker.or(Some(cast.staff)),
                event: Event::VerifyPass,
                note: "现场核查通过",
            });
        }
        if reporter == Some(cast.resident) && rng.gen_bool(0.7) {
            let stars = *[5u8, 5, 5, 5, 4, 4, 4, 3, 2, 1].get(rng.gen_range(0..10)).unwrap_or(&5);
            steps.push(Step { at: next(rng, 4, 96), actor: reporter, event: Event::Rate { stars }, note: "" });
        }
        // Play the script through the loop until the present.
        let mut case = Case::reported(Level::Grid);
        let mut played: Vec<(Step, State, State)> = Vec::new();
        let mut registered_at = None;
        let mut deadline = None;
        let (mut dispatched_at, mut accepted_at, mut closed_at) = (None, None, None);
        let mut suspended_at: Option<i64> = None;
        let mut assignee = (None, None);
        for step in steps {
            if step.at >= now {
                break;
            }
            let late = deadline.is_some_and(|d: i64| d < step.at);
            let Ok(after) = case.apply(&step.event, late) else { break };
            match step.event {
                Event::Register | Event::SelfResolve => {
                    registered_at = Some(step.at);
                    deadline = Some(utc_ms(calendar.deadline(china_time(step.at), category.limit(), &[])));
                    if matches!(step.event, Event::SelfResolve) {
                        closed_at = Some(step.at);
                    }
                }
                Event::Dispatch => {
                    dispatched_at = Some(step.at);
                    assignee = if after.level == Level::Grid || category.handler != "grid_worker" {
                        (if handler_org.is_some() { None } else { handler_account }, handler_org)
                    } else {
                        (None, None)
                    };
                }
                Event::Accept => accepted_at = accepted_at.or(Some(step.at)),
                Event::Suspend => suspended_at = Some(step.at),
                Event::Resume => {
                    if let (Some(from), Some(d)) = (suspended_at.take(), deadline) {
                        let kind = category.limit().kind;
                        deadline =
                            Some(utc_ms(calendar.resumed(china_time(d), kind, china_time(from), china_time(step.at))));
                    }
                }
                Event::VerifyPass => closed_at = Some(step.at),
                _ => {}
            }
            let from = case.state;
            case = after;
            played.push((step, from, case.state));
        }
        let id = transaction!(store, |tx| {
            let id: i64 = crate::on!(tx, |c| {
                sqlx::query_scalar(
                "INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, lon, lat, address, \
                 reporter_account_id, reporter_name, anonymous, state, level, resume_to, suspended_at, assignee_account_id, \
                 assignee_organisation_id, reported_at, registered_at, dispatched_at, accepted_at, closed_at, deadline, \
                 reworks, extensions, reopened, self_resolved, rating, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, \
                 $23, $24, $25, 0, 0, $26, $27, $28) RETURNING id",
            )
            .bind(community_id)
            .bind(grid)
            .bind(category.id)
            .bind(source)
            .bind(description(&category.code))
            .bind(building)
            .bind(lon)
            .bind(lat)
            .bind(&building_name)
            .bind(reporter)
            .bind(&reporter_name)
            .bind(source == "resident" && rng.gen_bool(0.1) && !last)
            .bind(case.state.as_str())
            .bind(case.level.as_str())
            .bind(case.resume_to.map(State::as_str))
            .bind(suspended_at)
            .bind(assignee.0)
            .bind(assignee.1)
            .bind(reported_at)
            .bind(registered_at)
            .bind(dispatched_at)
            .bind(accepted_at)
            .bind(closed_at)
            .bind(deadline)
            .bind(i64::from(case.reworks))
            .bind(case.self_resolved)
            .bind(case.rating.map(i64::from))
            .bind(played.len() as i64)
            .fetch_one(c)
            .await
            })?;
            crate::exec!(
                tx,
                sqlx::query(
                    "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note) \
                 VALUES ($1, $2, $3, 'report', 'reported', 'reported', '')",
                )
                .bind(id)
                .bind(reported_at)
                .bind(reporter)
            )?;
            for (step, from, to) in &played {
                crate::exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(step.at)
                    .bind(step.actor)
                    .bind(step.event.kind())
                    .bind(from.as_str())
                    .bind(to.as_str())
                    .bind(step.note)
                )?;
            }
            id
        })?;
        if last {
            resident_case = Some(id);
        }
    }
    Ok(resident_case)
}

/// Bulk case history for benchmarks: `per_community` cases in every community over the
/// last `days` days, written in batches without timelines (the indicators read only the
/// cases). Outcomes follow the demo's proportions; deadlines follow the calendar.
pub async fn bulk(store: &Store, per_community: u32, days: u32, rng: &mut ChaCha8Rng) -> StoreResult<u64> {
    let categories: Vec<Category> =
        store.case_categories().await?.into_iter().filter(|c| c.parent_code.is_some()).collect();
    let buildings: Vec<(i64, i64, i64)> =
        read!(store, |db| sqlx::query_as("SELECT community_id, id, grid_id FROM buildings ORDER BY community_id, id")
            .fetch_all(db)
            .await?);
    let calendar = store.work_calendar().await?;
    let now = crate::now_ms();
    let span = i64::from(days.max(1)) * 24 * HOUR;
    let mut communities: Vec<i64> = buildings.iter().map(|b| b.0).collect();
    communities.dedup();
    let mut written = 0u64;
    for community in communities {
        let here: Vec<&(i64, i64, i64)> = buildings.iter().filter(|b| b.0 == community).collect();
        let mut rows = Vec::with_capacity(per_community as usize);
        for _ in 0..per_community {
            let (_, building, grid) = *here[rng.gen_range(0..here.len())];
            let category = &categories[rng.gen_range(0..categories.len())];
            let reported = now - rng.gen_range(0..span);
            let refused = rng.gen_bool(0.03);
            let self_resolved = !refused && rng.gen_bool(0.15);
            let registered =
                (!refused).then(|| if self_resolved { reported } else { reported + rng.gen_range(HOUR / 2..6 * HOUR) });
            let deadline = registered.map(|r| utc_ms(calendar.deadline(china_time(r), category.limit(), &[])));
            let dispatched = registered.filter(|_| !self_resolved).map(|r| r + rng.gen_range(HOUR / 5..3 * HOUR));
            let accepted = dispatched.map(|d| d + rng.gen_range(HOUR / 2..12 * HOUR));
            let closed =
                if self_resolved { Some(reported) } else { accepted.map(|a| a + rng.gen_range(2 * HOUR..150 * HOUR)) }
                    .filter(|c| *c < now);
            let state = match (refused, closed, accepted, dispatched) {
                (true, ..) => "refused",
                (_, Some(_), ..) => "closed",
                (_, None, Some(a), _) if a < now => "accepted",
                (_, None, _, Some(d)) if d < now => "dispatched",
                _ => "registered",
            };
            let reworks = i64::from(closed.is_some() && rng.gen_bool(0.08));
            let rating = closed
                .filter(|_| rng.gen_bool(0.6))
                .map(|_| *[5i64, 5, 5, 4, 4, 3, 2, 1].get(rng.gen_range(0..8)).unwrap_or(&5));
            rows.push((
                grid,
                category.id,
                building,
                reported,
                registered,
                dispatched,
                accepted,
                closed,
                deadline,
                state,
                reworks,
                self_resolved,
                rating,
            ));
        }
        for chunk in rows.chunks(500) {
            transaction!(store, |tx| {
                crate::on!(tx, |c| {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO cases (community_id, grid_id, category_id, source, description, building_id, state, level, \
                         reported_at, registered_at, dispatched_at, accepted_at, closed_at, deadline, reworks, self_resolved, rating) ",
                    );
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(community)
                            .push_bind(r.0)
                            .push_bind(r.1)
                            .push_bind("patrol")
                            .push_bind("bench")
                            .push_bind(r.2)
                            .push_bind(r.9)
                            .push_bind("grid")
                            .push_bind(r.3)
                            .push_bind(r.4)
                            .push_bind(r.5)
                            .push_bind(r.6)
                            .push_bind(r.7)
                            .push_bind(r.8)
                            .push_bind(r.10)
                            .push_bind(r.11)
                            .push_bind(r.12);
                    });
                    qb.build().execute(c).await.map(|r| r.rows_affected())
                })?;
            })?;
        }
        written += u64::from(per_community);
    }
    Ok(written)
}
