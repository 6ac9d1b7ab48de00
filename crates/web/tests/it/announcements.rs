//! Announcements through the pages, on both backends: staff publish to a grid and its adult
//! residents each get a receipt, the verified ones a notice in the inbox and the webhook's
//! outbox; opening it marks the receipt read; the grid worker sees who in own grids has not
//! read it (not other grids) and marks one told in person; a role audience reaches the
//! accounts holding the role; bad input is refused naming the field, nothing written.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_test_support::{TestApp, dual_backend_test, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn count(app: &TestApp, sql: &str, id: i64) -> i64 {
    let store = &app.db.store;
    linli_store::transaction!(store, |tx| {
        linli_store::on!(tx, |c| sqlx::query_scalar::<_, i64>(sql).bind(id).fetch_one(c).await)?
    })
    .unwrap()
}

dual_backend_test!(an_announcement_to_a_grid_reaches_its_residents_and_is_followed_up, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let list = format!("/communities/{c}/announcements");
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let grid = app.demo.grid_ids[0].to_string();

    let r = staff
        .post_form(
            &list,
            &[
                ("title", "停水通知"),
                ("announcement_text", "12 月 9 日 9:00–15:00 第一网格停水"),
                ("audience", "grids"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("target_grids", "error.announcement.targets")));
    let r = staff
        .post_form(
            &list,
            &[("title", "停水通知"), ("announcement_text", "停水"), ("audience", "grids"), ("target_grids", "999999")],
        )
        .await;
    assert!(r.text.contains(&refusal("target_grids", "error.choice")), "a grid of this community");
    assert_eq!(count(&app, "SELECT COUNT(*) FROM announcements WHERE community_id = $1", c).await, 0);

    let fields = [
        ("title", "停水通知"),
        ("announcement_text", "因管道维修，12 月 9 日 9:00–15:00 第一网格停水，请提前储水。"),
        ("audience", "grids"),
        ("target_grids", grid.as_str()),
        ("important", "1"),
    ];
    let r = staff.post_form(&list, &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id: i64 = r.location().unwrap().trim_start_matches("/announcements/").parse().unwrap();
    let a = app.db.store.announcement(id).await.unwrap();
    let born_by = linli_store::today() - chrono::Months::new(18 * 12);
    let sql = format!(
        "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
         WHERE b.grid_id = $1 AND r.birth_date <= '{born_by}'"
    );
    let adults = count(&app, &sql, app.demo.grid_ids[0]).await;
    assert!(adults > 0);
    assert_eq!(a.recipients, adults, "one receipt for each adult resident of the grid");
    // The demo resident lives in grid 1 and is verified: a notice, queued for the webhook.
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert!(resident.get("/inbox").await.text.contains("重要通知：停水通知"));
    assert!(count(&app, "SELECT COUNT(*) FROM outbox o JOIN notifications n ON n.id = o.notification_id WHERE n.announcement_id = $1", id).await >= 1);
    let unread_before = app.db.store.receipts_by_grid(id, None).await.unwrap()[0].read;
    assert_eq!(resident.get(&format!("/announcements/{id}")).await.status, StatusCode::OK);
    assert_eq!(app.db.store.receipts_by_grid(id, None).await.unwrap()[0].read, unread_before + 1, "opened: read");

    // The grid's worker follows it up; another grid's worker cannot.
    let mut worker = app.signed_in("wangge1").await;
    let page = worker.get(&format!("/announcements/{id}/receipts")).await;
    assert_eq!(page.status, StatusCode::OK);
    let unread = app.db.store.unread_in_grid(id, app.demo.grid_ids[0], 10, 0).await.unwrap();
    assert!(page.text.contains(&unread[0].name));
    let receipt = unread[0].receipt_id;
    let r = worker.post_form(&format!("/announcements/{id}/receipts/{receipt}/told?grid={grid}"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.receipts_by_grid(id, None).await.unwrap()[0].told, 1);
    let mut other = app.signed_in("wangge2").await;
    let r =
        other.post_form(&format!("/announcements/{id}/receipts/{}/told?grid={grid}", unread[1].receipt_id), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not their grid");
    assert!(!other.get(&format!("/announcements/{id}/receipts?grid={grid}")).await.text.contains(&unread[1].name));

    // A role audience reaches the accounts holding it, and no resident.
    let fields = [
        ("title", "网格员例会"),
        ("announcement_text", "周五下午三点社区二楼例会"),
        ("audience", "roles"),
        ("target_roles", "grid_worker"),
    ];
    let r = staff.post_form(&list, &fields).await;
    let id: i64 = r.location().unwrap().trim_start_matches("/announcements/").parse().unwrap();
    assert!(worker.get("/inbox").await.text.contains("通知：网格员例会"));
    assert!(!resident.get(&list).await.text.contains("网格员例会"), "not addressed to residents");
    assert_eq!(resident.get(&format!("/announcements/{id}")).await.status, StatusCode::NOT_FOUND);
});

dual_backend_test!(an_announcement_carries_files_its_readers_open_and_others_cannot, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let grid = app.demo.grid_ids[1].to_string();
    let fields = [
        ("title", "第二网格管道改造"),
        ("announcement_text", "改造方案见附件。"),
        ("audience", "grids"),
        ("target_grids", grid.as_str()),
    ];
    let r = staff.post_form(&format!("/communities/{c}/announcements"), &fields).await;
    let id: i64 = r.location().unwrap().trim_start_matches("/announcements/").parse().unwrap();
    let path = format!("/announcements/{id}/attachments");
    // Not a PDF nor a picture: refused naming the field, nothing kept.
    let r = staff
        .post_multipart(&path, &[("document_title", "改造方案")], &[("document", "plan.pdf", b"MZ".to_vec())])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.document")), "{}", r.text);
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let r =
        staff.post_multipart(&path, &[("document_title", "改造方案")], &[("document", "plan.pdf", pdf.clone())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let files = app.db.store.attachments(linli_store::attachments::Owner::Announcement(id)).await.unwrap();
    assert_eq!(files.len(), 1);
    let file = format!("{path}/{}", files[0].id);
    let page = staff.get(&format!("/announcements/{id}")).await.text;
    assert!(page.contains("改造方案"));
    // A browser sends a file form's token in its address, where the body is not read.
    assert!(page.contains(&format!("action=\"{path}?_csrf=")), "the upload form carries its token");

    // The grid's worker reads it and its file; the demo resident (grid 1) is not addressed.
    let mut worker = app.signed_in("wangge2").await;
    let r = worker.get(&file).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text.as_bytes(), pdf.as_slice());
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert_eq!(resident.get(&file).await.status, StatusCode::NOT_FOUND);
    // Nor can a reader add or remove one.
    assert_eq!(
        worker.post_multipart(&path, &[("document_title", "x")], &[("document", "a.pdf", pdf)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_ne!(worker.post_form(&format!("{file}/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(staff.post_form(&format!("{file}/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(worker.get(&file).await.status, StatusCode::NOT_FOUND, "removed");
});
