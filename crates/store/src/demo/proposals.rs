//! The demo's residents' proposals in 和谐家园: verified neighbours' accounts (username
//! `jumin01` …, the demo password), and proposals in every state: two of the demo
//! resident's (one still editable), one collecting supports, one past its threshold waiting
//! for the community, one taken to the joint meeting's ledger, one answered, one rejected,
//! one withdrawn and one hidden with its reason.

use crate::proposals::NewProposal;
use crate::{Store, StoreError, StoreResult, exec, on, transaction};
use linli_domain::proposal::Decision;

/// Creates `n` verified resident accounts of the community, each standing for a resident
/// of record other than `except`, with the same password as the account `like`; returns
/// (account, resident) pairs.
async fn neighbours(store: &Store, community_id: i64, except: i64, like: i64, n: i64) -> StoreResult<Vec<(i64, i64)>> {
    let now = crate::now_ms();
    transaction!(store, |tx| {
        let residents: Vec<(i64, String)> = on!(tx, |c| {
            sqlx::query_as("SELECT id, name FROM residents WHERE community_id = $1 AND id <> $2 ORDER BY id LIMIT $3")
                .bind(community_id)
                .bind(except)
                .bind(n)
                .fetch_all(c)
                .await
        })?;
        let mut out = Vec::new();
        for (i, (resident, name)) in residents.iter().enumerate() {
            let account: i64 = on!(tx, |c| {
                sqlx::query_scalar(
                    "INSERT INTO accounts (username, display_name, password_hash, password_changed_at, created_at, resident_id) \
                     SELECT $1, $2, password_hash, $3, $3, $4 FROM accounts WHERE id = $5 RETURNING id",
                )
                .bind(format!("jumin{:02}", i + 1))
                .bind(name)
                .bind(now)
                .bind(resident)
                .bind(like)
                .fetch_one(c)
                .await
            })?;
            exec!(
                tx,
                sqlx::query("INSERT INTO role_assignments (account_id, role, community_id, created_at) VALUES ($1, 'resident', $2, $3)")
                    .bind(account)
                    .bind(community_id)
                    .bind(now)
            )?;
            out.push((account, *resident));
        }
        out
    })
}

/// A demo proposal: its author (account, resident), title, text, how many support it, and
/// the community's decision (none: hidden) with its words.
type Plan<'a> = ((i64, i64), &'a str, &'a str, usize, Option<(Option<Decision>, &'a str)>);

pub async fn seed(store: &Store, community_id: i64, resident: (i64, i64), staff: i64) -> StoreResult<()> {
    // Half a per cent of adults: the threshold a neighbourhood can reach in the demo.
    store.set_proposal_permille(community_id, 5, staff).await?;
    let needed = store.proposal_threshold(community_id).await?;
    let people = neighbours(store, community_id, resident.1, resident.0, needed + 8).await?;
    let (author_of, rest) = people.split_at(8);
    let propose = |(account_id, resident_id): (i64, i64), title: &str, body: &str| NewProposal {
        community_id,
        account_id,
        resident_id,
        title: title.into(),
        body: body.into(),
        photos: Vec::new(),
    };
    let plans: [Plan; 9] = [
        (
            resident,
            "北门增设一处快递柜",
            "小区只有南门一处快递柜，北区 6 栋楼的老人取件要走十几分钟，建议在北门物业用房旁再设一处。",
            4,
            None,
        ),
        (resident, "楼道加装扶手", "4 号楼、5 号楼楼梯较陡，建议在一至三层楼道加装扶手，方便老人上下楼。", 0, None),
        (
            author_of[0],
            "3 号楼加装电梯",
            "3 号楼 60 岁以上老人 41 位，多位行动不便，建议申请老旧小区加装电梯补贴，由社区牵头征求全体业主意见。",
            usize::MAX,
            None,
        ),
        (
            author_of[1],
            "规定广场舞时段和音量",
            "晚上广场舞音响很响，临街楼栋孩子无法学习。建议规定时段（19:00–20:30）和音量。",
            usize::MAX,
            Some((Some(Decision::Accept), "已列入本月联席会议问题台账，由居委会、物业和舞蹈队共同商定时段和音量。")),
        ),
        (
            author_of[2],
            "公告栏增加大字版",
            "很多老人看不清公告栏的小字，建议重要通知同时张贴大字版。",
            6,
            Some((Some(Decision::Answer), "社区已要求重要通知同时张贴大字版，本周起执行。")),
        ),
        (
            author_of[3],
            "拆除围墙对外开放小区道路",
            "建议拆除东侧围墙，方便周边居民穿行。",
            2,
            Some((
                Some(Decision::Reject),
                "小区道路属于全体业主共有，开放须经业主大会决定；另涉及消防和治安，社区不予采纳，可向业委会提出。",
            )),
        ),
        (author_of[4], "增设宠物活动区", "建议在小区西侧空地划出宠物活动区。", 1, None),
        (
            author_of[5],
            "物业经理不作为",
            "物业经理就是个骗子，大家明天一起去物业办公室闹。",
            0,
            Some((None, "含人身攻击和聚集滋事的内容，已隐藏。对物业服务的意见可通过报事或业委会反映。")),
        ),
        (author_of[6], "小区增设充电桩", "电动汽车越来越多，建议在地下车库增设充电桩。", 3, None),
    ];
    for (n, (author, title, body, supports, decision)) in plans.into_iter().enumerate() {
        let id = store.propose(&propose(author, title, body)).await?;
        let p = store.proposal(id).await?;
        let supporters = rest.iter().chain(author_of.iter()).filter(|(a, _)| *a != author.0);
        for (account, res) in supporters.take(supports.min(needed as usize)) {
            store.support_proposal(&p, *res, *account).await?;
        }
        // The pet area is withdrawn by its proposer.
        if n == 6 {
            store.withdraw_proposal(&store.proposal(id).await?, author.0).await?;
        }
        if let Some((decision, answer)) = decision {
            store.decide_proposal(&store.proposal(id).await?, decision, answer, staff).await?;
        }
    }
    if rest.is_empty() {
        return Err(StoreError::Config("no neighbours for the demo's proposals".into()));
    }
    Ok(())
}
