//! The property company's scorecard through the pages, on both backends: the company sees
//! its own with the formula and the cases behind it, the committee enters its survey, the
//! community's staff a record with evidence, the street sees its companies side by side;
//! another party sees nothing.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, zh};

dual_backend_test!(the_company_the_committee_the_staff_and_the_street_each_do_their_part, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let company: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE community_id = $1 AND kind = 'property_company' ORDER BY id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap());
    let path = format!("/organisations/{company}/scorecard");
    let quarter = linli_domain::scorecard::quarter_of(linli_store::today());

    let mut property = app.signed_in("wuye").await;
    let page = property.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(zh("scorecard.no_survey")), "no survey yet: it scores 0 and says so");
    assert!(page.text.contains(&format!("holder=party:{company}")), "the cases behind the figures");
    assert!(!page.text.contains("name=\"evidence\""), "the company does not grade itself");
    let before = app.db.store.scorecard(company, &quarter, Default::default()).await.unwrap().score.total;

    // The committee records its survey of the quarter.
    let mut committee = app.signed_in("yeweihui").await;
    let r = committee
        .post_form(
            &format!("/organisations/{company}/surveys"),
            &[("quarter", &quarter), ("respondents", "120"), ("satisfied", "130")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.satisfied")));
    let r = committee
        .post_form(
            &format!("/organisations/{company}/surveys"),
            &[("quarter", &quarter), ("respondents", "120"), ("satisfied", "96")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The community's staff enter a bad record; the points are checked and the field named.
    let mut staff = app.signed_in("shequ").await;
    let today = linli_store::today().to_string();
    let record = |points: &'static str| {
        vec![
            ("kind", "bad"),
            ("points", points),
            ("title", "电梯困人 40 分钟未到场"),
            ("evidence", "街道检查记录第 12 号"),
            ("occurred_on", today.as_str()),
        ]
    };
    let r = staff.post_form(&format!("/organisations/{company}/records"), &record("25")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.points")));
    assert_eq!(
        staff.post_form(&format!("/organisations/{company}/records"), &record("3")).await.status,
        StatusCode::SEE_OTHER
    );
    let card = app.db.store.scorecard(company, &quarter, Default::default()).await.unwrap();
    assert_eq!((card.score.survey, card.score.bad), (80, 30), "96 of 120 satisfied is 8 points; the record 3");
    assert_eq!(card.score.total, before + 80 - 30);
    let page = property.get(&path).await.text;
    assert!(
        page.contains("电梯困人 40 分钟未到场") && page.contains(&linli_domain::scorecard::points(card.score.total))
    );
    // The company cannot enter records about itself.
    assert_eq!(
        property.post_form(&format!("/organisations/{company}/records"), &record("3")).await.status,
        StatusCode::NOT_FOUND
    );

    // The street sees its companies side by side; another party sees no scorecard.
    let mut street = app.signed_in("jiedao").await;
    let page = street.get(&format!("/streets/{}/scorecards", app.demo.street_id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&format!("/organisations/{company}/scorecard?quarter={quarter}")));
    let mut social = app.signed_in("shegong").await;
    assert_eq!(social.get(&path).await.status, StatusCode::NOT_FOUND);
    let mut resident = app.signed_in("13800138000").await;
    assert_eq!(resident.get(&path).await.status, StatusCode::FORBIDDEN);
});
