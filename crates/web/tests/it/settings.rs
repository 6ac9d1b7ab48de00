//! The administrator's settings, on both backends: a holiday entered on the calendar
//! moves the next working-day deadline, a category's time limit changes what registration
//! sets, and an unanswered rating counts as satisfied only when the setting says so.

use axum::http::StatusCode;
use linli_domain::case::Event;
use linli_store::cases::NewCase;
use linli_test_support::{TestApp, dual_backend_test, zh};

dual_backend_test!(the_calendar_and_time_limits_are_edited_by_the_administrator_only, |db| {
    let app = TestApp::new(db).await;
    let mut admin = app.signed_in("admin").await;
    let mut staff = app.signed_in("shequ").await;
    assert_eq!(staff.get("/admin/settings").await.status, StatusCode::FORBIDDEN);
    let page = admin.get("/admin/settings?year=2026").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("国庆节") && page.text.contains(zh("settings.kind.workday")),
        "the seeded 2026 calendar is shown: {}",
        &page.text[page.text.len().saturating_sub(3000)..]
    );

    let r = admin.post_form("/admin/settings/calendar", &[("day", "2027-13-01"), ("kind", "holiday")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("日期：请输入日期"));
    let r = admin
        .post_form("/admin/settings/calendar", &[("day", "2027-02-08"), ("kind", "holiday"), ("name", "春节")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let calendar = app.db.store.work_calendar().await.unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2027, 2, 8).unwrap();
    assert!(!calendar.is_working_day(day), "a Monday made a holiday");
    let r = admin.post_form("/admin/settings/calendar", &[("day", "2027-02-08"), ("remove", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(app.db.store.work_calendar().await.unwrap().is_working_day(day));

    let category = app.db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == "0201").unwrap();
    let id = category.id.to_string();
    let r = admin
        .post_form(
            "/admin/settings/limits",
            &[("category_id", &id), ("limit_amount", "0"), ("limit_kind", "working_days")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin
        .post_form(
            "/admin/settings/limits",
            &[("category_id", &id), ("limit_amount", "2"), ("limit_kind", "calendar_days")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let case = app
        .db
        .store
        .report_case(&NewCase {
            community_id: app.demo.community_id,
            grid_id: Some(app.demo.grid_ids[0]),
            category_id: category.id,
            source: linli_domain::case::Source::Resident,
            description: "路灯不亮".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .case_id;
    let staff_id = app.demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let registered = app.db.store.apply_case_step(case, Some(staff_id), &Event::Register, "").await.unwrap();
    let span = registered.deadline.unwrap() - registered.registered_at.unwrap();
    assert_eq!(span, 2 * 24 * 3_600_000, "two days, day and night");
});

dual_backend_test!(an_unanswered_rating_counts_as_satisfied_only_when_set, |db| {
    let app = TestApp::new(db).await;
    let mut admin = app.signed_in("admin").await;
    let now = linli_store::now_ms();
    let day = 24 * 3_600_000;
    // The demo has closed, unrated reports from its six weeks of history.
    let unrated = |app: &TestApp| {
        let store = app.db.store.clone();
        async move {
            linli_store::read!(store, |db| sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM cases WHERE state = 'closed' AND rating IS NULL AND NOT self_resolved \
                 AND reporter_account_id IS NOT NULL AND closed_at < $1"
            )
            .bind(now - 3 * day)
            .fetch_one(db)
            .await
            .unwrap())
        }
    };
    let before = unrated(&app).await;
    assert!(before > 0, "the demo leaves some unrated");
    assert_eq!(app.db.store.rate_unanswered(now).await.unwrap(), 0, "off by default");
    let r = admin.post_form("/admin/settings/rating", &[("satisfied_after_days", "365")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = admin.post_form("/admin/settings/rating", &[("satisfied_after_days", "3")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rated = app.db.store.rate_unanswered(now).await.unwrap();
    assert_eq!(rated as i64, before);
    assert_eq!(unrated(&app).await, 0);
    let id: i64 = linli_store::read!(app.db.store, |db| sqlx::query_scalar(
        "SELECT case_id FROM case_events WHERE kind = 'rate' AND account_id IS NULL LIMIT 1"
    )
    .fetch_one(db)
    .await
    .unwrap());
    let last = app.db.store.case_timeline(id).await.unwrap().pop().unwrap();
    assert_eq!((last.kind.as_str(), last.account_id), ("rate", None));
    assert_eq!(last.remark(), Some(linli_domain::case::Remark::UnansweredRating { days: 3 }));
    // Read in each reader's language, after the stars.
    let read = |lang| linli_web::cases::timeline_note(linli_web::i18n::Tr::new(lang), &last);
    assert_eq!(read(linli_web::i18n::Lang::Zh), "★★★★★ 3 日内未评价，默认满意");
    assert_eq!(read(linli_web::i18n::Lang::En), "★★★★★ No rating in 3 days: counted as satisfied");
});

dual_backend_test!(the_city_sets_its_self_governance_rules_within_the_law_and_the_pages_follow_them, |db| {
    use linli_domain::rules::{FIELDS, SelfGovernance};
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut admin = app.signed_in("admin").await;
    let page = admin.get("/admin/settings").await;
    assert!(page.text.contains("name=\"notice_days\"") && page.text.contains("value=\"15\""));
    let defaults = SelfGovernance::default();
    let form = |changes: &[(&str, &str)]| -> Vec<(String, String)> {
        FIELDS
            .iter()
            .map(|f| {
                let v = changes.iter().find(|(n, _)| *n == f.name).map(|(_, v)| v.to_string());
                (f.name.to_owned(), v.unwrap_or_else(|| f.shown(&defaults).to_string()))
            })
            .collect()
    };

    // Less notice than the law, or an even committee: refused naming the field, nothing kept.
    let bad = form(&[("notice_days", "10")]);
    let r = admin.post_form("/admin/settings/self-governance", &send(&bad)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.notice_days")));
    let bad = form(&[("max_seats", "10")]);
    assert_eq!(
        admin.post_form("/admin/settings/self-governance", &send(&bad)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.db.store.self_governance().await.unwrap(), defaults);

    let good = form(&[("notice_days", "20"), ("score_survey", "15")]);
    let r = admin.post_form("/admin/settings/self-governance", &send(&good)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let rules = app.db.store.self_governance().await.unwrap();
    assert_eq!((rules.assembly.notice_days, rules.score.survey), (20, 150));

    // The committee's form says 20 days, and a vote 15 days out is now refused.
    let mut committee = app.signed_in("yeweihui").await;
    let hint = linli_test_support::zh_fill("assembly.notice_hint", &[("days", &20), ("min", &5), ("max", &60)]);
    assert!(committee.get(&format!("/communities/{c}/assemblies/new")).await.text.contains(&hint));
    let r = crate::assemblies::prepare_in_15_days(&mut committee, c).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.store.assemblies(c).await.unwrap().is_empty());
    let audited: i64 = linli_store::read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'settings.self_governance'"
    )
    .fetch_one(d)
    .await
    .unwrap());
    assert_eq!(audited, 1);
});

fn send(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}
