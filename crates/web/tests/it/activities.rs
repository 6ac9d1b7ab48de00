//! Activities through the pages, on both backends: staff publish one (bad input refused
//! naming the field); residents register until it is full, then only into the line, once
//! each; a place given up goes to the first in line, who is told; on the day the organiser
//! checks people in by the code on their phone (a code of another activity, or a second
//! check-in, refused) or by ticking the list, and the attendance counts them; the report
//! with a photo follows, refused when it would publish a phone number; the calendar lists
//! it; a residents' proposal is seen by staff and its proposer until approved.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{Browser, TestApp, dual_backend_test, sql, verified_account, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn neighbours(app: &TestApp, n: i64) -> Vec<i64> {
    read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND id <> $2 AND moved_out_on IS NULL ORDER BY id LIMIT $3"
    )
    .bind(app.demo.community_id)
    .bind(app.demo.resident_id)
    .bind(n)
    .fetch_all(d)
    .await
    .unwrap())
}

async fn publish(staff: &mut Browser, c: i64, title: &str, capacity: &str) -> i64 {
    let day = linli_store::today() + chrono::Days::new(2);
    let (from, to) = (format!("{day}T18:30"), format!("{day}T21:00"));
    let r = staff
        .post_form(
            &format!("/communities/{c}/activities"),
            &[
                ("kind", "festival"),
                ("title", title),
                ("activity_venue", "中心广场"),
                ("starts_at_local", from.as_str()),
                ("ends_at", to.as_str()),
                ("capacity", capacity),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    r.location().unwrap().trim_start_matches("/activities/").parse().unwrap()
}

/// The check-in code a resident's page shows.
fn code_on(page: &str) -> String {
    let at = page.find("class=\"checkin-code\"").expect("a code is shown");
    let rest = &page[at..];
    let start = rest.find('>').unwrap() + 1;
    rest[start..start + 6].to_owned()
}

dual_backend_test!(an_activity_fills_lines_up_and_checks_in_by_code_on_the_day, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let day = linli_store::today() + chrono::Days::new(2);
    let r = staff
        .post_form(
            &format!("/communities/{c}/activities"),
            &[
                ("kind", "festival"),
                ("title", "中秋游园会"),
                ("activity_venue", "中心广场"),
                ("starts_at_local", &format!("{day}T18:30")),
                ("ends_at", &format!("{day}T17:00")),
                ("capacity", "2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("ends_at", "error.activity.ends")));
    let festival = publish(&mut staff, c, "中秋游园会", "2").await;

    let mut first = app.signed_in("13800138000").await;
    let others = neighbours(&app, 2).await;
    verified_account(&app.db.store, c, "linju_b", others[0]).await;
    verified_account(&app.db.store, c, "linju_c", others[1]).await;
    let mut second = app.signed_in("linju_b").await;
    let mut third = app.signed_in("linju_c").await;
    for b in [&mut first, &mut second] {
        let r = b.post_form(&format!("/activities/{festival}/registrations"), &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let r = second.post_form(&format!("/activities/{festival}/registrations"), &[("wait", "1")]).await;
    assert!(r.text.contains(&refusal("activity", "error.activity.twice")));
    let r = third.post_form(&format!("/activities/{festival}/registrations"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("activity", "error.activity.full")));
    let r = third.post_form(&format!("/activities/{festival}/registrations"), &[("wait", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(third.get(&format!("/activities/{festival}")).await.text.contains(zh("activity.reg.waiting")));

    // The first gives up: the third moves up, is told, and now holds a code.
    let mine: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM registrations WHERE activity_id = $1 AND resident_id = $2"
    )
    .bind(festival)
    .bind(app.demo.resident_id)
    .fetch_one(d)
    .await
    .unwrap());
    assert_eq!(second.post_form(&format!("/registrations/{mine}/cancel"), &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(first.post_form(&format!("/registrations/{mine}/cancel"), &[]).await.status, StatusCode::SEE_OTHER);
    let page = third.get(&format!("/activities/{festival}")).await.text;
    assert!(page.contains(zh("activity.reg.booked")));
    assert!(third.get("/inbox").await.text.contains(&format!("/activities/{festival}")));
    let third_code = code_on(&page);
    let second_code = code_on(&second.get(&format!("/activities/{festival}")).await.text);

    // Another activity's code is not this one's.
    let class = publish(&mut staff, c, "书法兴趣班", "5").await;
    first.post_form(&format!("/activities/{class}/registrations"), &[]).await;
    let class_code = code_on(&first.get(&format!("/activities/{class}")).await.text);

    // Not before the day; then the day comes.
    let r = staff.post_form(&format!("/activities/{festival}/checkin"), &[("checkin_code", &third_code)]).await;
    assert!(r.text.contains(&refusal("checkin_code", "error.activity.not_today")));
    let today = linli_store::today();
    let now = linli_store::services::now_local();
    let moved = format!("UPDATE activities SET starts_at = '{today} 00:00', ends_at = '{today} 23:59' WHERE id = $1");
    sql(&app.db.store, &moved, &[festival]).await;
    assert!(now.as_str() > format!("{today} 00:00").as_str());

    if class_code != third_code {
        let r = staff.post_form(&format!("/activities/{festival}/checkin"), &[("checkin_code", &class_code)]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text.contains(&refusal("checkin_code", "error.activity.code")));
    }
    let r = staff.post_form(&format!("/activities/{festival}/checkin"), &[("checkin_code", &third_code)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = staff.post_form(&format!("/activities/{festival}/checkin"), &[("checkin_code", &third_code)]).await;
    assert!(r.text.contains(&refusal("checkin_code", "error.activity.checked_in")));
    // The second has no phone with them: ticked on the list.
    let theirs: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM registrations WHERE activity_id = $1 AND code = $2"
    )
    .bind(festival)
    .bind(&second_code)
    .fetch_one(d)
    .await
    .unwrap());
    let r =
        staff.post_form(&format!("/activities/{festival}/checkin"), &[("registration_id", &theirs.to_string())]).await;
    assert_eq!(r.status, StatusCode::OK);
    let desk = staff.get(&format!("/activities/{festival}/checkin")).await.text;
    assert!(desk.contains(&format!("{} 2 / 2", zh("activity.attended"))), "{desk}");
    // A resident cannot use the desk.
    assert_eq!(first.get(&format!("/activities/{festival}/checkin")).await.status, StatusCode::FORBIDDEN);

    // The report with a photo; a phone number in it is refused.
    let mut photo = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 48, image::Rgb([200, 120, 10])))
        .write_to(&mut photo, image::ImageFormat::Jpeg)
        .unwrap();
    let path = format!("/activities/{festival}/report");
    let r = staff.post_multipart(&path, &[("report", "联系人电话 13912345678，欢迎下次再来参加活动")], &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let report = [("report", "中秋游园会圆满举行，猜灯谜、做月饼，邻里欢聚一堂。")];
    let r = staff.post_multipart(&path, &report, &[("photos", "a.jpg", photo.into_inner())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = first.get(&format!("/activities/{festival}")).await.text;
    assert!(page.contains("猜灯谜") && page.contains(&format!("/activities/{festival}/photos/")));

    // The calendar lists the approved activities.
    let ics = first.get(&format!("/communities/{c}/activities.ics")).await;
    assert!(ics.text.contains("BEGIN:VEVENT") && ics.text.contains("书法兴趣班"));
});

dual_backend_test!(a_residents_proposal_is_approved_by_staff_before_anyone_can_join, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut resident = app.signed_in("13800138000").await;
    let day = linli_store::today() + chrono::Days::new(5);
    let r = resident
        .post_form(
            &format!("/communities/{c}/activity-proposals"),
            &[
                ("kind", "culture"),
                ("title", "楼道乒乓球友谊赛"),
                ("activity_venue", "3 号楼架空层"),
                ("starts_at_local", &format!("{day}T09:00")),
                ("ends_at", &format!("{day}T11:00")),
                ("capacity", "16"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id: i64 = r.location().unwrap().trim_start_matches("/activities/").parse().unwrap();
    assert!(resident.get(&format!("/activities/{id}")).await.text.contains(zh("activity.status.proposed")));
    // Another resident does not see it yet; staff are told.
    let other = neighbours(&app, 1).await[0];
    verified_account(&app.db.store, c, "linju_d", other).await;
    let mut neighbour = app.signed_in("linju_d").await;
    assert_eq!(neighbour.get(&format!("/activities/{id}")).await.status, StatusCode::NOT_FOUND);
    let r = neighbour.post_form(&format!("/activities/{id}/registrations"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut staff = app.signed_in("shequ").await;
    assert!(staff.get("/inbox").await.text.contains(&format!("/activities/{id}")));
    // Rejecting needs a reason; approving opens it.
    let r = staff.post_form(&format!("/activities/{id}/decide"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = staff.post_form(&format!("/activities/{id}/decide"), &[("approve", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        neighbour.post_form(&format!("/activities/{id}/registrations"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(resident.get("/inbox").await.text.contains(&format!("/activities/{id}")));
});
