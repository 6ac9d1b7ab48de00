//! The demo's public record: a residents' meeting decision and its implementation, the
//! quarter's relief funds and the committee's funds, published as they arose, and one item
//! left as a draft past the deadline for the staff to notice.

use crate::publicity::NewPublicItem;
use crate::{Store, StoreResult};
use linli_domain::publicity::Kind;

pub async fn seed(store: &Store, community_id: i64, staff: i64) -> StoreResult<()> {
    let day = |offset: i64| (crate::today() + chrono::Duration::days(offset)).to_string();
    let items = [
        (
            Kind::Decision,
            -62,
            true,
            "居民会议决定：7 号楼北侧绿地增设电动自行车充电棚",
            "2026 年第三次居民代表会议应到 41 人，实到 33 人；同意 30 人。决定在 7 号楼北侧绿地边角建设充电棚，提请业主大会表决。",
        ),
        (
            Kind::Implementation,
            -20,
            true,
            "老旧楼道照明改造实施情况",
            "1–6 号楼楼道灯更换为声控 LED 灯，共 216 盏，9 月 30 日完工，费用 3.2 万元由社区微更新资金支付。",
        ),
        (
            Kind::Relief,
            -12,
            true,
            "第四季度困难群众临时救助发放情况",
            "临时救助 3 户，共 4,500 元；高龄津贴 126 人，共 18,900 元。发放名单可在居委会查阅。",
        ),
        (
            Kind::Funds,
            -33,
            false,
            "居委会第三季度经费收支",
            "收入：街道拨付工作经费 6 万元。支出：办公 1.1 万元，活动 2.4 万元，慰问 0.8 万元。",
        ),
    ];
    for (kind, offset, publish, title, body) in items {
        let id = store
            .add_public_item(&NewPublicItem {
                community_id,
                kind,
                title: title.into(),
                body: body.into(),
                arose_on: day(offset),
                publish,
                by: staff,
            })
            .await?;
        if publish {
            // Published a few days after it arose.
            let at = (crate::today() + chrono::Duration::days(offset + 3))
                .and_hms_opt(2, 0, 0)
                .map_or(0, |t| t.and_utc().timestamp_millis());
            crate::transaction!(store, |tx| {
                crate::exec!(
                    tx,
                    sqlx::query("UPDATE public_records SET published_at = $1 WHERE id = $2").bind(at).bind(id)
                )?;
            })?;
        }
    }
    Ok(())
}
