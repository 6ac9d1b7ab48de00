//! The joint mechanism through the pages, on both backends: a ledger item raised from a case
//! goes on a meeting's agenda, gets a resolution with a responsible party and a deadline,
//! opens a case that goes round the loop, and is struck off when the case is closed; bad
//! input is refused naming the field with nothing written; a party reaches only its own
//! resolutions; an overdue resolution is escalated to the Party secretary and opens the next
//! meeting's agenda; a parent's progress is its parts' weighted sum.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_test_support::{Browser, TestApp, dual_backend_test, in_days, zh, zh_fill};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

/// China time `hours` from now, as a `datetime-local` input sends it.
fn local_time(hours: i64) -> String {
    let ms = linli_store::now_ms() + hours * 3_600_000;
    linli_domain::worktime::china_time(ms).format("%Y-%m-%dT%H:%M").to_string()
}

async fn party_id(app: &TestApp, kind: &str) -> i64 {
    let orgs = app.db.store.organisations(app.demo.community_id).await.unwrap();
    orgs.iter().find(|o| o.kind == kind).unwrap().id
}

/// Schedules a meeting `hours` from now (negative: it has begun) and returns its id.
async fn schedule(app: &TestApp, director: &mut Browser, title: &str, hours: i64) -> i64 {
    let c = app.demo.community_id;
    let at = local_time(hours);
    let fields = [
        ("title", title),
        ("starts_at", at.as_str()),
        ("venue", "党群服务中心二楼会议室"),
        ("guests", "社区民警 李警官"),
    ];
    let r = director.post_form(&format!("/communities/{c}/meetings"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    r.location().unwrap().trim_start_matches("/meetings/").parse().unwrap()
}

async fn step(b: &mut Browser, case: i64, step: &str, note: &str) -> StatusCode {
    b.post_form(&format!("/cases/{case}/steps"), &[("step", step), ("note", note)]).await.status
}

dual_backend_test!(a_ledger_item_goes_to_a_meeting_a_resolution_a_case_and_is_struck_off, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let ledger = format!("/communities/{c}/ledger");
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let mut director = app.signed_in("shuji").await;
    let mut property = app.signed_in(&app.login_of(Role::PropertyStaff)).await;
    let mut social = app.signed_in(&app.login_of(Role::SocialOrgStaff)).await;
    let mut committee = app.signed_in(&app.login_of(Role::OwnersCommitteeMember)).await;
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert_eq!(resident.get(&ledger).await.status, StatusCode::FORBIDDEN, "residents propose, not raise");

    // A case as source needs its number, of this community.
    let r =
        staff.post_form(&ledger, &[("source", "case"), ("title", "7号楼地下车库反复积水"), ("item_text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("case_id", "error.joint.case")));
    let r = staff
        .post_form(&ledger, &[("source", "case"), ("title", "7号楼地下车库反复积水"), ("case_id", "999999")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.store.ledger(c).await.unwrap().is_empty(), "nothing half-written");
    // Raised from the case's page (not offered to its reporter): the form comes filled in.
    let case = app.demo.case_id.to_string();
    let link = format!("/communities/{c}/ledger?case={case}");
    assert!(staff.get(&format!("/cases/{case}")).await.text.contains(&link));
    assert!(!resident.get(&format!("/cases/{case}")).await.text.contains(&link));
    let form = staff.get(&format!("{ledger}?case={case}")).await;
    assert!(form.text.contains(&format!("value=\"{case}\"")));
    let fields = [
        ("source", "case"),
        ("title", "7号楼地下车库反复积水"),
        ("item_text", "雨天积水，物业抽水后又积"),
        ("case_id", case.as_str()),
    ];
    assert_eq!(staff.post_form(&ledger, &fields).await.status, StatusCode::SEE_OTHER);
    // A motion is the owners' committee's; a party's request is the party's own.
    let r = committee.post_form(&ledger, &[("source", "party_request"), ("title", "物业费调整")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "the committee raises motions");
    let r = committee.post_form(&ledger, &[("source", "motion"), ("title", "小区公共收益公开")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = property.post_form(&ledger, &[("source", "party_request"), ("title", "电动车进楼充电劝阻难")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let items = app.db.store.ledger(c).await.unwrap();
    assert_eq!(items.len(), 3);
    let motion = items.iter().find(|i| i.title == "小区公共收益公开").unwrap();
    assert_eq!(motion.organisation_id, Some(party_id(&app, "owners_committee").await));
    let request = items.iter().find(|i| i.title == "电动车进楼充电劝阻难").unwrap();
    assert_eq!(request.organisation_id, Some(party_id(&app, "property_company").await));
    let flood = items.iter().find(|i| i.case_id.is_some()).unwrap().id;

    // The Party secretary convenes; every party is invited and told.
    let meeting = schedule(&app, &mut director, "12月社区联席会议", -1).await;
    assert!(property.get("/inbox").await.text.contains("联席会议通知：12月社区联席会议"));
    let page = director.get(&format!("/meetings/{meeting}")).await.text;
    assert!(page.contains("社区民警 李警官") && page.contains("安居物业服务有限公司"));
    let r = director.post_form(&format!("/meetings/{meeting}/agenda"), &[("items", &flood.to_string())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.ledger_item(flood).await.unwrap().status.as_str(), "on_agenda");
    let members = app.db.store.meeting_members(meeting).await.unwrap();
    let present: Vec<String> = members.iter().take(4).map(|m| m.id.to_string()).collect();
    let mut minutes = vec![("minutes", "会议研究了7号楼车库积水问题，决定由物业疏通排水沟并加装挡水板。")];
    minutes.extend(present.iter().map(|p| ("present", p.as_str())));
    assert_eq!(
        director.post_form(&format!("/meetings/{meeting}/minutes"), &minutes).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.db.store.meeting_members(meeting).await.unwrap().iter().filter(|m| m.present).count(), 4);

    // A resolution needs a responsible party and a deadline; nothing is kept without them.
    let resolve = format!("/meetings/{meeting}/resolutions");
    let property_id = party_id(&app, "property_company").await.to_string();
    let due = in_days(10);
    let flood_id = flood.to_string();
    let r = director.post_form(&resolve, &[("title", "疏通车库排水沟"), ("due_on", due.as_str())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("organisation_id", "error.joint.responsible")));
    let r =
        director.post_form(&resolve, &[("title", "疏通车库排水沟"), ("organisation_id", property_id.as_str())]).await;
    assert!(r.text.contains(&refusal("due_on", "error.joint.due_missing")));
    assert!(app.db.store.meeting_resolutions(meeting).await.unwrap().is_empty());
    let fields = [
        ("title", "疏通车库排水沟并加装挡水板"),
        ("organisation_id", property_id.as_str()),
        ("due_on", due.as_str()),
        ("ledger_item_id", flood_id.as_str()),
    ];
    assert_eq!(director.post_form(&resolve, &fields).await.status, StatusCode::SEE_OTHER);
    let res = app.db.store.meeting_resolutions(meeting).await.unwrap()[0].id;
    assert!(property.get("/inbox").await.text.contains("联席会议决议由您单位负责：疏通车库排水沟并加装挡水板"));

    // Its party reports progress; another party cannot reach it.
    let r = property
        .post_form(&format!("/resolutions/{res}/progress"), &[("progress", "30"), ("note", "排水沟已清淤")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(property.get(&format!("/resolutions/{res}")).await.text.contains("<b>30%</b>"));
    let r = social.post_form(&format!("/resolutions/{res}/progress"), &[("progress", "90")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not the social organisation's resolution");
    assert!(property.get(&format!("/communities/{c}/resolutions")).await.text.contains("疏通车库排水沟并加装挡水板"));
    assert!(!social.get(&format!("/communities/{c}/resolutions")).await.text.contains("疏通车库排水沟并加装挡水板"));
    assert!(property.get("/").await.text.contains(&zh_fill("todo.resolutions_mine", &[("n", &1)])));

    // Field work opens a case; the resolution then follows the case round the loop.
    let cat = app.category_id("0103").await.to_string();
    let grid = app.demo.grid_ids[0].to_string();
    let fields =
        [("category_id", cat.as_str()), ("grid_id", grid.as_str()), ("description", "7号楼车库排水沟疏通，加装挡水板")];
    let r = property.post_form(&format!("/resolutions/{res}/case"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case: i64 = r.location().unwrap().trim_start_matches("/cases/").parse().unwrap();
    let again = property.post_form(&format!("/resolutions/{res}/case"), &fields).await;
    assert_eq!(again.location(), r.location(), "a second click reaches the same case");
    assert_eq!(app.db.store.case(case).await.unwrap().source.as_str(), "meeting");
    assert_eq!(app.db.store.resolution(res).await.unwrap().progress, 0);
    let r = director.post_form(&format!("/resolutions/{res}/strike"), &[("evidence", "已完工")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("evidence", "error.joint.case_open")));
    assert_eq!(step(&mut staff, case, "register", "").await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut staff, case, "dispatch", "").await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut property, case, "accept", "").await, StatusCode::SEE_OTHER);
    assert_eq!(step(&mut property, case, "feedback", "排水沟疏通，挡水板装好").await, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.resolution(res).await.unwrap().progress, 80);
    assert_eq!(step(&mut staff, case, "verify_pass", "现场查看无积水").await, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.resolution(res).await.unwrap().progress, 100);

    // Struck off with evidence: the ledger item is resolved.
    let r = director.post_form(&format!("/resolutions/{res}/strike"), &[("evidence", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        director.post_form(&format!("/resolutions/{res}/strike"), &[("evidence", "事件办结，雨后回访无积水")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.ledger_item(flood).await.unwrap().status.as_str(), "resolved");
    let page = director.get(&format!("/resolutions/{res}")).await.text;
    assert!(page.contains(zh("resolution.standing.done")) && page.contains("事件办结，雨后回访无积水"));
    let r = property.post_form(&format!("/resolutions/{res}/progress"), &[("progress", "50")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "nothing more on a struck-off resolution");

    // The secretary posts the resolutions and their progress on the public board.
    assert_eq!(property.post_form(&format!("/meetings/{meeting}/post"), &[]).await.status, StatusCode::FORBIDDEN);
    let r = director.post_form(&format!("/meetings/{meeting}/post"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let board = app.browser().get(&format!("/board/{c}")).await.text;
    assert!(board.contains("12月社区联席会议决议落实情况"));
    assert!(board.contains("1. 疏通车库排水沟并加装挡水板：安居物业服务有限公司") && board.contains("，已销号"));

    // A dropped item says why to whoever raised it.
    let request = request.id;
    let r = director.post_form(&format!("{ledger}/{request}/drop"), &[("drop_reason", "已由物业自行解决")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(property.get(&ledger).await.text.contains("已由物业自行解决"));
});

dual_backend_test!(an_overdue_resolution_is_escalated_and_opens_the_next_agenda, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut director = app.signed_in("shuji").await;
    let mut property = app.signed_in(&app.login_of(Role::PropertyStaff)).await;
    // A meeting a month ago whose resolution fell due ten days ago.
    let earlier = schedule(&app, &mut director, "11月社区联席会议", -30 * 24).await;
    let property_id = party_id(&app, "property_company").await.to_string();
    let late = in_days(-10);
    let fields = [("title", "更换5号楼单元门禁"), ("organisation_id", property_id.as_str()), ("due_on", late.as_str())];
    assert_eq!(
        director.post_form(&format!("/meetings/{earlier}/resolutions"), &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let soon = in_days(2);
    let fields = [("title", "清理楼顶违规堆放"), ("organisation_id", property_id.as_str()), ("due_on", soon.as_str())];
    assert_eq!(
        director.post_form(&format!("/meetings/{earlier}/resolutions"), &fields).await.status,
        StatusCode::SEE_OTHER
    );

    let now = linli_store::now_ms();
    let sweep = app.db.store.sweep_resolutions(linli_store::today(), now).await.unwrap();
    assert_eq!((sweep.reminded, sweep.escalated), (1, 1));
    let again = app.db.store.sweep_resolutions(linli_store::today(), now + 60_000).await.unwrap();
    assert_eq!((again.reminded, again.escalated), (0, 0), "each said once");
    assert!(director.get("/inbox").await.text.contains("决议超期未完成，请督办：更换5号楼单元门禁"));
    let inbox = property.get("/inbox").await.text;
    assert!(inbox.contains("决议已超期：更换5号楼单元门禁") && inbox.contains("决议即将到期：清理楼顶违规堆放"));
    assert!(director.get("/").await.text.contains(&zh_fill("todo.resolutions_overdue", &[("n", &1)])));

    // The secretary's list: overdue first.
    let list = director.get(&format!("/communities/{c}/resolutions")).await.text;
    let (overdue, due_soon) = (list.find("更换5号楼单元门禁").unwrap(), list.find("清理楼顶违规堆放").unwrap());
    assert!(overdue < due_soon);
    // The next meeting's agenda opens with the unfinished resolutions.
    let next = schedule(&app, &mut director, "12月社区联席会议", 2).await;
    let page = director.get(&format!("/meetings/{next}")).await.text;
    let carried = page.find(zh("meeting.carried")).unwrap();
    assert!(page[carried..].contains("更换5号楼单元门禁"));
    // A meeting that has not begun has no minutes and no resolutions yet.
    let r =
        director.post_form(&format!("/meetings/{next}/minutes"), &[("minutes", "会议纪要内容至少十个字以上")]).await;
    assert!(r.text.contains(&refusal("minutes", "error.joint.not_yet")));
    // The follow-up goes to the party.
    let res = app.db.store.open_resolutions(c, None).await.unwrap()[0].id;
    let r = director.post_form(&format!("/resolutions/{res}/urge"), &[("note", "请本周内报完工时间")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(property.get("/inbox").await.text.contains("决议督办：请本周内报完工时间"));
    // Open resolutions go on the board with their progress beside their deadline.
    let r = director.post_form(&format!("/meetings/{earlier}/post"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let board = app.browser().get(&format!("/board/{c}")).await.text;
    assert!(board.contains(&format!("更换5号楼单元门禁：安居物业服务有限公司，完成期限 {late}，0%")), "{board}");
    // The calendar lists both meetings.
    let ics = director.get(&format!("/communities/{c}/meetings.ics")).await;
    assert!(ics.headers["content-type"].to_str().unwrap().starts_with("text/calendar"));
    assert_eq!(ics.text.matches("BEGIN:VEVENT").count(), 2);
    assert!(ics.text.contains("SUMMARY:12月社区联席会议"));
});

dual_backend_test!(a_resolution_in_parts_takes_their_weighted_progress, |db| {
    let app = TestApp::new(db).await;
    let mut director = app.signed_in("shuji").await;
    let mut property = app.signed_in(&app.login_of(Role::PropertyStaff)).await;
    let meeting = schedule(&app, &mut director, "12月社区联席会议", -1).await;
    let resolve = format!("/meetings/{meeting}/resolutions");
    let property_id = party_id(&app, "property_company").await.to_string();
    let residents = party_id(&app, "residents_committee").await.to_string();
    let due = in_days(30);
    let whole = [("title", "老旧小区加装电梯"), ("organisation_id", residents.as_str()), ("due_on", due.as_str())];
    assert_eq!(director.post_form(&resolve, &whole).await.status, StatusCode::SEE_OTHER);
    let parent = app.db.store.meeting_resolutions(meeting).await.unwrap()[0].id.to_string();
    let r = director
        .post_form(
            &resolve,
            &[
                ("title", "无父项权重"),
                ("organisation_id", residents.as_str()),
                ("due_on", due.as_str()),
                ("weight", "50"),
            ],
        )
        .await;
    assert!(r.text.contains(&refusal("weight", "error.joint.weight_alone")));
    for (title, org, weight) in
        [("征求全体业主意见", residents.as_str(), "20"), ("施工与验收", property_id.as_str(), "80")]
    {
        let part = [
            ("title", title),
            ("organisation_id", org),
            ("due_on", due.as_str()),
            ("parent_id", parent.as_str()),
            ("weight", weight),
        ];
        assert_eq!(director.post_form(&resolve, &part).await.status, StatusCode::SEE_OTHER);
    }
    let parts = app.db.store.meeting_resolutions(meeting).await.unwrap();
    let build = parts.iter().find(|r| r.title == "施工与验收").unwrap().id;
    let ask = parts.iter().find(|r| r.title == "征求全体业主意见").unwrap().id;
    let r = property.post_form(&format!("/resolutions/{build}/progress"), &[("progress", "50")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Staff act for the residents' committee.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    assert_eq!(
        staff.post_form(&format!("/resolutions/{ask}/progress"), &[("progress", "100")]).await.status,
        StatusCode::SEE_OTHER
    );
    let parent: i64 = parent.parse().unwrap();
    // 20% × 100 + 80% × 50 = 60.
    assert_eq!(app.db.store.resolution(parent).await.unwrap().progress, 60);
    let r = staff.post_form(&format!("/resolutions/{parent}/progress"), &[("progress", "10")]).await;
    assert!(r.text.contains(&refusal("progress", "error.joint.progress_derived")));
    let r = director.post_form(&format!("/resolutions/{parent}/strike"), &[("evidence", "电梯已投入使用")]).await;
    assert!(r.text.contains(&refusal("evidence", "error.joint.children_open")), "the parts first");
});

dual_backend_test!(the_minutes_carry_documents_the_table_reads, |db| {
    let app = TestApp::new(db).await;
    let mut director = app.signed_in(&app.login_of(Role::CommunityDirector)).await;
    let meeting = schedule(&app, &mut director, "十二月联席会议", -1).await;
    let path = format!("/meetings/{meeting}/attachments");
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let r = director
        .post_multipart(&path, &[("document_title", "会议签到表")], &[("document", "sign.pdf", pdf.clone())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let files = app.db.store.attachments(linli_store::attachments::Owner::Meeting(meeting)).await.unwrap();
    let file = format!("{path}/{}", files[0].id);
    // A party at the table reads it; a resident does not sit there; another meeting's path
    // does not reach it.
    let mut property = app.signed_in("wuye").await;
    assert!(property.get(&format!("/meetings/{meeting}")).await.text.contains("会议签到表"));
    let page = director.get(&format!("/meetings/{meeting}")).await.text;
    assert!(page.contains(&format!("action=\"{path}?_csrf=")), "the upload form carries its token");
    assert_eq!(property.get(&file).await.text.as_bytes(), pdf.as_slice());
    let other = schedule(&app, &mut director, "一月联席会议", 24 * 30).await;
    assert_eq!(
        property.get(&format!("/meetings/{other}/attachments/{}", files[0].id)).await.status,
        StatusCode::NOT_FOUND
    );
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert_eq!(resident.get(&file).await.status, StatusCode::FORBIDDEN);
    let r = property.post_multipart(&path, &[("document_title", "x")], &[("document", "a.pdf", pdf)]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the conveners add documents");
});
