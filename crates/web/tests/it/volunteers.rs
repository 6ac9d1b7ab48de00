//! Volunteers and points through the pages, on both backends: a resident registers as a
//! volunteer only with consent, signs up for an activity's shift (the next one waits in
//! line); the organiser records hours only once the shift began and only for who holds a
//! place, and they earn points; the volunteer's record and certificate show them, to the
//! volunteer and staff only; points are spent in the shop, never past the balance, and a
//! staff correction cannot take a balance below zero; another organisation cannot record
//! hours on the community's activity, nor a resident stock the shop.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, sql, verified_account, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn one(app: &TestApp, query: &str, arg: i64) -> i64 {
    read!(app.db.store, |d| sqlx::query_scalar(query).bind(arg).fetch_one(d).await.unwrap())
}

dual_backend_test!(a_volunteer_is_recorded_by_the_organiser_and_spends_the_points_earned, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let others: Vec<i64> = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND moved_out_on IS NULL \
         AND id <> $2 AND id NOT IN (SELECT resident_id FROM volunteers) ORDER BY id LIMIT 2"
    )
    .bind(c)
    .bind(app.demo.resident_id)
    .fetch_all(d)
    .await
    .unwrap());
    verified_account(&app.db.store, c, "linju_b", others[0]).await;
    verified_account(&app.db.store, c, "linju_c", others[1]).await;
    let mut staff = app.signed_in("shequ").await;
    let day = linli_store::today() + chrono::Days::new(2);
    let r = staff
        .post_form(
            &format!("/communities/{c}/activities"),
            &[
                ("kind", "festival"),
                ("title", "重阳敬老宴"),
                ("activity_venue", "社区食堂"),
                ("starts_at_local", &format!("{day}T10:00")),
                ("ends_at", &format!("{day}T13:00")),
                ("capacity", "50"),
            ],
        )
        .await;
    let feast: i64 = r.location().unwrap().trim_start_matches("/activities/").parse().unwrap();
    let shift_form = |end: &str| {
        vec![
            ("shift_role", "餐桌服务".to_owned()),
            ("shift_start", format!("{day}T09:30")),
            ("shift_end", format!("{day}T{end}")),
            ("capacity", "1".to_owned()),
        ]
    };
    let form = shift_form("09:00");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = staff.post_form(&format!("/activities/{feast}/shifts"), &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("shift_end", "error.volunteer.shift_ends")), "the field is named");
    let form = shift_form("13:00");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(staff.post_form(&format!("/activities/{feast}/shifts"), &fields).await.status, StatusCode::SEE_OTHER);
    let shift = one(&app, "SELECT MAX(id) FROM shifts WHERE activity_id = $1", feast).await;

    // A resident who is not a volunteer is asked to register, with consent.
    let mut b = app.signed_in("linju_b").await;
    let page = b.get(&format!("/activities/{feast}")).await.text;
    assert!(page.contains(zh("volunteer.become")) && !page.contains(&format!("/shifts/{shift}/signups")));
    let r = b.post_form(&format!("/communities/{c}/volunteers"), &[("skills", "烹饪")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("consent", "error.volunteer.consent")));
    let r = b.post_form(&format!("/communities/{c}/volunteers"), &[("skills", "烹饪"), ("consent", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let vb = one(&app, "SELECT id FROM volunteers WHERE resident_id = $1", others[0]).await;
    let r = b.post_form(&format!("/shifts/{shift}/signups"), &[]).await;
    assert_eq!(r.location(), Some(format!("/activities/{feast}?done=signed_up").as_str()));
    assert!(b.get(&format!("/activities/{feast}")).await.text.contains(zh("volunteer.signup.booked")));
    // A second volunteer finds the one place taken and waits.
    let mut zhang = app.signed_in("13800138000").await;
    let r = zhang.post_form(&format!("/communities/{c}/volunteers"), &[("consent", "1"), ("named", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = zhang.post_form(&format!("/shifts/{shift}/signups"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("shift", "error.volunteer.full")));
    assert_eq!(
        zhang.post_form(&format!("/shifts/{shift}/signups"), &[("wait", "1")]).await.status,
        StatusCode::SEE_OTHER
    );
    let signup_b = one(&app, "SELECT id FROM shift_signups WHERE shift_id = $1 AND status = 'booked'", shift).await;
    let signup_z = one(&app, "SELECT id FROM shift_signups WHERE shift_id = $1 AND status = 'waiting'", shift).await;

    let hours = [("served_hours", "3.5"), ("content", "餐桌服务")];
    let r = staff.post_form(&format!("/signups/{signup_b}/hours"), &hours).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not before the shift");
    assert!(r.text.contains(&refusal("signup", "error.volunteer.not_yet")));
    let today = linli_store::today().to_string();
    sql(
        &app.db.store,
        &format!("UPDATE shifts SET starts_at = '{today} 00:00', ends_at = '{today} 03:30' WHERE id = $1"),
        &[shift],
    )
    .await;
    sql(&app.db.store, &format!("UPDATE activities SET starts_at = '{today} 00:30' WHERE id = $1"), &[feast]).await;
    let r = staff.post_form(&format!("/signups/{signup_z}/hours"), &hours).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "not for one still in line");
    assert!(r.text.contains(&refusal("signup", "error.volunteer.not_signed_up")));
    let shegong = app.signed_in("shegong").await.post_form(&format!("/signups/{signup_b}/hours"), &hours).await;
    assert_eq!(shegong.status, StatusCode::NOT_FOUND, "an organisation records its own activities only");
    assert_eq!(staff.post_form(&format!("/signups/{signup_b}/hours"), &hours).await.status, StatusCode::SEE_OTHER);
    let r = staff.post_form(&format!("/signups/{signup_b}/hours"), &hours).await;
    assert!(r.text.contains(&refusal("signup", "error.volunteer.not_signed_up")), "recorded once");

    // The record and the certificate: the volunteer's and staff's, nobody else's.
    let record = b.get(&format!("/volunteers/{vb}")).await.text;
    assert!(record.contains("重阳敬老宴") && record.contains("3.5"));
    let certificate = b.get(&format!("/volunteers/{vb}/certificate")).await.text;
    assert!(certificate.contains("3.5") && certificate.contains("居民委员会"));
    assert_eq!(staff.get(&format!("/volunteers/{vb}")).await.status, StatusCode::OK);
    let mut neighbour = app.signed_in("linju_c").await;
    assert_eq!(neighbour.get(&format!("/volunteers/{vb}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(neighbour.get(&format!("/volunteers/{vb}/certificate")).await.status, StatusCode::NOT_FOUND);

    // 3.5 hours at the default 10 points an hour: 35 to spend.
    let points = b.get(&format!("/communities/{c}/points")).await.text;
    assert!(points.contains(">35<"), "the balance shows");
    let r = neighbour
        .post_form(&format!("/communities/{c}/shop-items"), &[("title", "洗衣液"), ("cost", "30"), ("stock", "1")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "residents do not stock the shop");
    let r = staff
        .post_form(&format!("/communities/{c}/shop-items"), &[("title", "洗衣液"), ("cost", "0"), ("stock", "1")])
        .await;
    assert!(r.text.contains(&refusal("cost", "error.service.number")));
    let r = staff
        .post_form(&format!("/communities/{c}/shop-items"), &[("title", "洗衣液"), ("cost", "30"), ("stock", "2")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let item = one(&app, "SELECT MAX(id) FROM shop_items WHERE community_id = $1", c).await;
    assert_eq!(b.post_form(&format!("/shop-items/{item}/redeem"), &[]).await.status, StatusCode::SEE_OTHER);
    let r = b.post_form(&format!("/shop-items/{item}/redeem"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("item", "error.points.balance")), "not past the balance");
    let points = b.get(&format!("/communities/{c}/points")).await.text;
    assert!(points.contains(">5<") && points.contains(zh("points.redemption.redeemed")));
    let r = staff
        .post_form(
            &format!("/communities/{c}/points/corrections"),
            &[("resident_id", &others[0].to_string()), ("delta", "-6"), ("note", "多记的积分")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("delta", "error.points.below_zero")));
    assert_eq!(app.db.store.points_mismatches(c).await.unwrap(), 0);
});

dual_backend_test!(outcomes_count_a_month_per_grid_against_the_month_before_for_those_who_oversee, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let store = &app.db.store;
    let (grid, resident): (i64, i64) = read!(store, |d| {
        sqlx::query_as(
        "SELECT grid_id, id FROM residents WHERE community_id = $1 AND grid_id IS NOT NULL AND moved_out_on IS NULL \
         ORDER BY id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap()
    });
    let staff = app.demo.account(linli_domain::Role::CommunityStaff).unwrap().account_id;
    let volunteer = store.join_volunteers(resident, "", false, staff).await.unwrap();
    let (this, _) = linli_store::outcomes::month_bounds(linli_store::today());
    let month = this - chrono::Months::new(1);
    let before = month - chrono::Months::new(1);
    for (day, minutes) in [(month, 90), (month + chrono::Days::new(3), 90), (before, 120)] {
        let hours = linli_store::volunteers::NewHours {
            volunteer_id: volunteer,
            signup_id: None,
            activity_id: None,
            team_id: None,
            project: "楼道清洁行动".into(),
            served_on: day.to_string(),
            minutes,
            content: "清理楼道".into(),
            issuer: "社区居民委员会".into(),
            organisation_id: None,
            by: staff,
        };
        store.record_hours(&hours).await.unwrap();
    }
    let residents = one(&app, "SELECT COUNT(*) FROM residents WHERE grid_id = $1 AND moved_out_on IS NULL", grid).await;

    let mut director = app.signed_in("shuji").await;
    let page = director.get(&format!("/communities/{c}/outcomes?month={}", month.format("%Y-%m"))).await;
    assert_eq!(page.status, StatusCode::OK);
    // Three hours this month against two the month before: +50%, and the grid's row says 3.
    assert!(page.text.contains("<b>3</b>") && page.text.contains("+50.0%"), "the month's hours and 环比");
    let grid_row = page.text.split(&format!("/grids/{grid}\"")).nth(1).unwrap();
    assert!(grid_row.split("</tr>").next().unwrap().contains(">3<"), "{residents} residents in the grid");
    let home = director.get("/").await.text;
    assert!(home.contains(&format!("/communities/{c}/outcomes")), "linked from the director's home");

    let mut supervisor = app.signed_in("jiedao").await;
    let street =
        supervisor.get(&format!("/streets/{}/outcomes?month={}", app.demo.street_id, month.format("%Y-%m"))).await;
    assert_eq!(street.status, StatusCode::OK);
    assert!(street.text.contains(&format!("/communities/{c}/outcomes")) && street.text.contains("+50.0%"));
    // A grid worker sees their own grids only.
    let worker = app.signed_in("wangge1").await.get(&format!("/communities/{c}/outcomes")).await.text;
    let (theirs, deputy) = (app.demo.grid_ids[0], app.demo.grid_ids[1]);
    assert!(worker.contains(&format!("/grids/{theirs}\"")), "a grid worker sees their grid");
    let other = app.demo.grid_ids.iter().find(|g| **g != theirs && **g != deputy).unwrap();
    assert!(!worker.contains(&format!("/grids/{other}\"")), "and not another's");
    assert_eq!(
        app.signed_in("13800138000").await.get(&format!("/communities/{c}/outcomes")).await.status,
        StatusCode::FORBIDDEN
    );
});
