//! Services through the pages, on both backends: the organisation publishes a service and
//! its slots (bad input refused naming the field, nothing written); residents book from
//! the directory, a full slot is refused unless one asks to wait, the line moves up when a
//! place is given up and the one moved up is told; a grid worker books for a resident of
//! own grids and nobody else's; counselling notes stay with the organisation (the
//! community's staff see that the service happened, never the notes) and each reading is
//! audited; a referral from the grid is accepted, booked and served, and its referrer
//! follows the status only.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{Browser, TestApp, dual_backend_test, sql, verified_account, zh, zh_fill};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn count(app: &TestApp, statement: &str, id: i64) -> i64 {
    read!(app.db.store, |d| sqlx::query_scalar(statement).bind(id).fetch_one(d).await.unwrap())
}

/// The demo's social organisation (the one `shegong` works for).
async fn organisation(app: &TestApp) -> i64 {
    app.db
        .store
        .organisations(app.demo.community_id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == "social_organisation")
        .unwrap()
        .id
}

/// Residents of record in grid 1 other than the demo resident.
async fn neighbours(app: &TestApp, n: i64) -> Vec<i64> {
    read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM residents WHERE grid_id = $1 AND id <> $2 AND moved_out_on IS NULL ORDER BY id LIMIT $3"
    )
    .bind(app.demo.grid_ids[0])
    .bind(app.demo.resident_id)
    .bind(n)
    .fetch_all(d)
    .await
    .unwrap())
}

/// The organisation publishes a service through its desk and adds one slot tomorrow with
/// `places`; returns (service, slot).
async fn published(app: &TestApp, org: &mut Browser, kind: &str, places: &str) -> (i64, i64) {
    let o = organisation(app).await;
    let r = org
        .post_form(
            &format!("/organisations/{o}/services"),
            &[("kind", kind), ("title", "心理疏导"), ("service_place", "社区活动中心 203"), ("description", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let service: i64 = r.location().unwrap().trim_start_matches("/services/").parse().unwrap();
    let tomorrow = format!("{}T14:00", linli_store::today() + chrono::Days::new(1));
    let r = org
        .post_form(
            &format!("/services/{service}/slots"),
            &[("slot_start", tomorrow.as_str()), ("duration", "60"), ("capacity", places)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let slot = app.db.store.slots(service, None).await.unwrap()[0].id;
    (service, slot)
}

fn booking_of(r: &linli_test_support::Reply) -> i64 {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    r.location().unwrap().trim_start_matches("/bookings/").split('?').next().unwrap().parse().unwrap()
}

dual_backend_test!(residents_book_wait_and_move_up_when_a_place_is_given_up, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let o = organisation(&app).await;
    let mut org = app.signed_in("shegong").await;
    assert!(org.get(&format!("/organisations/{o}/services")).await.text.contains(zh("service.desk")));

    // Bad input names the field and writes nothing.
    let r = org
        .post_form(
            &format!("/organisations/{o}/services"),
            &[
                ("kind", "elderly_care"),
                ("title", "助老理发"),
                ("service_place", "活动室"),
                ("min_age", "70"),
                ("max_age", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("max_age", "error.service.age_range")), "{}", r.text);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM services WHERE community_id = $1", c).await, 0);

    let (service, slot) = published(&app, &mut org, "health", "1").await;
    let yesterday = format!("{}T09:00", linli_store::today() - chrono::Days::new(1));
    let r = org
        .post_form(
            &format!("/services/{service}/slots"),
            &[("slot_start", yesterday.as_str()), ("duration", "60"), ("capacity", "3")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("slot_start", "error.service.slot_past")));
    assert_eq!(app.db.store.slots(service, None).await.unwrap().len(), 1);

    // The demo resident finds it in the directory and books the one place.
    let mut first = app.signed_in("13800138000").await;
    let directory = first.get(&format!("/communities/{c}/services?kind=health")).await;
    assert!(directory.text.contains("心理疏导"), "{}", directory.text);
    assert!(first.get(&format!("/services/{service}")).await.text.contains(zh("service.book")));
    let mine =
        booking_of(&first.post_form(&format!("/services/{service}/bookings"), &[("slot_id", &slot.to_string())]).await);
    assert!(first.get(&format!("/bookings/{mine}")).await.text.contains(zh("booking.status.booked")));

    // A neighbour finds it full: refused unless they ask to wait, then in line.
    let neighbour = neighbours(&app, 1).await[0];
    verified_account(&app.db.store, c, "linju_a", neighbour).await;
    let mut second = app.signed_in("linju_a").await;
    assert!(second.get(&format!("/services/{service}")).await.text.contains(zh("service.join_line")));
    let r = second.post_form(&format!("/services/{service}/bookings"), &[("slot_id", &slot.to_string())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("slot", "error.service.full")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM bookings WHERE slot_id = $1", slot).await, 1);
    let waiting = booking_of(
        &second
            .post_form(&format!("/services/{service}/bookings"), &[("slot_id", &slot.to_string()), ("wait", "1")])
            .await,
    );
    let page = second.get(&format!("/bookings/{waiting}")).await.text;
    assert!(page.contains(zh("booking.status.waiting")) && page.contains(zh("booking.ahead")));
    let r = second
        .post_form(&format!("/services/{service}/bookings"), &[("slot_id", &slot.to_string()), ("wait", "1")])
        .await;
    assert!(r.text.contains(&refusal("slot", "error.service.booked_twice")));

    // Someone else's booking is nobody's business: another resident, another grid's worker.
    assert_eq!(second.get(&format!("/bookings/{mine}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(second.post_form(&format!("/bookings/{mine}/cancel"), &[]).await.status, StatusCode::NOT_FOUND);
    let mut far = app.signed_in("wangge3").await;
    assert_eq!(far.get(&format!("/bookings/{waiting}")).await.status, StatusCode::NOT_FOUND);

    // The first gives the place up: the neighbour moves up and is told.
    let r = first.post_form(&format!("/bookings/{mine}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(second.get(&format!("/bookings/{waiting}")).await.text.contains(zh("booking.status.booked")));
    let told = zh_fill("notify.booking.promoted", &[("detail", &"心理疏导")]);
    let inbox = second.get("/inbox").await.text;
    assert!(inbox.contains(told.split('：').next().unwrap()), "{inbox}");
    assert!(inbox.contains(&format!("/bookings/{waiting}")));
    let roster = org.get(&format!("/slots/{slot}")).await.text;
    assert!(roster.contains(zh("booking.status.cancelled")) && roster.contains(zh("booking.status.booked")));

    // A service for elderly people living alone is not for the demo resident: refused.
    let r = org
        .post_form(
            &format!("/organisations/{o}/services"),
            &[
                ("kind", "elderly_care"),
                ("title", "独居老人上门助餐"),
                ("service_place", "居民家中"),
                ("min_age", "60"),
                ("care_tags", "elderly_alone"),
            ],
        )
        .await;
    let elderly: i64 = r.location().unwrap().trim_start_matches("/services/").parse().unwrap();
    let tomorrow = format!("{}T11:00", linli_store::today() + chrono::Days::new(1));
    org.post_form(
        &format!("/services/{elderly}/slots"),
        &[("slot_start", tomorrow.as_str()), ("duration", "60"), ("capacity", "5")],
    )
    .await;
    let eslot = app.db.store.slots(elderly, None).await.unwrap()[0].id;
    assert!(first.get(&format!("/services/{elderly}")).await.text.contains(zh("service.not_for_you")));
    let r = first.post_form(&format!("/services/{elderly}/bookings"), &[("slot_id", &eslot.to_string())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("resident", "error.service.not_eligible")));

    // Its grid worker books it for an old neighbour who lives alone, whose page offers it.
    let old = neighbours(&app, 3).await[2];
    sql(&app.db.store, "UPDATE residents SET birth_date = '1940-03-01' WHERE id = $1", &[old]).await;
    let mut worker = app.signed_in("wangge1").await;
    let r = worker.post_form(&format!("/residents/{old}/tags"), &[("tag", "elderly_alone")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let offered = worker.get(&format!("/residents/{old}/services")).await.text;
    assert!(offered.contains("独居老人上门助餐") && offered.contains(zh("service.fits")), "{offered}");
    let on_behalf = booking_of(
        &worker
            .post_form(
                &format!("/services/{elderly}/bookings"),
                &[("slot_id", &eslot.to_string()), ("resident_id", &old.to_string())],
            )
            .await,
    );
    let page = worker.get(&format!("/bookings/{on_behalf}")).await.text;
    assert!(page.contains(zh("booking.booked_by")) && page.contains(zh("booking.status.booked")));
    // Another grid's worker cannot book for them.
    let r = far
        .post_form(
            &format!("/services/{elderly}/bookings"),
            &[("slot_id", &eslot.to_string()), ("resident_id", &old.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

dual_backend_test!(counselling_notes_stay_with_the_organisation_and_every_reading_is_audited, |db| {
    let app = TestApp::new(db).await;
    let mut org = app.signed_in("shegong").await;
    let (service, slot) = published(&app, &mut org, "counselling", "2").await;
    let mut resident = app.signed_in("13800138000").await;
    let booking = booking_of(
        &resident.post_form(&format!("/services/{service}/bookings"), &[("slot_id", &slot.to_string())]).await,
    );

    // Not before its day.
    let r = org.post_form(&format!("/bookings/{booking}/outcome"), &[("outcome", "served"), ("notes", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The day comes (the slot is moved into the past, as time would).
    sql(&app.db.store, "UPDATE service_slots SET starts_at = '2026-01-05 14:00' WHERE id = $1", &[slot]).await;
    let secret = "来访者自述长期失眠，与家人关系紧张，约定下周复诊";
    let r = org.post_form(&format!("/bookings/{booking}/outcome"), &[("outcome", "served"), ("notes", secret)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let stored: String = read!(app.db.store, |d| sqlx::query_scalar("SELECT notes_sealed FROM bookings WHERE id = $1")
        .bind(booking)
        .fetch_one(d)
        .await
        .unwrap());
    assert!(!stored.contains("失眠"), "sealed at rest");

    // The community's staff and director see that it happened, never what was said.
    for login in ["shequ", "shuji"] {
        let mut staff = app.signed_in(login).await;
        let page = staff.get(&format!("/bookings/{booking}")).await;
        assert_eq!(page.status, StatusCode::OK, "{login}");
        assert!(page.text.contains(zh("booking.served_sealed")) && !page.text.contains("失眠"));
        assert!(!page.text.contains(&format!("/bookings/{booking}/notes")));
        assert_eq!(staff.get(&format!("/bookings/{booking}/notes")).await.status, StatusCode::NOT_FOUND, "{login}");
    }
    // Nor the resident themself, nor the grid worker.
    assert_eq!(resident.get(&format!("/bookings/{booking}/notes")).await.status, StatusCode::NOT_FOUND);
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&format!("/bookings/{booking}/notes")).await.status, StatusCode::NOT_FOUND);
    let audited =
        "SELECT COUNT(*) FROM audit_events WHERE action = 'personal.service_notes' AND subject_resident_id = $1";
    assert_eq!(count(&app, audited, app.demo.resident_id).await, 0, "refused readings read nothing");

    // The organisation reads them, and each reading is logged with whose they are.
    for _ in 0..2 {
        let notes = org.get(&format!("/bookings/{booking}/notes")).await;
        assert_eq!(notes.status, StatusCode::OK);
        assert!(notes.text.contains(secret));
    }
    assert_eq!(count(&app, audited, app.demo.resident_id).await, 2);
    // The resident sees who read their record, in the log of accesses to their data.
    let data = resident.get("/account/data").await.text;
    assert!(data.contains(zh("audit.personal.service_notes")), "{data}");
});

dual_backend_test!(a_referral_is_accepted_booked_and_served_and_its_referrer_follows_the_status_only, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut org = app.signed_in("shegong").await;
    let (service, _) = published(&app, &mut org, "counselling", "3").await;
    let person = neighbours(&app, 1).await[0];
    let mut worker = app.signed_in("wangge1").await;

    // Bad input: no reason, a case of no community.
    let r = worker
        .post_form(
            &format!("/residents/{person}/referrals"),
            &[("service_id", &service.to_string()), ("source", "visit"), ("referral_reason", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("referral_reason", "error.service.reason")));
    let r = worker
        .post_form(
            &format!("/residents/{person}/referrals"),
            &[
                ("service_id", &service.to_string()),
                ("source", "dispute"),
                ("case_id", "999999"),
                ("referral_reason", "邻里纠纷后情绪低落"),
            ],
        )
        .await;
    assert!(r.text.contains(&refusal("case_id", "error.service.case")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM referrals WHERE community_id = $1", c).await, 0);

    let reason = "走访发现独居，情绪低落，建议心理疏导";
    let r = worker
        .post_form(
            &format!("/residents/{person}/referrals"),
            &[("service_id", &service.to_string()), ("source", "visit"), ("referral_reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let referral: i64 = r.location().unwrap().trim_start_matches("/referrals/").parse().unwrap();
    // Another grid's worker does not see it; the organisation is told and reads the reason.
    let mut far = app.signed_in("wangge3").await;
    assert_eq!(far.get(&format!("/referrals/{referral}")).await.status, StatusCode::NOT_FOUND);
    assert!(org.get("/inbox").await.text.contains(&format!("/referrals/{referral}")));
    let home = org.get("/").await.text;
    assert!(home.contains(&zh_fill("todo.referrals", &[("n", &1)])), "{home}");
    let page = org.get(&format!("/referrals/{referral}")).await.text;
    assert!(page.contains(reason) && page.contains(zh("referral.to.accepted")));
    // The referrer cannot answer it.
    let r = worker.post_form(&format!("/referrals/{referral}/decide"), &[("status", "accepted")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Declining needs a reason; accepting does not.
    let r = org.post_form(&format!("/referrals/{referral}/decide"), &[("status", "declined")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = org.post_form(&format!("/referrals/{referral}/decide"), &[("status", "accepted")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The organisation books the resident in for the referral, serves them, writes notes.
    let slot = app.db.store.slots(service, None).await.unwrap()[0].id;
    let booking_page = org.get(&format!("/services/{service}?for={person}&referral={referral}")).await;
    assert_eq!(booking_page.status, StatusCode::OK, "{}", booking_page.text);
    let booking = booking_of(
        &org.post_form(
            &format!("/services/{service}/bookings"),
            &[
                ("slot_id", &slot.to_string()),
                ("resident_id", &person.to_string()),
                ("referral_id", &referral.to_string()),
            ],
        )
        .await,
    );
    // Without the referral the organisation books for nobody.
    let other = neighbours(&app, 2).await[1];
    let r = org
        .post_form(
            &format!("/services/{service}/bookings"),
            &[("slot_id", &slot.to_string()), ("resident_id", &other.to_string())],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    sql(&app.db.store, "UPDATE service_slots SET starts_at = '2026-01-05 14:00' WHERE id = $1", &[slot]).await;
    let r = org
        .post_form(
            &format!("/bookings/{booking}/outcome"),
            &[("outcome", "served"), ("notes", "首次面谈，情绪评估中度")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The referrer sees it served, and is told; never the notes.
    let page = worker.get(&format!("/referrals/{referral}")).await.text;
    assert!(page.contains(zh("referral.status.served")) && !page.contains("情绪评估"));
    assert!(worker.get("/inbox").await.text.contains(zh("notify.referral.served")));
    let list = worker.get(&format!("/communities/{c}/referrals")).await.text;
    assert!(list.contains(&format!("/referrals/{referral}")));
    assert_eq!(worker.get(&format!("/bookings/{booking}/notes")).await.status, StatusCode::NOT_FOUND);
    // Closed last.
    let r = org.post_form(&format!("/referrals/{referral}/decide"), &[("status", "closed")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(worker.get(&format!("/referrals/{referral}")).await.text.contains(zh("referral.status.closed")));
});
