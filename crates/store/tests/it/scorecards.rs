//! The property company's scorecard in the store, on both backends: records count for a
//! year up to the quarter's last day, surveys of the quarter pool, one survey per convener.

use linli_domain::scorecard::{Grade, RecordKind, ScoreRules};
use linli_store::scorecards::NewRecord;
use linli_store::{StoreError, read};
use linli_test_support::{dual_backend_test, small_demo};

dual_backend_test!(a_quarters_scorecard_counts_the_years_records_and_pools_the_surveys, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let company: i64 = read!(db.store, |d| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE community_id = $1 AND kind = 'property_company' ORDER BY id LIMIT 1"
    )
    .bind(demo.community_id)
    .fetch_one(d)
    .await
    .unwrap());
    let record = |kind: RecordKind, points: i64, on: &str| NewRecord {
        organisation_id: company,
        kind,
        points,
        title: "电梯困人 40 分钟未到场".into(),
        evidence: "街道检查记录 2026-09 第 12 号".into(),
        occurred_on: on.into(),
    };
    // In force for 2026-Q4: from 2026-01-01 to 2026-12-31. One a day too old, one after the quarter.
    db.store.add_property_record(&record(RecordKind::Bad, 50, "2026-01-01"), staff).await.unwrap();
    db.store.add_property_record(&record(RecordKind::Bad, 70, "2025-12-31"), staff).await.unwrap();
    db.store.add_property_record(&record(RecordKind::Good, 20, "2026-12-31"), staff).await.unwrap();
    db.store.add_property_record(&record(RecordKind::Good, 90, "2027-01-01"), staff).await.unwrap();
    db.store.record_survey(company, "2026-Q4", "owners_committee", 100, 80, staff).await.unwrap();
    db.store.record_survey(company, "2026-Q4", "residents_committee", 100, 90, staff).await.unwrap();
    match db.store.record_survey(company, "2026-Q4", "owners_committee", 10, 1, staff).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.field, "quarter"),
        other => panic!("a second survey by the same convener: {other:?}"),
    }
    match db.store.record_survey(company, "2026-Q3", "owners_committee", 10, 11, staff).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.field, "satisfied"),
        other => panic!("more satisfied than surveyed: {other:?}"),
    }

    let card = db.store.scorecard(company, "2026-Q4", ScoreRules::default()).await.unwrap();
    assert_eq!((card.inputs.good, card.inputs.bad), (20, 50), "the year up to the quarter's last day");
    assert_eq!(card.records.len(), 2);
    let survey = card.inputs.survey.unwrap();
    assert_eq!((survey.num, survey.den), (170, 200), "the quarter's surveys pooled");
    assert_eq!(card.score.survey, 85);
    // The score adds the survey and the records in force to the base and the case points.
    assert!((0..=200).contains(&card.score.service));
    assert_eq!(card.score.total, 600 + card.score.service + 85 + 20 - 50);
    // The case figures are the company's own, as the indicator query counts them.
    let scope = linli_store::cases::IndicatorScope {
        community_ids: vec![demo.community_id],
        grid_ids: None,
        organisation_ids: Some(vec![company]),
    };
    let (first, last) = linli_domain::scorecard::quarter("2026-Q4").unwrap();
    let ms = |d: chrono::NaiveDate| linli_domain::worktime::utc_ms(d.and_hms_opt(0, 0, 0).unwrap());
    let direct = db
        .store
        .case_indicators(
            &scope,
            ms(first),
            ms(last.succ_opt().unwrap()),
            Default::default(),
            linli_store::cases::Dimension::Community,
        )
        .await
        .unwrap();
    assert_eq!(card.counts, direct.into_iter().map(|(_, c)| c).fold(Default::default(), |a, c| a + c));
    assert_ne!(card.score.grade, Grade::C);
    assert!(db.store.scorecard(company, "2026-Q9", ScoreRules::default()).await.is_err(), "no such quarter");
});
