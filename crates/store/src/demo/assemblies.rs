//! The demo's owners' assemblies in 和谐家园: one finished two months ago (re-hiring the
//! property company and using the maintenance fund for the lifts), with online ballots,
//! paper ballots keyed in twice (one pair that first disagreed) and proxies, counted and
//! closed; the second owners' committee elected a month ago (five seats, seven candidates,
//! one alternate); one open now (a charging shed for e-bikes on common ground, a 3/4 matter)
//! with participation still short of 2/3; and a petition for a temporary meeting short of
//! its 20% bars. The demo resident voted online in the first, has not voted in the second
//! and has not signed the petition. A year of the property company's scorecards: the
//! committee's quarterly surveys and good and bad records with their evidence.

use crate::assemblies::paper::PaperEntry;
use crate::assemblies::proxies::NewProxy;
use crate::assemblies::{Cast, NewAssembly, NewMatter};
use crate::photos::NewPhoto;
use crate::{Store, StoreError, StoreResult};
use linli_domain::assembly::{Channel, Choice, Form, Marks, MatterKind};
use linli_domain::person::IdNumber;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Who acts in the demo's assemblies.
pub struct Desk {
    /// The owners' committee member and the community's staff member who key in paper.
    pub committee: i64,
    pub staff: i64,
    /// The demo resident's account (an owner).
    pub resident: i64,
}

const DAY_MS: i64 = 86_400_000;

fn day(offset: i64) -> String {
    (crate::today() + chrono::Duration::days(offset)).to_string()
}

/// A photographed paper form: a white sheet with ruled lines and three tick boxes a row.
fn paper_photo() -> StoreResult<NewPhoto> {
    let sheet = image::RgbImage::from_fn(480, 640, |x, y| {
        let ruled = y > 80 && y % 60 < 2 && (40..440).contains(&x);
        let boxed = y > 80 && (y % 60 > 20 && y % 60 < 44) && [300, 350, 400].iter().any(|b| x == *b || x == b + 24);
        if ruled || boxed { image::Rgb([90, 90, 100]) } else { image::Rgb([246, 244, 236]) }
    });
    let encode = |img: &image::RgbImage| -> StoreResult<Vec<u8>> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(img)
            .map_err(|e| StoreError::Config(format!("demo photo: {e}")))?;
        Ok(out)
    };
    let thumb = image::imageops::thumbnail(&sheet, 240, 320);
    Ok(NewPhoto { bytes: encode(&sheet)?, thumbnail: encode(&thumb)? })
}

/// The site plan of the charging shed: the lawn, building 7 and the shed's place.
fn site_plan() -> StoreResult<Vec<u8>> {
    let plan = image::RgbImage::from_fn(640, 420, |x, y| {
        let building = (60..580).contains(&x) && (40..150).contains(&y);
        let shed = (380..560).contains(&x) && (250..330).contains(&y);
        let outline = |(x0, x1, y0, y1): (u32, u32, u32, u32)| {
            (x0..x1).contains(&x) && (y0..y1).contains(&y) && (x < x0 + 3 || x + 3 >= x1 || y < y0 + 3 || y + 3 >= y1)
        };
        if outline((380, 560, 250, 330)) {
            image::Rgb([200, 40, 40])
        } else if shed {
            image::Rgb([250, 225, 200])
        } else if building {
            image::Rgb([190, 190, 200])
        } else if y > 190 {
            image::Rgb([170, 215, 160])
        } else {
            image::Rgb([236, 234, 226])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&plan)
        .map_err(|e| StoreError::Config(format!("demo site plan: {e}")))?;
    Ok(out)
}

/// One answer drawn with the given shares of agree and oppose (the rest abstain).
fn answer(rng: &mut ChaCha8Rng, agree: f64, oppose: f64) -> Choice {
    let x: f64 = rng.r#gen();
    if x < agree {
        Choice::Agree
    } else if x < agree + oppose {
        Choice::Oppose
    } else {
        Choice::Abstain
    }
}

pub async fn seed(store: &Store, community_id: i64, desk: &Desk, rng: &mut ChaCha8Rng) -> StoreResult<()> {
    let photo = paper_photo()?;
    let own: Option<i64> = store.owners_of_account(community_id, desk.resident).await?.first().copied();

    // Two months ago: noticed, voted over two weeks, counted.
    let finished = NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id,
        title: "续聘物业服务企业及使用维修资金更换电梯".into(),
        form: Form::Written,
        opens_on: day(-75),
        closes_on: day(-61),
        allow_changes: false,
        show_running: false,
        matters: vec![
            NewMatter {
                kind: MatterKind::PropertyCompany,
                title: "续聘安居物业服务有限公司为本小区物业服务企业，服务期三年，收费标准不变".into(),
                body: String::new(),
            },
            NewMatter {
                kind: MatterKind::UseFund,
                title: "使用专项维修资金更换 3 号楼、5 号楼电梯（预算 96 万元）".into(),
                body: String::new(),
            },
        ],
    };
    let id = store.create_assembly(&finished, Some(desk.committee)).await?;
    store.publish_assembly(id, false).await?;
    let electors = store.assembly_electors(id).await?;
    let own_voter = own_elector(store, id, own).await?;
    let start_ms = crate::now_ms() - 75 * DAY_MS;
    let mut mismatch_shown = false;
    let mut proxies = 0;
    for (i, elector) in electors.iter().enumerate() {
        let offset = rng.gen_range(0..14);
        let today = day(-75 + offset);
        let at = start_ms + offset * DAY_MS + rng.gen_range(8 * 3_600_000..21 * 3_600_000);
        let marks = Marks::Choices(vec![Some(answer(rng, 0.78, 0.15)), Some(answer(rng, 0.71, 0.2))]);
        let x: f64 = rng.r#gen();
        if Some(elector.id) == own_voter {
            store
                .cast_ballot(&online(
                    id,
                    elector.id,
                    Marks::Choices(vec![Some(Choice::Agree), Some(Choice::Agree)]),
                    Some(desk.resident),
                    today,
                    at,
                ))
                .await?;
        } else if x < 0.64 {
            store.cast_ballot(&online(id, elector.id, marks, None, today, at)).await?;
        } else if x < 0.78 {
            let by_proxy = proxies < 6 && i % 9 == 0;
            if by_proxy {
                proxies += 1;
                let birth =
                    format!("19{}{:02}{:02}", rng.gen_range(40..60), rng.gen_range(1..13), rng.gen_range(1..28));
                let number = IdNumber::with_check(&format!("310117{birth}{:03}", rng.gen_range(100..999)))
                    .ok_or_else(|| StoreError::Config("demo ID number".into()))?;
                let proxy = NewProxy {
                    assembly_id: id,
                    elector_id: elector.id,
                    name: ["刘桂兰", "陈国华", "张秀英", "王德明", "李淑珍", "周建平"][proxies - 1].into(),
                    id_number: IdNumber::parse("proxy_id_number", &number, crate::today())
                        .map_err(StoreError::Invalid)?,
                    authorisation: photo.clone(),
                    registered_by: desk.committee,
                };
                store.register_proxy(&proxy).await?;
            }
            let entry = |by: i64, marks: Marks, photo: Option<NewPhoto>| PaperEntry {
                assembly_id: id,
                elector_id: elector.id,
                marks,
                by_proxy,
                photo,
                entered_by: by,
                today: day(-61),
                at: start_ms + 14 * DAY_MS + 3_600_000,
            };
            store.enter_paper(&entry(desk.committee, marks.clone(), Some(photo.clone()))).await?;
            if !mismatch_shown && !by_proxy {
                // Keyed in wrongly once, then checked against the photo and corrected.
                mismatch_shown = true;
                store
                    .enter_paper(&entry(
                        desk.staff,
                        Marks::Choices(vec![Some(Choice::Oppose), Some(Choice::Oppose)]),
                        None,
                    ))
                    .await?;
            }
            store.enter_paper(&entry(desk.staff, marks, None)).await?;
        }
    }
    store.count_assembly(id, &day(-59), &day(-52)).await?;
    store.finalise_assembly(id, &day(-50)).await?;
    backdate(store, id, [-90, -59, -50]).await?;

    // A month ago: the second owners' committee elected, five seats from seven candidates.
    election(store, community_id, desk, rng, own).await?;

    // Open now: five days in, nine to go.
    let open = NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id,
        title: "利用小区北侧绿地边角增设电动自行车集中充电棚".into(),
        form: Form::Written,
        opens_on: day(-5),
        closes_on: day(9),
        allow_changes: true,
        show_running: false,
        matters: vec![NewMatter {
            kind: MatterKind::CommonParts,
            title: "在 7 号楼北侧绿地边角（约 60 m²）建设电动自行车集中充电棚，由物业公司运营，收费用于公共维修".into(),
            body: String::new(),
        }],
    };
    let id = store.create_assembly(&open, Some(desk.committee)).await?;
    let matter = store.assembly_matters(id).await?[0].id;
    let plan = crate::assemblies::documents::NewDocument {
        matter_id: matter,
        title: "充电棚位置示意图（7 号楼北侧）".into(),
        content_type: "image/jpeg",
        bytes: site_plan()?,
    };
    store.add_document(id, &plan, desk.committee).await?;
    store.publish_assembly(id, false).await?;
    let start_ms = crate::now_ms() - 5 * DAY_MS;
    let own_voter = own_elector(store, id, own).await?;
    for elector in store.assembly_electors(id).await? {
        let offset = rng.gen_range(0..5);
        let at = start_ms + offset * DAY_MS + rng.gen_range(8 * 3_600_000..21 * 3_600_000);
        let marks = Marks::Choices(vec![Some(answer(rng, 0.8, 0.12))]);
        let x: f64 = rng.r#gen();
        if own_voter == Some(elector.id) {
            continue;
        }
        if x < 0.34 {
            store.cast_ballot(&online(id, elector.id, marks, None, day(-5 + offset), at)).await?;
        } else if x < 0.40 {
            let entry = |by: i64, photo: Option<NewPhoto>| PaperEntry {
                assembly_id: id,
                elector_id: elector.id,
                marks: marks.clone(),
                by_proxy: false,
                photo,
                entered_by: by,
                today: day(0),
                at: crate::now_ms(),
            };
            store.enter_paper(&entry(desk.committee, Some(photo.clone()))).await?;
            // A few wait for their second entry on the desk.
            if x < 0.38 {
                store.enter_paper(&entry(desk.staff, None)).await?;
            }
        }
    }

    // A petition for a temporary meeting, signed by about one owner in seven: short of its
    // 20% bars, and not yet signed by the demo resident.
    use linli_domain::ownership::Holder;
    let mut signers = Vec::new();
    for v in linli_domain::ownership::voters(&store.holdings(community_id).await?) {
        if let Some(Holder::Owner(o)) = v.holders.first()
            && Some(*o) != own
            && rng.gen_bool(0.14)
        {
            signers.push(*o);
        }
    }
    store
        .start_petition(
            community_id,
            "使用维修资金更换 3 号楼二次供水水泵",
            "3 号楼二次供水水泵已运行十二年，今年以来三次停水，物业检修后仍有异响。\n提议召开临时业主大会会议，表决使用专项维修资金更换水泵及控制柜。",
            desk.resident,
            &signers,
        )
        .await?;
    Ok(())
}

/// The committee election: seven candidates for five seats; about four owners in five vote
/// online, in three groups that each agree to five candidates, so five are elected, one
/// passes as an alternate and one does not pass.
async fn election(
    store: &Store,
    community_id: i64,
    desk: &Desk,
    rng: &mut ChaCha8Rng,
    own: Option<i64>,
) -> StoreResult<()> {
    use linli_domain::election::Nomination;
    use linli_domain::ownership::Holder;
    let new = NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: Some(5),
        community_id,
        title: "第二届业主委员会换届选举".into(),
        form: Form::Meeting,
        opens_on: day(-40),
        closes_on: day(-33),
        allow_changes: false,
        show_running: false,
        matters: Vec::new(),
    };
    let id = store.create_assembly(&new, Some(desk.committee)).await?;
    let assembly = store.assembly(id).await?;
    let voters = linli_domain::ownership::voters(&store.holdings(community_id).await?);
    let people: Vec<i64> = voters
        .iter()
        .filter_map(|v| match v.holders[..] {
            [Holder::Owner(o)] if Some(o) != own => Some(o),
            _ => None,
        })
        .collect();
    let statements = [
        (Nomination::Party, "中共党员，退休前任区房管所工程师，熟悉房屋维修和维修资金使用"),
        (Nomination::ResidentsCommittee, "楼栋长，参与过小区停车改造协调"),
        (Nomination::SelfNominated, "执业律师，愿为业主提供合同和法律方面的把关"),
        (Nomination::Joint, "会计师，愿负责公共收益和维修资金的账目公开"),
        (Nomination::SelfNominated, "第一届业主委员会委员，愿意继续服务"),
        (Nomination::Joint, "年轻业主代表，熟悉线上工具，愿负责信息公开"),
        (Nomination::SelfNominated, "希望加强小区安保"),
    ];
    for (i, (nomination, statement)) in statements.iter().enumerate() {
        let owner = people[(i * 137 + 11) % people.len()];
        store.add_candidate(&assembly, owner, *nomination, statement).await?;
    }
    store.publish_assembly(id, false).await?;
    let start_ms = crate::now_ms() - 40 * DAY_MS;
    let own_voter = own_elector(store, id, own).await?;
    for elector in store.assembly_electors(id).await? {
        let x: f64 = rng.r#gen();
        if x > 0.8 && own_voter != Some(elector.id) {
            continue;
        }
        let set: &[usize] = match x {
            x if x < 0.32 => &[1, 2, 3, 4, 5],
            x if x < 0.60 => &[1, 2, 3, 4, 6],
            _ => &[1, 2, 3, 5, 6],
        };
        let marks = Marks::Choices(
            (1..=7).map(|k| Some(if set.contains(&k) { Choice::Agree } else { Choice::Oppose })).collect(),
        );
        let offset = rng.gen_range(0..7);
        let at = start_ms + offset * DAY_MS + rng.gen_range(8 * 3_600_000..21 * 3_600_000);
        store.cast_ballot(&online(id, elector.id, marks, None, day(-40 + offset), at)).await?;
    }
    store.count_assembly(id, &day(-32), &day(-25)).await?;
    store.finalise_assembly(id, &day(-23)).await?;
    backdate(store, id, [-55, -32, -23]).await?;

    // The committee's first duties done: its first meeting, the filing and one decision.
    let committee = store.committees(community_id).await?.remove(0);
    let members = store.member_ids(committee.id).await?;
    store
        .record_first_meeting(
            committee.id,
            &day(-20),
            members[0],
            members[1],
            "全体委员到会。推选主任、副主任；分工：维修资金和公共收益账目、物业服务监督、信息公开。",
            desk.committee,
        )
        .await?;
    store.record_filing(committee.id, &day(-12), desk.committee).await?;
    let decision = store
        .record_decision(
            committee.id,
            "每季度公开公共收益和维修资金账目",
            "自本季度起，每季度第一个月 10 日前在公告栏和平台公开上季度公共收益收支和维修资金使用明细。",
            &day(-9),
            &members[..4],
            desk.committee,
        )
        .await?;
    store.publish_decision(committee.id, decision).await
}

/// Dates an assembly's notice, count and final result (and the notices owners got of them)
/// on the given days from today, 10:00 China time, as if they had happened then.
async fn backdate(store: &Store, id: i64, [noticed, counted, finalised]: [i64; 3]) -> StoreResult<()> {
    let at = |offset: i64| {
        let date = crate::today() + chrono::Duration::days(offset);
        date.and_hms_opt(2, 0, 0).map_or(0, |t| t.and_utc().timestamp_millis())
    };
    crate::transaction!(store, |tx| {
        crate::exec!(
            tx,
            sqlx::query("UPDATE assemblies SET noticed_at = $1, counted_at = $2, finalised_at = $3 WHERE id = $4")
                .bind(at(noticed))
                .bind(at(counted))
                .bind(at(finalised))
                .bind(id)
        )?;
        for (kind, offset) in [("assembly_noticed", noticed), ("assembly_final", finalised)] {
            crate::exec!(
                tx,
                sqlx::query("UPDATE notifications SET created_at = $1 WHERE assembly_id = $2 AND kind = $3")
                    .bind(at(offset))
                    .bind(id)
                    .bind(kind)
            )?;
        }
        let finalised_on = (crate::today() + chrono::Duration::days(finalised)).to_string();
        crate::exec!(
            tx,
            sqlx::query(
                "UPDATE public_records SET published_at = $1, created_at = $1, arose_on = $2 WHERE assembly_id = $3"
            )
            .bind(at(finalised))
            .bind(finalised_on)
            .bind(id)
        )?;
    })
}

/// The demo resident's place on an assembly's roll.
async fn own_elector(store: &Store, assembly_id: i64, owner: Option<i64>) -> StoreResult<Option<i64>> {
    Ok(match owner {
        Some(o) => store.elector_of_owner(assembly_id, o).await?.map(|e| e.id),
        None => None,
    })
}

/// An online ballot as the demo casts it.
fn online(assembly_id: i64, elector_id: i64, marks: Marks, cast_by: Option<i64>, today: String, at: i64) -> Cast {
    Cast { assembly_id, elector_id, channel: Channel::Online, marks, cast_by, on_paper: false, today, at }
}

/// A year of supervising the property company: the owners' committee's survey each quarter
/// and the good and bad records the community's staff entered with their evidence.
pub async fn scorecards(store: &Store, company: i64, desk: &Desk) -> StoreResult<()> {
    use linli_domain::scorecard::{RecordKind, quarter, quarter_of};
    let mut within = crate::today();
    for satisfied in [88, 85, 78, 82] {
        let q = quarter_of(within);
        store.record_survey(company, &q, "owners_committee", 120, satisfied, desk.committee).await?;
        within = quarter(&q).map_or(within, |(first, _)| first).pred_opt().unwrap_or(within);
    }
    let records = [
        (RecordKind::Bad, 50, "电梯困人 40 分钟未到场", "3 号楼 2 号梯困人报警记录、街道检查记录第 12 号", -200),
        (RecordKind::Good, 20, "配合社区完成消防演练", "社区消防演练签到表和照片", -150),
        (RecordKind::Bad, 30, "二次供水水箱清洗逾期", "卫生监督抽查通知书（逾期 21 天）", -95),
        (RecordKind::Good, 10, "保安拾金不昧，业主送表扬信", "业主表扬信原件扫描", -40),
    ];
    for (kind, points, title, evidence, days_ago) in records {
        let new = crate::scorecards::NewRecord {
            organisation_id: company,
            kind,
            points,
            title: title.into(),
            evidence: evidence.into(),
            occurred_on: day(days_ago),
        };
        store.add_property_record(&new, desk.staff).await?;
    }
    Ok(())
}

/// An owner living in the estate has opened an account and asked to be verified; the
/// request waits in the staff's queue.
pub async fn verification(store: &Store, community_id: i64) -> StoreResult<()> {
    use linli_domain::identity::{DisplayName, NewPassword, Phone};
    let found: Option<(String, String)> = crate::read!(store, |db| sqlx::query_as(
        "SELECT o.name, o.id_number_enc FROM owners o WHERE o.community_id = $1 AND o.kind = 'person' \
         AND o.resident_id IS NOT NULL AND o.id_number_enc IS NOT NULL AND o.account_id IS NULL \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = o.resident_id) ORDER BY o.id DESC LIMIT 1"
    )
    .bind(community_id)
    .fetch_optional(db)
    .await?);
    let Some((name, sealed)) = found else { return Ok(()) };
    let id = store.key().open(crate::registry::FIELD_ID_NUMBER, &sealed)?;
    let id = linli_domain::person::IdNumber::parse("id_number", &id, crate::today()).map_err(StoreError::Invalid)?;
    let bad = |e: linli_domain::FieldError| StoreError::Invalid(e);
    let account = store
        .create_account(&crate::accounts::NewAccount {
            username: None,
            phone: Some(Phone::parse("phone", "13900139000").map_err(bad)?),
            display_name: DisplayName::parse("display_name", &name).map_err(bad)?,
            password: NewPassword::parse("password", super::DEMO_PASSWORD).map_err(bad)?,
            assignments: vec![crate::accounts::NewAssignment {
                role: linli_domain::Role::Resident,
                street_id: None,
                community_id: Some(community_id),
                organisation_id: None,
            }],
            grid_ids: Vec::new(),
        })
        .await?;
    store.request_verification(account, community_id, &name, &id).await?;
    Ok(())
}
