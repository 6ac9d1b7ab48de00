//! The grid worker's day from the home page, on both backends: big actions for a patrol
//! report and visits, the cases dispatched to him among today's work, the whole list of
//! overdue visits (most overdue first) one tap from the home page, and a saved visit that
//! says when the next one is due.

use axum::http::StatusCode;
use linli_test_support::{TestApp, dual_backend_test, zh};

dual_backend_test!(a_grid_worker_starts_his_day_from_the_home_page, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut worker = app.signed_in("wangge1").await;
    let home = worker.get("/").await.text;
    assert!(home.contains(&format!("href=\"/communities/{community}/cases/new\">巡查上报</a>")));
    let overdue_list = format!("/communities/{community}/care/overdue");
    assert!(home.contains(&format!("href=\"{overdue_list}\">走访</a>")));

    // The overdue to-do opens the whole list, not one person, most overdue first.
    let today = linli_store::today();
    let own = &app.demo.grid_ids[..2];
    let overdue = app.db.store.overdue_visits(community, Some(own), today).await.unwrap();
    assert!(overdue.len() >= 2, "the demo has people overdue: {}", overdue.len());
    assert!(home.contains(&format!("<a href=\"{overdue_list}\">{} 位关爱对象走访已逾期", overdue.len())), "{home}");
    let list = worker.get(&overdue_list).await.text;
    let mut at = 0;
    for o in &overdue {
        let link = format!("/residents/{}#visits", o.resident_id);
        let here = list[at..].find(&link).unwrap_or_else(|| panic!("{} listed in order", o.name));
        at += here + link.len();
    }
    assert!(overdue.windows(2).all(|w| w[0].days_overdue >= w[1].days_overdue), "most overdue first");
    // Another grid's worker does not see this grid's people; a resident does not see the list.
    let mut other = app.signed_in("wangge3").await;
    let theirs = other.get(&overdue_list).await.text;
    assert!(!theirs.contains(&format!("/residents/{}#visits", overdue[0].resident_id)));
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    assert_eq!(resident.get(&overdue_list).await.status, StatusCode::FORBIDDEN);

    // The director's home leads with the community's figures and leaves the names to the
    // grid workers: the overdue visits are a count that opens the list.
    let mut director = app.signed_in("shuji").await;
    let home = director.get("/").await.text;
    assert!(home.contains(zh("home.headline")) && home.contains(zh("indicators.rate.on_time")), "{home}");
    assert!(home.find("按期结案率") < home.find("今日待办"), "figures first");
    assert!(!home.contains(&format!("/residents/{}#visits", overdue[1].resident_id)), "no list of names");
    assert!(home.contains(&format!("href=\"{overdue_list}\"")));

    // Saving a visit confirms it and says when the next one is due.
    let path = format!("/residents/{}/visits", overdue[0].resident_id);
    let r = worker.post_form(&path, &[("visited_on", &today.to_string()), ("kind", "home")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = worker.get(r.location().unwrap()).await.text;
    assert!(page.contains(&format!("已记录 {today} 的走访。")), "{page}");
    assert!(page.contains("下次走访：") && page.contains("前。"));

    // A case dispatched to him is among today's work.
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id("0102").await.to_string();
    let form = [("category_id", cat.as_str()), ("description", "垃圾房门口厨余垃圾散落"), ("building_id", &building)];
    let r = resident.post_form(&format!("/communities/{community}/cases"), &form).await;
    let case: i64 = r.location().unwrap().trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap();
    let mut staff = app.signed_in("shequ").await;
    for step in ["register", "dispatch"] {
        let r = staff.post_form(&format!("/cases/{case}/steps"), &[("step", step)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let home = worker.get("/").await.text;
    assert!(home.contains("件事件派给您，待办理"), "{home}");
    let mine = worker.get(&format!("/communities/{community}/cases?state=open&mine=1")).await.text;
    assert!(mine.contains(&format!("href=\"/cases/{case}\"")));
    assert!(worker.get("/inbox").await.text.contains(&format!("事件 #{case} 已派给您办理，请接单")));
});
