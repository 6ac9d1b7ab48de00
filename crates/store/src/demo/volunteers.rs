//! The demo's volunteers and points in 和谐家园: thirty volunteers (the demo resident among
//! them), a standing team and two projects (one run by the counselling organisation), the
//! Mid-Autumn festival's shifts with the hours its organiser recorded, hours of last
//! month's stairwell clean-up, shifts open on the coming talk and class, a first-aid
//! training and an award on the record, one correction waiting for staff, and a points
//! shop with redemptions (one handed over, one reversed, the demo resident's to collect).
//! Everything goes through the store's own calls, so the points are earned and spent by
//! the same rules as in use.

use super::activities::Seeded;
use crate::points::NewItem;
use crate::volunteers::NewHours;
use crate::{Store, StoreResult, read, transaction};
use linli_domain::volunteer::{EntryKind, TeamKind};
use rand::Rng;

pub struct Cast {
    pub staff: i64,
    /// (account, resident)
    pub demo_resident: (i64, i64),
    /// The counselling organisation and its staff account.
    pub organisation: (i64, i64),
}

/// Festival shifts: role, start, end, places.
const FESTIVAL_SHIFTS: &[(&str, &str, &str, i64)] =
    &[("签到引导", "18:00", "21:00", 8), ("秩序维护", "18:00", "21:30", 8), ("月饼制作指导", "18:30", "20:30", 4)];

/// Minutes since midnight of `HH:MM`.
fn clock(hm: &str) -> i64 {
    let (h, m) = hm.split_once(':').unwrap_or(("0", "0"));
    h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0)
}

pub async fn seed(
    store: &Store,
    community_id: i64,
    cast: &Cast,
    held: &Seeded,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> StoreResult<()> {
    let community = store.community(community_id).await?;
    let committee = format!("{}居民委员会", community.name);
    let people: Vec<i64> = read!(store, |db| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND moved_out_on IS NULL AND id <> $2 \
         AND birth_date <= '2006-12-31' ORDER BY id DESC LIMIT 29"
    )
    .bind(community_id)
    .bind(cast.demo_resident.1)
    .fetch_all(db)
    .await?);
    let me = store.join_volunteers(cast.demo_resident.1, "摄影", true, cast.demo_resident.0).await?;
    let mut volunteers = vec![(me, cast.demo_resident.1)];
    for (i, &r) in people.iter().enumerate() {
        let skills = ["", "理发", "医护", "书法", "维修", "法律"][i % 6];
        volunteers.push((store.join_volunteers(r, skills, rng.gen_bool(0.6), cast.staff).await?, r));
    }

    let team = store
        .create_team(
            community_id,
            None,
            TeamKind::Team,
            "和谐家园志愿服务队",
            "社区常设志愿队伍，承担活动保障、敬老助残和应急服务。",
            cast.staff,
        )
        .await?;
    let stairs = store
        .create_team(
            community_id,
            None,
            TeamKind::Project,
            "楼道清洁行动",
            "每月第一个周六清理楼道堆物、张贴消防提示。",
            cast.staff,
        )
        .await?;
    let company = store
        .create_team(
            community_id,
            Some(cast.organisation.0),
            TeamKind::Project,
            "心晴陪伴计划",
            "志愿者每周上门陪伴独居老人聊天，由心理咨询师督导。",
            cast.organisation.1,
        )
        .await?;
    for (i, (v, _)) in volunteers.iter().enumerate() {
        store.set_membership(team, *v, true).await?;
        if i % 3 == 0 {
            store.set_membership(stairs, *v, true).await?;
        }
        if i % 5 == 1 {
            store.set_membership(company, *v, true).await?;
        }
    }

    // The festival's shifts, signed up for before it and recorded after by its organiser.
    let day = &held.festival_day;
    let now = crate::now_ms();
    let mut next = volunteers.iter();
    for (role, from, to, places) in FESTIVAL_SHIFTS {
        let shift: i64 = transaction!(store, |tx| crate::on!(tx, |c| {
            sqlx::query_scalar(
            "INSERT INTO shifts (activity_id, role, starts_at, ends_at, capacity) VALUES ($1, $2, $3, $4, $5) RETURNING id"
        )
        .bind(held.festival)
        .bind(role)
        .bind(format!("{day} {from}"))
        .bind(format!("{day} {to}"))
        .bind(places)
        .fetch_one(c)
        .await
        })?)?;
        let minutes = clock(to) - clock(from);
        for line in 1..=*places {
            let Some(&(volunteer, resident)) = next.next() else { break };
            let signup: i64 = transaction!(store, |tx| crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO shift_signups (shift_id, resident_id, status, line, created_at, updated_at) \
                 VALUES ($1, $2, 'booked', $3, $4, $4) RETURNING id"
            )
            .bind(shift)
            .bind(resident)
            .bind(line)
            .bind(now)
            .fetch_one(c)
            .await)?)?;
            // Most stayed to the end; a few left early.
            let served = if rng.gen_bool(0.8) { minutes } else { minutes - 60 };
            store
                .record_hours(&NewHours {
                    volunteer_id: volunteer,
                    signup_id: Some(signup),
                    activity_id: Some(held.festival),
                    team_id: Some(team),
                    project: "中秋游园会".into(),
                    served_on: day.clone(),
                    minutes: served,
                    content: role.to_string(),
                    issuer: committee.clone(),
                    organisation_id: None,
                    by: cast.staff,
                })
                .await?;
        }
    }

    // Last month's stairwell clean-up, and the counselling project's visits.
    let today = crate::today();
    let clean_day = (today - chrono::Days::new(26)).to_string();
    for (i, (volunteer, _)) in volunteers.iter().enumerate().filter(|(i, _)| i % 3 == 0) {
        let h = store
            .record_hours(&NewHours {
                volunteer_id: *volunteer,
                signup_id: None,
                activity_id: None,
                team_id: Some(stairs),
                project: "楼道清洁行动".into(),
                served_on: clean_day.clone(),
                minutes: if i % 2 == 0 { 120 } else { 90 },
                content: "清理楼道堆物，张贴消防安全提示".into(),
                issuer: committee.clone(),
                organisation_id: None,
                by: cast.staff,
            })
            .await?;
        if i == 3 {
            store.ask_correction(h, 150, "我从 8:30 开始一直做到 11:00，记录少了一个小时。").await?;
        }
    }
    for (week, (volunteer, _)) in volunteers.iter().enumerate().filter(|(i, _)| i % 5 == 1) {
        store
            .record_hours(&NewHours {
                volunteer_id: *volunteer,
                signup_id: None,
                activity_id: None,
                team_id: Some(company),
                project: "心晴陪伴计划".into(),
                served_on: (today - chrono::Days::new(7 + week as u64)).to_string(),
                minutes: 60,
                content: "上门陪伴独居老人聊天".into(),
                issuer: "心晴心理咨询服务中心".into(),
                organisation_id: Some(cast.organisation.0),
                by: cast.organisation.1,
            })
            .await?;
    }
    let training_day = (today - chrono::Days::new(40)).to_string();
    for (volunteer, _) in volunteers.iter().take(12) {
        store
            .add_record_entry(
                *volunteer,
                EntryKind::Training,
                "社区志愿者应急救护培训（4 学时）",
                &training_day,
                &committee,
                cast.staff,
            )
            .await?;
    }
    store
        .add_record_entry(
            volunteers[1].0,
            EntryKind::Award,
            "年度优秀志愿者",
            &(today - chrono::Days::new(20)).to_string(),
            &committee,
            cast.staff,
        )
        .await?;

    // Shifts open on what is coming; two volunteers signed up for the talk.
    let talk = store.activity(held.talk).await?;
    let shift = store.add_shift(held.talk, "协助测血压", &talk.starts_at, &talk.ends_at, 3).await?;
    for (_, r) in volunteers.iter().skip(2).take(2) {
        store.sign_up(shift, *r, false).await?;
    }
    let class = store.activity(held.class).await?;
    store.add_shift(held.class, "手机课助教", &class.starts_at, &class.ends_at, 2).await?;

    // The points shop, and what was redeemed.
    let items = [
        ("社区食堂餐券", "一餐午饭，凭券在社区长者食堂使用。", 15, 50),
        ("免费理发券", "志愿者理发师每周二上午服务。", 20, 15),
        ("洗衣液一瓶", "2 升装。", 30, 20),
        ("家电清洗上门服务", "空调或油烟机清洗一次，由物业安排。", 80, 5),
    ];
    let mut ids = Vec::new();
    for (title, description, cost, stock) in items {
        let new = NewItem {
            community_id,
            organisation_id: None,
            title: title.into(),
            description: description.into(),
            cost,
            stock,
            by: cast.staff,
        };
        ids.push(store.create_item(&new).await?);
    }
    store.redeem(ids[1], cast.demo_resident.1, cast.demo_resident.0).await?;
    for (i, (_, r)) in volunteers.iter().enumerate().skip(1).take(8) {
        let Ok(id) = store.redeem(ids[i % 3], *r, cast.staff).await else { continue };
        match i % 4 {
            0 => store.hand_over(id, cast.staff).await?,
            1 if i == 1 => store.reverse_redemption(id, "居民改换其他物品", cast.staff).await?,
            _ => {}
        }
    }
    Ok(())
}
