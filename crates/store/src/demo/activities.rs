//! The demo's activities in 和谐家园: the last Mid-Autumn festival (180 registered, most
//! came, a report), a health talk on the coming evening the demo resident is registered
//! for (check-in opens on its day), a smartphone class for older residents that is full
//! with three in line, and a residents' proposal waiting for staff.

use crate::activities::NewActivity;
use crate::{Store, StoreResult, exec, read, transaction};
use linli_domain::activity::{Kind, Organiser, Status};
use linli_domain::service::Eligibility;
use rand::Rng;
use rand::seq::SliceRandom;

/// The activities the volunteers' demo adds shifts to.
pub struct Seeded {
    pub festival: i64,
    pub festival_day: String,
    pub talk: i64,
    pub class: i64,
}

/// Mid-Autumn days (农历八月十五) of recent years.
const MID_AUTUMN: &[&str] = &["2024-09-17", "2025-10-06", "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22"];

/// An approved activity of the community, its places and times given.
fn new(
    community_id: i64,
    kind: Kind,
    title: &str,
    venue: &str,
    times: (String, String),
    capacity: i64,
    by: i64,
) -> NewActivity {
    NewActivity {
        community_id,
        kind,
        title: title.into(),
        description: String::new(),
        venue: venue.into(),
        starts_at: times.0,
        ends_at: times.1,
        capacity,
        eligibility: Eligibility::default(),
        grids: Vec::new(),
        organiser: Organiser::Community,
        organisation_id: None,
        status: Status::Approved,
        by,
    }
}

pub async fn seed(
    store: &Store,
    community_id: i64,
    staff: i64,
    resident: (i64, i64),
    rng: &mut rand_chacha::ChaCha8Rng,
) -> StoreResult<Seeded> {
    let today = crate::today();
    let now = crate::now_ms();
    let people: Vec<(i64, Option<i64>)> = read!(store, |db| {
        sqlx::query_as(
        "SELECT id, grid_id FROM residents WHERE community_id = $1 AND moved_out_on IS NULL AND id <> $2 ORDER BY id LIMIT 400"
    )
    .bind(community_id)
    .bind(resident.1)
    .fetch_all(db)
    .await?
    });

    // The last Mid-Autumn festival, held and reported.
    let day = MID_AUTUMN.iter().rev().find(|d| **d < today.to_string().as_str()).copied().unwrap_or("2026-09-25");
    let festival: i64 = transaction!(store, |tx| crate::on!(tx, |c| {
        sqlx::query_scalar(
        "INSERT INTO activities (community_id, kind, title, description, venue, starts_at, ends_at, capacity, organiser, \
         status, report, reported_at, created_by, created_at) \
         VALUES ($1, 'festival', '中秋游园会', $2, '社区中心广场', $3, $4, 200, 'community', 'approved', $5, $6, $7, $6) RETURNING id"
    )
    .bind(community_id)
    .bind("猜灯谜、做月饼、邻里才艺表演，欢迎全家参加。现场有志愿者引导。")
    .bind(format!("{day} 18:30"))
    .bind(format!("{day} 21:00"))
    .bind("中秋之夜，社区中心广场灯笼高挂。居民们一起猜灯谜、学做冰皮月饼，三位小朋友表演了诗朗诵，\
           退休教师带来了书法展示。活动由社区居委会主办，志愿者负责秩序与引导。感谢大家的参与！")
    .bind(now)
    .bind(staff)
    .fetch_one(c)
    .await
    })?)?;
    let mut codes: Vec<u32> = (100_000..999_999).step_by(4_999).collect();
    codes.shuffle(rng);
    for (i, (r, grid)) in people.iter().take(180).enumerate() {
        let status = if rng.gen_bool(0.84) { "served" } else { "no_show" };
        transaction!(store, |tx| {
            exec!(
            tx,
            sqlx::query(
                "INSERT INTO registrations (activity_id, community_id, resident_id, grid_id, registered_by, status, line, code, \
                 checked_in_at, checked_in_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
            )
            .bind(festival)
            .bind(community_id)
            .bind(r)
            .bind(grid)
            .bind(staff)
            .bind(status)
            .bind(i as i64 + 1)
            .bind(format!("{:06}", codes.get(i).copied().unwrap_or(i as u32)))
            .bind(if status == "served" { Some(now) } else { None })
            .bind(if status == "served" { Some(staff) } else { None })
            .bind(now)
        )?
        })?;
    }

    // A health talk on the coming evening (today if it is still early), the demo resident in.
    let local = crate::services::now_local();
    let talk_day =
        if local.as_str() < format!("{today} 18:00").as_str() { today } else { today + chrono::Days::new(1) };
    let mut talk = new(
        community_id,
        Kind::Talk,
        "冬季养生健康讲座",
        "社区活动中心多功能厅",
        (format!("{talk_day} 19:00"), format!("{talk_day} 20:30")),
        60,
        staff,
    );
    talk.description = "社区卫生服务中心医生讲解冬季心脑血管疾病预防，现场免费测血压。".into();
    let talk = store.create_activity(&talk).await?;
    store.register(talk, resident.1, resident.0, false).await?;
    for (r, _) in people.iter().skip(200).take(35) {
        store.register(talk, *r, staff, false).await?;
    }

    // A smartphone class for older residents: full, three in line.
    let class_day = today + chrono::Days::new(5);
    let mut class = new(
        community_id,
        Kind::Class,
        "老年人智能手机课堂",
        "社区图书室",
        (format!("{class_day} 09:30"), format!("{class_day} 11:00")),
        12,
        staff,
    );
    class.description = "手把手教健康码、挂号、视频通话和防范电信诈骗。请带上自己的手机。".into();
    class.eligibility = Eligibility { min_age: Some(55), ..Eligibility::default() };
    let class = store.create_activity(&class).await?;
    let older: Vec<i64> = read!(store, |db| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND birth_date <= '1970-12-31' AND moved_out_on IS NULL \
         ORDER BY id DESC LIMIT 15"
    )
    .bind(community_id)
    .fetch_all(db)
    .await?);
    for r in older {
        store.register(class, r, staff, true).await?;
    }

    // A residents' proposal, waiting for staff.
    let market_day = today + chrono::Days::new(12);
    let mut market = new(
        community_id,
        Kind::Children,
        "周末亲子跳蚤市场",
        "3 号楼南侧空地",
        (format!("{market_day} 09:00"), format!("{market_day} 11:30")),
        40,
        resident.0,
    );
    market.organiser = Organiser::Residents;
    market.status = Status::Proposed;
    market.description = "孩子们把不用的玩具和书拿来交换，家长志愿者负责摊位，不收费。".into();
    store.create_activity(&market).await?;
    Ok(Seeded { festival, festival_day: day.to_string(), talk, class })
}
