//! Surveys through the pages, on both backends: staff write one (bad input refused naming
//! the field, nothing written), add questions of each kind with a condition, and send it to
//! a grid, whose adult residents are invited and told; a resident answers once, within the
//! limits, a hidden question's answer dropped; a second answer, an answer from outside the
//! audience and one after closing are refused; the results count each option with a chart
//! and the rate by grid; an anonymous survey's tables hold nothing that joins an answer to
//! its author, a named one's do; the property scorecard's satisfaction survey is scored
//! into the quarter when it closes.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, verified_account, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn count(app: &TestApp, statement: &str, id: i64) -> i64 {
    read!(app.db.store, |d| sqlx::query_scalar(statement).bind(id).fetch_one(d).await.unwrap())
}

/// Adult residents of record in `grid_id` other than the demo resident, `n` of them.
async fn adults_in_grid(app: &TestApp, grid_id: i64, n: i64) -> Vec<i64> {
    let born_by = (linli_store::today() - chrono::Months::new(18 * 12)).to_string();
    read!(app.db.store, |d| {
        sqlx::query_scalar(
        "SELECT r.id FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
         WHERE b.grid_id = $1 AND r.id <> $2 AND r.birth_date <= $3 ORDER BY r.id LIMIT $4"
    )
    .bind(grid_id)
    .bind(app.demo.resident_id)
    .bind(&born_by)
    .bind(n)
    .fetch_all(d)
    .await
    .unwrap()
    })
}

/// The question and option ids of a survey, in order.
async fn questions(app: &TestApp, id: i64) -> Vec<(i64, Vec<i64>)> {
    app.db
        .store
        .questions(id)
        .await
        .unwrap()
        .into_iter()
        .map(|q| (q.id, q.options.iter().map(|o| o.0).collect()))
        .collect()
}

/// The column names of a table, as a `SELECT *` reads them.
async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    use sqlx::{Column, Row};
    let store = &app.db.store;
    let statement = format!("SELECT * FROM {table} LIMIT 1");
    linli_store::transaction!(store, |tx| {
        linli_store::on!(tx, |c| sqlx::query(&statement).fetch_one(c).await.map(|row| row
            .columns()
            .iter()
            .map(|col| col.name().to_owned())
            .collect::<Vec<String>>()))?
    })
    .unwrap()
}

/// Staff write a survey to the first grid: a single choice, a multiple choice of at most
/// two, a text asked only after the single choice's second option, a rating; and send it.
async fn sent_survey(app: &TestApp, staff: &mut linli_test_support::Browser, anonymous: bool) -> i64 {
    let c = app.demo.community_id;
    let grid = app.demo.grid_ids[0].to_string();
    let today = linli_store::today();
    let until = (today + chrono::Days::new(7)).to_string();
    let mut fields = vec![
        ("title", "停车难问题调查"),
        ("audience", "grids"),
        ("target_grids", grid.as_str()),
        ("answer_from", ""),
        ("answer_until", until.as_str()),
    ];
    let from = today.to_string();
    fields[3].1 = &from;
    if anonymous {
        fields.push(("anonymous", "1"));
    }
    let r = staff.post_form(&format!("/communities/{c}/surveys"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id: i64 = r.location().unwrap().trim_start_matches("/surveys/").parse().unwrap();
    let add = format!("/surveys/{id}/questions");
    for q in [
        vec![("kind", "single"), ("prompt", "您家有几辆车？"), ("required", "1"), ("options", "没有\n一辆或以上")],
        vec![
            ("kind", "multiple"),
            ("prompt", "您希望怎样改善停车？"),
            ("options", "扩建车位\n错峰共享\n限制外来车"),
            ("max_choices", "2"),
        ],
        vec![("kind", "rating"), ("prompt", "您对现在的停车秩序打几分？"), ("required", "1")],
    ] {
        let r = staff.post_form(&add, &q).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let car = questions(app, id).await[0].1[1].to_string();
    let r = staff
        .post_form(&add, &[("kind", "text"), ("prompt", "车停在哪里？"), ("required", "1"), ("show_if", car.as_str())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = staff.post_form(&format!("/surveys/{id}/send"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    id
}

dual_backend_test!(an_anonymous_survey_is_answered_once_by_its_audience_and_counted_without_its_authors, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;

    // Bad input is refused naming the field, and nothing is written.
    let list = format!("/communities/{c}/surveys");
    let today = linli_store::today().to_string();
    let r = staff
        .post_form(
            &list,
            &[("title", "x"), ("audience", "community"), ("answer_from", &today), ("answer_until", &today)],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("title", "error.survey.title")));
    let r = staff
        .post_form(
            &list,
            &[
                ("title", "停车调查"),
                ("audience", "community"),
                ("answer_from", &today),
                ("answer_until", "2020-01-01"),
            ],
        )
        .await;
    assert!(r.text.contains(&refusal("answer_until", "error.survey.window")));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM surveys WHERE community_id = $1", c).await, 0);

    let id = sent_survey(&app, &mut staff, true).await;
    let (q1, q2, q3, q4) = {
        let q = questions(&app, id).await;
        (q[0].clone(), q[1].clone(), q[2].0, q[3].0)
    };
    // Sent: the questions are fixed.
    let r = staff.post_form(&format!("/surveys/{id}/questions"), &[("kind", "text"), ("prompt", "还有什么？")]).await;
    assert!(r.text.contains(&refusal("survey", "error.survey.sent")));
    let born_by = (linli_store::today() - chrono::Months::new(18 * 12)).to_string();
    let adults = read!(app.db.store, |d| {
        sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
         WHERE b.grid_id = $1 AND r.birth_date <= $2"
    )
    .bind(app.demo.grid_ids[0])
    .bind(&born_by)
    .fetch_one(d)
    .await
    .unwrap()
    });
    assert_eq!(app.db.store.survey(id).await.unwrap().invited, adults, "every adult of the grid is invited");

    // The demo resident (grid 1, verified) is told and answers.
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert!(resident.get("/inbox").await.text.contains("问卷：停车难问题调查"));
    let page = resident.get(&format!("/surveys/{id}")).await;
    assert!(page.text.contains("您家有几辆车？") && page.text.contains(zh("survey.anonymous_said")));
    let answers = format!("/surveys/{id}/answers");
    let (none, car) = (q1.1[0].to_string(), q1.1[1].to_string());
    let (expand, share, limit) = (q2.1[0].to_string(), q2.1[1].to_string(), q2.1[2].to_string());
    let (q1k, q2k, q3k, q4k) = (format!("q{}", q1.0), format!("q{}", q2.0), format!("q{q3}"), format!("q{q4}"));
    // A required question left out, too many choices, a car owner not saying where.
    let r = resident.post_form(&answers, &[(&q3k, "4")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("第 1 题「您家有几辆车？」") && r.text.contains(zh("error.survey.required")), "{}", r.text);
    let r = resident
        .post_form(&answers, &[(&q1k, &none), (&q2k, &expand), (&q2k, &share), (&q2k, &limit), (&q3k, "4")])
        .await;
    assert!(r.text.contains("第 2 题") && r.text.contains(zh("error.survey.choices")));
    let r = resident.post_form(&answers, &[(&q1k, &car), (&q3k, "4")]).await;
    assert!(r.text.contains("第 4 题「车停在哪里？」"), "asked once a car is owned");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1", id).await,
        0,
        "nothing half-written"
    );
    // No car: the question about where it is parked is hidden, and what was sent for it dropped.
    let r = resident
        .post_form(&answers, &[(&q1k, &none), (&q2k, &expand), (&q2k, &share), (&q3k, "2"), (&q4k, "不该保留")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert!(resident.get(&format!("/surveys/{id}")).await.text.contains(zh("survey.thanks")));
    let r = resident.post_form(&answers, &[(&q1k, &car), (&q3k, "5"), (&q4k, "路边")]).await;
    assert!(r.text.contains(&refusal("survey", "error.survey.answered")), "one answer per resident");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM survey_answers WHERE survey_id = $1 AND text IS NOT NULL", id).await,
        0
    );

    // Three neighbours in the grid answer; one in the second grid was not asked.
    let neighbours = adults_in_grid(&app, app.demo.grid_ids[0], 3).await;
    for (i, n) in neighbours.iter().enumerate() {
        verified_account(&app.db.store, c, &format!("cheyou{i}"), *n).await;
        let mut b = app.signed_in(&format!("cheyou{i}")).await;
        let r = b.post_form(&answers, &[(&q1k, &car), (&q2k, &limit), (&q3k, "5"), (&q4k, "地库")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let outsider = adults_in_grid(&app, app.demo.grid_ids[1], 1).await[0];
    verified_account(&app.db.store, c, "waiwang", outsider).await;
    let mut other = app.signed_in("waiwang").await;
    assert_eq!(other.get(&format!("/surveys/{id}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post_form(&answers, &[(&q1k, &car), (&q3k, "5"), (&q4k, "x")]).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!other.get(&list).await.text.contains("停车难问题调查"), "not in their list either");

    // The results: each option counted of those who answered, a rating's mean, the grid's rate.
    assert_eq!(resident.get(&format!("/surveys/{id}/results")).await.status, StatusCode::FORBIDDEN);
    let page = staff.get(&format!("/surveys/{id}/results")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("一辆或以上 (3)") && page.text.contains("没有 (1)"), "{}", page.text);
    assert!(page.text.contains("限制外来车 (3)") && page.text.contains("扩建车位 (1)"));
    assert!(page.text.contains("4.2 / 5"), "(2 + 5 + 5 + 5) / 4");
    assert!(page.text.contains("地库"), "the free text is read");
    assert!(page.text.contains("<svg"), "charts drawn on the server");
    // Four answers in the grid: too few to show it apart in an anonymous survey.
    assert!(page.text.contains(zh("survey.too_few")));
    let csv = staff.get(&format!("/surveys/{id}/results?format=csv")).await;
    assert!(csv.text.contains("1. 您家有几辆车？") && csv.text.contains("扩建车位；错峰共享"));
    assert_eq!(csv.text.lines().count(), 5, "a header and four responses");

    // Reading the tables: the invitations say who answered, the responses what; nothing
    // joins them. A response has no person, no time, and an id that follows no order.
    let answered = count(&app, "SELECT COUNT(*) FROM survey_invitations WHERE survey_id = $1 AND answered", id).await;
    assert_eq!(answered, 4);
    assert_eq!(
        columns(&app, "survey_responses").await,
        ["id", "survey_id", "grid_id", "resident_id", "account_id"],
        "no column of time or order"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND (resident_id IS NOT NULL OR account_id IS NOT NULL)", id).await,
        0
    );
    let ids: Vec<i64> =
        read!(app.db.store, |d| sqlx::query_scalar("SELECT id FROM survey_responses WHERE survey_id = $1")
            .bind(id)
            .fetch_all(d)
            .await
            .unwrap());
    assert!(ids.iter().all(|r| *r > 1_000_000), "random ids, not a count of answers: {ids:?}");
    assert_eq!(
        columns(&app, "survey_answers").await,
        ["survey_id", "question_id", "response_id", "grid_id", "option_id", "value", "text"]
    );
    assert_eq!(
        count(&app, "SELECT COUNT(DISTINCT grid_id) FROM survey_responses WHERE survey_id = $1", id).await,
        1,
        "the grid, the only thing a response shares with an invitation, is everyone's"
    );

    // Closed early: no more answers.
    let late = adults_in_grid(&app, app.demo.grid_ids[0], 4).await[3];
    verified_account(&app.db.store, c, "chidao", late).await;
    let r = staff.post_form(&format!("/surveys/{id}/close"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut b = app.signed_in("chidao").await;
    let r = b.post_form(&answers, &[(&q1k, &none), (&q3k, "3")]).await;
    assert!(r.text.contains(&refusal("survey", "error.survey.window")));
});

dual_backend_test!(a_named_survey_keeps_its_authors_and_a_role_survey_reaches_the_role, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let id = sent_survey(&app, &mut staff, false).await;
    let q = questions(&app, id).await;
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert!(resident.get(&format!("/surveys/{id}")).await.text.contains(zh("survey.named_said")));
    let fields = [
        (format!("q{}", q[0].0), q[0].1[1].to_string()),
        (format!("q{}", q[2].0), "3".to_owned()),
        (format!("q{}", q[3].0), "楼下路边".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = resident.post_form(&format!("/surveys/{id}/answers"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM survey_responses WHERE survey_id = $1 AND resident_id IS NOT NULL AND account_id IS NOT NULL", id).await,
        1,
        "a named response keeps who gave it"
    );
    let name: String = read!(app.db.store, |d| sqlx::query_scalar("SELECT name FROM residents WHERE id = $1")
        .bind(app.demo.resident_id)
        .fetch_one(d)
        .await
        .unwrap());
    let page = staff.get(&format!("/surveys/{id}/results")).await;
    assert!(page.text.contains("楼下路边") && page.text.contains(&name), "the organisers read who said it");

    // To a role: the grid workers answer it, a resident never sees it.
    let today = linli_store::today().to_string();
    let r = staff
        .post_form(
            &format!("/communities/{c}/surveys"),
            &[
                ("title", "网格员工作量调查"),
                ("audience", "roles"),
                ("target_roles", "grid_worker"),
                ("answer_from", &today),
                ("answer_until", &today),
            ],
        )
        .await;
    let role_survey: i64 = r.location().unwrap().trim_start_matches("/surveys/").parse().unwrap();
    staff
        .post_form(
            &format!("/surveys/{role_survey}/questions"),
            &[("kind", "rating"), ("prompt", "本月工作量"), ("required", "1")],
        )
        .await;
    assert_eq!(staff.post_form(&format!("/surveys/{role_survey}/send"), &[]).await.status, StatusCode::SEE_OTHER);
    let workers = count(
        &app,
        "SELECT COUNT(DISTINCT account_id) FROM role_assignments WHERE community_id = $1 AND role = 'grid_worker'",
        c,
    )
    .await;
    assert_eq!(app.db.store.survey(role_survey).await.unwrap().invited, workers);
    assert_eq!(resident.get(&format!("/surveys/{role_survey}")).await.status, StatusCode::NOT_FOUND);
    let mut worker = app.signed_in("wangge1").await;
    let rating = format!("q{}", questions(&app, role_survey).await[0].0);
    let r = worker.post_form(&format!("/surveys/{role_survey}/answers"), &[(&rating, "4")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = worker.post_form(&format!("/surveys/{role_survey}/answers"), &[(&rating, "5")]).await;
    assert!(r.text.contains(&refusal("survey", "error.survey.answered")));
});

dual_backend_test!(the_property_satisfaction_survey_is_scored_into_its_quarter, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let company: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM organisations WHERE community_id = $1 AND kind = 'property_company' ORDER BY id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap());
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let card = staff.get(&format!("/organisations/{company}/scorecard")).await;
    assert!(card.text.contains(zh("scorecard.start_survey")));
    let r = staff.post_form(&format!("/organisations/{company}/satisfaction-survey"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id: i64 = r.location().unwrap().trim_start_matches("/surveys/").parse().unwrap();
    let s = app.db.store.survey(id).await.unwrap();
    assert!(s.anonymous && s.organisation_id == Some(company));
    let q = questions(&app, id).await;
    assert_eq!(q.len(), 6, "the standard questions");
    assert_eq!(staff.post_form(&format!("/surveys/{id}/send"), &[]).await.status, StatusCode::SEE_OTHER);

    // Three residents rate the service 5, 4 and 2 overall.
    let people = adults_in_grid(&app, app.demo.grid_ids[0], 3).await;
    for (i, (resident, overall)) in people.iter().zip(["5", "4", "2"]).enumerate() {
        verified_account(&app.db.store, c, &format!("manyi{i}"), *resident).await;
        let mut b = app.signed_in(&format!("manyi{i}")).await;
        let fields: Vec<(String, String)> = std::iter::once((format!("q{}", q[0].0), overall.to_owned()))
            .chain(q[1..4].iter().map(|x| (format!("q{}", x.0), "3".to_owned())))
            .chain(std::iter::once((format!("q{}", q[4].0), q[4].1[0].to_string())))
            .collect();
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = b.post_form(&format!("/surveys/{id}/answers"), &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let quarter = linli_domain::scorecard::quarter_of(linli_store::today());
    assert!(app.db.store.property_surveys(company, &quarter).await.unwrap().is_empty(), "counted when it closes");
    assert_eq!(staff.post_form(&format!("/surveys/{id}/close"), &[]).await.status, StatusCode::SEE_OTHER);
    let surveys = app.db.store.property_surveys(company, &quarter).await.unwrap();
    assert_eq!(surveys.len(), 1);
    assert_eq!(
        (surveys[0].run_by.as_str(), surveys[0].respondents, surveys[0].satisfied),
        ("residents_committee", 3, 2)
    );
    let card = staff.get(&format!("/organisations/{company}/scorecard")).await;
    assert!(card.text.contains("2 / 3"), "the scorecard shows the survey's count");

    // The owners' committee's survey of the same quarter is scored by the notification
    // worker once its window has ended, and once only.
    let mut committee = app.signed_in("yeweihui").await;
    let r = committee.post_form(&format!("/organisations/{company}/satisfaction-survey"), &[]).await;
    let theirs: i64 = r.location().unwrap().trim_start_matches("/surveys/").parse().unwrap();
    assert_eq!(committee.post_form(&format!("/surveys/{theirs}/send"), &[]).await.status, StatusCode::SEE_OTHER);
    let q = questions(&app, theirs).await;
    let mut b = app.signed_in("manyi0").await;
    let fields = [(format!("q{}", q[0].0), "5".to_owned())]
        .into_iter()
        .chain(q[1..4].iter().map(|x| (format!("q{}", x.0), "4".to_owned())))
        .chain(std::iter::once((format!("q{}", q[4].0), q[4].1[1].to_string())))
        .collect::<Vec<_>>();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(b.post_form(&format!("/surveys/{theirs}/answers"), &fields).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.score_ended_surveys().await.unwrap(), 0, "still open");
    let yesterday = (linli_store::today() - chrono::Days::new(1)).to_string();
    let store = &app.db.store;
    linli_store::transaction!(store, |tx| {
        linli_store::exec!(
            tx,
            sqlx::query("UPDATE surveys SET opens_on = $1, closes_on = $1 WHERE id = $2").bind(&yesterday).bind(theirs)
        )?;
    })
    .unwrap();
    assert_eq!(app.db.store.score_ended_surveys().await.unwrap(), 1);
    assert_eq!(app.db.store.score_ended_surveys().await.unwrap(), 0, "scored once");
    let surveys = app.db.store.property_surveys(company, &quarter).await.unwrap();
    let owners = surveys.iter().find(|s| s.run_by == "owners_committee").expect("the committee's count");
    assert_eq!((owners.respondents, owners.satisfied), (1, 1));
});
