//! The demo's consultations in 和谐家园: a major matter (the e-bike charging shed) taken
//! through 四议两公开 over two months, with its decision and implementation result on the
//! public board; and an ordinary consultation on the square-dance noise halfway through.

use crate::consultations::{NewConsultation, NewStep};
use crate::{Store, StoreResult, exec, transaction};
use linli_domain::consultation::{Kind, Step, Vote};

/// A step as the demo took it: the step, its day (from today), its record, and a meeting's
/// members, present and agreeing.
type Planned<'a> = (Step, i64, &'a str, Option<(u32, u32, u32)>);

pub async fn seed(store: &Store, community_id: i64, staff: i64) -> StoreResult<()> {
    let day = |offset: i64| (crate::today() + chrono::Duration::days(offset)).to_string();
    let plans: [(Kind, &str, &str, &[Planned]); 2] = [
        (
            Kind::Major,
            "7 号楼北侧建设电动自行车充电棚",
            "居民议事提出电动自行车进楼充电隐患大，拟在 7 号楼北侧绿地边角建设充电棚，约需 12 万元。",
            &[
                (Step::Propose, -70, "社区党委根据居民议事和联席会议意见，提议建设集中充电棚。", None),
                (Step::Discuss, -64, "社区党委、居委会联席商议，同意提交党员大会审议。", Some((9, 8, 8))),
                (Step::Review, -57, "社区党员大会审议，同意建设方案和资金来源。", Some((46, 35, 31))),
                (Step::Decide, -50, "居民代表会议表决通过建设方案，费用由小区公共收益列支。", Some((41, 33, 30))),
                (
                    Step::PublishDecision,
                    -48,
                    "居民代表会议决定：在 7 号楼北侧绿地边角建设电动自行车充电棚，设充电口 60 个，费用约 12 万元由小区公共收益列支，由物业公司组织施工。",
                    None,
                ),
                (
                    Step::PublishResult,
                    -6,
                    "充电棚已建成并通过消防验收，设充电口 60 个，实际费用 11.4 万元。自 12 月起开放使用。",
                    None,
                ),
            ],
        ),
        (
            Kind::Ordinary,
            "广场舞时段和音量",
            "居民反映晚间广场舞音量大，影响临街楼栋居民休息和学生学习。",
            &[
                (Step::Propose, -12, "根据居民议事提议和网格员走访收集的意见提出议题。", None),
                (
                    Step::Participants,
                    -10,
                    "临街楼栋居民代表 6 人、舞蹈队 3 人、业委会 1 人、物业 1 人、社区民警 1 人。",
                    None,
                ),
                (Step::Briefing, -8, "协商前三天在楼栋群和公告栏通报协商议题和时间。", None),
            ],
        ),
    ];
    for (kind, title, topic, steps) in plans {
        let id = store
            .start_consultation(&NewConsultation {
                community_id,
                kind,
                title: title.into(),
                topic: topic.into(),
                proposal_id: None,
                by: staff,
            })
            .await?;
        for (step, offset, note, vote) in steps {
            let c = store.consultation(id).await?;
            let vote = vote.map(|(members, present, agree)| Vote { members, present, agree });
            let public = match step {
                Step::PublishDecision => "决议",
                Step::PublishResult => "实施结果",
                _ => "",
            };
            let new = NewStep {
                step: *step,
                held_on: day(*offset),
                note: (*note).into(),
                vote,
                passed: true,
                public_title: format!("{title}：{public}"),
                by: staff,
            };
            store.record_step(&c, &new).await?;
            // Published the day the step was taken.
            if step.publishes().is_some() {
                let at = (crate::today() + chrono::Duration::days(*offset))
                    .and_hms_opt(2, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis());
                transaction!(store, |tx| {
                    exec!(
                        tx,
                        sqlx::query(
                            "UPDATE public_records SET published_at = $1, created_at = $1 WHERE consultation_id = $2 AND arose_on = $3"
                        )
                        .bind(at)
                        .bind(id)
                        .bind(day(*offset))
                    )?;
                })?;
            }
        }
    }
    Ok(())
}
