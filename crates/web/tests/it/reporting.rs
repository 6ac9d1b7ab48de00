//! A resident's report as the resident follows it, and the separation of duties, on both
//! backends: the resident is told each step that matters in plain words (taken on, refused
//! with the reason, sent to whom, handled, closed, redone, reopened), sees their reports
//! and what happens next, reads only the notes staff made public, and must give a reason
//! and confirm before reopening; whoever handled a case does not verify it, and a grid
//! worker's own on-the-spot fix does not ask him to rate it.

use axum::http::StatusCode;
use linli_test_support::{Browser, TestApp, dual_backend_test, zh, zh_fill};

/// Reports as `b` in grid 1 and returns the case's number and the page after the report.
async fn report(b: &mut Browser, app: &TestApp, category: &str, text: &str, extra: &[(&str, &str)]) -> (i64, String) {
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let cat = app.category_id(category).await.to_string();
    let mut fields = vec![("category_id", cat.as_str()), ("description", text), ("building_id", building.as_str())];
    fields.extend_from_slice(extra);
    let r = b.post_form(&format!("/communities/{}/cases", app.demo.community_id), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let location = r.location().unwrap().to_owned();
    let id = location.trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap();
    (id, b.get(&location).await.text)
}

async fn step(b: &mut Browser, case: i64, fields: &[(&str, &str)]) -> linli_test_support::Reply {
    b.post_form(&format!("/cases/{case}/steps"), fields).await
}

/// The newest notice about `case` in the inbox of `b`, as it reads.
async fn told(b: &mut Browser, case: i64) -> String {
    let inbox = b.get("/inbox").await.text;
    let link = format!("<a href=\"/cases/{case}\">");
    let at = inbox.find(&link).unwrap_or_else(|| panic!("no notice of #{case} in {inbox}"));
    let rest = &inbox[at + link.len()..];
    rest[..rest.find("</a>").unwrap()].replace("<b>", "").replace("</b>", "")
}

dual_backend_test!(a_resident_is_told_each_step_in_plain_words_and_reads_only_public_notes, |db| {
    let app = TestApp::new(db).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let home = resident.get("/").await.text;
    assert!(
        home.contains(zh("home.report")) && home.contains(zh("home.my_reports")),
        "the resident's home leads with reporting"
    );

    let (case, page) = report(&mut resident, &app, "0103", "2单元楼道堆满纸箱，挡住了消防通道", &[]).await;
    assert!(page.contains(&format!("已提交，编号 #{case}")), "the page after reporting says it was sent");
    assert!(page.contains("下一步") && page.contains("受理后3 个工作日内处理"), "and what happens next, by when");
    let home = resident.get("/").await.text;
    assert!(
        home.contains(&format!("#{case} ")) && home.contains(zh("case.plain.reported")),
        "my reports, in plain words"
    );
    assert!(page.contains(">已提交，待受理</span>"), "the case page too says it in plain words");

    let mut staff = app.signed_in("shequ").await;
    let mut worker = app.signed_in("wangge1").await;
    let mut property = app.signed_in(&app.login_of(linli_domain::Role::PropertyStaff)).await;
    assert_eq!(step(&mut staff, case, &[("step", "register")]).await.status, StatusCode::SEE_OTHER);
    let deadline = app.db.store.case(case).await.unwrap().deadline.unwrap();
    let due = linli_domain::worktime::china_time(deadline).format("%Y-%m-%d").to_string();
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已受理，预计 {due} 前办结"));
    assert_eq!(step(&mut staff, case, &[("step", "dispatch")]).await.status, StatusCode::SEE_OTHER);
    let org = app.db.store.case(case).await.unwrap().assignee_organisation_id.unwrap();
    let org = app.db.store.organisation(org).await.unwrap().name;
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已交给{org}办理"));
    let home = resident.get("/").await.text;
    assert!(home.contains(zh("case.plain.accepted")) && home.contains(&format!("预计 {due} 前办结")), "{home}");

    // The property company's internal note stays inside; the grid worker's public one and
    // the company's public answer reach the resident.
    assert_eq!(step(&mut property, case, &[("step", "accept")]).await.status, StatusCode::SEE_OTHER);
    let internal = "业主脾气急，先电话沟通再上门";
    assert_eq!(
        step(&mut property, case, &[("step", "feedback"), ("note", internal)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已处理，社区核查后办结。"));
    let checked = [("step", "verify_fail"), ("note", "门口还有两箱没清走"), ("public_note", "1")];
    assert_eq!(step(&mut worker, case, &checked).await.status, StatusCode::SEE_OTHER);
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 核查未通过，已要求重新处理"));
    assert_eq!(step(&mut property, case, &[("step", "accept")]).await.status, StatusCode::SEE_OTHER);
    let answer = [("step", "feedback"), ("note", "纸箱已全部清走"), ("public_note", "1")];
    assert_eq!(step(&mut property, case, &answer).await.status, StatusCode::SEE_OTHER);
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已处理，社区核查后办结。纸箱已全部清走"));
    let page = resident.get(&format!("/cases/{case}")).await.text;
    assert!(!page.contains(internal), "a staff note is internal unless made public");
    assert!(page.contains("门口还有两箱没清走") && page.contains("纸箱已全部清走"));
    assert!(staff.get(&format!("/cases/{case}")).await.text.contains(internal), "staff read it");
    assert_eq!(step(&mut worker, case, &[("step", "verify_pass")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已办结，欢迎评价"));

    // The rating starts empty and says so when sent empty; reopening asks a reason and a
    // confirmation.
    let page = resident.get(&format!("/cases/{case}")).await.text;
    assert!(page.contains("<select id=\"stars\" name=\"stars\" required><option value=\"\">请选择</option>"));
    let r = step(&mut resident, case, &[("step", "rate"), ("stars", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.stars")), "the error names the rating");
    let r = step(&mut resident, case, &[("step", "reopen"), ("note", "纸箱又堆回来了")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("error.case.reopen_confirm")));
    let r = step(&mut resident, case, &[("step", "reopen"), ("confirm_reopen", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("error.case.reopen_reason")));
    assert_eq!(app.db.store.case(case).await.unwrap().state, "closed", "nothing changed");
    let r = step(&mut resident, case, &[("step", "reopen"), ("note", "纸箱又堆回来了"), ("confirm_reopen", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_ne!(app.db.store.case(case).await.unwrap().state, "closed");
    assert!(
        told(&mut property, case).await.contains(&zh_fill("notify.reopened", &[("id", &case)])),
        "the handler is told"
    );
    assert!(resident.get(&format!("/cases/{case}")).await.text.contains("纸箱又堆回来了"), "one's own reason");

    // A refusal reaches the resident with its reason.
    let (refused, _) = report(&mut resident, &app, "0103", "楼道里又有纸箱了", &[]).await;
    let why = [("step", "refuse"), ("note", "与上一件报事重复，已合并处理")];
    assert_eq!(step(&mut staff, refused, &why).await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        told(&mut resident, refused).await,
        format!("您的报事 #{refused} 未予受理。原因：与上一件报事重复，已合并处理")
    );
    assert!(resident.get(&format!("/cases/{refused}")).await.text.contains("与上一件报事重复"));
    assert!(resident.get("/").await.text.contains(zh("case.plain.refused")));
});

dual_backend_test!(whoever_handles_a_case_does_not_verify_it_nor_rate_his_own_fix, |db| {
    let app = TestApp::new(db).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let mut staff = app.signed_in("shequ").await;
    let mut worker = app.signed_in("wangge1").await;
    // Waste not sorted: the grid worker handles it himself.
    let (case, _) = report(&mut resident, &app, "0102", "垃圾桶旁边的厨余垃圾没有分类", &[]).await;
    for s in ["register", "dispatch"] {
        assert_eq!(step(&mut staff, case, &[("step", s)]).await.status, StatusCode::SEE_OTHER);
    }
    let wangge1 = app.demo.accounts.iter().find(|a| a.login == "wangge1").unwrap().account_id;
    assert_eq!(app.db.store.case(case).await.unwrap().assignee_account_id, Some(wangge1));
    assert_eq!(step(&mut worker, case, &[("step", "accept")]).await.status, StatusCode::SEE_OTHER);
    let done = [("step", "feedback"), ("note", "已上门讲解分类，重新分拣")];
    assert_eq!(step(&mut worker, case, &done).await.status, StatusCode::SEE_OTHER);
    let page = worker.get(&format!("/cases/{case}")).await.text;
    assert!(!page.contains("value=\"verify_pass\""), "the handler is not offered the check of his own work");
    assert_eq!(step(&mut worker, case, &[("step", "verify_pass")]).await.status, StatusCode::FORBIDDEN);
    assert!(staff.get(&format!("/cases/{case}")).await.text.contains("value=\"verify_pass\""));
    assert_eq!(step(&mut staff, case, &[("step", "verify_pass")]).await.status, StatusCode::SEE_OTHER);

    // A grid worker's own fix on the spot is closed at once, counted as 自办自结, and does
    // not ask him to rate it.
    let (own, page) = report(&mut worker, &app, "0102", "垃圾桶满溢，已叫保洁清运", &[("self_resolved", "1")]).await;
    assert!(page.contains(zh("cases.self_resolved_tag")), "{page}");
    let row = app.db.store.case(own).await.unwrap();
    assert!(row.state == "closed" && row.self_resolved);
    assert!(!page.contains("value=\"rate\"") && !page.contains("value=\"reopen\""));
    assert_eq!(step(&mut worker, own, &[("step", "rate"), ("stars", "5")]).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(staff_choose_who_receives_a_case_and_a_wrong_dispatch_comes_back, |db| {
    let app = TestApp::new(db).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let mut staff = app.signed_in("shequ").await;
    let mut social = app.signed_in(&app.login_of(linli_domain::Role::SocialOrgStaff)).await;
    let parties = app.db.store.organisations(app.demo.community_id).await.unwrap();
    let property = parties.iter().find(|o| o.kind == "property_company").unwrap();
    let counsel = parties.iter().find(|o| o.kind == "social_organisation").unwrap();

    let (case, _) = report(&mut resident, &app, "0103", "楼道里堆着旧沙发，过不去", &[]).await;
    assert_eq!(step(&mut staff, case, &[("step", "register")]).await.status, StatusCode::SEE_OTHER);
    // The dispatch shows who will receive it, the category's default chosen, and the others.
    let page = staff.get(&format!("/cases/{case}")).await.text;
    let default = format!("<option value=\"party:{}\" selected>{} （按类别默认）</option>", property.id, property.name);
    assert!(page.contains(&default), "{page}");
    assert!(page.contains(&format!("value=\"party:{}\"", counsel.id)) && page.contains("value=\"community\""));
    assert!(page.contains("刘洋（第1网格"), "grid workers by name and grid");

    let r = step(&mut staff, case, &[("step", "dispatch"), ("dispatch_to", "party:999999")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a party outside the community is refused");
    let to = format!("party:{}", counsel.id);
    assert_eq!(
        step(&mut staff, case, &[("step", "dispatch"), ("dispatch_to", &to)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.db.store.case(case).await.unwrap().assignee_organisation_id, Some(counsel.id));
    assert_eq!(told(&mut resident, case).await, format!("您的报事 #{case} 已交给{}办理", counsel.name));

    // Not theirs: the social organisation hands it back with the reason, and the staff are told.
    assert_eq!(step(&mut social, case, &[("step", "hand_back")]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let back = [("step", "hand_back"), ("note", "属于物业维修范围，不是社工站的服务")];
    assert_eq!(step(&mut social, case, &back).await.status, StatusCode::SEE_OTHER);
    let row = app.db.store.case(case).await.unwrap();
    assert_eq!((row.state.as_str(), row.assignee_organisation_id), ("registered", None));
    assert_eq!(social.get(&format!("/cases/{case}")).await.status, StatusCode::NOT_FOUND, "no longer theirs");
    assert_eq!(
        told(&mut staff, case).await,
        format!("事件 #{case} 被承办方退回，请重新派遣。原因：属于物业维修范围，不是社工站的服务")
    );
    assert_eq!(step(&mut staff, case, &[("step", "dispatch")]).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.case(case).await.unwrap().assignee_organisation_id, Some(property.id), "the default");

    // The indicators name the parties that hold cases, not only people.
    let mut director = app.signed_in("shuji").await;
    let page = director.get(&format!("/communities/{}/indicators", app.demo.community_id)).await.text;
    let by_holder = &page[page.find("按承办人").expect("the breakdown by holder")..];
    assert!(by_holder.contains(&property.name), "the property company's cases under its name");
});
