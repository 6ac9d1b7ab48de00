//! The demo's surveys in 和谐家园: this quarter's satisfaction survey of the property company
//! (anonymous, to every adult, open for nine more days, about 160 answers so far, run by
//! the residents' committee; it goes into the scorecard when it closes), and a named survey
//! of one building on adding a lift, whose reasons question is asked only of those against.

use crate::surveys::NewSurvey;
use crate::{Store, StoreResult, read};
use linli_domain::announcement::Audience;
use linli_domain::survey::{DEFAULT_SCALE, Draft, Given, Kind};
use rand::Rng;
use rand::seq::SliceRandom;

fn question(kind: Kind, prompt: &str, options: &[&str], show_if: Option<i64>) -> Draft {
    Draft {
        kind,
        prompt: prompt.into(),
        required: kind != Kind::Text,
        options: options.iter().map(|o| (*o).to_owned()).collect(),
        min_choices: if kind == Kind::Multiple { 1 } else { 0 },
        max_choices: if kind == Kind::Multiple { 3 } else { 0 },
        scale: if kind == Kind::Rating { DEFAULT_SCALE } else { 0 },
        show_if,
    }
}

/// Everyone a sent survey reached, by resident.
async fn invited(store: &Store, survey_id: i64) -> StoreResult<Vec<i64>> {
    Ok(read!(store, |db| {
        sqlx::query_scalar(
        "SELECT resident_id FROM survey_invitations WHERE survey_id = $1 AND resident_id IS NOT NULL ORDER BY resident_id"
    )
    .bind(survey_id)
    .fetch_all(db)
    .await?
    }))
}

pub async fn seed(
    store: &Store,
    community_id: i64,
    staff: i64,
    company: i64,
    rng: &mut rand_chacha::ChaCha8Rng,
) -> StoreResult<()> {
    let today = crate::today();
    let day = |d: i64| (today + chrono::Duration::days(d)).to_string();
    let quarter = linli_domain::scorecard::quarter_of(today);
    let company_name: String = read!(store, |db| sqlx::query_scalar("SELECT name FROM organisations WHERE id = $1")
        .bind(company)
        .fetch_one(db)
        .await?);
    let base = |title: String, anonymous: bool, audience: Audience, places: Vec<i64>| NewSurvey {
        community_id,
        title,
        intro: String::new(),
        anonymous,
        audience,
        places,
        roles: Vec::new(),
        opens_on: day(-5),
        closes_on: day(9),
        scorecard: None,
        by: staff,
    };

    // The quarter's satisfaction survey, anonymous, to everyone.
    let satisfaction = NewSurvey {
        intro: "本问卷匿名填写，结果将计入物业服务企业信用评价。感谢您的参与！".into(),
        scorecard: Some((company, quarter.clone(), "residents_committee")),
        ..base(format!("{company_name} {quarter} 物业服务满意度调查"), true, Audience::Community, Vec::new())
    };
    let questions = [
        question(Kind::Rating, "您对物业服务的总体满意度", &[], None),
        question(Kind::Rating, "环境卫生与保洁", &[], None),
        question(Kind::Rating, "秩序维护与安全", &[], None),
        question(Kind::Rating, "报修响应与维修质量", &[], None),
        question(
            Kind::Multiple,
            "您最希望改进的方面",
            &["停车管理", "绿化养护", "电梯运行", "收费公开", "噪音与秩序"],
            None,
        ),
        question(Kind::Text, "其他意见和建议", &[], None),
    ];
    let id = store.create_survey(&satisfaction, &questions).await?;
    store.send_survey(id, staff).await?;
    let s = store.survey(id).await?;
    let qs = store.questions(id).await?;
    let remarks =
        ["地库照明经常坏，希望及时修", "保安夜间巡逻比以前好多了", "电梯维保请提前张贴通知", "快递柜旁垃圾要及时清理"];
    let mut people = invited(store, id).await?;
    people.shuffle(rng);
    for (n, resident) in people.into_iter().take(160).enumerate() {
        // Mostly content, a tail unhappy with repairs.
        let mood: i64 = rng.gen_range(2..=5).max(rng.gen_range(1..=5));
        let mut answers: Vec<(i64, Given)> = Vec::new();
        for (i, q) in qs[..4].iter().enumerate() {
            // Each aspect near the overall mood; repairs a point lower.
            let v = match i {
                0 => mood,
                3 => mood - 1,
                _ => mood + rng.gen_range(-1..=1),
            };
            answers.push((q.id, Given::Rating(v.clamp(1, 5))));
        }
        let options = &qs[4].options;
        let mut picked: Vec<i64> = options.choose_multiple(rng, 1 + n % 3).map(|o| o.0).collect();
        picked.sort_unstable();
        answers.push((qs[4].id, Given::Choices(picked)));
        if n % 9 == 0 {
            answers.push((qs[5].id, Given::Text(remarks[n / 9 % remarks.len()].into())));
        }
        store.answer_survey(&s, None, Some(resident), &answers).await?;
    }

    // A named survey of the first building on adding a lift.
    let building: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM buildings WHERE community_id = $1")
        .bind(community_id)
        .fetch_one(db)
        .await?);
    let lift = NewSurvey {
        intro: "加装电梯须经本单元业主表决。此次为意愿摸底，实名填写，便于网格员上门沟通。".into(),
        ..base("1 号楼加装电梯意愿调查".into(), false, Audience::Buildings, vec![building])
    };
    let first = [question(Kind::Single, "您是否同意本楼加装电梯？", &["同意", "不同意", "无所谓"], None)];
    let id = store.create_survey(&lift, &first).await?;
    let against = store.questions(id).await?[0].options[1].0;
    store.add_question(id, &question(Kind::Text, "不同意的主要原因", &[], Some(against))).await?;
    store.add_question(id, &question(Kind::Rating, "您对加装方案（草案）的评价", &[], None)).await?;
    store.send_survey(id, staff).await?;
    let s = store.survey(id).await?;
    let qs = store.questions(id).await?;
    let reasons = ["一楼住户，担心采光和噪音", "费用分摊不清楚", "担心施工影响出行"];
    for (n, resident) in invited(store, id).await?.into_iter().enumerate().filter(|(n, _)| n % 3 != 2) {
        let choice = qs[0].options[if n % 5 == 1 {
            1
        } else if n % 7 == 3 {
            2
        } else {
            0
        }]
        .0;
        let mut answers = vec![(qs[0].id, Given::Choices(vec![choice]))];
        if choice == against {
            answers.push((qs[1].id, Given::Text(reasons[n % reasons.len()].into())));
        }
        answers.push((qs[2].id, Given::Rating(rng.gen_range(3..=5))));
        store.answer_survey(&s, None, Some(resident), &answers).await?;
    }
    Ok(())
}
