//! Buildings, households, the property register, moves and grid duty through the pages
//! and the API, on both backends, as the people who use them would.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, zh};

/// A building of a grid, one of its households, and a current resident there.
async fn place_in_grid(app: &TestApp, grid: i64) -> (i64, i64, i64) {
    read!(app.db.store, |db| sqlx::query_as::<_, (i64, i64, i64)>(
        "SELECT b.id, h.id, MIN(r.id) FROM buildings b JOIN households h ON h.building_id = b.id \
         JOIN residents r ON r.household_id = h.id WHERE b.grid_id = $1 GROUP BY b.id, h.id ORDER BY b.id, h.id LIMIT 1"
    )
    .bind(grid)
    .fetch_one(db)
    .await
    .unwrap())
}

dual_backend_test!(a_grid_worker_reaches_buildings_households_and_stays_of_own_grids_only, |db| {
    let app = TestApp::new(db).await;
    let (own_building, own_household, own_resident) = place_in_grid(&app, app.demo.grid_ids[0]).await;
    let (other_building, other_household, other_resident) = place_in_grid(&app, app.demo.grid_ids[2]).await;
    let mut worker = app.signed_in("wangge1").await;

    let page = worker.get(&format!("/buildings/{own_building}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("/households/{own_household}")), "units link to their households");
    let household = worker.get(&format!("/households/{own_household}")).await;
    assert_eq!(household.status, StatusCode::OK);
    assert!(household.text.contains(&format!("/residents/{own_resident}")));
    // Owners' ID numbers appear masked only.
    let units = worker.get(&format!("/api/v1/buildings/{own_building}/units")).await.json();
    let unit = units.as_array().unwrap().iter().find(|u| u["household_id"] == own_household).unwrap().clone();
    let masked = unit["owners"][0]["id_number_masked"].as_str().unwrap().to_owned();
    assert!(masked.contains("********"), "{masked}");
    assert!(household.text.contains(&masked), "the household page shows the owner's masked ID number");
    for text in [&household.text, &page.text] {
        let longest_digits = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
        assert!(longest_digits < 17, "no full ID number on a page");
    }

    for path in [
        format!("/buildings/{other_building}"),
        format!("/households/{other_household}"),
        format!("/api/v1/buildings/{other_building}/units"),
        format!("/api/v1/residents/{other_resident}/stays"),
    ] {
        // Out of reach answers as if it did not exist.
        assert_eq!(worker.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = worker
        .post_form(&format!("/residents/{other_resident}/move"), &[("kind", "out"), ("date", "2026-01-05")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A grid worker does not keep the property register.
    let r = worker.post_form(&format!("/households/{own_household}/areas"), &[("register_area", "88")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(a_transfer_with_a_bad_id_number_names_the_field_and_changes_nothing, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let (_, household, _) = place_in_grid(&app, app.demo.grid_ids[1]).await;
    let mut staff = app.signed_in("shequ").await;
    let before = staff.get(&format!("/api/v1/communities/{community}/electorate")).await.json();
    let owners_before = staff.get(&format!("/households/{household}")).await.text;

    let path = format!("/households/{household}/owners");
    let bad = staff
        .post_form(
            &path,
            &[
                ("holder", "person"),
                ("owner_name", "陈买家"),
                ("owner_id_number", "110105194912310021"),
                ("since", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text.contains(zh("field.owner_id_number")), "the error names the field");
    assert_eq!(staff.get(&format!("/households/{household}")).await.text, owners_before);

    let good = staff
        .post_form(
            &path,
            &[
                ("holder", "person"),
                ("owner_name", "陈买家"),
                ("owner_id_number", "110105194912310038"),
                ("co_owner_name", "林共有"),
                ("co_owner_id_number", "110105195001010020"),
                ("since", "2026-03-01"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.text);
    let page = staff.get(&format!("/households/{household}")).await.text;
    assert!(page.contains("陈买家") && page.contains("林共有"));
    assert!(page.contains("2016-06-30 – 2026-03-01"), "the previous owner stays as history");
    // The unit had one owner and has one again (two co-owners count once).
    let after = staff.get(&format!("/api/v1/communities/{community}/electorate")).await.json();
    assert_eq!(after["units"], before["units"]);
    assert_eq!(after["owners"], before["owners"]);

    // Areas: a bad one names its field; a good one changes the counted total exactly.
    let r = staff.post_form(&format!("/households/{household}/areas"), &[("register_area", "12.345")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("area.register")));
    let r = staff.post_form(&format!("/households/{household}/areas"), &[("register_area", "100.25")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(staff.get(&format!("/households/{household}")).await.text.contains("100.25 m²"));
    let community_page = staff.get(&format!("/communities/{community}")).await.text;
    assert!(community_page.contains(zh("electorate.title")));
    let area = staff.get(&format!("/api/v1/communities/{community}/electorate")).await.json()["area_m2"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = linli_domain::ownership::Area::parse("area", &area).unwrap().grouped_m2();
    assert!(community_page.contains(&format!("<b>{shown}</b>")), "the community page shows the counted area {shown}");
});

dual_backend_test!(a_move_out_recorded_by_the_grid_worker_leaves_the_list_and_stays_in_the_history, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let (_, _, resident) = place_in_grid(&app, app.demo.grid_ids[0]).await;
    let mut worker = app.signed_in("wangge1").await;
    let list = |former: bool| format!("/api/v1/communities/{community}/residents?limit=500&former={former}");
    let total_before = worker.get(&list(false)).await.json()["total"].as_i64().unwrap();

    let r = worker.post_form(&format!("/residents/{resident}/move"), &[("kind", "out"), ("date", "2099-01-01")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a future date is refused");
    let r = worker
        .post_form(
            &format!("/residents/{resident}/move"),
            &[("kind", "within"), ("building", "999"), ("unit", "1"), ("room", "101"), ("date", "2026-01-05")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "an unknown unit is refused");
    assert!(r.text.contains("本社区没有这个房屋"));

    let r = worker.post_form(&format!("/residents/{resident}/move"), &[("kind", "out"), ("date", "2026-01-05")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let current = worker.get(&list(false)).await.json();
    assert_eq!(current["total"].as_i64().unwrap(), total_before - 1);
    assert!(current["residents"].as_array().unwrap().iter().all(|r| r["id"] != resident));
    let former = worker.get(&list(true)).await.json();
    assert_eq!(former["residents"][0]["id"], resident);
    assert_eq!(former["residents"][0]["moved_out_on"], "2026-01-05");
    let stays = worker.get(&format!("/api/v1/residents/{resident}/stays")).await.json();
    assert_eq!(stays.as_array().unwrap().len(), 1);
    assert_eq!(stays[0]["moved_out_on"], "2026-01-05");
    let page = worker.get(&format!("/residents/{resident}")).await.text;
    assert!(page.contains("已迁出社区，日期： 2026-01-05"));
    assert!(!page.contains(&format!("action=\"/residents/{resident}/move\"")), "no move form for who left");
});

dual_backend_test!(staff_put_a_deputy_on_duty_and_place_a_building_by_hand, |db| {
    let app = TestApp::new(db).await;
    let (g3, g4) = (app.demo.grid_ids[2], app.demo.grid_ids[3]);
    let mut staff = app.signed_in("shequ").await;
    let mut worker = app.signed_in("wangge1").await;
    let worker_id = app.demo.accounts.iter().find(|a| a.login == "wangge1").unwrap().account_id;
    assert_eq!(worker.get(&format!("/grids/{g3}")).await.status, StatusCode::FORBIDDEN);

    let r = staff
        .post_form(&format!("/grids/{g3}/workers"), &[("account_id", &worker_id.to_string()), ("duty", "deputy")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let grid_page = worker.get(&format!("/grids/{g3}")).await;
    assert_eq!(grid_page.status, StatusCode::OK, "the deputy reaches the grid at once");
    assert!(grid_page.text.contains(zh("duty.deputy")));
    let r = staff.post_form(&format!("/grids/{g3}/workers/{worker_id}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(worker.get(&format!("/grids/{g3}")).await.status, StatusCode::FORBIDDEN);
    // Only grid-worker accounts can be put on duty.
    let director = app.demo.accounts.iter().find(|a| a.login == "shuji").unwrap().account_id;
    let r = staff
        .post_form(&format!("/grids/{g3}/workers"), &[("account_id", &director.to_string()), ("duty", "worker")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // A building of grid 3 placed by hand in grid 4, then back by its position.
    let (building, _, _) = place_in_grid(&app, g3).await;
    let r = staff.post_form(&format!("/buildings/{building}/grid"), &[("grid", &g4.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = staff.get(&format!("/buildings/{building}")).await.text;
    assert!(page.contains(zh("building.pinned")));
    assert!(page.contains(&format!("href=\"/grids/{g4}\"")));
    let r = staff.post_form(&format!("/buildings/{building}/grid"), &[("grid", "auto")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = staff.get(&format!("/buildings/{building}")).await.text;
    assert!(!page.contains(zh("building.pinned")));
    assert!(page.contains(&format!("href=\"/grids/{g3}\"")));
    // A grid worker may not place buildings.
    assert_eq!(
        worker.post_form(&format!("/buildings/{building}/grid"), &[("grid", "auto")]).await.status,
        StatusCode::FORBIDDEN
    );
});
