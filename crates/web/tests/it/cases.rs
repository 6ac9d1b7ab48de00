//! The closed loop through the pages, on both backends: a resident reports, staff register
//! and dispatch, the property company handles, the grid worker verifies, the resident rates.
//! Each step is open only to whoever it belongs to, and every step is on the timeline.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{Browser, TestApp, dual_backend_test, zh};

async fn case_count(app: &TestApp) -> i64 {
    read!(app.db.store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(db).await.unwrap())
}

async fn report(b: &mut Browser, app: &TestApp, fields: &[(&str, &str)]) -> linli_test_support::Reply {
    b.post_form(&format!("/communities/{}/cases", app.demo.community_id), fields).await
}

fn case_id(reply: &linli_test_support::Reply) -> i64 {
    let location = reply.location().unwrap();
    assert!(location.ends_with("?done=report"), "the case page confirms the report");
    location.trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap()
}

async fn step(b: &mut Browser, case: i64, step: &str, note: &str) -> StatusCode {
    b.post_form(&format!("/cases/{case}/steps"), &[("step", step), ("note", note), ("stars", "5")]).await.status
}

dual_backend_test!(a_report_goes_round_the_whole_loop_by_the_people_it_belongs_to, |db| {
    let app = TestApp::new(db).await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id("0103").await.to_string();
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let form = resident.get(&format!("/communities/{}/cases/new", app.demo.community_id)).await;
    assert_eq!(form.status, StatusCode::OK);
    let marker = "name=\"idempotency_key\" value=\"";
    let key_at = form.text.find(marker).unwrap() + marker.len();
    let key: String = form.text[key_at..].chars().take_while(|c| *c != '"').collect();
    assert!(key.len() >= 20, "the form carries its own key");
    let fields = [
        ("category_id", cat.as_str()),
        ("description", "2单元楼道堆满纸箱，挡住了消防通道"),
        ("building_id", building.as_str()),
        ("room", "2单元"),
        ("idempotency_key", key.as_str()),
    ];
    let before = case_count(&app).await;
    let first = report(&mut resident, &app, &fields).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let again = report(&mut resident, &app, &fields).await;
    assert_eq!(case_id(&again), case_id(&first), "a form sent twice makes one case");
    assert_eq!(case_count(&app).await, before + 1);
    let case = case_id(&first);

    let mut staff = app.signed_in("shequ").await;
    let mut property = app.signed_in(&app.login_of(linli_domain::Role::PropertyStaff)).await;
    let mut worker = app.signed_in("wangge1").await;

    // Not the resident's step, nor the property company's before dispatch.
    assert_eq!(step(&mut resident, case, "register", "").await, StatusCode::FORBIDDEN);
    assert_eq!(property.get(&format!("/cases/{case}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(step(&mut staff, case, "register", "").await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut staff, case, "dispatch", "").await, StatusCode::SEE_OTHER);
    // Dispatched to the property company: now its staff see and take it, and their home
    // page says so.
    let home = property.get("/").await.text;
    assert!(home.contains("件事件派给本单位，待接单"), "the party's to-do list names the waiting case");
    assert_eq!(property.get(&format!("/cases/{case}")).await.status, StatusCode::OK);
    assert_eq!(step(&mut property, case, "accept", "").await, StatusCode::SEE_OTHER);
    assert_eq!(
        step(&mut property, case, "feedback", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "feedback says what was done"
    );
    assert_eq!(step(&mut property, case, "feedback", "纸箱已清走").await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut property, case, "verify_pass", "").await, StatusCode::FORBIDDEN, "no one verifies own work");
    assert!(worker.get("/").await.text.contains("件事件待现场核查"), "the grid worker's to-do list");
    assert_eq!(step(&mut worker, case, "verify_pass", "现场已通畅").await, StatusCode::SEE_OTHER);
    assert!(resident.get("/").await.text.contains("已办结，请评价"), "the reporter is asked to rate");
    assert_eq!(step(&mut resident, case, "rate", "处理很快").await, StatusCode::SEE_OTHER);

    let page = resident.get(&format!("/cases/{case}")).await.text;
    assert!(page.contains(">已办结</span>"), "the reporter reads the state in plain words");
    assert!(page.contains("5 / 5"));
    assert!(page.contains("★★★★★ 处理很快"), "the timeline shows the stars with the comment");
    assert!(!page.contains("value=\"reopen\""), "a satisfied reporter is not offered a reopening");
    for step in ["上报", "立案", "派遣", "接单", "处置反馈", "核查通过，结案", "评价"] {
        assert!(page.contains(&format!("<b>{step}</b>")), "the timeline shows {step}");
    }
    // The handler's and the checker's notes were not made public: the staff read them, the
    // resident does not.
    assert!(!page.contains("纸箱已清走") && !page.contains("现场已通畅"));
    let staff_page = staff.get(&format!("/cases/{case}")).await.text;
    assert!(staff_page.contains("纸箱已清走") && staff_page.contains("现场已通畅"));
});

dual_backend_test!(cases_stay_within_reach_and_anonymous_names_stay_with_staff, |db| {
    let app = TestApp::new(db).await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id("07").await.to_string();
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let r = report(
        &mut resident,
        &app,
        &[
            ("category_id", &cat),
            ("description", "楼上每晚十二点后还在装修"),
            ("building_id", &building),
            ("anonymous", "1"),
        ],
    )
    .await;
    let case = case_id(&r);
    let resident_name = app.demo.account(linli_domain::Role::Resident).unwrap().display_name.clone();

    let mut staff = app.signed_in("shequ").await;
    assert!(staff.get(&format!("/cases/{case}")).await.text.contains(&resident_name), "staff see who reported");
    let mut other_worker = app.signed_in("wangge3").await;
    assert_eq!(other_worker.get(&format!("/cases/{case}")).await.status, StatusCode::NOT_FOUND);
    let list = other_worker.get(&format!("/communities/{}/cases?state=all", app.demo.community_id)).await;
    assert!(!list.text.contains(&format!("/cases/{case}\"")));
    let mut supervisor = app.signed_in("jiedao").await;
    let seen = supervisor.get(&format!("/cases/{case}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert!(!seen.text.contains(&resident_name), "an anonymous reporter's name is hidden beyond the community");
    assert!(seen.text.contains(zh("cases.anonymous_tag")));
});

dual_backend_test!(a_bad_report_names_the_field_and_creates_nothing, |db| {
    let app = TestApp::new(db).await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let mut worker = app.signed_in("wangge1").await;
    let before = case_count(&app).await;
    let r = report(&mut worker, &app, &[("description", "路灯不亮"), ("building_id", &building)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请填写类别"), "the error names the field");
    assert!(r.text.contains("路灯不亮"), "what was typed is kept");
    let cat = app.category_id("0201").await.to_string();
    let r =
        report(&mut worker, &app, &[("category_id", &cat), ("description", "灯"), ("building_id", &building)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A grid worker may close on the spot only in own grids.
    let elsewhere = app.building_in_grid(app.demo.grid_ids[2]).await.to_string();
    let r = report(
        &mut worker,
        &app,
        &[
            ("category_id", &cat),
            ("description", "路灯不亮，已更换灯泡"),
            ("building_id", &elsewhere),
            ("self_resolved", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(case_count(&app).await, before);
    // In own grid it closes at once.
    let r = report(
        &mut worker,
        &app,
        &[
            ("category_id", &cat),
            ("description", "路灯不亮，已更换灯泡"),
            ("building_id", &building),
            ("self_resolved", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = worker.get(r.location().unwrap()).await.text;
    assert!(page.contains(zh("case.state.closed")) && page.contains(zh("cases.self_resolved_tag")));
});

dual_backend_test!(the_dashboard_shows_the_periods_rates_and_exports_them, |db| {
    use linli_domain::indicators::DueRule;
    use linli_store::cases::{Dimension, IndicatorScope};
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut director = app.signed_in("shuji").await;
    let page = director.get(&format!("/communities/{community}/indicators?days=30")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    let scope = IndicatorScope { community_ids: vec![community], grid_ids: None, organisation_ids: None };
    let to = linli_store::now_ms();
    let counts = app
        .db
        .store
        .case_indicators(&scope, to - 30 * 86_400_000, to, DueRule::default(), Dimension::Community)
        .await
        .unwrap()[0]
        .1;
    assert!(counts.accepted > 0);
    assert!(page.text.contains(&format!("<b>{}</b>", counts.closure_rate().percent())), "the closure rate is shown");
    assert!(page.text.contains(&format!("<b>{}</b><span>受理数", counts.accepted)));
    assert!(page.text.contains("<svg") && page.text.contains(zh("indicators.chart")));

    let csv = director.get(&format!("/communities/{community}/indicators?days=30&format=csv")).await;
    assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
    assert!(csv.text.starts_with('\u{feff}'), "a byte-order mark for Excel");
    let mut lines = csv.text.trim_start_matches('\u{feff}').lines();
    assert!(lines.next().unwrap().starts_with("分组,名称,受理数,立案数,派遣数"), "headed in the reader's language");
    let total: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        (total[0], total[1], total[2], total[13]),
        ("按网格", "合计", counts.accepted.to_string().as_str(), counts.closure_rate().percent().as_str())
    );
    // The workbook: a sheet per breakdown after the summary, counts as numbers, rates as
    // fractions shown as percentages, named with the community and the period.
    let xlsx = director.get(&format!("/communities/{community}/indicators?days=30&format=xlsx")).await;
    let name = xlsx.headers.get("content-disposition").unwrap().to_str().unwrap().to_owned();
    let community_name = app.db.store.community(community).await.unwrap().name;
    let expected = format!("{community_name}_考核指标_近30天.xlsx");
    assert!(name.contains(&percent_encoded(&expected)), "{name} names {expected}");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx.body)).expect("a workbook");
    use calamine::Reader;
    assert_eq!(book.sheet_names(), ["汇总", "按网格", "按类别", "按承办人"]);
    let grids = book.worksheet_range("按网格").unwrap();
    assert_eq!(grids.get_value((1, 0)), Some(&calamine::Data::String("合计".into())));
    assert_eq!(grids.get_value((1, 1)), Some(&calamine::Data::Float(counts.accepted as f64)));
    let closure = counts.closure_rate().basis_points().unwrap() as f64 / 10_000.0;
    assert_eq!(grids.get_value((1, 12)), Some(&calamine::Data::Float(closure)));

    // A grid worker sees own grids only; a resident no dashboard at all.
    let mut worker = app.signed_in("wangge3").await;
    let page = worker.get(&format!("/communities/{community}/indicators")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("第3网格") && !page.text.contains("第1网格"));
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    assert_eq!(resident.get(&format!("/communities/{community}/indicators")).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(the_api_takes_a_report_once_per_idempotency_key_and_walks_the_loop, |db| {
    use axum::http::Method;
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await;
    let cat = app.category_id("07").await;
    let mut worker = app.signed_in("wangge1").await;
    let body = serde_json::json!({"category_id": cat, "description": "广场舞音响太大声，已超过晚上九点", "building_id": building});
    let path = format!("/api/v1/communities/{community}/cases");
    let before = case_count(&app).await;
    let first = send_with_key(&mut worker, &path, &body, "app-7f3a").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = send_with_key(&mut worker, &path, &body, "app-7f3a").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(case_count(&app).await, before + 1);
    let case = first.json()["id"].as_i64().unwrap();
    assert_eq!(first.json()["source"], "patrol");

    // Bad input: the error names the field, in the API's shape.
    let bad = worker
        .send_json(
            Method::POST,
            &path,
            &serde_json::json!({"category_id": 999999, "description": "x", "building_id": building}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "category_id");
    assert_eq!(case_count(&app).await, before + 1);

    // The grid worker registers and dispatches (own grid, grid-worker category: to self),
    // each step sent twice with its key, as a phone does when an answer is lost: the retry
    // gets the case and takes nothing again.
    let steps = format!("/api/v1/cases/{case}/steps");
    for step in ["register", "dispatch", "accept"] {
        let body = serde_json::json!({"step": step});
        let first = send_with_key(&mut worker, &steps, &body, &format!("step-{step}")).await;
        assert_eq!(first.status, StatusCode::OK, "{step}: {}", first.text);
        let again = send_with_key(&mut worker, &steps, &body, &format!("step-{step}")).await;
        assert_eq!(again.status, StatusCode::OK, "{step} again: {}", again.text);
        assert_eq!(again.json()["state"], first.json()["state"]);
    }
    let feedback = serde_json::json!({"step": "feedback", "note": "修好了"});
    let reused = send_with_key(&mut worker, &steps, &feedback, "step-accept").await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY, "a key is one step's");
    assert_eq!(reused.json()["error"]["field"], "Idempotency-Key");
    let unkeyed = worker.send_json(Method::POST, &steps, &serde_json::json!({"step": "accept"})).await;
    assert_eq!(unkeyed.status, StatusCode::FORBIDDEN, "without its key, a step taken is no longer there to take");
    let detail = worker.get(&format!("/api/v1/cases/{case}")).await.json();
    assert_eq!(detail["case"]["state"], "accepted");
    assert_eq!(detail["steps"], serde_json::json!(["feedback", "escalate"]));
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 4);
    let mut other = app.signed_in("wangge3").await;
    assert_eq!(other.get(&format!("/api/v1/cases/{case}")).await.status, StatusCode::NOT_FOUND);
});

async fn send_with_key(b: &mut Browser, path: &str, body: &serde_json::Value, key: &str) -> linli_test_support::Reply {
    let csrf = b.csrf.clone();
    let body = body.to_string().into_bytes();
    b.send(
        axum::http::Method::POST,
        path,
        Some(("application/json", body)),
        &[("x-csrf-token", &csrf), ("idempotency-key", key)],
    )
    .await
}

dual_backend_test!(a_repeated_report_is_offered_for_merging_and_leaves_the_indicators, |db| {
    let app = TestApp::new(db).await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id("0201").await.to_string();
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let fields = |text: &'static str| {
        [("category_id", cat.clone()), ("description", text.to_owned()), ("building_id", building.clone())]
    };
    let first = report(&mut resident, &app, &as_refs(&fields("楼前路灯不亮"))).await;
    let first = case_id(&first);
    let second = report(&mut resident, &app, &as_refs(&fields("路灯又坏了，晚上很黑"))).await;
    let second = case_id(&second);
    let facts_before = app.db.store.case_facts(app.demo.community_id).await.unwrap().len();

    let mut staff = app.signed_in("shequ").await;
    let page = staff.get(&format!("/cases/{second}")).await.text;
    assert!(page.contains(zh("cases.duplicates")) && page.contains(&format!("合并到 #{first}")));
    assert!(
        !resident.get(&format!("/cases/{second}")).await.text.contains(zh("cases.merge_into")),
        "the reporter is not offered it"
    );
    let r = resident.post_form(&format!("/cases/{second}/merge"), &[("into", &first.to_string())]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let r = staff.post_form(&format!("/cases/{second}/merge"), &[("into", &first.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let merged = app.db.store.case(second).await.unwrap();
    assert_eq!((merged.state.as_str(), merged.merged_into), ("refused", Some(first)));
    let timeline = app.db.store.case_timeline(first).await.unwrap();
    assert_eq!(timeline.last().unwrap().kind, "merged");
    assert_eq!(timeline.last().unwrap().remark(), Some(linli_domain::case::Remark::Merged { case: second }));
    assert_eq!(
        app.db.store.case_facts(app.demo.community_id).await.unwrap().len(),
        facts_before - 1,
        "out of the indicators"
    );
    let page = resident.get(&format!("/cases/{second}")).await.text;
    assert!(page.contains(&format!("已合并到事件 #{first}")));
    // The refusal's reason is the system's, in the reader's words; so is the notice.
    assert!(page.contains(&format!("与 #{first} 重复，已合并")), "the refusal says why");
    let inbox = resident.get("/inbox").await.text;
    assert!(inbox.contains(&format!("与 #{first} 重复，已合并")), "the resident is told why");

    // Only into an open case.
    let third = report(&mut resident, &app, &as_refs(&fields("路灯还是不亮"))).await;
    let third = case_id(&third);
    let r = staff.post_form(&format!("/cases/{third}/merge"), &[("into", &second.to_string())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("只能合并到本社区另一件在办事件"));
    assert_eq!(app.db.store.case(third).await.unwrap().state, "reported");
});

fn as_refs<'a>(fields: &'a [(&'a str, String)]) -> Vec<(&'a str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

dual_backend_test!(a_point_picked_on_the_map_finds_its_grid_even_on_a_shared_edge, |db| {
    let app = TestApp::new(db).await;
    let cat = app.category_id("0501").await.to_string();
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let form = resident.get(&format!("/communities/{}/cases/new", app.demo.community_id)).await.text;
    assert!(form.contains("class=\"map picker\""), "the form carries the map to pick on");

    // Grids in code order, with their outer rings.
    let grids = app.db.store.grid_boundaries(Some(app.demo.community_id)).await.unwrap();
    let rings: Vec<Vec<[f64; 2]>> = grids
        .iter()
        .map(|g| {
            let v: serde_json::Value = serde_json::from_str(&g.boundary).unwrap();
            serde_json::from_value(v["coordinates"][0].clone()).unwrap()
        })
        .collect();
    // An edge two grids share: both its ends are corners of both rings.
    let (first, second, mid) = (0..rings.len())
        .flat_map(|i| (i + 1..rings.len()).map(move |j| (i, j)))
        .find_map(|(i, j)| {
            rings[i].windows(2).find_map(|w| {
                let shared = |p: &[f64; 2]| rings[j].iter().any(|q| q == p);
                (shared(&w[0]) && shared(&w[1]) && w[0] != w[1])
                    .then(|| (i, j, [(w[0][0] + w[1][0]) / 2.0, (w[0][1] + w[1][1]) / 2.0]))
            })
        })
        .expect("the demo's grids share edges");
    let centre = |ring: &[[f64; 2]]| {
        let n = (ring.len() - 1) as f64;
        [
            ring[..ring.len() - 1].iter().map(|p| p[0]).sum::<f64>() / n,
            ring[..ring.len() - 1].iter().map(|p| p[1]).sum::<f64>() / n,
        ]
    };
    let send = |lon: f64, lat: f64, text: &'static str| {
        [
            ("category_id", cat.clone()),
            ("description", text.to_owned()),
            ("lon", lon.to_string()),
            ("lat", lat.to_string()),
        ]
    };
    for (point, expected, text) in [
        (mid, grids[first].grid_id, "消防通道在两个网格交界处被堵"),
        (centre(&rings[second]), grids[second].grid_id, "消防通道被堵在网格中间"),
    ] {
        let r = report(&mut resident, &app, &as_refs(&send(point[0], point[1], text))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
        let case = app.db.store.case(case_id(&r)).await.unwrap();
        assert_eq!(case.grid_id, Some(expected), "{text}: the first grid in code order wins a shared edge");
        assert_eq!(case.building_id, None);
    }
    let r = report(&mut resident, &app, &as_refs(&send(0.5, 0.5, "海上某处"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("所选位置不在本社区的网格内"));
    let r = report(&mut resident, &app, &[("category_id", cat.as_str()), ("description", "没有位置的上报")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("请选择楼栋，或在地图上点选位置"));
});

dual_backend_test!(the_street_supervisor_sees_the_street_dashboard_and_a_grid_worker_does_not, |db| {
    let app = TestApp::new(db).await;
    let mut supervisor = app.signed_in("jiedao").await;
    let street = supervisor.get(&format!("/streets/{}/indicators?days=30", app.demo.street_id)).await;
    assert_eq!(street.status, StatusCode::OK);
    assert!(street.text.contains(zh("indicators.by_community")) && street.text.contains("和谐家园"));
    // The demo's street has one community with cases: the street's totals are its.
    let mut staff = app.signed_in("shequ").await;
    let community = staff.get(&format!("/communities/{}/indicators?days=30", app.demo.community_id)).await.text;
    let stats = |page: &str| page[page.find("class=\"stats\"").unwrap()..page.find("</section>").unwrap()].to_owned();
    assert_eq!(stats(&street.text), stats(&community));
    let csv = supervisor.get(&format!("/streets/{}/indicators?days=30&format=csv", app.demo.street_id)).await;
    assert!(csv.text.contains("和谐家园"));
    let mut worker = app.signed_in("wangge1").await;
    let r = worker.get(&format!("/streets/{}/indicators", app.demo.street_id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a grid worker's reach is their grids, not the street");
});

/// The case numbers in the rows of the desk table, in order.
fn table_ids(html: &str) -> Vec<i64> {
    html.split("<tr")
        .skip(2)
        .filter_map(|row| row.split("href=\"/cases/").nth(1)?.split('"').next()?.parse().ok())
        .collect()
}

dual_backend_test!(staff_find_cases_by_search_filters_order_and_pages_and_export_what_they_found, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let count = |sql: &'static str| {
        let store = app.db.store.clone();
        async move { read!(store, |db| sqlx::query_scalar::<_, i64>(sql).bind(community).fetch_one(db).await.unwrap()) }
    };

    let page = staff.get(&format!("/communities/{community}/cases?state=all")).await.text;
    let all = count("SELECT COUNT(*) FROM cases WHERE community_id = $1").await;
    assert!(page.contains(&format!("共 {all}")) && page.contains("<th scope=\"col\">承办人</th>"));
    assert_eq!(table_ids(&page).len(), 30, "a page of thirty");
    assert!(page.contains("page=2") && page.contains("<b aria-current=\"page\">1</b>"), "numbered pages");

    // A word of the description finds the case.
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id("0202").await.to_string();
    let fields =
        [("category_id", cat.as_str()), ("description", "东门花坛旁井盖松动，踩上去会响"), ("building_id", &building)];
    let case = case_id(&report(&mut resident, &app, &fields).await);
    let found =
        staff.get(&format!("/communities/{community}/cases?state=all&q=%E4%BA%95%E7%9B%96%E6%9D%BE%E5%8A%A8")).await;
    assert_eq!(table_ids(&found.text), [case], "searching 井盖松动");
    assert_eq!(table_ids(&staff.get(&format!("/communities/{community}/cases?state=all&q={case}")).await.text), [case]);

    // Filters: a party, a top-level category with its children, a source.
    let property = app
        .db
        .store
        .organisations(community)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == "property_company")
        .unwrap();
    let held = read!(app.db.store, |db| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM cases WHERE community_id = $1 AND assignee_organisation_id = $2"
    )
    .bind(community)
    .bind(property.id)
    .fetch_one(db)
    .await
    .unwrap());
    let by_party =
        staff.get(&format!("/communities/{community}/cases?state=all&holder=party:{}", property.id)).await.text;
    assert!(by_party.contains(&format!("共 {held}")), "the property company's {held} cases");
    let env = app.category_id("01").await;
    let in_class = count(
        "SELECT COUNT(*) FROM cases c JOIN case_categories k ON k.id = c.category_id \
         WHERE c.community_id = $1 AND (k.code = '01' OR k.parent_code = '01')",
    )
    .await;
    let by_class = staff.get(&format!("/communities/{community}/cases?state=all&category_id={env}")).await.text;
    assert!(by_class.contains(&format!("共 {in_class}")), "环境卫生 with its sub-categories: {in_class}");
    let patrols = count("SELECT COUNT(*) FROM cases WHERE community_id = $1 AND source = 'patrol'").await;
    let by_source = staff.get(&format!("/communities/{community}/cases?state=all&source=patrol")).await.text;
    assert!(by_source.contains(&format!("共 {patrols}")));
    let bad = staff.get(&format!("/communities/{community}/cases?state=all&source=fax")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The nearest deadline first.
    let by_deadline = staff.get(&format!("/communities/{community}/cases?state=open&sort=deadline")).await.text;
    let first: i64 = read!(app.db.store, |db| {
        sqlx::query_scalar(
        "SELECT id FROM cases WHERE community_id = $1 AND state NOT IN ('closed', 'refused') AND deadline IS NOT NULL \
         ORDER BY deadline, id LIMIT 1"
    )
    .bind(community)
    .fetch_one(db)
    .await
    .unwrap()
    });
    assert_eq!(table_ids(&by_deadline).first(), Some(&first));

    // The filtered list exports whole, headed in words and named for the community, and
    // the export is on the record.
    let csv =
        staff.get(&format!("/communities/{community}/cases?state=all&holder=party:{}&format=csv", property.id)).await;
    assert_eq!(csv.status, StatusCode::OK);
    let disposition = csv.headers.get("content-disposition").unwrap().to_str().unwrap();
    assert!(disposition.contains("filename*=UTF-8''%E5%92%8C%E8%B0%90"), "和谐家园… in the name: {disposition}");
    let text = csv.text.trim_start_matches('\u{feff}');
    assert!(text.starts_with("编号,类别,地点,网格,承办人,状态,上报时间,办理时限,超期"), "{text}");
    assert_eq!(text.lines().count() as i64, held + 1, "every filtered case, not one page");
    assert!(text.lines().skip(1).all(|l| l.contains(&property.name)));
    let mut director = app.signed_in("shuji").await;
    let log = director.get("/audit").await.text;
    let words = format!("事件清单 {held} 行（状态：全部；承办：{}）· CSV", property.name);
    assert!(log.contains(&words) && log.contains(zh("export.bulk")), "the director's access log says {words}");
});

/// A file name as a Content-Disposition's `filename*` carries it.
fn percent_encoded(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect()
}

dual_backend_test!(the_owners_committee_follows_the_property_companys_cases_and_each_party_its_own_figures, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let parties = app.db.store.organisations(community).await.unwrap();
    let of_kind = |kind: &str| parties.iter().find(|o| o.kind == kind).unwrap().clone();
    let (property, social) = (of_kind("property_company"), of_kind("social_organisation"));
    let by_property = read!(app.db.store, |db| sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM cases WHERE community_id = $1 AND assignee_organisation_id = $2"
    )
    .bind(community)
    .bind(property.id)
    .fetch_one(db)
    .await
    .unwrap());
    assert!(by_property > 0, "the demo's property company holds cases");

    // The owners' committee member: the home page leads to the company's figures, the
    // case list holds the company's cases (and not a social organisation's).
    let mut committee = app.signed_in("yeweihui").await;
    let home = committee.get("/").await.text;
    assert!(home.contains(&format!("监督物业服务：{}", property.name)), "{home}");
    assert!(home.contains(&format!("/organisations/{}/indicators", property.id)));
    assert!(!home.contains("请评价"), "the company's closed cases are not the member's to rate");
    let list = committee.get(&format!("/communities/{community}/cases?state=all&holder=party:{}", property.id)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains(&format!("共 {by_property}")), "every case the company holds");
    let theirs = committee.get(&format!("/communities/{community}/cases?state=all&holder=party:{}", social.id)).await;
    assert!(theirs.text.contains("共 0"), "not the social organisation's");
    // It reads a company case without the reporter and takes no step on it.
    let (case, reporter): (i64, String) = read!(app.db.store, |db| sqlx::query_as(
        "SELECT c.id, a.display_name FROM cases c JOIN accounts a ON a.id = c.reporter_account_id \
         WHERE c.assignee_organisation_id = $1 ORDER BY c.id LIMIT 1"
    )
    .bind(property.id)
    .fetch_one(db)
    .await
    .unwrap());
    let page = committee.get(&format!("/cases/{case}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text.contains(&reporter) && !page.text.contains("name=\"step\""), "no reporter, no step");
    // Its figures are the company's: the same count the store gives for the company.
    let figures = committee.get(&format!("/organisations/{}/indicators?days=365", property.id)).await;
    assert_eq!(figures.status, StatusCode::OK);
    let to = linli_store::now_ms();
    let scope = linli_store::cases::IndicatorScope {
        community_ids: vec![community],
        grid_ids: None,
        organisation_ids: Some(vec![property.id]),
    };
    let rule = linli_domain::indicators::DueRule::default();
    let rows = app
        .db
        .store
        .case_indicators(&scope, to - 365 * 86_400_000, to, rule, linli_store::cases::Dimension::Community)
        .await
        .unwrap();
    let accepted = rows[0].1.accepted;
    assert!(accepted > 0 && accepted <= by_property as u64);
    assert!(figures.text.contains(&format!("<b>{accepted}</b><span>受理数")), "the company's own count");
    assert!(figures.text.contains(&property.name));
    let other = committee.get(&format!("/organisations/{}/indicators", social.id)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "a party the committee does not supervise");

    // The property company's staff see their own figures from the navigation, and not the
    // community's; a social organisation's staff not the company's.
    let mut company = app.signed_in("wuye").await;
    let home = company.get("/").await.text;
    assert!(home.contains(&format!("href=\"/organisations/{}/indicators\"", property.id)));
    let own = company.get(&format!("/organisations/{}/indicators?days=365", property.id)).await;
    assert!(own.text.contains(&format!("<b>{accepted}</b><span>受理数")));
    let xlsx = company.get(&format!("/organisations/{}/indicators?days=30&format=xlsx", property.id)).await;
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(company.get(&format!("/communities/{community}/indicators")).await.status, StatusCode::FORBIDDEN);
    let mut counsellor = app.signed_in("shegong").await;
    let r = counsellor.get(&format!("/organisations/{}/indicators", property.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});
