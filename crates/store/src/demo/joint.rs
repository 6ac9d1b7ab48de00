//! The demo's joint mechanism in 和谐家园: six monthly joint meetings with their agendas,
//! attendance and minutes, and one convened for next month; resolutions in every state (struck
//! off with evidence, in weighted parts, following a case in the loop, due soon, overdue and
//! about to be escalated, just decided); and a ledger with items from every source, one
//! waiting for the next meeting and one dropped with its reason.

use crate::cases::NewCase;
use crate::joint::ledger::NewLedgerItem;
use crate::joint::meetings::NewMeeting;
use crate::joint::resolutions::NewResolution;
use crate::{Store, StoreError, StoreResult, exec, transaction};
use chrono::{Duration, NaiveTime};
use linli_domain::case::{Event, Source as CaseSource};
use linli_domain::joint::Source;
use linli_domain::worktime::utc_ms;

/// Who sits at the demo's table.
pub struct Table {
    pub director: i64,
    pub staff: i64,
    pub committee: i64,
    pub property: i64,
    pub social: i64,
    pub grid_worker: i64,
    pub grid_id: i64,
}

/// A day `offset` days from today at 14:30, China time.
fn afternoon(offset: i64) -> i64 {
    let day = crate::today() + Duration::days(offset);
    utc_ms(day.and_time(NaiveTime::from_hms_opt(14, 30, 0).unwrap_or_default()))
}

fn day(offset: i64) -> chrono::NaiveDate {
    crate::today() + Duration::days(offset)
}

/// Moves what was written now back to when it happened: the meeting held, a resolution
/// decided or struck off on its day.
async fn backdate(store: &Store, meeting: i64, held: i64, struck: &[(i64, i64)]) -> StoreResult<()> {
    transaction!(store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE joint_meetings SET held_at = $1, created_at = $1 - 1209600000 WHERE id = $2 AND held_at IS NOT NULL")
                .bind(held + 7_200_000)
                .bind(meeting)
        )?;
        exec!(
            tx,
            sqlx::query("UPDATE resolutions SET created_at = $1 WHERE meeting_id = $2").bind(held).bind(meeting)
        )?;
        for (id, at) in struck {
            exec!(tx, sqlx::query("UPDATE resolutions SET done_at = $1 WHERE id = $2").bind(at).bind(id))?;
            exec!(
                tx,
                sqlx::query("UPDATE resolution_updates SET at = $1 WHERE resolution_id = $2 AND kind = 'struck_off'")
                    .bind(at)
                    .bind(id)
            )?;
        }
    })
}

pub async fn seed(store: &Store, community_id: i64, t: &Table) -> StoreResult<()> {
    let orgs = store.organisations(community_id).await?;
    let org = |kind: &str| orgs.iter().find(|o| o.kind == kind).map(|o| o.id).ok_or(StoreError::NotFound);
    let (residents, owners, company, social) =
        (org("residents_committee")?, org("owners_committee")?, org("property_company")?, org("social_organisation")?);
    let raise = |source: Source, title: &str, body: &str, by: i64, organisation_id: Option<i64>| NewLedgerItem {
        community_id,
        source,
        title: title.into(),
        body: body.into(),
        case_id: None,
        organisation_id,
        by,
    };
    let guests = vec!["社区民警 李警官".to_owned(), "街道城管科 王科长".to_owned()];
    let mut meetings = Vec::new();
    for (n, offset) in [-150i64, -120, -90, -60, -30, -2].into_iter().enumerate() {
        let month = day(offset).format("%Y 年 %-m 月");
        let id = store
            .schedule_meeting(&NewMeeting {
                community_id,
                title: format!("{month}社区联席会议"),
                starts_at: afternoon(offset),
                place: "社区党群服务中心二楼会议室".into(),
                guests: if n % 2 == 0 { guests.clone() } else { guests[..1].to_vec() },
                by: t.director,
            })
            .await?;
        meetings.push((id, offset));
    }
    let resolve = |title: &str, organisation_id: i64, due: i64, ledger_item_id: Option<i64>| NewResolution {
        ledger_item_id,
        parent_id: None,
        weight: None,
        title: title.into(),
        organisation_id,
        due_on: day(due),
        by: t.director,
    };
    // What each meeting took up, decided and how it went.
    let mut struck: Vec<Vec<(i64, i64)>> = vec![Vec::new(); meetings.len()];

    // 1. Parking at the south gate: decided, done, struck off.
    let item = store
        .raise_ledger_item(&raise(
            Source::Visit,
            "小区南门停车混乱，消防通道被占",
            "网格员巡查发现南门两侧长期停满车辆，救护车曾无法进入。",
            t.grid_worker,
            None,
        ))
        .await?;
    let (m, off) = meetings[0];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let r = store
        .add_resolution(&meeting, &resolve("南门两侧施划禁停线、设置 12 个临时车位", company, off + 20, Some(item)))
        .await?;
    store.report_progress(&store.resolution(r).await?, 60, "禁停线已施划，车位待验收", t.property).await?;
    store.strike_off(&store.resolution(r).await?, "现场验收合格，照片存档 2026-08 第 3 号", t.director).await?;
    struck[0].push((r, afternoon(off + 18)));

    // 2. Elderly living alone: in weighted parts, both done.
    let item = store
        .raise_ledger_item(&raise(
            Source::Visit,
            "独居老人用电安全隐患",
            "走访发现 32 户独居老人家中电线老化、无烟感报警器。",
            t.grid_worker,
            None,
        ))
        .await?;
    let (m, off) = meetings[1];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let whole = store
        .add_resolution(&meeting, &resolve("为 32 户独居老人排查线路并加装烟感", residents, off + 45, Some(item)))
        .await?;
    for (title, party, weight, evidence) in [
        ("入户排查线路", company, 40u8, "32 户排查完毕，更换老化线路 11 户"),
        ("加装独立式烟感报警器", social, 60, "32 户全部安装，教会老人测试"),
    ] {
        let part =
            NewResolution { parent_id: Some(whole), weight: Some(weight), ..resolve(title, party, off + 40, None) };
        let id = store.add_resolution(&meeting, &part).await?;
        store.strike_off(&store.resolution(id).await?, evidence, t.director).await?;
        struck[1].push((id, afternoon(off + 35)));
    }
    store.strike_off(&store.resolution(whole).await?, "两项子任务均已完成，回访老人 32 户", t.director).await?;
    struck[1].push((whole, afternoon(off + 38)));

    // 3. The owners' committee's motion on common income: done.
    let item = store
        .raise_ledger_item(&raise(
            Source::Motion,
            "小区公共收益按季公开",
            "业委会提议物业将电梯广告、停车等公共收益按季度在公示栏公开。",
            t.committee,
            Some(owners),
        ))
        .await?;
    let (m, off) = meetings[2];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let r =
        store.add_resolution(&meeting, &resolve("物业按季度公示公共收益收支", company, off + 30, Some(item))).await?;
    store.strike_off(&store.resolution(r).await?, "第三季度收支已在公示栏和居务公开栏张贴", t.director).await?;
    struck[2].push((r, afternoon(off + 25)));

    // 4. A flooded garage: the resolution follows its case in the loop.
    let item = store
        .raise_ledger_item(&raise(
            Source::Case,
            "7 号楼地下车库雨天反复积水",
            "同一问题三个月内报事 5 次，物业抽水后仍反复。",
            t.staff,
            None,
        ))
        .await?;
    let (m, _) = meetings[3];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let r = store.add_resolution(&meeting, &resolve("疏通车库排水沟并加装挡水板", company, 10, Some(item))).await?;
    let category = store.case_categories().await?.into_iter().find(|c| c.code == "0103").map(|c| c.id);
    if let Some(category_id) = category {
        // At the garage's building: the first of the grid.
        let building = store.buildings_in_grid(t.grid_id).await?.into_iter().min_by_key(|b| b.id);
        let new = NewCase {
            community_id,
            grid_id: Some(t.grid_id),
            building_id: building.as_ref().map(|b| b.id),
            lon: building.as_ref().map(|b| b.lon),
            lat: building.as_ref().map(|b| b.lat),
            address: building.as_ref().map(|b| format!("{}地下车库", b.name)).unwrap_or_default(),
            category_id,
            source: CaseSource::Meeting,
            description: "7 号楼车库排水沟疏通，入口加装挡水板".into(),
            reporter_account_id: Some(t.staff),
            reporter_name: "李敏".into(),
            ..NewCase::default()
        };
        let case = store.open_resolution_case(&store.resolution(r).await?, &new, t.staff).await?;
        store.apply_case_step(case, Some(t.staff), &Event::Register, "").await?;
        store.apply_case_step(case, Some(t.staff), &Event::Dispatch, "").await?;
        store.apply_case_step(case, Some(t.property), &Event::Accept, "已安排施工队").await?;
    }
    let drop = store
        .raise_ledger_item(&raise(
            Source::PartyRequest,
            "物业费上调",
            "物业公司请求讨论物业费调价。",
            t.property,
            Some(company),
        ))
        .await?;
    store.drop_ledger_item(community_id, drop, "物业费调整须由业主大会决定，已转业委会按程序办理", t.director).await?;

    // 5. E-bikes: one part overdue (the worker escalates it), one due soon.
    let item = store
        .raise_ledger_item(&raise(
            Source::PartyRequest,
            "电动自行车进楼充电屡劝不止",
            "物业多次劝阻无效，存在火灾隐患。",
            t.property,
            Some(company),
        ))
        .await?;
    let (m, _) = meetings[4];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let r = store.add_resolution(&meeting, &resolve("开展电动车安全宣传进楼栋", residents, -5, Some(item))).await?;
    store.report_progress(&store.resolution(r).await?, 40, "已完成 1–6 号楼宣传", t.staff).await?;
    let r = store.add_resolution(&meeting, &resolve("增设集中充电桩 20 个", company, 2, Some(item))).await?;
    store.report_progress(&store.resolution(r).await?, 60, "充电桩已到货，正在接电", t.property).await?;

    // 6. Last week's meeting: just decided.
    let item = store
        .raise_ledger_item(&raise(
            Source::Visit,
            "垃圾分类投放点异味、混投",
            "3 号、9 号投放点晚间混投严重，居民投诉异味。",
            t.grid_worker,
            None,
        ))
        .await?;
    let (m, off) = meetings[5];
    let meeting = store.meeting(m).await?;
    store.add_to_agenda(&meeting, &[item], t.director).await?;
    let r =
        store.add_resolution(&meeting, &resolve("组织志愿者晚间桶边督导一个月", social, off + 30, Some(item))).await?;
    store.report_progress(&store.resolution(r).await?, 10, "已招募志愿者 14 人", t.social).await?;

    // Minutes of every meeting held: most parties came.
    for (n, (m, off)) in meetings.iter().enumerate() {
        let meeting = store.meeting(*m).await?;
        let members = store.meeting_members(*m).await?;
        let present: Vec<i64> =
            members.iter().enumerate().filter(|(i, _)| *i == 0 || (i + n) % 5 != 4).map(|(_, x)| x.id).collect();
        let agenda = store.meeting_agenda(*m).await?;
        let topics: Vec<String> = agenda.iter().map(|i| format!("“{}”", i.title)).collect();
        let minutes = format!(
            "会议由社区党委书记王秀英主持。会议听取了上次会议决议落实情况的汇报，研究了{}等问题，形成决议如下（见决议清单），明确责任单位和完成期限，由社区党委督办。",
            topics.join("、")
        );
        store.record_minutes(&meeting, &minutes, &present, t.director).await?;
        backdate(store, *m, afternoon(*off), &struck[n]).await?;
    }

    // Next month's meeting, with a waiting item on its agenda and one still open.
    let next = store
        .schedule_meeting(&NewMeeting {
            community_id,
            title: format!("{}社区联席会议", day(33).format("%Y 年 %-m 月")),
            starts_at: afternoon(33),
            place: "社区党群服务中心二楼会议室".into(),
            guests: guests[..1].to_vec(),
            by: t.director,
        })
        .await?;
    let item = store
        .raise_ledger_item(&raise(
            Source::Visit,
            "小区西侧围墙破损",
            "西侧围墙约 6 米倒塌，外来人员可随意进出。",
            t.grid_worker,
            None,
        ))
        .await?;
    store.add_to_agenda(&store.meeting(next).await?, &[item], t.director).await?;
    store
        .raise_ledger_item(&raise(
            Source::Alarm,
            "5 号楼水箱水位告警反复出现",
            "近一个月水位低告警 9 次，物业检修后仍复发。",
            t.staff,
            None,
        ))
        .await?;
    Ok(())
}
