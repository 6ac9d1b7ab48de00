//! Open311 GeoReport v2 as a client application sees it, on both backends: services and
//! their definitions, posting (urlencoded and multipart) with every error status, reading
//! requests back by id, token and filters in JSON and XML, retries that make one case,
//! private categories kept out of the public view, and `servicerequestupdates`.

use axum::http::{Method, StatusCode};
use linli_store::read;
use linli_test_support::{Browser, Reply, TestApp, dual_backend_test};
use serde_json::Value;

const FORM: &str = "application/x-www-form-urlencoded";

type Fields = Vec<(String, String)>;

async fn post(b: &mut Browser, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Reply {
    let body = serde_urlencoded::to_string(fields).unwrap().into_bytes();
    b.send(Method::POST, path, Some((FORM, body)), headers).await
}

async fn case_count(app: &TestApp) -> i64 {
    read!(app.db.store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(db).await.unwrap())
}

/// A building of the demo's first grid and its position.
async fn building_in_first_grid(app: &TestApp) -> linli_store::registry::Building {
    let id: i64 = app.building_in_grid(app.demo.grid_ids[0]).await;
    app.db.store.building(id).await.unwrap()
}

fn the_error(reply: &Reply) -> (u64, String) {
    let v = reply.json();
    let e = &v.as_array().expect("errors are an array")[0];
    (e["code"].as_u64().unwrap(), e["description"].as_str().unwrap().to_owned())
}

dual_backend_test!(services_and_their_definitions_come_in_json_and_xml, |db| {
    let app = TestApp::new(db).await;
    let mut b = app.browser();
    let r = b.get("/open311/v2/services.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let services = r.json();
    let list = services.as_array().unwrap();
    let rubbish = list.iter().find(|s| s["service_code"] == "0101").expect("a leaf category is a service");
    assert_eq!(rubbish["service_name"], "垃圾堆放");
    assert_eq!(rubbish["group"], "环境卫生");
    assert_eq!(rubbish["metadata"], true);
    assert!(list.iter().all(|s| s["service_code"] != "01"), "a group is not a service itself");

    let en = b.send(Method::GET, "/open311/v2/services.json", None, &[("accept-language", "en")]).await;
    assert!(en.json().as_array().unwrap().iter().any(|s| s["service_name"] == "Rubbish dumped"));

    let xml = b.get("/open311/v2/services.xml").await;
    assert_eq!(xml.status, StatusCode::OK);
    assert!(xml.headers["content-type"].to_str().unwrap().starts_with("text/xml"));
    assert!(xml.text.contains("<services><service><service_code>"), "{}", &xml.text[..200]);
    assert!(xml.text.contains("<service_code>0101</service_code><service_name>垃圾堆放</service_name>"));

    let dispute = b.get("/open311/v2/services/0301.json").await.json();
    let attrs = dispute["attributes"].as_array().unwrap();
    let risk = attrs.iter().find(|a| a["code"] == "risk").expect("a dispute asks its risk");
    assert_eq!(risk["required"], true);
    assert_eq!(risk["values"].as_array().unwrap().len(), 3);
    let def_xml = b.get("/open311/v2/services/0301.xml").await.text;
    assert!(def_xml.contains("<service_definition><service_code>0301</service_code><attributes><attribute>"));
    assert!(def_xml.contains("<values><value><key>normal</key>"));

    for path in ["/open311/v2/services/9999.json", "/open311/v2/requests/999999.json", "/open311/v2/tokens/nope.json"] {
        let r = b.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(the_error(&r).0, 404);
    }
    let r = b.get("/open311/v2/services/9999.xml").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text.contains("<errors><error><code>404</code><description>"), "{}", r.text);
    let r = b.get("/open311/v2/services.json?jurisdiction_id=000000000000").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "an unknown jurisdiction");
    let r = b.get("/open311/v2/requests.csv").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let discovery = b.get("/open311/v2/discovery.json").await.json();
    assert!(discovery["endpoints"][0]["url"].as_str().unwrap().ends_with("/open311/v2/"));
});

dual_backend_test!(bad_posts_get_the_spec_status_name_the_field_and_write_nothing, |db| {
    let app = TestApp::new(db).await;
    let (key, _) = app.db.store.create_open311_key("test app").await.unwrap();
    let building = building_in_first_grid(&app).await;
    let (lat, lon) = (building.lat.to_string(), building.lon.to_string());
    let mut b = app.browser();
    let before = case_count(&app).await;
    let ok = [("service_code", "0101"), ("lat", lat.as_str()), ("long", lon.as_str()), ("description", "垃圾没人清")];
    let with = |extra: &[(&'static str, &'static str)], key: Option<&str>| {
        let mut v: Vec<(String, String)> = ok.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        for (k, val) in extra {
            v.retain(|(kk, _)| kk != k);
            if !val.is_empty() {
                v.push(((*k).into(), (*val).into()));
            }
        }
        if let Some(key) = key {
            v.push(("api_key".into(), key.into()));
        }
        v
    };
    let cases: Vec<(Fields, StatusCode, &str)> = vec![
        (with(&[], None), StatusCode::FORBIDDEN, "api_key"),
        (with(&[], Some("o311_not-a-key")), StatusCode::FORBIDDEN, "api_key"),
        (with(&[("service_code", "9999")], Some(&key)), StatusCode::NOT_FOUND, "service_code"),
        (with(&[("service_code", "")], Some(&key)), StatusCode::BAD_REQUEST, "服务代码"),
        (with(&[("jurisdiction_id", "999999999999")], Some(&key)), StatusCode::NOT_FOUND, "jurisdiction_id"),
        (with(&[("lat", ""), ("long", "")], Some(&key)), StatusCode::BAD_REQUEST, "lat"),
        (with(&[("lat", "north")], Some(&key)), StatusCode::BAD_REQUEST, "纬度"),
        (with(&[("long", "")], Some(&key)), StatusCode::BAD_REQUEST, "经度"),
        (with(&[("lat", "0.5"), ("long", "0.5")], Some(&key)), StatusCode::BAD_REQUEST, "网格"),
        (with(&[("address_id", "h-1"), ("lat", ""), ("long", "")], Some(&key)), StatusCode::BAD_REQUEST, "地址编号"),
        (with(&[("service_code", "0301")], Some(&key)), StatusCode::BAD_REQUEST, "risk"),
        (
            with(&[("service_code", "0301"), ("attribute[risk]", "extreme")], Some(&key)),
            StatusCode::BAD_REQUEST,
            "risk",
        ),
        (with(&[("media_url", "file:///etc/passwd")], Some(&key)), StatusCode::BAD_REQUEST, "图片链接"),
    ];
    for (fields, status, named) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = post(&mut b, "/open311/v2/requests.json", &fields, &[]).await;
        assert_eq!(r.status, status, "{fields:?}: {}", r.text);
        let (code, description) = the_error(&r);
        assert_eq!(code, u64::from(status.as_u16()));
        assert!(description.contains(named), "{fields:?}: {description}");
    }
    // The same rule as the report form: 4 to 2,000 characters.
    let long = "很".repeat(2001);
    let mut fields = with(&[], Some(&key));
    fields.retain(|(k, _)| k != "description");
    fields.push(("description".into(), long));
    let r = post(
        &mut b,
        "/open311/v2/requests.xml",
        &fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(),
        &[("accept-language", "en")],
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.text.contains("<errors><error><code>400</code><description>Description: write 4 to 2,000 characters"),
        "{}",
        r.text
    );
    assert_eq!(case_count(&app).await, before, "no bad post left a case");
});

dual_backend_test!(a_point_lands_in_its_grid_and_reads_back_by_id_token_and_filters, |db| {
    let app = TestApp::new(db).await;
    let (key, _) = app.db.store.create_open311_key("test app").await.unwrap();
    let building = building_in_first_grid(&app).await;
    let (lat, lon) = (building.lat.to_string(), building.lon.to_string());
    let mut b = app.browser();
    let fields = [
        ("api_key", key.as_str()),
        ("service_code", "0101"),
        ("lat", lat.as_str()),
        ("long", lon.as_str()),
        ("address_string", "南门垃圾房"),
        ("description", "南门垃圾房旁边堆了三天的建筑垃圾"),
        ("first_name", "小明"),
        ("last_name", "李"),
        ("email", "li.xiaoming@example.cn"),
        ("phone", "13800138000"),
        ("attribute[room]", "门口"),
    ];
    let r = post(&mut b, "/open311/v2/requests.json", &fields, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let answer = r.json();
    let id = answer[0]["service_request_id"].as_str().unwrap().to_owned();
    let token = answer[0]["token"].as_str().unwrap().to_owned();
    assert!(answer[0]["service_notice"].as_str().unwrap().contains("8 个工作小时"));
    let case = app.db.store.case(id.parse().unwrap()).await.unwrap();
    assert_eq!(case.grid_id, Some(building.grid_id), "the point decides the grid");
    assert_eq!(case.community_id, app.demo.community_id, "and the community, without a jurisdiction_id");
    assert_eq!(case.source, "api");
    assert_eq!(case.reporter_name, "李小明");
    let sealed: String = read!(app.db.store, |db| sqlx::query_scalar("SELECT contact_sealed FROM cases WHERE id = $1")
        .bind(case.id)
        .fetch_one(db)
        .await
        .unwrap());
    assert!(!sealed.contains("13800138000") && !sealed.contains("example.cn"), "contact is sealed at rest");

    // Not public before it is registered: the request is listed, its words are not.
    let unregistered = b.get(&format!("/open311/v2/requests/{id}.json")).await.json();
    assert_eq!(unregistered[0]["description"], "");
    app.db.store.apply_case_step(case.id, None, &linli_domain::case::Event::Register, "").await.unwrap();
    let one = b.get(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(one.status, StatusCode::OK);
    let one = one.json();
    let r0 = &one.as_array().expect("one request is still an array")[0];
    assert_eq!(r0["service_request_id"], id);
    assert_eq!(r0["status"], "open");
    assert_eq!(r0["service_code"], "0101");
    assert_eq!(r0["description"], "南门垃圾房旁边堆了三天的建筑垃圾");
    assert!(r0["requested_datetime"].as_str().unwrap().ends_with("+08:00"));
    assert!((r0["lat"].as_f64().unwrap() - building.lat).abs() < 1e-9);
    assert!(!one.to_string().contains("李小明") && !one.to_string().contains("13800138000"), "nothing of the reporter");

    let xml = b.get(&format!("/open311/v2/requests/{id}.xml")).await.text;
    assert!(xml.contains(&format!(
        "<service_requests><request><service_request_id>{id}</service_request_id><status>open</status>"
    )));
    let t = b.get(&format!("/open311/v2/tokens/{token}.json")).await.json();
    assert_eq!(t[0]["service_request_id"], id);

    let ids = |v: Value| {
        v.as_array().unwrap().iter().map(|r| r["service_request_id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert!(ids(b.get("/open311/v2/requests.json?service_code=0101").await.json()).contains(&id));
    assert!(!ids(b.get("/open311/v2/requests.json?service_code=0102").await.json()).contains(&id));
    assert!(ids(b.get("/open311/v2/requests.json?status=open").await.json()).contains(&id));
    assert!(!ids(b.get("/open311/v2/requests.json?status=closed").await.json()).contains(&id));
    assert!(!ids(b.get("/open311/v2/requests.json?end_date=2020-01-01T00:00:00%2B08:00").await.json()).contains(&id));
    let both =
        b.get(&format!("/open311/v2/requests.json?service_request_id={id},{}&status=closed", app.demo.case_id)).await;
    assert!(ids(both.json()).contains(&id), "ids override the other filters");
    let all = b.get("/open311/v2/requests.json").await.json();
    assert!(all.as_array().unwrap().len() > 10, "the demo's history is public too");
    assert!(
        all.as_array().unwrap().iter().all(|r| r["service_code"].as_str().unwrap().get(..2) != Some("03")),
        "no disputes"
    );
    for bad in
        ["status=pending", "start_date=yesterday", "start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z"]
    {
        let r = b.get(&format!("/open311/v2/requests.json?{bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let community = app.db.store.community(app.demo.community_id).await.unwrap();
    let mine = b.get(&format!("/open311/v2/requests.json?jurisdiction_id={}", community.code)).await.json();
    assert!(ids(mine).contains(&id));
});

dual_backend_test!(retries_make_one_case_and_rooms_route_by_household, |db| {
    let app = TestApp::new(db).await;
    let (key, _) = app.db.store.create_open311_key("phone app").await.unwrap();
    let (building, household) = app.demo_home;
    let room = format!("h{household}");
    let mut b = app.browser();
    let fields = [
        ("api_key", key.as_str()),
        ("service_code", "0203"),
        ("address_id", room.as_str()),
        ("description", "楼上漏水，天花板在滴水"),
        ("device_id", "phone-42"),
    ];
    let before = case_count(&app).await;
    let first = post(&mut b, "/open311/v2/requests.json", &fields, &[]).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = post(&mut b, "/open311/v2/requests.json", &fields, &[]).await;
    assert_eq!(again.status, StatusCode::OK, "the same device sending the same report is a retry");
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(first.json()[0]["service_request_id"], again.json()[0]["service_request_id"]);
    assert_eq!(case_count(&app).await, before + 1);
    let id: i64 = first.json()[0]["service_request_id"].as_str().unwrap().parse().unwrap();
    let case = app.db.store.case(id).await.unwrap();
    assert_eq!((case.building_id, case.household_id), (Some(building), Some(household)));

    // The same key in the header makes one case, even if the body differs (a retry
    // from a client that rebuilt its form).
    let mut other = fields.to_vec();
    other.retain(|(k, _)| *k != "device_id");
    let h = [("idempotency-key", "retry-7f1c")];
    let a = post(&mut b, "/open311/v2/requests.json", &other, &h).await;
    other.push(("description", "楼上漏水，天花板在滴水！！"));
    let c = post(&mut b, "/open311/v2/requests.json", &other, &h).await;
    assert_eq!((a.status, c.status), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a.json()[0]["service_request_id"], c.json()[0]["service_request_id"]);
    assert_eq!(case_count(&app).await, before + 2);

    // Multipart is accepted too, with the key in the query.
    let boundary = "XyZ";
    let mut body = String::new();
    for (k, v) in [("service_code", "0201"), ("address_id", &building.to_string()), ("description", "路灯不亮")] {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let ct = format!("multipart/form-data; boundary={boundary}");
    let r = b
        .send(Method::POST, &format!("/open311/v2/requests.xml?api_key={key}"), Some((&ct, body.into_bytes())), &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert!(r.text.contains("<service_requests><request><service_request_id>"));
    assert_eq!(case_count(&app).await, before + 3);
});

dual_backend_test!(disputes_stay_private_and_updates_follow_the_loop, |db| {
    let app = TestApp::new(db).await;
    let (key, _) = app.db.store.create_open311_key("test app").await.unwrap();
    let (building, _) = app.demo_home;
    let building = building.to_string();
    let mut b = app.browser();
    let dispute = [
        ("api_key", key.as_str()),
        ("service_code", "0301"),
        ("address_id", building.as_str()),
        ("description", "楼上每天半夜装修"),
        ("attribute[risk]", "high"),
    ];
    let r = post(&mut b, "/open311/v2/requests.json", &dispute, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let dispute_id = r.json()[0]["service_request_id"].as_str().unwrap().to_owned();
    let r = b.get(&format!("/open311/v2/requests/{dispute_id}.json")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a dispute is not public");

    let problem = [
        ("api_key", key.as_str()),
        ("service_code", "0201"),
        ("address_id", building.as_str()),
        ("description", "3号楼前路灯不亮"),
    ];
    let r = post(&mut b, "/open311/v2/requests.json", &problem, &[]).await;
    let id = r.json()[0]["service_request_id"].as_str().unwrap().to_owned();
    let case_id: i64 = id.parse().unwrap();
    let staff = app.demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    app.db.store.apply_case_step(case_id, Some(staff), &linli_domain::case::Event::Register, "").await.unwrap();

    let updates = b.get(&format!("/open311/v2/servicerequestupdates.json?service_request_id={id}")).await;
    assert_eq!(updates.status, StatusCode::OK);
    let kinds: Vec<String> = updates
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["external_status_code"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds, ["reported", "registered"]);

    let comment = [("api_key", key.as_str()), ("service_request_id", id.as_str()), ("description", "今晚又不亮了")];
    let r = post(&mut b, "/open311/v2/servicerequestupdates.json", &comment, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()[0]["status"], "open");
    let timeline = app.db.store.case_timeline(case_id).await.unwrap();
    assert_eq!(timeline.last().unwrap().note, "今晚又不亮了");
    assert_eq!(app.db.store.case(case_id).await.unwrap().state, "registered", "a comment changes no state");

    let close = [
        ("api_key", key.as_str()),
        ("service_request_id", id.as_str()),
        ("description", "修好了"),
        ("status", "closed"),
    ];
    let r = post(&mut b, "/open311/v2/servicerequestupdates.json", &close, &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "an outside update cannot close a case");
    let r = post(&mut b, "/open311/v2/servicerequestupdates.json", &comment[1..], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let private = [("api_key", key.as_str()), ("service_request_id", dispute_id.as_str()), ("description", "x")];
    let r = post(&mut b, "/open311/v2/servicerequestupdates.json", &private, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let xml = b.get(&format!("/open311/v2/servicerequestupdates.xml?service_request_id={id}")).await.text;
    assert!(xml.contains("<service_request_updates><request_update><update_id>"), "{xml}");
});
