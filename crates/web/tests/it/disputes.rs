//! Disputes through the pages, on both backends: a resident reports a dispute with its
//! risk and the other party; staff mediate, settle and follow up on the case page; a
//! grid worker records the half-monthly sweep of their own grid, also when it finds
//! nothing; each step belongs to its people.

use axum::http::StatusCode;
use linli_test_support::{Browser, TestApp, dual_backend_test, zh};

fn case_of(reply: &linli_test_support::Reply) -> i64 {
    reply.location().unwrap().trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap()
}

async fn mediate(b: &mut Browser, case: i64, fields: &[(&str, &str)]) -> linli_test_support::Reply {
    b.post_form(&format!("/cases/{case}/mediation"), fields).await
}

dual_backend_test!(a_dispute_is_reported_mediated_settled_and_followed_up_by_its_people, |db| {
    let app = TestApp::new(db).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    resident.get(&format!("/communities/{}/cases/new", app.demo.community_id)).await;
    let cat = app.category_id("0301").await.to_string();
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let mut fields = vec![
        ("category_id", cat.as_str()),
        ("description", "楼上每天半夜拖动家具，沟通多次无果"),
        ("building_id", building.as_str()),
        ("risk", "high"),
        ("other_party", "钱先生（302 室）"),
        ("other_phone", "1391234"),
    ];
    let bad = resident.post_form(&format!("/communities/{}/cases", app.demo.community_id), &fields).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains(zh("field.other_phone")), "the bad phone is named");
    fields.retain(|(k, _)| *k != "other_phone");
    let r = resident.post_form(&format!("/communities/{}/cases", app.demo.community_id), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case = case_of(&r);

    let page = resident.get(&format!("/cases/{case}")).await.text;
    assert!(
        page.contains(zh("dispute.heading")) && page.contains("钱先生（302 室）"),
        "the reporter sees the dispute and the party they named"
    );
    assert!(!page.contains(zh("dispute.risk.high")), "the risk rating is the mediators' own");
    assert!(!page.contains(zh("mediation.session")), "the reporter does not mediate");
    let r = mediate(
        &mut resident,
        case,
        &[("action", "session"), ("on", "2026-11-20"), ("mediators", "我"), ("outcome", "agreed")],
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut staff = app.signed_in("shequ").await;
    let page = staff.get(&format!("/cases/{case}")).await.text;
    assert!(page.contains(zh("mediation.session")));
    let today0 = linli_store::today().to_string();
    let r = mediate(
        &mut staff,
        case,
        &[("action", "session"), ("on", &today0), ("mediators", "李娜"), ("outcome", "continue")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "registration comes first");
    assert!(r.text.contains("请先立案"));
    let r = staff.post_form(&format!("/cases/{case}/steps"), &[("step", "register")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let today = linli_store::today();
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let today = today.to_string();
    let r = mediate(
        &mut staff,
        case,
        &[("action", "session"), ("on", &tomorrow), ("mediators", "李娜"), ("outcome", "continue")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("日期不能晚于今天"), "a session is not recorded in the future");
    let r = mediate(
        &mut staff,
        case,
        &[
            ("action", "session"),
            ("on", &today),
            ("mediators", "李娜、王建国"),
            ("outcome", "agreed"),
            ("notes", "双方当面致歉"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().unwrap().contains("done=mediation.session"));
    // A party the mediators add is theirs to know; the reporter still sees the one they named.
    let added = [("action", "party"), ("side", "respondent"), ("name", "孙桂芝"), ("phone", "13912348765")];
    assert_eq!(mediate(&mut staff, case, &added).await.status, StatusCode::SEE_OTHER);
    assert!(staff.get(&format!("/cases/{case}")).await.text.contains("孙桂芝"));
    let page = resident.get(&format!("/cases/{case}")).await.text;
    assert!(page.contains("钱先生（302 室）") && !page.contains("孙桂芝") && !page.contains("139****8765"));
    let r = mediate(
        &mut staff,
        case,
        &[("action", "settle"), ("settlement", "agreement"), ("on", &today), ("agreement", "")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请写明双方达成的内容"));
    let agreement = "楼上住户 22 点后不再拖动家具，家具脚加装软垫";
    let r = mediate(
        &mut staff,
        case,
        &[("action", "settle"), ("settlement", "agreement"), ("on", &today), ("agreement", agreement)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = mediate(&mut staff, case, &[("action", "follow_up"), ("follow_up", "kept"), ("on", &today)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = staff.get(&format!("/cases/{case}?done=mediation.follow_up")).await.text;
    assert!(
        page.contains(zh("mediation.done.follow_up"))
            && page.contains(zh("dispute.follow_up.kept"))
            && page.contains(agreement)
    );
    assert!(page.contains("双方当面致歉"), "staff read the session notes");
    for kind in ["调解", "调解终结", "回访"] {
        assert!(page.contains(&format!("<b>{kind}</b>")), "the timeline shows {kind}");
    }
    assert!(page.contains("达成一致 · 李娜、王建国") && !page.contains(" agreed · "), "codes are shown as words");
    let seen_by_reporter = resident.get(&format!("/cases/{case}")).await.text;
    assert!(
        !seen_by_reporter.contains("双方当面致歉") && !seen_by_reporter.contains(agreement),
        "notes stay with mediators"
    );
    assert!(seen_by_reporter.contains(zh("dispute.settlement.agreement")));

    // Once the case is closed only a follow-up can be recorded: no form, and a session is refused.
    let state: String =
        linli_store::read!(app.db.store, |d| sqlx::query_scalar("SELECT state FROM cases WHERE id = $1")
            .bind(case)
            .fetch_one(d)
            .await
            .unwrap());
    linli_store::transaction!(app.db.store, |tx| {
        linli_store::exec!(tx, sqlx::query("UPDATE cases SET state = 'closed' WHERE id = $1").bind(case))?;
    })
    .unwrap();
    let page = staff.get(&format!("/cases/{case}")).await.text;
    assert!(!page.contains(zh("mediation.session")) && !page.contains(zh("mediation.risk")));
    let r = mediate(
        &mut staff,
        case,
        &[("action", "session"), ("on", &today), ("mediators", "李娜"), ("outcome", "continue")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("error.mediation.closed")));
    linli_store::transaction!(app.db.store, |tx| {
        linli_store::exec!(tx, sqlx::query("UPDATE cases SET state = $1 WHERE id = $2").bind(&state).bind(case))?;
    })
    .unwrap();

    // A threat of violence escalates the case to the community at once.
    let r = mediate(&mut staff, case, &[("action", "risk"), ("risk", "violence")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = staff.get(r.location().unwrap()).await.text;
    assert!(page.contains(zh("mediation.done.escalated")), "the page says the case went up");
    assert_eq!(app.db.store.case(case).await.unwrap().level, "community");
});

dual_backend_test!(grid_workers_record_their_own_sweeps_and_the_page_shows_unswept_grids, |db| {
    let app = TestApp::new(db).await;
    let today = linli_store::today().to_string();
    let path = format!("/communities/{}/sweeps", app.demo.community_id);
    let own = app.demo.grid_ids[0].to_string();
    let other = app.demo.grid_ids[2].to_string();
    let mut worker = app.signed_in("wangge1").await;
    let page = worker.get(&format!("/communities/{}/disputes", app.demo.community_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(zh("disputes.sweeps")) && page.text.contains(zh("disputes.not_swept")));
    let r = worker.post_form(&path, &[("grid_id", &other), ("on", &today), ("found", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not another worker's grid");
    let r = worker.post_form(&path, &[("grid_id", &own), ("on", &today), ("found", "many")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("disputes.found")));
    let before = app.db.store.sweeps_in(app.demo.community_id, &sweep_period(&today)).await.unwrap();
    let r = worker
        .post_form(&path, &[("grid_id", &own), ("on", &today), ("found", "0"), ("note", "走访 40 户，未发现")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let after = app.db.store.sweeps_in(app.demo.community_id, &sweep_period(&today)).await.unwrap();
    let count =
        |v: &[linli_store::disputes::GridSweeps]| v.iter().find(|g| g.grid_id == app.demo.grid_ids[0]).unwrap().sweeps;
    assert_eq!(count(&after), count(&before) + 1, "a sweep that found nothing is recorded");
    let page = worker.get(&format!("/communities/{}/disputes?done=sweep", app.demo.community_id)).await.text;
    assert!(page.contains(zh("disputes.sweep_saved")));

    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let r = resident.post_form(&path, &[("grid_id", &own), ("on", &today), ("found", "0")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut property = app.signed_in(&app.login_of(linli_domain::Role::PropertyStaff)).await;
    let page = property.get(&format!("/communities/{}/disputes", app.demo.community_id)).await;
    assert!(!page.text.contains("记录排查</button>"), "only those who screen get the form");
});

fn sweep_period(date: &str) -> String {
    linli_domain::dispute::half_month(chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap())
}
