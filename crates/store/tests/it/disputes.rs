//! Disputes in the store, on both backends: a dispute report with its risk and sealed
//! parties, a threat of violence escalated at once, mediation records on the timeline,
//! a mediation that ends once, the follow-up after an agreement, and the half-monthly
//! screening sweeps, including the ones that found nothing.

use chrono::NaiveDate;
use linli_domain::dispute::{FollowUp, Referral, Risk, SessionOutcome, Settlement, Side, half_month};
use linli_domain::identity::Phone;
use linli_store::cases::NewCase;
use linli_store::disputes::{NewDispute, NewParty, NewSession, NewSweep};
use linli_store::{StoreError, read};
use linli_test_support::{TestDb, dual_backend_test, small_demo};

async fn category(db: &TestDb, code: &str) -> i64 {
    db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == code).unwrap().id
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dispute_report(community_id: i64, grid_id: i64, category_id: i64, risk: Risk) -> NewCase {
    NewCase {
        community_id,
        grid_id: Some(grid_id),
        category_id,
        source: linli_domain::case::Source::Resident,
        description: "楼上每天夜里十二点还在拖家具，沟通无果".into(),
        reporter_name: "赵敏".into(),
        dispute: Some(NewDispute {
            risk,
            parties: vec![
                NewParty { side: Side::Applicant, name: "赵敏".into(), phone: None },
                NewParty {
                    side: Side::Respondent,
                    name: "钱多多".into(),
                    phone: Some(Phone::parse("phone", "13912345678").unwrap()),
                },
            ],
        }),
        ..Default::default()
    }
}

async fn kinds(db: &TestDb, case_id: i64) -> Vec<String> {
    db.store.case_timeline(case_id).await.unwrap().into_iter().map(|e| e.kind).collect()
}

dual_backend_test!(a_dispute_report_seals_its_parties_and_a_threat_of_violence_escalates_at_once, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "0301").await;
    let calm =
        db.store.report_case(&dispute_report(demo.community_id, demo.grid_ids[0], cat, Risk::Normal)).await.unwrap();
    let calm_case = db.store.case(calm.case_id).await.unwrap();
    assert_eq!(calm_case.level, "grid");
    let d = db.store.dispute(calm.case_id).await.unwrap().unwrap();
    assert_eq!(d.risk, "normal");
    let names: Vec<_> = d.parties.iter().map(|p| (p.side.as_str(), p.name.as_str())).collect();
    assert_eq!(names, [("applicant", "赵敏"), ("respondent", "钱多多")]);
    assert_eq!(d.parties[1].phone_masked.as_deref(), Some("139****5678"));
    let raw: Vec<(String, Option<String>)> = read!(db.store, |pool| sqlx::query_as(
        "SELECT name_sealed, phone_sealed FROM dispute_parties WHERE case_id = $1"
    )
    .bind(calm.case_id)
    .fetch_all(pool)
    .await
    .unwrap());
    assert!(
        raw.iter().all(|(n, p)| !n.contains("钱") && !n.contains("赵") && !p.as_deref().unwrap_or("").contains("1391"))
    );

    let urgent =
        db.store.report_case(&dispute_report(demo.community_id, demo.grid_ids[0], cat, Risk::Violence)).await.unwrap();
    let case = db.store.case(urgent.case_id).await.unwrap();
    assert_eq!((case.state.as_str(), case.level.as_str()), ("reported", "community"), "escalated at once");
    assert_eq!(kinds(&db, urgent.case_id).await, ["report", "escalate"]);

    // A problem case has no dispute, and no mediation can be recorded on it.
    let problem = db
        .store
        .report_case(&NewCase {
            community_id: demo.community_id,
            grid_id: Some(demo.grid_ids[0]),
            category_id: category(&db, "0201").await,
            source: linli_domain::case::Source::Resident,
            description: "路灯不亮".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(db.store.dispute(problem.case_id).await.unwrap().is_none());
    let session = NewSession {
        held_on: day("2026-11-20"),
        mediators: "李娜".into(),
        outcome: SessionOutcome::Continue,
        notes: String::new(),
    };
    assert!(matches!(db.store.record_mediation(problem.case_id, None, &session).await, Err(StoreError::NotFound)));
    assert_eq!(kinds(&db, problem.case_id).await, ["report"]);
});

dual_backend_test!(mediation_goes_on_the_timeline_ends_once_and_is_followed_up, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let cat = category(&db, "0302").await;
    let id = db
        .store
        .report_case(&dispute_report(demo.community_id, demo.grid_ids[0], cat, Risk::Normal))
        .await
        .unwrap()
        .case_id;
    let early = NewSession {
        held_on: day("2026-11-19"),
        mediators: "李娜".into(),
        outcome: SessionOutcome::Continue,
        notes: String::new(),
    };
    let e = db.store.record_mediation(id, Some(staff), &early).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "action"), "not before registration");
    db.store.apply_case_step(id, Some(staff), &linli_domain::case::Event::Register, "").await.unwrap();
    let session = |on: &str, outcome, notes: &str| NewSession {
        held_on: day(on),
        mediators: "李娜、人民调解员王建国".into(),
        outcome,
        notes: notes.into(),
    };
    db.store
        .record_mediation(id, Some(staff), &session("2026-11-20", SessionOutcome::Continue, "双方情绪激动"))
        .await
        .unwrap();
    db.store.record_mediation(id, Some(staff), &session("2026-11-24", SessionOutcome::Agreed, "")).await.unwrap();
    let blank = NewSession { mediators: " ".into(), ..session("2026-11-24", SessionOutcome::Agreed, "") };
    let e = db.store.record_mediation(id, Some(staff), &blank).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "mediators"));

    // No follow-up before there is an agreement.
    let e = db.store.record_follow_up(id, Some(staff), FollowUp::Kept, day("2026-11-25")).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "follow_up"));
    let e = db.store.settle_dispute(id, Some(staff), Settlement::Agreement, day("2026-11-24"), " ").await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "agreement"), "an agreement has its text");
    let text = "双方同意：漏水由楼上住户负责维修并赔偿 800 元";
    db.store.settle_dispute(id, Some(staff), Settlement::Agreement, day("2026-11-24"), text).await.unwrap();
    let e = db.store.settle_dispute(id, Some(staff), Settlement::Failed, day("2026-11-25"), "").await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "settlement"), "a mediation ends once");
    let e = db.store.record_follow_up(id, Some(staff), FollowUp::Kept, day("2026-11-23")).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "not before the agreement");
    db.store.record_follow_up(id, Some(staff), FollowUp::Kept, day("2026-11-26")).await.unwrap();
    let e = db
        .store
        .record_mediation(id, Some(staff), &session("2026-11-26", SessionOutcome::Continue, ""))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)), "no sessions after the mediation ended");
    let e = db.store.refer_dispute(id, Some(staff), Referral::LegalAid).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "referral"), "an agreement is not referred");

    let d = db.store.dispute(id).await.unwrap().unwrap();
    assert_eq!(d.sessions.len(), 2);
    assert_eq!(d.sessions[0].notes, "双方情绪激动");
    assert_eq!((d.settlement, d.settled_on.as_deref()), (Some(Settlement::Agreement), Some("2026-11-24")));
    assert_eq!(d.agreement.as_deref(), Some(text));
    assert_eq!((d.follow_up, d.referral), (Some(FollowUp::Kept), None));
    let sealed: String =
        read!(db.store, |pool| sqlx::query_scalar("SELECT agreement_sealed FROM disputes WHERE case_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap());
    assert!(!sealed.contains("赔偿") && !sealed.contains("800 元"), "the agreement is sealed at rest");
    let timeline = db.store.case_timeline(id).await.unwrap();
    let k: Vec<_> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(k, ["report", "register", "mediation", "mediation", "settlement", "follow_up"]);
    assert!(timeline.windows(2).all(|w| w[0].to_state == w[1].from_state), "a chained timeline");
    assert!(!timeline.iter().any(|e| e.note.contains("情绪")), "sealed notes stay off the timeline");
    assert_eq!(db.store.case(id).await.unwrap().state, "registered", "records change no state");
});

dual_backend_test!(raising_the_risk_to_violence_escalates_a_grid_case, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let cat = category(&db, "0303").await;
    let id = db
        .store
        .report_case(&dispute_report(demo.community_id, demo.grid_ids[1], cat, Risk::Normal))
        .await
        .unwrap()
        .case_id;
    db.store.set_dispute_risk(id, Some(staff), Risk::High).await.unwrap();
    assert_eq!(db.store.case(id).await.unwrap().level, "grid", "high risk is watched, not escalated");
    db.store.set_dispute_risk(id, Some(staff), Risk::Violence).await.unwrap();
    let case = db.store.case(id).await.unwrap();
    assert_eq!(case.level, "community");
    assert_eq!(kinds(&db, id).await, ["report", "risk", "risk", "escalate"]);
    assert_eq!(db.store.dispute(id).await.unwrap().unwrap().risk, "violence");
});

dual_backend_test!(sweeps_are_counted_per_grid_and_half_month_and_an_empty_one_counts, |db| {
    let demo = linli_store::demo::load(&db.store, &linli_store::demo::DemoSpec { case_days: 0, ..small_demo() })
        .await
        .unwrap();
    let worker = demo.account(linli_domain::Role::GridWorker).unwrap().account_id;
    let sweep = |grid_id, on: &str, found| NewSweep {
        community_id: demo.community_id,
        grid_id,
        swept_on: day(on),
        account_id: Some(worker),
        found,
        note: String::new(),
    };
    let before = db.store.sweeps_in(demo.community_id, "2026-11-2").await.unwrap();
    assert!(before.iter().all(|g| g.sweeps == 0), "no sweeps without case history");
    db.store.record_sweep(&sweep(demo.grid_ids[0], "2026-11-16", 0)).await.unwrap();
    db.store.record_sweep(&sweep(demo.grid_ids[0], "2026-11-26", 2)).await.unwrap();
    db.store.record_sweep(&sweep(demo.grid_ids[1], "2026-11-15", 1)).await.unwrap();
    let e = db.store.record_sweep(&sweep(demo.grid_ids[1], "2026-11-20", 101)).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "found"));
    let now = db.store.sweeps_in(demo.community_id, &half_month(day("2026-11-20"))).await.unwrap();
    let first = now.iter().find(|g| g.grid_id == demo.grid_ids[0]).unwrap();
    assert_eq!((first.sweeps, first.found, first.last_on.as_deref()), (2, 2, Some("2026-11-26")));
    let second = now.iter().find(|g| g.grid_id == demo.grid_ids[1]).unwrap();
    assert_eq!(second.sweeps, 0, "the 15th belongs to the first half of the month");
    let earlier = db.store.sweeps_in(demo.community_id, "2026-11-1").await.unwrap();
    assert_eq!(earlier.iter().find(|g| g.grid_id == demo.grid_ids[1]).unwrap().found, 1);
    let grids = db.store.grids(demo.community_id).await.unwrap().len();
    assert_eq!(now.len(), grids, "every grid is listed, swept or not");
});

dual_backend_test!(the_demo_has_mediated_disputes_and_sweeps_with_one_grid_left_to_screen, |db| {
    let spec = linli_store::demo::DemoSpec { case_days: 42, cases_per_day: 8, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let (disputes, sessions, agreements): (i64, i64, i64) = read!(db.store, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM disputes), (SELECT COUNT(*) FROM mediation_sessions), \
         (SELECT COUNT(*) FROM disputes WHERE settlement = 'agreement')"
    )
    .fetch_one(pool)
    .await
    .unwrap());
    assert!(disputes > 5 && sessions > 0 && agreements > 0, "{disputes} {sessions} {agreements}");
    // A timeline that reads sensibly: no session goes on after the one that agreed.
    let mediated: Vec<i64> =
        read!(db.store, |pool| sqlx::query_scalar("SELECT DISTINCT case_id FROM mediation_sessions ORDER BY case_id")
            .fetch_all(pool)
            .await
            .unwrap());
    for case in mediated {
        let outcomes: Vec<String> = db
            .store
            .case_timeline(case)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| match e.remark() {
                Some(linli_domain::case::Remark::Mediation { outcome, .. }) => Some(outcome),
                _ => None,
            })
            .collect();
        let agreed = outcomes.iter().position(|o| o == "agreed");
        assert!(agreed.is_none_or(|i| i + 1 == outcomes.len()), "case {case}: {outcomes:?}");
    }
    let today = linli_domain::worktime::china_time(linli_store::now_ms()).date();
    let this = db.store.sweeps_in(demo.community_id, &half_month(today)).await.unwrap();
    assert_eq!(this.iter().filter(|g| g.sweeps == 0).count(), 1, "one grid still to screen");
});
