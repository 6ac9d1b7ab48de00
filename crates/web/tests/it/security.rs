//! The faults an outside security review found (issue 11), each tried again as the
//! attacker would, on both backends: completing a masked ID number from everything a grid
//! worker sees; handling alarms and opening devices out of reach; identifying anonymous
//! reporters and dispute parties; parallel password guesses; open redirects; personal data
//! in the public Open311 feed; tokens that outlive a password; idempotency keys shared
//! between callers; control characters, unbounded metrics labels and cache headers.

use axum::http::{Method, StatusCode};
use linli_domain::Role;
use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming, NewDevice};
use linli_store::{now_ms, read};
use linli_test_support::{Browser, Reply, TestApp, dual_backend_test, zh};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Every ID number that fits a masked form (`3101************51`), a year of birth and a
/// gender, with the attacker knowing even the district (the real number's first six
/// digits): what someone could rebuild from everything shown.
fn candidates(masked: &str, district: &str, year: i64, gender: &str) -> usize {
    let m = masked.as_bytes();
    assert_eq!(m.len(), 18, "{masked}");
    let shown: Vec<usize> = (0..18).filter(|&i| m[i] != b'*').collect();
    assert!(shown.len() <= 6, "the mask shows {} characters: {masked}", shown.len());
    let mut n = 0;
    for day in 0..366 {
        let Some(date) = chrono::NaiveDate::from_yo_opt(year as i32, day + 1) else { continue };
        for seq in 0..1000 {
            let odd = seq % 2 == 1;
            if odd != (gender == "M") {
                continue;
            }
            let first17 = format!("{district}{}{seq:03}", date.format("%Y%m%d"));
            let b = first17.as_bytes();
            let sum: u32 = b.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
            let full = [b, &[CHECK[(sum % 11) as usize]]].concat();
            if shown.iter().all(|&i| full[i] == m[i]) {
                n += 1;
            }
        }
    }
    n
}

dual_backend_test!(a_grid_worker_cannot_complete_an_id_number_from_what_they_see, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let list = worker.get(&format!("/api/v1/communities/{community}/residents?limit=30")).await;
    assert_eq!(list.status, StatusCode::OK);
    let residents = list.json()["residents"].as_array().unwrap().clone();
    assert!(residents.len() >= 10);
    // Everything the worker can put together: lists, pages, the API and a masked export.
    let mut seen = list.text.clone();
    seen += &worker.get(&format!("/communities/{community}/residents")).await.text;
    let export = worker
        .post_form(&format!("/communities/{community}/residents/export"), &[("format", "csv"), ("reason", "核对名单")])
        .await;
    assert_eq!(export.status, StatusCode::OK);
    seen += &export.text;
    let full = app.db.store.full_personal_data(community).await.unwrap();
    for r in residents.iter().take(10) {
        let id = r["id"].as_i64().unwrap();
        seen += &worker.get(&format!("/residents/{id}")).await.text;
        seen += &worker.get(&format!("/api/v1/residents/{id}")).await.text;
        seen += &worker.get(&format!("/households/{}", r["household_id"])).await.text;
        let Some(real) = full.get(&id).and_then(|(n, _)| n.clone()) else { continue };
        let birth = &real[6..14];
        let dashed = format!("{}-{}-{}", &birth[..4], &birth[4..6], &birth[6..]);
        assert!(!seen.contains(birth) && !seen.contains(&dashed), "the birth date of {id} is shown");
        assert!(!seen.contains(&real), "the full number of {id} is shown");
        let masked = r["id_number_masked"].as_str().unwrap();
        let year = r["birth_year"].as_i64().unwrap();
        let n = candidates(masked, &real[..6], year, r["gender"].as_str().unwrap());
        assert!(n >= 100, "{masked} ({year}) leaves only {n} possible numbers");
    }
});

async fn alarm_in(app: &TestApp, grid: usize, code: &str, personal: bool) -> (i64, i64) {
    let building = app.building_in_grid(app.demo.grid_ids[grid]).await;
    let resident = if personal { Some(app.demo.resident_id) } else { None };
    let new = NewDevice {
        community_id: app.demo.community_id,
        code: code.into(),
        name: format!("{code} 设备"),
        profile_code: if personal { "elder_water_meter" } else { "smoke_detector" }.into(),
        building_id: Some(building),
        resident_id: resident,
        ..Default::default()
    };
    let device = app.db.store.register_device(&new).await.unwrap().0;
    let payload = if personal { r#"{"flow": 0}"# } else { r#"{"smoke": true}"# };
    let msg = Incoming {
        device: DeviceRef::Id(device),
        channel: Channel::Telemetry,
        payload: format!(r#"{{"ts": {}, "values": {payload}}}"#, now_ms()).into_bytes(),
        received_at: now_ms(),
    };
    app.db.store.ingest(&[msg]).await.unwrap();
    let alarm = app.db.store.device_alarms(device).await.unwrap().first().map_or(0, |a| a.id);
    (device, alarm)
}

dual_backend_test!(alarms_and_devices_are_reached_as_far_as_their_grid_and_resident, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    // Grid 3 is not the first grid worker's (grids 1 and 2).
    let (smoke, alarm) = alarm_in(&app, 2, "smoke-g3", false).await;
    assert!(alarm > 0, "the smoke alarm was raised");
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let ack = worker.post_form(&format!("/alarms/{alarm}/acknowledge"), &[]).await;
    assert_eq!(ack.status, StatusCode::NOT_FOUND);
    let clear = worker.post_form(&format!("/alarms/{alarm}/clear"), &[]).await;
    assert_eq!(clear.status, StatusCode::NOT_FOUND);
    let building = app.building_in_grid(app.demo.grid_ids[2]).await.to_string();
    worker.post_form(&format!("/communities/{community}/alarms/acknowledge"), &[("building_id", &building)]).await;
    let untouched = app.db.store.alarm(alarm).await.unwrap();
    assert!(untouched.acknowledged_at.is_none() && untouched.cleared_at.is_none(), "nothing changed");
    assert_eq!(app.db.store.case(untouched.case_id.unwrap()).await.unwrap().state, "dispatched");
    assert_eq!(worker.get(&format!("/devices/{smoke}")).await.status, StatusCode::NOT_FOUND);
    let board = worker.get(&format!("/communities/{community}/alarms?fragment=1")).await;
    assert!(!board.text.contains("smoke-g3"), "another grid's alarm on the board");
    let devices = worker.get(&format!("/communities/{community}/devices")).await;
    assert!(devices.status == StatusCode::OK && !devices.text.contains("smoke-g3"));
    // The community's staff may.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let ack = staff.post_form(&format!("/alarms/{alarm}/acknowledge"), &[]).await;
    assert_eq!(ack.status, StatusCode::SEE_OTHER);
    assert!(app.db.store.alarm(alarm).await.unwrap().acknowledged_at.is_some());

    // A meter tied to a resident is the resident's data: not for the property company or
    // the street, which still see the building's smoke detector.
    let (meter, _) = alarm_in(&app, 0, "meter-g1", true).await;
    // A place in the building (a stairwell) is not a home: the property company keeps its lift.
    let lift = NewDevice {
        community_id: community,
        code: "lift-g1".into(),
        name: "1单元电梯".into(),
        profile_code: "elevator".into(),
        building_id: Some(app.building_in_grid(app.demo.grid_ids[0]).await),
        room: "1单元".into(),
        ..Default::default()
    };
    let lift = app.db.store.register_device(&lift).await.unwrap().0;
    for role in [Role::PropertyStaff, Role::StreetSupervisor] {
        let mut b = app.signed_in(&app.login_of(role)).await;
        assert_eq!(b.get(&format!("/devices/{meter}")).await.status, StatusCode::NOT_FOUND, "{role:?}");
        assert_eq!(b.get(&format!("/devices/{lift}")).await.status, StatusCode::OK, "{role:?}");
        let list = b.get(&format!("/communities/{community}/devices")).await;
        assert!(!list.text.contains("meter-g1") && list.text.contains("smoke-g3"), "{role:?}");
    }
    let mut own = app.signed_in(&app.login_of(Role::GridWorker)).await;
    assert_eq!(own.get(&format!("/devices/{meter}")).await.status, StatusCode::OK, "the resident's grid worker");
});

/// An anonymous report by the demo resident in grid 1, dispatched to the property company.
async fn anonymous_report(app: &TestApp) -> i64 {
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    let category = app.category_id("0201").await;
    let (building, _) = app.demo_home;
    let r = resident
        .send_json(
            Method::POST,
            &format!("/api/v1/communities/{}/cases", app.demo.community_id),
            &serde_json::json!({"category_id": category, "description": "楼道灯坏了，晚上很黑", "building_id": building, "anonymous": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json()["id"].as_i64().unwrap()
}

dual_backend_test!(a_reporter_is_shown_only_to_those_who_handle_the_case, |db| {
    let app = TestApp::new(db).await;
    let case_id = anonymous_report(&app).await;
    let resident_account = app.demo.account(Role::Resident).unwrap().account_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    for step in ["register", "dispatch"] {
        let r = staff
            .send_json(Method::POST, &format!("/api/v1/cases/{case_id}/steps"), &serde_json::json!({"step": step}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.text);
    }
    let held = app.db.store.case(case_id).await.unwrap();
    let seen = staff.get(&format!("/api/v1/cases/{case_id}")).await.json();
    assert_eq!(seen["case"]["reporter"]["account_id"], resident_account, "staff see the reporter");
    // Whoever else can open the case (the street; the property company if it holds it)
    // learns nothing of who reported it: not the name, not the account, not on the timeline.
    let mut others = vec![Role::StreetSupervisor];
    if held.assignee_organisation_id.is_some() {
        others.push(Role::PropertyStaff);
    }
    for role in others {
        let mut b = app.signed_in(&app.login_of(role)).await;
        let detail = b.get(&format!("/api/v1/cases/{case_id}")).await;
        assert_eq!(detail.status, StatusCode::OK, "{role:?}");
        let json = detail.json();
        assert!(json["case"]["reporter"].is_null(), "{role:?}: {}", detail.text);
        for e in json["timeline"].as_array().unwrap() {
            assert_ne!(e["actor"]["account_id"], resident_account, "{role:?}: the reporter's step names them");
        }
        let list = b.get(&format!("/api/v1/communities/{}/cases?state=all&limit=200", app.demo.community_id)).await;
        let mine = list.json()["cases"].as_array().unwrap().iter().find(|c| c["id"] == case_id).cloned();
        if let Some(c) = mine {
            assert!(c["reporter"].is_null(), "{role:?} list");
        }
        let page = b.get(&format!("/cases/{case_id}")).await;
        assert!(!page.text.contains(&app.demo.account(Role::Resident).unwrap().display_name), "{role:?} page");
    }
});

dual_backend_test!(the_street_sees_no_party_or_reporter_until_a_dispute_is_escalated_to_it, |db| {
    let app = TestApp::new(db).await;
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let category = app.category_id("0301").await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await;
    let r = worker
        .send_json(
            Method::POST,
            &format!("/api/v1/communities/{}/cases", app.demo.community_id),
            &serde_json::json!({"category_id": category, "description": "楼上楼下漏水纠纷，联系13912340000", "building_id": building,
                "risk": "normal", "other_party": "欧阳明月", "other_phone": "13912345678"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let case_id = r.json()["id"].as_i64().unwrap();
    let worker_name = app.demo.account(Role::GridWorker).unwrap().display_name.clone();
    let mut street = app.signed_in(&app.login_of(Role::StreetSupervisor)).await;
    let page = street.get(&format!("/cases/{case_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains("欧阳明月") && !page.text.contains("139****5678"), "a party's name");
    assert!(!page.text.contains("13912340000") && page.text.contains("139****0000"), "free text is masked");
    let detail = street.get(&format!("/api/v1/cases/{case_id}")).await.json();
    assert!(detail["case"]["reporter"].is_null());
    // Escalated to the street, it sees the parties it now mediates.
    for _ in 0..2 {
        let r = worker
            .send_json(
                Method::POST,
                &format!("/api/v1/cases/{case_id}/steps"),
                &serde_json::json!({"step": "escalate"}),
            )
            .await;
        if r.status != StatusCode::OK {
            let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
            let r = staff
                .send_json(
                    Method::POST,
                    &format!("/api/v1/cases/{case_id}/steps"),
                    &serde_json::json!({"step": "escalate"}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        if app.db.store.case(case_id).await.unwrap().level == "street" {
            break;
        }
    }
    assert_eq!(app.db.store.case(case_id).await.unwrap().level, "street");
    let page = street.get(&format!("/cases/{case_id}")).await;
    assert!(page.text.contains("欧阳明月"), "the street mediates an escalated dispute");
    assert!(page.text.contains("13912340000"), "and reads the report as written");
    assert_eq!(street.get(&format!("/api/v1/cases/{case_id}")).await.json()["case"]["reporter"]["name"], worker_name);
});

dual_backend_test!(parallel_guesses_cannot_pass_the_lockout_and_two_login_names_share_one_count, |db| {
    let app = TestApp::new(db).await;
    let login = app.login_of(Role::CommunityStaff);
    let mut tasks = Vec::new();
    for _ in 0..19 {
        let mut b = app.browser();
        let login = login.clone();
        tasks.push(tokio::spawn(async move { b.login(&login, "wrong-password1").await.status }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    // Each checked guess is recorded as a failed login: no more than the limit of five.
    let staff = app.demo.account(Role::CommunityStaff).unwrap().account_id;
    let checked: i64 = read!(app.db.store, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'login.failed' AND account_id = $1"
    )
    .bind(staff)
    .fetch_one(db)
    .await
    .unwrap());
    assert!(checked <= 5, "{checked} of 19 guesses sent at once were checked");
    let r = app.browser().login(&login, linli_store::demo::DEMO_PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "locked even for the right password");

    // The demo resident signs in by phone; a username would be a second name: the account
    // counts guesses across both, so a phone alone locks it after five.
    let resident = app.login_of(Role::Resident);
    for i in 0..5 {
        let r = app.browser().login(&resident, "wrong-password1").await;
        assert_eq!(r.status, if i < 4 { StatusCode::UNAUTHORIZED } else { StatusCode::TOO_MANY_REQUESTS });
    }
    let account = app.demo.account(Role::Resident).unwrap().account_id;
    let locked: Option<Option<i64>> =
        read!(app.db.store, |db| sqlx::query_scalar("SELECT locked_until FROM login_throttle WHERE key = $1")
            .bind(format!("account:{account}"))
            .fetch_optional(db)
            .await
            .unwrap());
    assert!(locked.flatten().is_some(), "the account itself is locked, whatever name is used next");
});

dual_backend_test!(next_after_login_stays_on_this_site, |db| {
    let app = TestApp::new(db).await;
    for next in ["%2F%09%2Fevil.example", "%2F%0A%2Fevil.example", "%2F%0D%0ALocation:%20x", "%2F%5Cevil.example"] {
        let mut b = app.browser();
        let form = b.get(&format!("/login?next={next}")).await;
        assert_eq!(form.status, StatusCode::OK, "{next}");
        b.refresh_csrf().await;
        let decoded: String = url_decode(next);
        let r = b
            .post_form(
                "/login",
                &[
                    ("login", &app.login_of(Role::CommunityStaff)),
                    ("password", linli_store::demo::DEMO_PASSWORD),
                    ("next", &decoded),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next}: {}", r.text);
        assert_eq!(r.location(), Some("/"), "{next}");
        // Signed in, the form itself redirects: same rule.
        let again = b.get(&format!("/login?next={next}")).await;
        assert_eq!(again.location(), Some("/"), "{next}");
    }
});

/// Posts an Open311 request as a client application would (a form body).
async fn post_open311(b: &mut Browser, fields: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(fields).unwrap().into_bytes();
    b.send(Method::POST, "/open311/v2/requests.json", Some(("application/x-www-form-urlencoded", body)), &[]).await
}

fn url_decode(s: &str) -> String {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("x={s}")).unwrap().remove(0).1
}

async fn open311_key(app: &TestApp) -> String {
    app.db.store.create_open311_key("test").await.unwrap().0
}

dual_backend_test!(the_public_feed_shows_nothing_personal_and_nothing_before_registration, |db| {
    let app = TestApp::new(db).await;
    let community = app.db.store.community(app.demo.community_id).await.unwrap();
    let resident = app.db.store.resident(app.demo.resident_id).await.unwrap();
    let mut b = app.signed_in(&app.login_of(Role::Resident)).await;
    let (building, _) = app.demo_home;
    let description = format!("{}家门口有积水，电话13812345678，身份证11010519491231002X", resident.name);
    let r = b
        .send_json(
            Method::POST,
            &format!("/api/v1/communities/{}/cases", community.id),
            &serde_json::json!({"category_id": app.category_id("0201").await, "description": description, "building_id": building}),
        )
        .await;
    let case_id = r.json()["id"].as_i64().unwrap();
    let feed = |b: &mut Browser| {
        let path = format!("/open311/v2/requests.json?jurisdiction_id={}&service_request_id={case_id}", community.code);
        let mut b = b.clone();
        async move { b.get(&path).await.text }
    };
    let before = feed(&mut app.browser()).await;
    assert!(!before.contains("积水"), "a report is not public before it is registered: {before}");
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    staff
        .send_json(Method::POST, &format!("/api/v1/cases/{case_id}/steps"), &serde_json::json!({"step": "register"}))
        .await;
    staff
        .send_json(
            Method::POST,
            &format!("/api/v1/cases/{case_id}/steps"),
            &serde_json::json!({"step": "dispatch", "note": "内部：报事人情绪激动，联系13987654321"}),
        )
        .await;
    let after = feed(&mut app.browser()).await;
    assert!(after.contains("积水"), "registered, the description is public: {after}");
    for secret in ["13812345678", "11010519491231002X", "19491231", &resident.name, "13987654321", "情绪激动"] {
        assert!(!after.contains(secret), "{secret} in the public feed: {after}");
    }
    assert!(after.contains("138****5678"), "{after}");
    let updates = app
        .browser()
        .get(&format!(
            "/open311/v2/servicerequestupdates.json?service_request_id={case_id}&start_date=2000-01-01T00:00:00Z"
        ))
        .await;
    assert!(!updates.text.contains("情绪激动"), "an internal note in the updates: {}", updates.text);
    // A note its author makes public goes out, masked.
    staff
        .send_json(
            Method::POST,
            &format!("/api/v1/cases/{case_id}/steps"),
            &serde_json::json!({"step": "remind", "note": "已催办物业，联系人电话13700001111", "public": true}),
        )
        .await;
    let updates = app
        .browser()
        .get(&format!(
            "/open311/v2/servicerequestupdates.json?service_request_id={case_id}&start_date=2000-01-01T00:00:00Z"
        ))
        .await;
    assert!(updates.text.contains("已催办物业") && updates.text.contains("137****1111"), "{}", updates.text);
    assert!(!updates.text.contains("13700001111"));
    // The report form says what will be public.
    let form = b.get(&format!("/communities/{}/cases/new", community.id)).await;
    assert!(form.text.contains("公开范围"));
});

dual_backend_test!(a_password_change_ends_tokens_and_guesses_are_throttled_and_recorded, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let account = app.demo.account(Role::CommunityStaff).unwrap().account_id;
    let (token, _) = app.db.store.create_api_token(account, "脚本").await.unwrap();
    let bearer = format!("Bearer {token}");
    let mut api = app.browser();
    assert_eq!(api.send(Method::GET, "/api/v1/me", None, &[("authorization", &bearer)]).await.status, StatusCode::OK);
    // A token cannot change the password.
    let body = serde_urlencoded::to_string([
        ("current", linli_store::demo::DEMO_PASSWORD),
        ("new", "a-new-password-2026"),
        ("confirm", "a-new-password-2026"),
    ])
    .unwrap();
    let r = api
        .send(
            Method::POST,
            "/account/password",
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Wrong guesses are recorded and then refused.
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = b
            .post_form(
                "/account/password",
                &[("current", "wrong-password1"), ("new", "a-new-password-2026"), ("confirm", "a-new-password-2026")],
            )
            .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    let wrong: i64 = read!(app.db.store, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'password.wrong' AND account_id = $1"
    )
    .bind(account)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(wrong, 5);
    // Another account changes its password: its token is revoked.
    let mut w = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let worker = app.demo.account(Role::GridWorker).unwrap().account_id;
    let (token, _) = app.db.store.create_api_token(worker, "脚本").await.unwrap();
    let r = w
        .post_form(
            "/account/password",
            &[
                ("current", linli_store::demo::DEMO_PASSWORD),
                ("new", "a-new-password-2026"),
                ("confirm", "a-new-password-2026"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let me = api.send(Method::GET, "/api/v1/me", None, &[("authorization", &format!("Bearer {token}"))]).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "the token outlived the password");
    assert_eq!(w.get("/account").await.status, StatusCode::OK, "the session that changed it stays");
});

dual_backend_test!(an_idempotency_key_belongs_to_its_caller_and_its_report, |db| {
    let app = TestApp::new(db).await;
    let path = format!("/api/v1/communities/{}/cases", app.demo.community_id);
    let (building, _) = app.demo_home;
    let category = app.category_id("0201").await;
    let report =
        |text: &str| serde_json::json!({"category_id": category, "description": text, "building_id": building});
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let csrf = staff.csrf.clone();
    let post = |b: &mut Browser, body: serde_json::Value, key: &'static str| {
        let mut b = b.clone();
        let (path, csrf) = (path.clone(), csrf.clone());
        async move {
            let csrf = if b.csrf.is_empty() { csrf } else { b.csrf.clone() };
            b.send(
                Method::POST,
                &path,
                Some(("application/json", body.to_string().into_bytes())),
                &[("x-csrf-token", &csrf), ("idempotency-key", key)],
            )
            .await
        }
    };
    let first = post(&mut staff, report("三号楼电梯异响，请尽快检修"), "key-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let staff_case = first.json()["id"].clone();
    // The same caller retrying gets the first case back.
    let retry = post(&mut staff, report("三号楼电梯异响，请尽快检修"), "key-1").await;
    assert_eq!((retry.status, retry.json()["id"].clone()), (StatusCode::OK, staff_case.clone()));
    // The same key with another report is refused, naming the header.
    let other = post(&mut staff, report("另一件事：垃圾没有清运"), "key-1").await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", other.text);
    assert_eq!(other.json()["error"]["field"], "Idempotency-Key");
    // Another person's same key is their own: a new case, not the staff member's.
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    let theirs = post(&mut resident, report("三号楼电梯异响，请尽快检修"), "key-1").await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.text);
    assert_ne!(theirs.json()["id"], staff_case);
});

dual_backend_test!(control_characters_do_not_reach_the_feed_and_metrics_stay_bounded, |db| {
    let app = TestApp::new(db).await;
    let key = open311_key(&app).await;
    let community = app.db.store.community(app.demo.community_id).await.unwrap();
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let mut b = app.browser();
    let r = post_open311(
        &mut b,
        &[
            ("api_key", key.as_str()),
            ("jurisdiction_id", community.code.as_str()),
            ("service_code", "0201"),
            ("address_id", building.as_str()),
            ("description", "路灯\u{0}不亮\u{7}了"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json()[0]["service_request_id"].as_str().unwrap().parse::<i64>().unwrap();
    let stored = app.db.store.case(id).await.unwrap();
    assert_eq!(stored.description, "路灯不亮了", "control characters are dropped at intake");
    // A typed address goes out masked (a name, a phone, an ID number) and only once registered;
    // characters XML cannot carry never reach the feed.
    let name = app.db.store.resident(app.demo.resident_id).await.unwrap().name;
    let address = format!("{name}家门口 １３９６０９４３５１７ 139.6094.3517\u{FFFE}\u{FFFF}");
    let r = post_open311(
        &mut b,
        &[
            ("api_key", key.as_str()),
            ("service_code", "0201"),
            ("lat", "31.2036"),
            ("long", "121.40045"),
            ("address_string", address.as_str()),
            ("description", "路灯坏了"),
        ],
    )
    .await;
    let typed = r.json()[0]["service_request_id"].as_str().unwrap().parse::<i64>().unwrap();
    let public = |b: &mut Browser| {
        let mut b = b.clone();
        async move { b.get(&format!("/open311/v2/requests/{typed}.json")).await.json()[0]["address"].clone() }
    };
    assert_eq!(public(&mut b).await, "", "not before registration");
    app.db.store.apply_case_step(typed, None, &linli_domain::case::Event::Register, "").await.unwrap();
    let shown = public(&mut b).await.as_str().unwrap().to_owned();
    assert!(!shown.contains(&name) && !shown.contains("6094") && !shown.contains("６０９４"), "{shown}");
    let xml = b.get("/open311/v2/requests.xml").await.text;
    assert!(!xml.contains('\u{FFFE}') && !xml.contains('\u{FFFF}'), "the XML feed stays well-formed");
    let phone = "1".repeat(40);
    let r = post_open311(
        &mut b,
        &[
            ("api_key", key.as_str()),
            ("jurisdiction_id", community.code.as_str()),
            ("service_code", "0201"),
            ("address_id", building.as_str()),
            ("phone", phone.as_str()),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "an overlong phone: {}", r.text);
    assert!(r.text.contains("手机号码过长"), "{}", r.text);
    // Made-up methods from anyone do not become labels of their own.
    for i in 0..5 {
        let m = Method::from_bytes(format!("BREW{i}").as_bytes()).unwrap();
        b.send(m, "/", None, &[]).await;
    }
    let metrics = b.get("/metrics").await.text;
    assert!(!metrics.contains("BREW"), "{metrics}");
});

dual_backend_test!(personal_answers_are_not_cached_and_out_of_reach_is_not_found, |db| {
    let app = TestApp::new(db).await;
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let own = worker.get(&format!("/api/v1/residents/{}", app.demo.resident_id)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let page = worker.get(&format!("/residents/{}", app.demo.resident_id)).await;
    assert_eq!(page.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    // A resident, household or building outside the worker's grids answers as one that
    // does not exist.
    let other_building = app.building_in_grid(app.demo.grid_ids[2]).await;
    let residents = app.db.store.buildings_in_grid(app.demo.grid_ids[2]).await.unwrap();
    assert!(!residents.is_empty());
    let missing = worker.get("/api/v1/residents/999999999").await.status;
    let r = worker.get(&format!("/buildings/{other_building}")).await;
    assert_eq!(r.status, worker.get("/buildings/999999999").await.status, "a building out of reach");
    let (stranger, household): (i64, i64) = read!(app.db.store, |db| sqlx::query_as(
        "SELECT r.id, r.household_id FROM residents r WHERE r.grid_id = $1 LIMIT 1"
    )
    .bind(app.demo.grid_ids[2])
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(worker.get(&format!("/api/v1/residents/{stranger}")).await.status, missing);
    assert_eq!(
        worker.get(&format!("/residents/{stranger}")).await.status,
        worker.get("/residents/999999999").await.status
    );
    assert_eq!(
        worker.get(&format!("/households/{household}")).await.status,
        worker.get("/households/999999999").await.status
    );
});

dual_backend_test!(an_account_that_reads_residents_is_never_opened_silently, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id.to_string();
    let mut admin = app.signed_in(&app.login_of(Role::SystemAdmin)).await;
    let r = admin
        .post_form(
            "/admin/accounts",
            &[
                ("display_name", "新主任"),
                ("username", "zhuren9"),
                ("password", "start2026"),
                ("role", "community_director"),
                ("community_id", &community),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r_created = r.location().unwrap().to_owned();
    // The community's director is told, and the grant stands in the access log it reads.
    let mut director = app.signed_in(&app.login_of(Role::CommunityDirector)).await;
    let inbox = director.get("/inbox").await;
    assert!(inbox.text.contains("查看本社区居民信息的权限"), "{}", inbox.text);
    let log = director.get("/audit").await;
    assert!(log.text.contains(zh("audit.personal.access_granted")) && log.text.contains("新主任"), "{}", log.text);
    // An account that reads no residents (an owners' committee member) raises nothing.
    let before = director.get("/inbox").await.text.matches("查看本社区居民信息的权限").count();
    admin
        .post_form(
            "/admin/accounts",
            &[
                ("display_name", "业委会新委员"),
                ("username", "ywh9"),
                ("password", "start2026"),
                ("role", "owners_committee_member"),
                ("community_id", &community),
            ],
        )
        .await;
    assert_eq!(director.get("/inbox").await.text.matches("查看本社区居民信息的权限").count(), before);
    // Staff putting a grid worker on duty in another grid opens that grid's residents to
    // them: announced the same way.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let worker = app.demo.account(Role::GridWorker).unwrap();
    let r = staff
        .post_form(
            &format!("/grids/{}/workers", app.demo.grid_ids[2]),
            &[("account_id", &worker.account_id.to_string()), ("duty", "deputy")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(director.get("/inbox").await.text.matches("查看本社区居民信息的权限").count(), before + 1);
    assert!(director.get("/audit").await.text.contains(&worker.display_name));
    // Disabled and enabled again, the new director's access is announced again.
    let created = r_created.split("created=").nth(1).unwrap().to_owned();
    admin.post_form(&format!("/admin/accounts/{created}/disable"), &[]).await;
    admin.post_form(&format!("/admin/accounts/{created}/enable"), &[]).await;
    assert_eq!(director.get("/inbox").await.text.matches("查看本社区居民信息的权限").count(), before + 2);
});

dual_backend_test!(a_resident_downloads_everything_held_about_them_and_the_download_is_recorded, |db| {
    let app = TestApp::new(db).await;
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    let page = resident.get("/account/data").await;
    assert!(page.text.contains("/account/data/export"));
    let file = resident.get("/account/data/export").await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(file.headers.get("content-disposition").unwrap().to_str().unwrap().contains("attachment"));
    let json = file.json();
    assert_eq!(json["resident"]["id"], app.demo.resident_id);
    assert_eq!(json["id_number"].as_str().map(str::len), Some(18), "one's own number in full");
    assert!(json["accesses"].is_array() && json["stays"].is_array());
    let again = resident.get("/account/data").await;
    assert!(again.text.contains("本人导出自己的信息"), "the download is in the access log");
    // A full export by staff that carries the resident's number is on the resident's log too.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let r = staff
        .post_form(
            &format!("/communities/{}/residents/export", app.demo.community_id),
            &[("format", "csv"), ("full", "1"), ("reason", "年度核对重新导入")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(resident.get("/account/data").await.text.contains("年度核对重新导入"), "the full export is shown");
    // Staff have no such page.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    assert_eq!(staff.get("/account/data/export").await.status, StatusCode::FORBIDDEN);
});
