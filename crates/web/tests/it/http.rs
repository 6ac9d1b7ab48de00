//! The web layer driven through the real router, on both backends.

use axum::http::{Method, StatusCode};
use linli_domain::Role;
use linli_domain::permission::permits;
use linli_test_support::{Browser, TestApp, dual_backend_test, zh};
use linli_web::routes::RouteInfo;

const PASSWORD: &str = linli_store::demo::DEMO_PASSWORD;

/// Fills a route template with ids from the demo, inside the caller's scope.
fn example_path(app: &TestApp, route: &RouteInfo) -> String {
    let (building, household) = app.demo_home;
    route
        .path
        .replace("{case_id}", &app.demo.case_id.to_string())
        .replace("{building_id}", &building.to_string())
        .replace("{household_id}", &household.to_string())
        .replace("{community_id}", &app.demo.community_id.to_string())
        .replace("{grid_id}", &app.demo.grid_ids[0].to_string())
        .replace("{street_id}", &app.demo.street_id.to_string())
        .replace("{token_id}", "999999")
        .replace("{account_id}", "999999")
        .replace("{resident_id}", &app.demo.resident_id.to_string())
        .replace("{batch_id}", "999999")
        .replace("{tag}", "veteran")
        .replace("{photo_id}", "999999")
        .replace("{alarm_id}", "999999")
        .replace("{device_id}", "999999")
        .replace("{file}", "app.css")
        .replace("{item_id}", "999999")
        .replace("{meeting_id}", "999999")
        .replace("{resolution_id}", "999999")
        .replace("{proposal_id}", "999999")
        .replace("{announcement_id}", "999999")
        .replace("{receipt_id}", "999999")
        .replace("{consultation_id}", "999999")
        .replace("{survey_id}", "999999")
        .replace("{attachment_id}", "999999")
        .replace("{question_id}", "999999")
        .replace("{service_id}", "999999")
        .replace("{booking_id}", "999999")
        .replace("{slot_id}", "999999")
        .replace("{referral_id}", "999999")
        .replace("{activity_id}", "999999")
        .replace("{registration_id}", "999999")
        .replace("{shift_id}", "999999")
        .replace("{signup_id}", "999999")
        .replace("{team_id}", "999999")
        .replace("{volunteer_id}", "999999")
        .replace("{hours_id}", "999999")
        .replace("{correction_id}", "999999")
        .replace("{redemption_id}", "999999")
}

async fn call(b: &mut Browser, method: &Method, path: &str) -> linli_test_support::Reply {
    match *method {
        Method::GET => b.get(path).await,
        Method::POST if path.starts_with("/api/") => b.send_json(Method::POST, path, &serde_json::json!({})).await,
        Method::POST => b.post_form(path, &[]).await,
        ref m => b.send_json(m.clone(), path, &serde_json::json!({})).await,
    }
}

fn routes_with_logout_last() -> Vec<RouteInfo> {
    let mut routes = linli_web::routes::build().catalog;
    routes.sort_by_key(|r| r.path == "/logout");
    routes
}

dual_backend_test!(every_route_allows_or_denies_every_role_as_the_permission_table_says, |db| {
    let app = TestApp::new(db).await;
    let routes = routes_with_logout_last();
    assert!(routes.len() >= 25, "the catalog lists {} routes", routes.len());
    for role in Role::ALL {
        let mut b = app.signed_in(&app.login_of(role)).await;
        // Device ingestion takes a device's token, not a person's role (the monitoring module).
        for route in routes.iter().filter(|r| r.path != "/api/v1/telemetry") {
            let path = example_path(&app, route);
            let reply = call(&mut b, &route.method, &path).await;
            let allowed = route.action.is_none_or(|a| permits(role, a));
            if allowed {
                assert!(
                    reply.status != StatusCode::FORBIDDEN && reply.status != StatusCode::UNAUTHORIZED,
                    "{role:?} should reach {} {path}, got {}",
                    route.method,
                    reply.status
                );
            } else {
                assert_eq!(reply.status, StatusCode::FORBIDDEN, "{role:?} must be refused {} {path}", route.method);
            }
        }
    }
    // Anonymous callers reach public routes only: pages send them to the login form,
    // the API answers 401.
    let mut anon = app.browser();
    anon.refresh_csrf().await;
    for route in routes.iter().filter(|r| r.action.is_some()) {
        let path = example_path(&app, route);
        let reply = call(&mut anon, &route.method, &path).await;
        if path.starts_with("/api/") {
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "anonymous {} {path}", route.method);
            assert_eq!(reply.json()["error"]["code"], "unauthenticated");
        } else {
            assert_eq!(reply.status, StatusCode::SEE_OTHER, "anonymous {} {path}", route.method);
            assert!(reply.location().unwrap().starts_with("/login"));
        }
    }
});

dual_backend_test!(the_openapi_document_lists_exactly_the_api_routes, |db| {
    let app = TestApp::new(db).await;
    let doc = app.browser().get("/api/v1/openapi.json").await.json();
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| (m.to_uppercase(), path.clone())))
        .collect();
    let mut routed: Vec<(String, String)> = linli_web::routes::build()
        .catalog
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v1/") && r.path != "/api/v1/openapi.json")
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    documented.sort();
    routed.sort();
    assert_eq!(documented, routed);
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // Every operation lists the refusals any API request can meet, in the error shape.
    let create = &doc["paths"]["/api/v1/communities/{community_id}/cases"]["post"]["responses"];
    for status in ["400", "401", "403", "413", "415", "422", "507"] {
        assert_eq!(
            create[status]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
            "{status}"
        );
    }
    let me = &doc["paths"]["/api/v1/me"]["get"]["responses"];
    assert!(me["401"].is_object() && me["413"].is_null(), "no body, so no 413");
    assert!(me["403"].is_null() && me["404"].is_null(), "every role may see itself, and there is no id to miss");
    // Devices post with their own token, and are refused in the same shape.
    let telemetry = &doc["paths"]["/api/v1/telemetry"]["post"];
    assert_eq!(telemetry["security"][0]["device"], serde_json::json!([]));
    for status in ["400", "401", "422", "503", "507"] {
        let body = &telemetry["responses"][status]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(body, "#/components/schemas/ErrorBody", "telemetry {status}");
    }
    let show = &doc["paths"]["/api/v1/cases/{case_id}"]["get"]["responses"];
    assert!(show["403"].is_object() && show["404"].is_object());
    // Constraints are the server's: ranges, lists, and text as the domain reads it.
    let list = doc["paths"]["/api/v1/communities/{community_id}/cases"]["get"]["parameters"].as_array().unwrap();
    let param = |name: &str| &list.iter().find(|p| p["name"] == name).unwrap()["schema"];
    assert_eq!((param("limit")["minimum"].as_i64(), param("limit")["maximum"].as_i64()), (Some(1), Some(200)));
    assert_eq!(param("offset")["minimum"].as_i64(), Some(0));
    assert!(param("state")["enum"].as_array().unwrap().iter().any(|s| s == "overdue"));
    let token = &doc["components"]["schemas"]["NewToken"]["properties"]["name"];
    assert_eq!((token["minLength"].as_i64(), token["maxLength"].as_i64()), (Some(1), Some(64)));
    assert!(token["pattern"].is_string(), "a name needs a character that is not a space");
    let step = &doc["components"]["schemas"]["StepInput"]["properties"]["step"]["enum"];
    assert!(step.as_array().unwrap().iter().any(|s| s == "verify_pass"));
});

dual_backend_test!(each_role_lands_on_its_own_home_page, |db| {
    let app = TestApp::new(db).await;
    let expectations = [
        (Role::GridWorker, "我负责的网格"),
        (Role::CommunityDirector, "社区网格"),
        (Role::CommunityStaff, "社区网格"),
        (Role::StreetSupervisor, "个社区的概况"),
        (Role::SystemAdmin, "账号总数"),
        (Role::PropertyStaff, "安居物业服务有限公司"),
        (Role::SocialOrgStaff, "我的单位"),
        (Role::Resident, "社区共治各方"),
        (Role::OwnersCommitteeMember, "社区共治各方"),
    ];
    for (role, text) in expectations {
        let mut b = app.signed_in(&app.login_of(role)).await;
        let home = b.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
        assert!(home.text.contains(text), "{role:?} home lacks {text}");
    }
    // The grid worker's day starts from real numbers: the living-alone elderly to visit.
    let today = linli_store::today();
    let overdue =
        app.db.store.overdue_visits(app.demo.community_id, Some(&app.demo.grid_ids[..2]), today).await.unwrap();
    assert!(!overdue.is_empty(), "the demo has people overdue for a visit");
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let home = worker.get("/").await.text;
    assert!(home.contains(&format!("{} 位关爱对象走访已逾期", overdue.len())), "{home}");
    assert!(home.contains(&overdue[0].name));
    // A resident sees no grid figures.
    let mut resident = app.signed_in("13800138000").await;
    assert!(!resident.get("/").await.text.contains(zh("stat.residents")));
});

dual_backend_test!(a_grid_worker_reaches_no_other_grid_by_page_or_api, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let own = app.demo.grid_ids[0];
    let other = app.demo.grid_ids[3];
    assert_eq!(b.get(&format!("/grids/{own}")).await.status, StatusCode::OK);
    assert_eq!(b.get(&format!("/api/v1/grids/{own}")).await.status, StatusCode::OK);
    assert_eq!(b.get(&format!("/grids/{other}")).await.status, StatusCode::FORBIDDEN);
    let api = b.get(&format!("/api/v1/grids/{other}")).await;
    assert_eq!(api.status, StatusCode::FORBIDDEN);
    assert_eq!(api.json()["error"]["code"], "forbidden");
    // The community page shows figures only for the grids the worker may open.
    let page = b.get(&format!("/communities/{}", app.demo.community_id)).await.text;
    assert!(page.contains(&format!("href=\"/grids/{own}\"")));
    assert!(!page.contains(&format!("href=\"/grids/{other}\"")));
});

dual_backend_test!(scopes_stop_at_the_community_and_the_street, |db| {
    let spec = linli_store::demo::DemoSpec { communities: 2, ..linli_test_support::small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let (router, state) = linli_web::app(db.store.clone(), Default::default());
    let app = TestApp { router, demo, demo_home: (0, 0), db, monitor: state.monitor };
    let second = app.demo.community_id + 1;
    let mut director = app.signed_in("shuji").await;
    assert_eq!(director.get(&format!("/communities/{second}")).await.status, StatusCode::FORBIDDEN);
    let listed = director.get("/api/v1/communities").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let mut street = app.signed_in("jiedao").await;
    assert_eq!(street.get(&format!("/communities/{second}")).await.status, StatusCode::OK);
    assert_eq!(street.get("/api/v1/communities").await.json().as_array().unwrap().len(), 2);
    assert_eq!(street.get(&format!("/streets/{}", app.demo.street_id + 1)).await.status, StatusCode::NOT_FOUND);
});

dual_backend_test!(wrong_passwords_are_refused_then_locked_out, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.browser();
    let r = b.login("shequ", "wrong-password1").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text.contains(zh("login.failed")));
    assert!(r.text.contains("value=\"shequ\""), "the login name is kept in the form");
    let r = b.login("", "x").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请填写手机号或用户名"));
    let r = b.login("12345", "x").await;
    assert!(r.text.contains("手机号或用户名格式不正确"), "{}", r.text);
    for _ in 0..3 {
        b.login("shequ", "wrong-password1").await;
    }
    let locked = b.login("shequ", "wrong-password1").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    // Locked: even the right password is refused now.
    let r = b.login("shequ", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text.contains("分钟后再试"));
    // Other accounts are not affected.
    assert_eq!(b.login("shuji", PASSWORD).await.status, StatusCode::SEE_OTHER);
});

dual_backend_test!(state_changes_without_the_csrf_token_are_refused, |db| {
    let app = TestApp::new(db).await;
    let mut anon = app.browser();
    anon.refresh_csrf().await;
    anon.csrf = "forged".into();
    let r = anon.post_form("/login", &[("login", "shuji"), ("password", PASSWORD)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text.contains(zh("error.csrf")));

    let mut b = app.signed_in("shuji").await;
    let good = b.csrf.clone();
    b.csrf = String::new();
    let r = b.post_form("/account/tokens", &[("name", "大屏")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = b.send_json(Method::POST, "/api/v1/tokens", &serde_json::json!({"name": "大屏"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["code"], "csrf");
    b.csrf = good;
    assert_eq!(b.post_form("/account/tokens", &[("name", "大屏")]).await.status, StatusCode::CREATED);
});

dual_backend_test!(the_english_switch_sticks_across_pages_and_logins, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in("shuji").await;
    assert!(b.get("/").await.text.contains(zh("home.today")));
    let r = b.post_form("/language", &[("lang", "en"), ("next", "/account")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/account"));
    let home = b.get("/").await.text;
    assert!(home.contains("To do today") && home.contains("lang=\"en\""));
    // A new browser without the cookie gets English from the account after login.
    let mut fresh = app.signed_in("shuji").await;
    assert!(fresh.get("/").await.text.contains("To do today"));
    // Errors speak the language too.
    let api = fresh.get("/api/v1/grids/999999").await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);
    assert_eq!(api.json()["error"]["message"], "The page or record was not found");
    // Signing out takes the language along: the next person in this browser gets their own.
    assert_eq!(b.post_form("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert!(b.get("/login").await.text.contains("lang=\"zh-CN\""));
    assert_eq!(
        b.login(&app.login_of(Role::CommunityStaff), linli_store::demo::DEMO_PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(b.get("/").await.text.contains(zh("home.today")), "the next person reads their own language");
});

dual_backend_test!(api_tokens_work_for_clients_and_stop_when_revoked, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in("shuji").await;
    let created = b.send_json(Method::POST, "/api/v1/tokens", &serde_json::json!({"name": "数据大屏"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    let token = created.json()["token"].as_str().unwrap().to_owned();
    let id = created.json()["id"].as_i64().unwrap();
    let bad = b.send_json(Method::POST, "/api/v1/tokens", &serde_json::json!({"name": ""})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "name");
    assert_eq!(bad.json()["error"]["message"], "请填写名称");
    let garbled = b
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(("application/json", b"{".to_vec())),
            &[("x-csrf-token", &b.csrf.clone())],
        )
        .await;
    assert_eq!(garbled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(garbled.json()["error"]["field"], "body");

    let mut client = app.browser();
    let auth = format!("Bearer {token}");
    let me = client.send(Method::GET, "/api/v1/me", None, &[("authorization", &auth)]).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.json()["roles"][0]["role"], "community_director");
    // Bearer requests carry no ambient credentials: no CSRF token needed.
    let r = client
        .send(
            Method::POST,
            "/api/v1/tokens",
            Some(("application/json", br#"{"name":"second"}"#.to_vec())),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // A wrong token is a 401, never a silent anonymous request.
    let wrong = client.send(Method::GET, "/api/v1/me", None, &[("authorization", "Bearer lnl_nope")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.headers.get("www-authenticate").unwrap(), "Bearer");

    let revoked = client.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), None, &[("authorization", &auth)]).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let after = client.send(Method::GET, "/api/v1/me", None, &[("authorization", &auth)]).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // The account page lists both tokens, one revoked, and never a secret.
    let page = b.get("/account").await.text;
    assert!(page.contains("数据大屏") && page.contains(zh("token.revoked")) && !page.contains(&token));
});

dual_backend_test!(changing_the_password_signs_out_other_devices, |db| {
    let app = TestApp::new(db).await;
    let mut phone = app.signed_in("shequ").await;
    let mut desk = app.signed_in("shequ").await;
    let r = desk
        .post_form("/account/password", &[("current", "nope"), ("new", "newpass2026"), ("confirm", "newpass2026")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("当前密码不正确"));
    let r =
        desk.post_form("/account/password", &[("current", PASSWORD), ("new", "short1"), ("confirm", "short1")]).await;
    assert!(r.text.contains("新密码至少需要 8 个字符"));
    let r = desk
        .post_form("/account/password", &[("current", PASSWORD), ("new", "newpass2026"), ("confirm", "other2026")])
        .await;
    assert!(r.text.contains(zh("error.password.mismatch")));
    let r = desk
        .post_form("/account/password", &[("current", PASSWORD), ("new", "newpass2026"), ("confirm", "newpass2026")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(zh("account.password_changed")));
    assert_eq!(desk.get("/").await.status, StatusCode::OK, "the device that changed it stays in");
    assert_eq!(phone.get("/").await.status, StatusCode::SEE_OTHER, "other devices are signed out");
    let mut again = app.browser();
    assert_eq!(again.login("shequ", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.login("shequ", "newpass2026").await.status, StatusCode::SEE_OTHER);
});

dual_backend_test!(logout_ends_the_session, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in("13800138000").await;
    let stolen = b.cookies.clone();
    let r = b.post_form("/logout", &[]).await;
    assert_eq!(r.location(), Some("/login"));
    let mut thief = app.browser();
    thief.cookies = stolen;
    assert_eq!(thief.get("/").await.status, StatusCode::SEE_OTHER);
});

dual_backend_test!(pages_stay_under_sixty_kilobytes_with_their_css, |db| {
    let app = TestApp::new(db).await;
    let mut anon = app.browser();
    let login = anon.get("/login").await.text;
    // The page links its CSS by a URL naming the content, which may then be kept a year.
    let href = login.split("<link rel=\"stylesheet\" href=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    assert!(href.starts_with("/static/app.css?v=") && href.len() > 20, "{href}");
    let linked = anon.get(href).await;
    assert_eq!(linked.headers.get("cache-control").unwrap(), "public, max-age=31536000, immutable");
    let old = anon.get("/static/app.css?v=1").await;
    assert_eq!(old.headers.get("cache-control").unwrap(), "public, max-age=3600", "an old link is not kept long");
    let css = linked.text.len();
    let mut pages = vec![("anonymous".to_owned(), login.len())];
    for role in Role::ALL {
        let mut b = app.signed_in(&app.login_of(role)).await;
        let community = format!("/communities/{}", app.demo.community_id);
        let grid = format!("/grids/{}", app.demo.grid_ids[0]);
        let street = format!("/streets/{}", app.demo.street_id);
        let new_account = format!("/admin/accounts/new?community_id={}", app.demo.community_id);
        let residents = format!("/communities/{}/residents", app.demo.community_id);
        let resident = format!("/residents/{}", app.demo.resident_id);
        let pages_of_role =
            ["/", "/account", &community, &grid, &street, "/admin/accounts", &new_account, &residents, &resident];
        for path in pages_of_role {
            let r = b.get(path).await;
            if r.status == StatusCode::OK {
                pages.push((format!("{role:?} {path}"), r.text.len()));
            }
        }
    }
    for (page, size) in &pages {
        assert!(size + css < 60 * 1024, "{page}: {size} bytes + {css} bytes of CSS");
    }
    // Every role's home, account, community page; grid, street and admin pages where allowed.
    assert!(pages.len() >= 41, "{} pages measured", pages.len());
});

dual_backend_test!(errors_are_friendly_pages_with_the_logged_reference, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in("shuji").await;
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let id = r.headers.get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert!(r.text.contains(zh("error.not_found")) && r.text.contains(&id), "{}", r.text);
    let r = b.get("/grids/not-a-number").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let anon = app.browser().get("/account").await;
    assert_eq!(anon.location(), Some("/login?next=%2Faccount"));
});

dual_backend_test!(operations_endpoints_answer, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.browser();
    assert_eq!(b.get("/healthz").await.text, "ok");
    assert_eq!(b.get("/readyz").await.status, StatusCode::OK);
    b.get("/login").await;
    let metrics = b.get("/metrics").await.text;
    assert!(
        metrics.contains("linli_http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("linli_db_pool_connections{state=\"open\"}"));
    assert!(b.get("/").await.headers.get("content-security-policy").is_some());
});

dual_backend_test!(an_administrator_creates_accounts_anchored_where_their_role_acts, |db| {
    let app = TestApp::new(db).await;
    let mut admin = app.signed_in("admin").await;
    let community = app.demo.community_id.to_string();
    let grid = app.demo.grid_ids[2].to_string();
    let form = admin.get(&format!("/admin/accounts/new?community_id={community}")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("第3网格") && form.text.contains("安居物业服务有限公司"));

    // A grid worker for grid 3, signing in by phone.
    let fields = [
        ("display_name", "新网格员"),
        ("username", ""),
        ("phone", "139 0000 0099"),
        ("password", "start2026"),
        ("role", "grid_worker"),
        ("community_id", &community),
        ("grid_ids", &grid),
    ];
    let r = admin.post_form("/admin/accounts", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let mut worker = app.browser();
    assert_eq!(worker.login("13900000099", "start2026").await.status, StatusCode::SEE_OTHER);
    assert_eq!(worker.get(&format!("/grids/{grid}")).await.status, StatusCode::OK);
    assert_eq!(worker.get(&format!("/grids/{}", app.demo.grid_ids[0])).await.status, StatusCode::FORBIDDEN);

    // Each missing or mismatched anchor is named.
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("display_name", "甲"), ("username", "staff9"), ("password", "start2026"), ("role", "community_staff")],
            "请填写社区",
        ),
        (
            &[
                ("display_name", "乙"),
                ("username", "wg9"),
                ("password", "start2026"),
                ("role", "grid_worker"),
                ("community_id", &community),
            ],
            "请填写负责网格",
        ),
        (
            &[
                ("display_name", "丙"),
                ("username", "wy9"),
                ("password", "start2026"),
                ("role", "property_staff"),
                ("community_id", &community),
                ("organisation_id", "5"),
            ],
            "所属单位的类别与角色不符",
        ),
        (
            &[("display_name", "丁"), ("password", "start2026"), ("role", "resident"), ("community_id", &community)],
            "用户名和手机号码至少填写一项",
        ),
        (
            &[("display_name", "戊"), ("username", "admin"), ("password", "start2026"), ("role", "system_admin")],
            "用户名已被使用",
        ),
    ];
    for (fields, message) in cases {
        let r = admin.post_form("/admin/accounts", fields).await;
        assert!(r.status.is_client_error(), "{message}: {}", r.status);
        assert!(r.text.contains(message), "expected «{message}»");
        assert!(r.text.contains(fields[0].1), "the form keeps what was typed");
    }

    // Disabling signs the account out at once; nobody disables themselves.
    let listing = admin.get("/admin/accounts").await.text;
    assert!(listing.contains("新网格员") && listing.contains("139****0099"));
    let id = app
        .db
        .store
        .login_record(&linli_domain::identity::LoginName::parse("l", "13900000099").unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    assert_eq!(admin.post_form(&format!("/admin/accounts/{id}/disable"), &[]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(worker.get("/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.browser().login("13900000099", "start2026").await.status, StatusCode::UNAUTHORIZED);
    let me = app.demo.account(Role::SystemAdmin).unwrap().account_id;
    let r = admin.post_form(&format!("/admin/accounts/{me}/disable"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains(zh("error.self")));
    admin.post_form(&format!("/admin/accounts/{id}/enable"), &[]).await;
    assert_eq!(app.browser().login("13900000099", "start2026").await.status, StatusCode::SEE_OTHER);

    // The API takes the same input and gives the same answers.
    let body = serde_json::json!({"display_name": "街道干部", "username": "jd2", "password": "start2026", "role": "street_supervisor"});
    let r = admin.send_json(Method::POST, "/api/v1/accounts", &body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["error"]["field"], "street_id");
    let body = serde_json::json!({"display_name": "街道干部", "username": "jd2", "password": "start2026", "role": "street_supervisor", "street_id": app.demo.street_id});
    let r = admin.send_json(Method::POST, "/api/v1/accounts", &body).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let new_id = r.json()["id"].as_i64().unwrap();
    let r = admin
        .send_json(Method::PATCH, &format!("/api/v1/accounts/{new_id}"), &serde_json::json!({"disabled": true}))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.browser().login("jd2", "start2026").await.status, StatusCode::UNAUTHORIZED);
});

dual_backend_test!(a_director_registers_the_parties_of_the_community, |db| {
    let app = TestApp::new(db).await;
    let path = format!("/communities/{}/organisations", app.demo.community_id);
    let mut director = app.signed_in("shuji").await;
    let r = director
        .post_form(
            &path,
            &[("kind", "social_organisation"), ("name", "夕阳红养老服务社"), ("contact", "每周二上午 老年活动室")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut resident = app.signed_in("13800138000").await;
    assert!(resident.get("/").await.text.contains("夕阳红养老服务社"));
    let r = director.post_form(&path, &[("kind", "owners_committee"), ("name", "第二业委会"), ("contact", "")]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains(zh("error.org_unique")));
    let second = serde_json::json!({"kind": "residents_committee", "name": "第二居委会"});
    let r = director.send_json(Method::POST, &format!("/api/v1{path}"), &second).await;
    assert_eq!((r.status, r.json()["error"]["code"].as_str()), (StatusCode::CONFLICT, Some("conflict")));
    assert_eq!(r.json()["error"]["field"], "kind");
    let r = director.post_form(&path, &[("kind", "club"), ("name", "x"), ("contact", "")]).await;
    assert!(r.text.contains("类别的取值无效"));
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(
        worker.post_form(&path, &[("kind", "social_organisation"), ("name", "x")]).await.status,
        StatusCode::FORBIDDEN
    );
    let api = director
        .send_json(
            Method::POST,
            &format!("/api/v1{path}"),
            &serde_json::json!({"kind": "property_company", "name": "第二物业", "contact": ""}),
        )
        .await;
    assert_eq!(api.status, StatusCode::CREATED);
    assert_eq!(api.json()["kind"], "property_company");
});

dual_backend_test!(every_api_refusal_has_the_error_shape_and_its_status, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.signed_in("shuji").await;
    let created = b.send_json(Method::POST, "/api/v1/tokens", &serde_json::json!({"name": "接口检查"})).await;
    let auth = format!("Bearer {}", created.json()["token"].as_str().unwrap());
    let mut client = app.browser();
    let community = app.demo.community_id;
    let shape = |r: &linli_test_support::Reply, status: StatusCode, code: &str| {
        assert_eq!(r.status, status, "{}", r.text);
        assert_eq!(r.headers.get("content-type").unwrap(), "application/json", "{}", r.text);
        let body = r.json();
        assert_eq!(body["error"]["code"], code, "{}", r.text);
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(body["error"]["request_id"].is_string());
    };
    let get = |path: String| (Method::GET, path);
    let (m, p) = get("/api/v1/communities/abc/cases".into());
    shape(&client.send(m, &p, None, &[("authorization", &auth)]).await, StatusCode::BAD_REQUEST, "bad_request");
    let (m, p) = get(format!("/api/v1/communities/{community}/cases?limit=abc"));
    shape(&client.send(m, &p, None, &[("authorization", &auth)]).await, StatusCode::BAD_REQUEST, "bad_request");
    // A number out of the documented range, or an unknown list, names its parameter.
    for (query, field) in
        [("limit=0", "limit"), ("limit=201", "limit"), ("offset=-1", "offset"), ("state=bogus", "state")]
    {
        let r = client
            .send(
                Method::GET,
                &format!("/api/v1/communities/{community}/cases?{query}"),
                None,
                &[("authorization", &auth)],
            )
            .await;
        shape(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid");
        assert_eq!(r.json()["error"]["field"], field, "{query}");
    }
    let r = client
        .send(
            Method::GET,
            &format!("/api/v1/communities/{community}/cases?limit=200&state=unrated"),
            None,
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the edges of the range are in it");
    let wrong_method = client.send(Method::PATCH, "/api/v1/me", None, &[("authorization", &auth)]).await;
    shape(&wrong_method, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert!(wrong_method.headers.get("allow").is_some(), "the methods it does take");
    let huge = vec![b'x'; 3 * 1024 * 1024];
    let big = client
        .send(
            Method::POST,
            &format!("/api/v1/communities/{community}/cases"),
            Some(("application/json", huge)),
            &[("authorization", &auth)],
        )
        .await;
    shape(&big, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    let form = client
        .send(Method::POST, "/api/v1/tokens", Some(("text/plain", b"name=x".to_vec())), &[("authorization", &auth)])
        .await;
    shape(&form, StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    // No credential at all: 401 with the scheme to use, not a CSRF refusal.
    let anonymous = app
        .browser()
        .send(Method::POST, "/api/v1/tokens", Some(("application/json", br#"{"name":"x"}"#.to_vec())), &[])
        .await;
    shape(&anonymous, StatusCode::UNAUTHORIZED, "unauthenticated");
    assert_eq!(anonymous.headers.get("www-authenticate").unwrap(), "Bearer");
    // Pages keep their own answers: a bad number in a page's path is not JSON.
    let page = b.get("/communities/abc").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.headers.get("content-type").is_none_or(|v| v != "application/json"));
});
