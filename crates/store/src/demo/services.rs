//! The demo's services in 和谐家园: the three social organisations' services (one-to-one
//! counselling, care visits for elderly people living alone, legal advice, an after-school
//! class), a slot calendar from four weeks ago to two weeks ahead, a month of bookings
//! (served with sealed notes, a few missed), upcoming bookings with one slot full and two
//! people in line, and referrals from the grid in every status.

use crate::services::NewService;
use crate::{Store, StoreResult, exec, read, transaction};
use linli_domain::care::CareTag;
use linli_domain::service::{Eligibility, Kind, ReferralStatus, Source};
use rand::Rng;
use rand::seq::SliceRandom;

/// Who acts in the demo: the counselling centre's staff, and grid 1's worker.
pub struct Cast {
    pub social_staff: i64,
    pub grid_worker: i64,
    pub demo_resident: (i64, i64),
}

struct Plan {
    org: usize,
    kind: Kind,
    title: &'static str,
    place: &'static str,
    description: &'static str,
    eligibility: Eligibility,
    /// Weekday (0 = Monday), start times, minutes, places.
    weekday: u32,
    times: &'static [&'static str],
    minutes: i64,
    places: i64,
}

const NOTES: &[&str] = &[
    "初次面谈，来访者诉睡眠不佳，已做情绪评估，约两周后复谈。",
    "讨论与子女沟通的方式，布置放松练习。",
    "咨询遗产继承顺序，已告知所需材料，建议公证。",
    "邻里漏水赔偿纠纷，解释调解与诉讼途径，协助起草协商函。",
    "上门陪伴聊天一小时，老人情绪平稳，提醒按时服药。",
];

/// Residents of the community born between the two dates (`YYYY-MM-DD`), at most `n`.
async fn born_between(store: &Store, community_id: i64, from: &str, to: &str, n: i64) -> StoreResult<Vec<(i64, i64)>> {
    Ok(read!(store, |db| sqlx::query_as(
        "SELECT id, grid_id FROM residents WHERE community_id = $1 AND birth_date >= $2 AND birth_date <= $3 \
         AND moved_out_on IS NULL ORDER BY id LIMIT $4"
    )
    .bind(community_id)
    .bind(from)
    .bind(to)
    .bind(n)
    .fetch_all(db)
    .await?))
}

pub async fn seed(
    store: &Store,
    community_id: i64,
    orgs: [i64; 3],
    cast: &Cast,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> StoreResult<()> {
    let anyone = Eligibility::default();
    let plans = [
        Plan {
            org: 0,
            kind: Kind::Counselling,
            title: "心理咨询（一对一）",
            place: "社区活动中心 203 室",
            description: "由国家二级心理咨询师接待，每次 50 分钟，内容严格保密。",
            eligibility: Eligibility { min_age: Some(14), ..anyone.clone() },
            weekday: 2,
            times: &["14:00", "15:00", "16:00"],
            minutes: 50,
            places: 1,
        },
        Plan {
            org: 0,
            kind: Kind::ElderlyCare,
            title: "独居老人关爱上门",
            place: "居民家中",
            description: "社工上门陪伴、情绪疏导，发现困难及时转介。",
            eligibility: Eligibility {
                min_age: Some(60),
                max_age: None,
                tags: vec![CareTag::ElderlyAlone, CareTag::Aged],
            },
            weekday: 3,
            times: &["09:30"],
            minutes: 90,
            places: 4,
        },
        Plan {
            org: 1,
            kind: Kind::LegalAid,
            title: "法律咨询",
            place: "社区服务大厅 2 号窗口",
            description: "律师现场解答婚姻家庭、继承、邻里纠纷、劳动争议等问题。",
            eligibility: Eligibility { min_age: Some(18), ..anyone.clone() },
            weekday: 4,
            times: &["09:00"],
            minutes: 180,
            places: 6,
        },
        Plan {
            org: 2,
            kind: Kind::Children,
            title: "四点半课堂",
            place: "社区图书室",
            description: "放学后作业辅导与阅读，志愿者老师陪伴，留守儿童优先。",
            eligibility: Eligibility { min_age: Some(6), max_age: Some(12), tags: Vec::new() },
            weekday: 0,
            times: &["16:30"],
            minutes: 90,
            places: 15,
        },
    ];
    let today = crate::today();
    let now = crate::now_ms();
    let adults = born_between(store, community_id, "1950-01-01", "2005-12-31", 600).await?;
    let elderly = born_between(store, community_id, "1930-01-01", "1962-12-31", 200).await?;
    let children = born_between(
        store,
        community_id,
        &(today - chrono::Days::new(12 * 366)).to_string(),
        &(today - chrono::Days::new(6 * 366)).to_string(),
        200,
    )
    .await?;
    let mut services = Vec::new();
    for plan in &plans {
        let id = store
            .create_service(&NewService {
                community_id,
                organisation_id: orgs[plan.org],
                kind: plan.kind,
                title: plan.title.into(),
                description: plan.description.into(),
                place: plan.place.into(),
                eligibility: plan.eligibility.clone(),
                by: cast.social_staff,
            })
            .await?;
        services.push(id);
        let pool = match plan.kind {
            Kind::ElderlyCare => &elderly,
            Kind::Children => &children,
            _ => &adults,
        };
        // Four weeks back, two ahead, on the plan's weekday.
        for week in -4i64..=2 {
            let monday = today
                - chrono::Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()))
                + chrono::Duration::weeks(week);
            let day = monday + chrono::Duration::days(i64::from(plan.weekday));
            for time in plan.times {
                let starts_at = format!("{day} {time}");
                let past = day < today;
                let slot: i64 = transaction!(store, |tx| crate::on!(tx, |c| sqlx::query_scalar(
                    "INSERT INTO service_slots (service_id, starts_at, minutes, capacity, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id"
                )
                .bind(id)
                .bind(&starts_at)
                .bind(plan.minutes)
                .bind(plan.places)
                .bind(now)
                .fetch_one(c)
                .await)?)?;
                if !past {
                    continue;
                }
                // A past slot: mostly full, mostly served.
                let n = (plan.places - rng.gen_range(0..=plan.places / 3)).max(1) as usize;
                let chosen: Vec<&(i64, i64)> = pool.choose_multiple(rng, n).collect();
                for (line, (resident, grid)) in chosen.into_iter().enumerate() {
                    let served = rng.gen_bool(0.88);
                    let notes = if served && rng.gen_bool(0.7) {
                        Some(store.key().seal(
                            crate::services::bookings::NOTES_FIELD,
                            NOTES.choose(rng).copied().unwrap_or_default(),
                        )?)
                    } else {
                        None
                    };
                    transaction!(store, |tx| {
                        exec!(
                        tx,
                        sqlx::query(
                            "INSERT INTO bookings (slot_id, service_id, community_id, resident_id, grid_id, booked_by, status, \
                             line, reminded, notes_sealed, served_by, created_at, updated_at) \
                             SELECT $1, $2, $3, $4, $5, a.id, $6, $7, TRUE, $8, $9, $10, $10 FROM accounts a \
                             WHERE a.id = COALESCE((SELECT MIN(id) FROM accounts WHERE resident_id = $4), $9)"
                        )
                        .bind(slot)
                        .bind(id)
                        .bind(community_id)
                        .bind(resident)
                        .bind(grid)
                        .bind(if served { "served" } else { "no_show" })
                        .bind(line as i64 + 1)
                        .bind(&notes)
                        .bind(cast.social_staff)
                        .bind(now - (today - day).num_days() * 86_400_000)
                    )?
                    })?;
                }
            }
        }
    }

    // Upcoming: next week's first counselling hour is full with two in line; the demo
    // resident has a legal consultation booked.
    let counselling = store.slots(services[0], Some(&crate::services::now_local())).await?;
    if let Some(first) = counselling.first() {
        for (i, (resident, _)) in adults.iter().skip(40).take(3).enumerate() {
            store.book(first.id, *resident, cast.grid_worker, i > 0, None).await?;
        }
    }
    let legal = store.slots(services[2], Some(&crate::services::now_local())).await?;
    if let Some(first) = legal.first() {
        store.book(first.id, cast.demo_resident.1, cast.demo_resident.0, false, None).await?;
        for (resident, _) in adults.iter().skip(60).take(3) {
            store.book(first.id, *resident, cast.grid_worker, false, None).await?;
        }
    }

    // Referrals from the grid over the month, in every status.
    let steps: [(&[ReferralStatus], usize, Source, &str); 6] = [
        (
            &[ReferralStatus::Accepted, ReferralStatus::Served, ReferralStatus::Closed],
            0,
            Source::Visit,
            "走访发现长期失眠、情绪低落，本人同意接受心理疏导。",
        ),
        (
            &[ReferralStatus::Accepted, ReferralStatus::Served],
            2,
            Source::Dispute,
            "楼上漏水赔偿协商未果，当事人希望了解法律途径。",
        ),
        (&[ReferralStatus::Accepted], 1, Source::Visit, "独居高龄老人，子女在外地，需定期上门关爱。"),
        (&[ReferralStatus::Declined], 2, Source::Case, "物业费争议，要求律师出具意见。"),
        (&[], 0, Source::Visit, "丧偶不久，邻居反映情绪波动大。"),
        (&[], 3, Source::Direct, "父母外出务工，孩子放学后无人照看。"),
    ];
    for (i, (path, service, source, reason)) in steps.iter().enumerate() {
        let pool = match *service {
            1 => &elderly,
            3 => &children,
            _ => &adults,
        };
        let Some(&(resident, _)) = pool.get(100 + i) else { continue };
        let id = store
            .refer(&crate::services::NewReferral {
                community_id,
                resident_id: resident,
                service_id: services[*service],
                source: *source,
                case_id: None,
                visit_id: None,
                reason: (*reason).into(),
                by: cast.grid_worker,
            })
            .await?;
        for step in *path {
            let answer = if *step == ReferralStatus::Declined {
                "物业费争议请先由社区调解，本站不出具单方意见。"
            } else {
                ""
            };
            store.decide_referral(id, *step, answer, cast.social_staff).await?;
        }
        let back = (27 - 5 * i as i64) * 86_400_000;
        transaction!(store, |tx| exec!(
            tx,
            sqlx::query("UPDATE referrals SET created_at = created_at - $2 WHERE id = $1").bind(id).bind(back)
        )?)?;
    }
    Ok(())
}
