//! Grid boundaries through GeoJSON, on both backends: export and re-import, buildings
//! placed by position, and refusals that name the reason.

use axum::http::{Method, StatusCode};
use linli_test_support::{Browser, Reply, TestApp, dual_backend_test, zh};

async fn upload(b: &mut Browser, community: i64, text: &str) -> Reply {
    let boundary = "gridboundary42";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"grids.geojson\"\r\nContent-Type: application/geo+json\r\n\r\n{text}\r\n--{boundary}--\r\n"
    );
    let path = format!("/communities/{community}/grids/import?_csrf={}", b.csrf);
    b.send(Method::POST, &path, Some((&format!("multipart/form-data; boundary={boundary}"), body.into_bytes())), &[])
        .await
}

async fn grid_of_residents(b: &mut Browser, community: i64, grid: i64) -> i64 {
    b.get(&format!("/api/v1/communities/{community}/residents?grid_id={grid}&limit=1")).await.json()["total"]
        .as_i64()
        .unwrap()
}

dual_backend_test!(boundaries_round_trip_and_place_buildings_by_position, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let exported = staff.get(&format!("/communities/{community}/grids/geojson")).await;
    assert_eq!(exported.headers.get("content-type").unwrap(), "application/geo+json");
    let mut doc = exported.json();
    assert_eq!(doc["features"].as_array().unwrap().len(), 6);

    // The same file back: nothing moves.
    let r = upload(&mut staff, community, &exported.text).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(r.location().unwrap(), format!("/communities/{community}?moved=0"));
    assert_eq!(staff.get(&format!("/communities/{community}/grids/geojson")).await.json(), doc);

    // Swap the shapes of grids 1 and 3: their buildings, and residents, change grid.
    let (g1, g3) = (app.demo.grid_ids[0], app.demo.grid_ids[2]);
    let before =
        (grid_of_residents(&mut staff, community, g1).await, grid_of_residents(&mut staff, community, g3).await);
    let features = doc["features"].as_array_mut().unwrap();
    let geometry = features[0]["geometry"].clone();
    features[0]["geometry"] = features[2]["geometry"].clone();
    features[2]["geometry"] = geometry;
    let r = upload(&mut staff, community, &doc.to_string()).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let moved: i64 = r.location().unwrap().rsplit('=').next().unwrap().parse().unwrap();
    assert!(moved > 0);
    let after =
        (grid_of_residents(&mut staff, community, g1).await, grid_of_residents(&mut staff, community, g3).await);
    assert_eq!(after, (before.1, before.0));
    // The grid worker of grid 1 now serves the buildings that moved in.
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(grid_of_residents(&mut worker, community, g1).await, before.1);
    let page = staff.get(&format!("/communities/{community}?moved={moved}")).await.text;
    assert!(page.contains(&format!("{moved} 栋楼划入了新网格")));
});

dual_backend_test!(bad_boundaries_are_refused_with_the_reason_and_change_nothing, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let good = staff.get(&format!("/communities/{community}/grids/geojson")).await.json();

    let mut open = good.clone();
    open["features"][0]["geometry"]["coordinates"][0].as_array_mut().unwrap().pop();
    let r = upload(&mut staff, community, &open.to_string()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("error.geo.not_closed")));

    let mut overlapping = good.clone();
    overlapping["features"][1]["geometry"] = good["features"][0]["geometry"].clone();
    let r = upload(&mut staff, community, &overlapping.to_string()).await;
    let first_code = good["features"][0]["properties"]["code"].as_str().unwrap();
    assert!(r.text.contains(&format!("与网格 {first_code} 重叠")), "{}", r.text);

    let mut missing = good.clone();
    missing["features"].as_array_mut().unwrap().pop();
    let r = upload(&mut staff, community, &missing.to_string()).await;
    assert!(r.text.contains(zh("error.geo.missing")));

    // Shrink every grid to its corner: buildings fall outside and are named.
    let mut shrunk = good.clone();
    for f in shrunk["features"].as_array_mut().unwrap() {
        let ring = f["geometry"]["coordinates"][0].as_array().unwrap().clone();
        let (x, y) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap());
        f["geometry"]["coordinates"] =
            serde_json::json!([[[x, y], [x + 1e-5, y], [x + 1e-5, y + 1e-5], [x, y + 1e-5], [x, y]]]);
    }
    let r = upload(&mut staff, community, &shrunk.to_string()).await;
    assert!(r.text.contains("楼栋 1号楼 不在任何网格内"), "{}", r.text);
    let r = upload(&mut staff, community, "not json").await;
    assert!(r.text.contains(zh("error.geo.collection")));

    assert_eq!(staff.get(&format!("/communities/{community}/grids/geojson")).await.json(), good, "nothing changed");
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(upload(&mut worker, community, &good.to_string()).await.status, StatusCode::FORBIDDEN);
});

async fn upload_buildings(b: &mut Browser, community: i64, csv: &str, dry_run: bool) -> Reply {
    let boundary = "bldgboundary42";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"buildings.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n"
    );
    if dry_run {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n"));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let path = format!("/communities/{community}/buildings/import?_csrf={}", b.csrf);
    b.send(Method::POST, &path, Some((&format!("multipart/form-data; boundary={boundary}"), body.into_bytes())), &[])
        .await
}

dual_backend_test!(buildings_import_checked_whole_and_export_round_trips, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let exported = staff.get(&format!("/communities/{community}/buildings/export")).await;
    assert_eq!(exported.status, StatusCode::OK);
    let first_line = exported.text.lines().nth(1).unwrap().to_owned();
    let cols: Vec<&str> = first_line.split(',').collect();
    let (lon, lat) = (cols[2], cols[3]);
    let grid3_code = app.db.store.grid(app.demo.grid_ids[2]).await.unwrap().code;

    // Two new buildings: one placed by its position, one by a grid code; and a bad file.
    let good = format!(
        "楼栋,地址,经度,纬度,层数,单元数,网格编码\n99号楼,和谐路99号,{lon},{lat},18,2,\n98号楼,和谐路98号,{lon},{lat},6,1,{grid3_code}\n"
    );
    let bad = format!("{good}97号楼,,200,{lat},6,1,\n99号楼,,{lon},{lat},0,1,\n");
    let r = upload_buildings(&mut staff, community, &bad, false).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for expected in ["经度须为中国境内的经度", "层数须为 1 到 200 的整数"] {
        assert!(r.text.contains(expected), "{expected}");
    }
    let count = || async { app.db.store.buildings_in_community(community).await.unwrap().len() };
    let before = count().await;
    assert_eq!(before, 12, "nothing written");
    let r = upload_buildings(&mut staff, community, &good, true).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains("检查通过，可以导入的楼栋： 2"));
    assert_eq!(count().await, before, "a dry run writes nothing");
    let r = upload_buildings(&mut staff, community, &good, false).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(count().await, before + 2);
    // The export carries the new rows back, the hand-placed one with its grid code,
    // and imports into an empty copy of itself unchanged (the same lines).
    let again = staff.get(&format!("/communities/{community}/buildings/export")).await.text;
    assert!(again.contains(&format!("98号楼,和谐路98号,{lon},{lat},6,1,{grid3_code}")));
    assert!(again.lines().any(|l| l.starts_with("99号楼,和谐路99号,") && l.ends_with(",18,2,")));
    let r = upload_buildings(&mut staff, community, &again, true).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "existing names are refused");
    assert!(r.text.contains("已有同名楼栋"));
    // A grid worker may not import buildings.
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(upload_buildings(&mut worker, community, &good, true).await.status, StatusCode::FORBIDDEN);
});
