//! Notifications in the store, on both backends: who hears of a report and a dispatch,
//! the outbox written with them (not for digest takers), the deadline sweep that warns
//! once, reminds overdue cases on their timeline and escalates stuck ones, and the
//! outbox's retries and daily digests.

use linli_domain::Role;
use linli_domain::case::Event;
use linli_store::cases::NewCase;
use linli_store::{Store, now_ms, read};
use linli_test_support::{TestDb, dual_backend_test, small_demo};

async fn kinds_for(store: &Store, account: i64) -> Vec<String> {
    store.inbox(account, 100).await.unwrap().into_iter().map(|n| n.kind).collect()
}

async fn outbox_for(db: &TestDb, account: i64) -> i64 {
    read!(db.store, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE account_id = $1")
        .bind(account)
        .fetch_one(pool)
        .await
        .unwrap())
}

async fn set_deadline(db: &TestDb, case: i64, deadline: i64) {
    let done: linli_store::StoreResult<()> = async {
        linli_store::transaction!(db.store, |tx| {
            linli_store::exec!(
                tx,
                sqlx::query("UPDATE cases SET deadline = $1 WHERE id = $2").bind(deadline).bind(case)
            )?;
        })
    }
    .await;
    done.unwrap();
}

async fn new_case(db: &TestDb, demo: &linli_store::demo::DemoReport, code: &str) -> i64 {
    let category = db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == code).unwrap().id;
    let resident = demo.account(Role::Resident).unwrap().account_id;
    db.store
        .report_case(&NewCase {
            community_id: demo.community_id,
            grid_id: Some(demo.grid_ids[0]),
            category_id: category,
            source: linli_domain::case::Source::Resident,
            description: "路灯不亮".into(),
            reporter_account_id: Some(resident),
            ..Default::default()
        })
        .await
        .unwrap()
        .case_id
}

dual_backend_test!(a_report_reaches_the_grid_worker_and_a_dispatch_the_party_with_its_outbox, |db| {
    let demo = linli_store::demo::load(&db.store, &linli_store::demo::DemoSpec { case_days: 0, ..small_demo() })
        .await
        .unwrap();
    let worker = demo.account(Role::GridWorker).unwrap().account_id;
    let staff = demo.account(Role::CommunityStaff).unwrap().account_id;
    let property = demo.account(Role::PropertyStaff).unwrap().account_id;
    let resident = demo.account(Role::Resident).unwrap().account_id;
    // The property staff take one digest a day: their notices stay in the inbox only.
    db.store.set_daily_digest(property, true).await.unwrap();

    let case = new_case(&db, &demo, "0201").await;
    assert_eq!(kinds_for(&db.store, worker).await, ["new_case"], "the grid's worker hears of the report");
    assert!(kinds_for(&db.store, resident).await.is_empty(), "not the reporter");
    assert_eq!(outbox_for(&db, worker).await, 1);

    db.store.apply_case_step(case, Some(staff), &Event::Register, "").await.unwrap();
    db.store.apply_case_step(case, Some(staff), &Event::Dispatch, "").await.unwrap();
    assert_eq!(kinds_for(&db.store, property).await, ["assigned"], "the property company hears of the dispatch");
    assert_eq!(outbox_for(&db, property).await, 0, "a digest taker gets no push per notice");
    assert_eq!(db.store.unread_count(property).await.unwrap(), 1);
    db.store.mark_all_read(property).await.unwrap();
    assert_eq!(db.store.unread_count(property).await.unwrap(), 0);

    // A refused step notifies nobody.
    let before = kinds_for(&db.store, property).await.len();
    db.store.apply_case_step(case, Some(staff), &Event::Dispatch, "").await.unwrap_err();
    assert_eq!(kinds_for(&db.store, property).await.len(), before);
});

dual_backend_test!(the_deadline_sweep_warns_once_reminds_overdue_cases_and_escalates_stuck_ones, |db| {
    let demo = linli_store::demo::load(&db.store, &linli_store::demo::DemoSpec { case_days: 0, ..small_demo() })
        .await
        .unwrap();
    let staff = demo.account(Role::CommunityStaff).unwrap().account_id;
    let property = demo.account(Role::PropertyStaff).unwrap().account_id;
    let case = new_case(&db, &demo, "0201").await;
    db.store.apply_case_step(case, Some(staff), &Event::Register, "").await.unwrap();
    db.store.apply_case_step(case, Some(staff), &Event::Dispatch, "").await.unwrap();
    let now = now_ms();
    const HOUR: i64 = 3_600_000;

    set_deadline(&db, case, now + 2 * HOUR).await;
    let first = db.store.sweep_deadlines(now).await.unwrap();
    assert_eq!((first.due_soon, first.reminded, first.escalated), (1, 0, 0));
    db.store.sweep_deadlines(now + 60_000).await.unwrap();
    let due: Vec<_> = kinds_for(&db.store, property).await.into_iter().filter(|k| k == "due_soon").collect();
    assert_eq!(due.len(), 1, "a due-soon notice once per deadline");

    set_deadline(&db, case, now - HOUR).await;
    let late = db.store.sweep_deadlines(now).await.unwrap();
    assert_eq!(late.reminded, 1);
    let timeline = db.store.case_timeline(case).await.unwrap();
    let remind = timeline.last().unwrap();
    assert_eq!((remind.kind.as_str(), remind.account_id), ("remind", None), "the system reminds on the timeline");
    assert!(kinds_for(&db.store, property).await.contains(&"reminder".to_owned()));
    assert!(kinds_for(&db.store, staff).await.contains(&"overdue".to_owned()), "staff hear of the overdue case");
    assert_eq!(db.store.sweep_deadlines(now + 60_000).await.unwrap().reminded, 0, "reminded once per deadline");
    assert_eq!(db.store.case(case).await.unwrap().level, "grid", "not escalated within the first day");

    set_deadline(&db, case, now - 25 * HOUR).await;
    let stuck = db.store.sweep_deadlines(now).await.unwrap();
    assert_eq!(stuck.escalated, 1);
    assert_eq!(db.store.case(case).await.unwrap().level, "community");
    assert_eq!(db.store.sweep_deadlines(now).await.unwrap().escalated, 0);
});

dual_backend_test!(the_outbox_backs_off_on_failure_and_digests_go_once_a_day, |db| {
    let demo = linli_store::demo::load(&db.store, &linli_store::demo::DemoSpec { case_days: 0, ..small_demo() })
        .await
        .unwrap();
    let worker = demo.account(Role::GridWorker).unwrap().account_id;
    new_case(&db, &demo, "0201").await;
    let now = now_ms();
    let due = db.store.due_outbox(now, 10).await.unwrap();
    let item = due.iter().find(|i| i.account_id == worker).unwrap();
    assert_eq!((item.kind.as_str(), item.notice_kind.as_deref()), ("notice", Some("new_case")));
    db.store.outbox_result(item.id, now, Some("HTTP 502")).await.unwrap();
    assert!(db.store.due_outbox(now, 10).await.unwrap().iter().all(|i| i.id != item.id), "not again at once");
    assert!(
        db.store.due_outbox(now + 61_000, 10).await.unwrap().iter().any(|i| i.id == item.id),
        "again after a minute"
    );
    db.store.outbox_result(item.id, now + 61_000, None).await.unwrap();
    assert!(db.store.due_outbox(now + 3_600_000, 10).await.unwrap().iter().all(|i| i.id != item.id), "sent is sent");

    db.store.set_daily_digest(worker, true).await.unwrap();
    assert_eq!(db.store.queue_digests("2026-11-27", now).await.unwrap(), 1);
    assert_eq!(db.store.queue_digests("2026-11-27", now).await.unwrap(), 0, "once a day");
    assert_eq!(
        db.store.queue_digests("2026-11-28", now).await.unwrap(),
        1,
        "unread notices remain: the next day again"
    );
    db.store.mark_all_read(worker).await.unwrap();
    assert_eq!(db.store.queue_digests("2026-11-29", now).await.unwrap(), 0, "nothing unread, no digest");
});
