//! Cases in the store, on both backends: idempotent intake, the loop with its timeline,
//! routing, deadlines, and refusals that write nothing.

use linli_domain::case::Event;
use linli_store::cases::{CaseQuery, NewCase};
use linli_store::{StoreError, read};
use linli_test_support::{TestDb, dual_backend_test, small_demo};

async fn category(db: &TestDb, code: &str) -> i64 {
    db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == code).unwrap().id
}

fn report(community_id: i64, grid_id: i64, category_id: i64) -> NewCase {
    NewCase {
        community_id,
        grid_id: Some(grid_id),
        category_id,
        source: linli_domain::case::Source::Resident,
        description: "3号楼楼道堆满纸箱，影响通行".into(),
        reporter_name: "张三".into(),
        ..Default::default()
    }
}

async fn events(db: &TestDb, case_id: i64) -> i64 {
    read!(db.store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM case_events WHERE case_id = $1")
        .bind(case_id)
        .fetch_one(pool)
        .await
        .unwrap())
}

dual_backend_test!(a_resubmitted_report_creates_one_case, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "0103").await;
    let q = CaseQuery { community_id: demo.community_id, limit: 50, ..Default::default() };
    let before = db.store.cases(&q).await.unwrap().1;
    let mut new = report(demo.community_id, demo.grid_ids[0], cat);
    new.idempotency_key = Some("phone-42-retry".into());
    let first = db.store.report_case(&new).await.unwrap();
    let again = db.store.report_case(&new).await.unwrap();
    assert!(first.created && !again.created);
    assert_eq!(first.case_id, again.case_id);
    // Ten concurrent retries still make one case.
    let mut handles = Vec::new();
    for _ in 0..10 {
        let store = db.store.clone();
        let mut n = new.clone();
        n.idempotency_key = Some("burst".into());
        handles.push(tokio::spawn(async move { store.report_case(&n).await.unwrap() }));
    }
    let mut ids = Vec::new();
    for h in handles {
        ids.push(h.await.unwrap());
    }
    assert_eq!(ids.iter().filter(|i| i.created).count(), 1);
    assert!(ids.iter().all(|i| i.case_id == ids[0].case_id));
    assert_eq!(db.store.cases(&q).await.unwrap().1, before + 2);
});

dual_backend_test!(the_loop_closes_a_case_with_a_complete_timeline_and_routes_it, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "0103").await; // 楼道杂物: property company, 3 working days
    let case = db.store.report_case(&report(demo.community_id, demo.grid_ids[0], cat)).await.unwrap().case_id;
    let staff = Some(demo.accounts[0].account_id);
    let row = db.store.apply_case_step(case, staff, &Event::Register, "").await.unwrap();
    let deadline = row.deadline.unwrap();
    // Three working days of seven working hours each (09:00–12:00, 13:30–17:30): at least
    // 21 hours away, whenever the case is registered. (Measured in calendar days, a case
    // registered on a Sunday evening is due on Wednesday at 17:30, under three days later.)
    let calendar = linli_domain::worktime::Calendar::default();
    let worked = calendar.working_between(
        linli_domain::worktime::china_time(row.registered_at.unwrap()),
        linli_domain::worktime::china_time(deadline),
    );
    assert!(worked >= chrono::Duration::hours(21), "three working days of working time, got {worked}");
    let row = db.store.apply_case_step(case, staff, &Event::Dispatch, "").await.unwrap();
    let property: i64 = read!(db.store, |pool| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE community_id = $1 AND kind = 'property_company'"
    )
    .bind(demo.community_id)
    .fetch_one(pool)
    .await
    .unwrap());
    assert_eq!(row.assignee_organisation_id, Some(property), "routed to the category's handler");
    for (step, note) in [
        (Event::Accept, ""),
        (Event::Feedback, "已清理"),
        (Event::VerifyFail, "仍有杂物"),
        (Event::Accept, ""),
        (Event::Feedback, "全部清走"),
        (Event::VerifyPass, "现场核查通过"),
        (Event::Rate { stars: 5 }, "很及时"),
    ] {
        db.store.apply_case_step(case, staff, &step, note).await.unwrap();
    }
    let row = db.store.case(case).await.unwrap();
    assert_eq!((row.state.as_str(), row.reworks, row.rating), ("closed", 1, Some(5)));
    assert_eq!(row.rating_comment.as_deref(), Some("很及时"));
    assert!(row.closed_at.is_some());
    let timeline = db.store.case_timeline(case).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "report",
            "register",
            "dispatch",
            "accept",
            "feedback",
            "verify_fail",
            "accept",
            "feedback",
            "verify_pass",
            "rate"
        ]
    );
    // Each event starts where the previous one ended.
    assert!(timeline.windows(2).all(|w| w[0].to_state == w[1].from_state));

    // A step the loop does not allow writes nothing.
    let n = events(&db, case).await;
    let err = db.store.apply_case_step(case, staff, &Event::Accept, "").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(e) if e.key == "error.case.transition"));
    assert_eq!(events(&db, case).await, n);
});

dual_backend_test!(the_timeline_cannot_be_edited_or_deleted, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "07").await;
    let case = db.store.report_case(&report(demo.community_id, demo.grid_ids[0], cat)).await.unwrap().case_id;
    let edit = async {
        linli_store::transaction!(db.store, |tx| {
            linli_store::exec!(
                tx,
                sqlx::query("UPDATE case_events SET note = 'changed' WHERE case_id = $1").bind(case)
            )?;
        })
    };
    assert!(edit.await.is_err());
    let delete = async {
        linli_store::transaction!(db.store, |tx| {
            linli_store::exec!(tx, sqlx::query("DELETE FROM case_events WHERE case_id = $1").bind(case))?;
        })
    };
    assert!(delete.await.is_err());
    assert_eq!(events(&db, case).await, 1);
});

dual_backend_test!(grid_cases_go_to_the_grid_worker_and_self_resolved_ones_close_at_once, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "07").await; // 噪音扰民: grid worker
    let worker = demo.accounts.iter().find(|a| a.login == "wangge1").unwrap().account_id;
    let case = db.store.report_case(&report(demo.community_id, demo.grid_ids[0], cat)).await.unwrap().case_id;
    db.store.apply_case_step(case, None, &Event::Register, "").await.unwrap();
    let row = db.store.apply_case_step(case, None, &Event::Dispatch, "").await.unwrap();
    assert_eq!(row.assignee_account_id, Some(worker));

    let mut fixed = report(demo.community_id, demo.grid_ids[0], cat);
    fixed.source = linli_domain::case::Source::Patrol;
    fixed.self_resolved = true;
    let id = db.store.report_case(&fixed).await.unwrap().case_id;
    let row = db.store.case(id).await.unwrap();
    assert_eq!((row.state.as_str(), row.self_resolved), ("closed", true));
    assert!(row.closed_at.is_some() && row.deadline.is_some());
    // Of the two new cases only the dispatched one is open.
    let open =
        CaseQuery { community_id: demo.community_id, state: Some("open".into()), limit: 200, ..Default::default() };
    let (rows, _) = db.store.cases(&open).await.unwrap();
    assert!(rows.iter().any(|r| r.id == case) && rows.iter().all(|r| r.id != id));
});

dual_backend_test!(suspension_pushes_the_deadline_back_and_extensions_need_time_left, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let cat = category(&db, "0202").await; // 电梯故障: 4 calendar hours
    let case = db.store.report_case(&report(demo.community_id, demo.grid_ids[0], cat)).await.unwrap().case_id;
    let registered = db.store.apply_case_step(case, None, &Event::Register, "").await.unwrap();
    assert_eq!(registered.deadline.unwrap() - registered.registered_at.unwrap(), 4 * 3_600_000);
    db.store.apply_case_step(case, None, &Event::Suspend, "等待配件").await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    let resumed = db.store.apply_case_step(case, None, &Event::Resume, "").await.unwrap();
    assert!(resumed.deadline.unwrap() >= registered.deadline.unwrap() + 30, "the suspended time is added back");
    let extended = db.store.apply_case_step(case, None, &Event::Extend, "需更换主板").await.unwrap();
    assert_eq!(extended.deadline.unwrap() - resumed.deadline.unwrap(), 4 * 3_600_000);
    assert_eq!(extended.extensions, 1);
});

dual_backend_test!(the_demo_history_replays_through_the_loop_and_has_every_kind_of_case, |db| {
    use linli_domain::case::{Case, Level};
    let spec = linli_store::demo::DemoSpec { case_days: 42, cases_per_day: 8, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let q = CaseQuery { community_id: demo.community_id, limit: 200, ..Default::default() };
    let mut all = Vec::new();
    loop {
        let (rows, total) = db.store.cases(&CaseQuery { offset: all.len() as i64, ..q.clone() }).await.unwrap();
        all.extend(rows);
        if all.len() as i64 >= total {
            break;
        }
    }
    assert_eq!(all.len(), 42 * 8);
    for c in &all {
        let timeline = db.store.case_timeline(c.id).await.unwrap();
        assert_eq!(timeline[0].kind, "report");
        assert!(timeline.windows(2).all(|w| w[0].at <= w[1].at && w[0].to_state == w[1].from_state), "case {}", c.id);
        let events: Vec<Event> = timeline[1..]
            .iter()
            .filter(|e| !linli_store::disputes::NOTE_KINDS.contains(&e.kind.as_str()))
            .map(|e| match e.kind.as_str() {
                "register" => Event::Register,
                "refuse" => Event::Refuse { reason: e.note.clone() },
                "self_resolve" => Event::SelfResolve,
                "dispatch" => Event::Dispatch,
                "accept" => Event::Accept,
                "feedback" => Event::Feedback,
                "verify_pass" => Event::VerifyPass,
                "verify_fail" => Event::VerifyFail,
                "suspend" => Event::Suspend,
                "resume" => Event::Resume,
                "escalate" => Event::Escalate,
                "rate" => Event::Rate { stars: c.rating.unwrap() as u8 },
                other => panic!("unexpected step {other}"),
            })
            .collect();
        let replayed = Case::replay(Level::Grid, &events).unwrap();
        assert_eq!(replayed.state, c.state, "case {}", c.id);
        assert_eq!(i64::from(replayed.reworks), c.reworks);
        assert_eq!(replayed.level, db.store.case(c.id).await.unwrap().level);
    }
    let count = |f: &dyn Fn(&linli_store::cases::CaseRow) -> bool| all.iter().filter(|c| f(c)).count();
    assert!(count(&|c| c.state == "closed") > all.len() / 2);
    assert!(count(&|c| c.state != "closed" && c.state != "refused") > 0, "recent cases are still open");
    assert!(count(&|c| c.self_resolved) > 0);
    assert!(count(&|c| c.reworks > 0) > 0);
    assert!(count(&|c| c.rating.is_some()) > 0);
    assert!(count(&|c| c.state == "refused") > 0);
    assert!(count(&|c| c.closed_at.is_some_and(|t| c.deadline.is_some_and(|d| t > d))) > 0, "some closed late");
    let mine = db.store.case(demo.case_id).await.unwrap();
    assert_eq!(mine.reporter_account_id, Some(demo.account(linli_domain::Role::Resident).unwrap().account_id));
    assert_ne!(mine.state, "closed");
});

dual_backend_test!(the_indicator_query_gives_the_domains_answers_for_any_period_and_grouping, |db| {
    use linli_domain::indicators::{Counts, DueRule};
    use linli_store::cases::{Dimension, IndicatorScope};
    let spec = linli_store::demo::DemoSpec { case_days: 42, cases_per_day: 8, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let facts = db.store.case_facts(demo.community_id).await.unwrap();
    let scope = IndicatorScope { community_ids: vec![demo.community_id], grid_ids: None, organisation_ids: None };
    let now = linli_store::now_ms();
    let day = 86_400_000;
    for (from, to) in [
        (now - 7 * day, now),
        (now - 30 * day, now - 10 * day),
        (now - 60 * day, now + day),
        (now - 3 * day, now - 2 * day),
    ] {
        for rule in [DueRule::IncludeSuspended, DueRule::ExcludeSuspended] {
            let all: Vec<_> = facts.iter().map(|f| f.1.clone()).collect();
            let expected = Counts::of(&all, from, to, rule);
            let got = db.store.case_indicators(&scope, from, to, rule, Dimension::Community).await.unwrap();
            let got = got.first().map(|g| g.1).unwrap_or_default();
            assert_eq!(got, expected, "period {from}..{to} {rule:?}");
            assert!(expected.accepted > 0 || to - from < 2 * day);
            for (grid, counts) in db.store.case_indicators(&scope, from, to, rule, Dimension::Grid).await.unwrap() {
                let of_grid: Vec<_> = facts.iter().filter(|f| f.0 == grid).map(|f| f.1.clone()).collect();
                assert_eq!(counts, Counts::of(&of_grid, from, to, rule), "grid {grid:?}");
            }
        }
    }
});
