//! The demo's announcements in 和谐家园: a pinned one to everyone (the new waste sorting
//! rules, read by about half), an important one to the first grid (a water cut, with a few
//! elderly residents told in person by the grid worker), and one to the grid workers.

use crate::announcements::NewAnnouncement;
use crate::{Store, StoreResult, exec, transaction};
use linli_domain::Role;
use linli_domain::announcement::Audience;

pub async fn seed(store: &Store, community_id: i64, staff: i64, grid: (i64, i64)) -> StoreResult<()> {
    let notice = |title: &str, body: &str, audience: Audience, places: Vec<i64>, roles: Vec<Role>| NewAnnouncement {
        community_id,
        title: title.into(),
        body: body.into(),
        important: audience == Audience::Grids,
        pinned: audience == Audience::Community,
        expires_on: None,
        audience,
        places,
        roles,
        by: staff,
    };
    let (everyone, _) = store
        .publish_announcement(&notice(
            "垃圾分类新规 12 月 1 日起施行",
            "自 12 月 1 日起，小区实行定时定点投放：每天 7:00–9:00、18:00–20:00 在各投放点投放，其余时间请投放至北门集中投放点。详情见各楼栋公告栏。",
            Audience::Community,
            Vec::new(),
            Vec::new(),
        ))
        .await?;
    let (water, _) = store
        .publish_announcement(&notice(
            "第一网格停水通知",
            "因主管道维修，12 月 9 日 9:00–15:00 第一网格各楼栋停水，请提前储水。如有困难请联系网格员。",
            Audience::Grids,
            vec![grid.0],
            Vec::new(),
        ))
        .await?;
    store
        .publish_announcement(&notice(
            "网格员周例会",
            "周五 15:00 社区党群服务中心二楼，汇报本周走访和矛盾排查情况。",
            Audience::Roles,
            Vec::new(),
            vec![Role::GridWorker],
        ))
        .await?;
    let now = crate::now_ms();
    transaction!(store, |tx| {
        // About half have read the waste sorting rules; a few in the first grid were told
        // of the water cut in person.
        exec!(
            tx,
            sqlx::query("UPDATE announcement_receipts SET read_at = $1 WHERE announcement_id = $2 AND id % 2 = 0")
                .bind(now - 3 * 86_400_000)
                .bind(everyone)
        )?;
        exec!(
            tx,
            sqlx::query(
                "UPDATE announcement_receipts SET told_at = $1, told_by = $2 WHERE announcement_id = $3 AND id % 9 = 0"
            )
            .bind(now - 3_600_000)
            .bind(grid.1)
            .bind(water)
        )?;
    })
}
