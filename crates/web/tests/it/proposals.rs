//! Residents' proposals through the pages, on both backends: a verified resident proposes;
//! bad input is refused naming the field; supports count once each, not the proposer's nor
//! an unverified account's; the threshold sends it to triage and tells the staff; editing
//! stops at the first support; the community accepts it onto the issues ledger; a reported
//! proposal hidden with a reason is gone for others but not for its proposer; other
//! residents see the proposer by surname only.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_test_support::{TestApp, dual_backend_test, resident_account, verified_account, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

/// Residents of record of the community other than the demo resident, `n` of them.
async fn other_residents(app: &TestApp, n: i64) -> Vec<i64> {
    let store = &app.db.store;
    linli_store::transaction!(store, |tx| {
        linli_store::on!(tx, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM residents WHERE community_id = $1 AND id <> $2 ORDER BY id LIMIT $3",
            )
            .bind(app.demo.community_id)
            .bind(app.demo.resident_id)
            .bind(n)
            .fetch_all(c)
            .await
        })?
    })
    .unwrap()
}

async fn verified(app: &TestApp, username: &str, resident: i64) -> i64 {
    verified_account(&app.db.store, app.demo.community_id, username, resident).await
}

dual_backend_test!(a_proposal_is_supported_to_its_threshold_and_taken_to_the_joint_meeting, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    // The community asks for 0.1% of adults: the floor of 10 supports.
    let r = staff.post_form(&format!("/communities/{c}/proposals/share"), &[("permille", "0")]).await;
    assert!(r.text.contains(&refusal("permille", "error.proposal.permille")));
    staff.post_form(&format!("/communities/{c}/proposals/share"), &[("permille", "1")]).await;
    assert_eq!(app.db.store.proposal_threshold(c).await.unwrap(), 10);

    let mut author = app.signed_in(&app.login_of(Role::Resident)).await;
    let create = format!("/communities/{c}/proposals");
    let r = author
        .post_form(&create, &[("title", "加装"), ("proposal_text", "建议在 3 号楼加装电梯，方便老人上下楼")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("title", "error.proposal.title")));
    let r = author
        .post_form(
            &create,
            &[("title", "3 号楼加装电梯"), ("proposal_text", "有意者请联系 13812345678，共同推动加装电梯")],
        )
        .await;
    assert!(r.text.contains(&refusal("proposal_text", "error.publicity.personal")), "no phone number in public text");
    assert!(app.db.store.proposals(c).await.unwrap().is_empty(), "nothing half-written");
    let r = author
        .post_form(
            &create,
            &[("title", "3 号楼加装电梯"), ("proposal_text", "3 号楼老人多，建议申请老旧小区加装电梯补贴")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = r.location().unwrap().to_owned();
    let id: i64 = page.trim_start_matches("/proposals/").parse().unwrap();
    let r = author.post_form(&format!("{page}/support"), &[]).await;
    assert!(r.text.contains(&refusal("support", "error.proposal.own")));
    let r = author
        .post_form(
            &format!("{page}/edit"),
            &[("title", "3 号楼加装电梯"), ("proposal_text", "3 号楼 60 岁以上老人 41 位，建议申请加装电梯补贴")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // An account that stands for nobody cannot support; a verified neighbour can, once.
    resident_account(&app.db.store, c, "xinlai", "新来的").await;
    let mut stranger = app.signed_in("xinlai").await;
    let r = stranger.post_form(&format!("{page}/support"), &[]).await;
    assert!(r.text.contains(&refusal("support", "error.proposal.not_resident")));
    let neighbours = other_residents(&app, 10).await;
    verified(&app, "linju1", neighbours[0]).await;
    let mut neighbour = app.signed_in("linju1").await;
    let shown = neighbour.get(&page).await.text;
    assert!(shown.contains("张*") && !shown.contains("张伟"), "other residents see a surname");
    assert!(staff.get(&page).await.text.contains("张伟"), "staff see who proposed it");
    assert_eq!(neighbour.post_form(&format!("{page}/support"), &[]).await.status, StatusCode::SEE_OTHER);
    let r = neighbour.post_form(&format!("{page}/support"), &[]).await;
    assert!(r.text.contains(&refusal("support", "error.proposal.twice")));
    assert_eq!(app.db.store.proposal(id).await.unwrap().supports, 1);
    let r = author
        .post_form(&format!("{page}/edit"), &[("title", "改个标题"), ("proposal_text", "支持之后再改内容是不行的")])
        .await;
    assert!(r.text.contains(&refusal("title", "error.proposal.supported")), "no edit after a support");

    // The tenth support reaches the threshold: triage, and the staff are told.
    let p = app.db.store.proposal(id).await.unwrap();
    let helper = verified(&app, "linju2", neighbours[1]).await;
    for resident in &neighbours[1..9] {
        app.db.store.support_proposal(&p, *resident, helper).await.unwrap();
    }
    assert_eq!(app.db.store.proposal(id).await.unwrap().status.as_str(), "open");
    let mut last = app.signed_in("linju2").await;
    // linju2 stands for neighbours[1], whose support is in: the tenth comes from another.
    let r = last.post_form(&format!("{page}/support"), &[]).await;
    assert!(r.text.contains(&refusal("support", "error.proposal.twice")));
    verified(&app, "linju10", neighbours[9]).await;
    let mut tenth = app.signed_in("linju10").await;
    assert_eq!(tenth.post_form(&format!("{page}/support"), &[]).await.status, StatusCode::SEE_OTHER);
    let p = app.db.store.proposal(id).await.unwrap();
    assert_eq!((p.supports, p.status.as_str()), (10, "triage"));
    assert_eq!(app.db.store.counted_supports(id).await.unwrap(), 10);
    assert!(staff.get("/inbox").await.text.contains("居民议题附议已达门槛，请研究答复：3 号楼加装电梯"));
    assert!(staff.get("/").await.text.contains(&linli_test_support::zh_fill("todo.proposals_triage", &[("n", &1)])));

    // Accepted: onto the ledger, and the proposer is told.
    let r = staff.post_form(&format!("{page}/decide"), &[("decision", "accept"), ("answer", "")]).await;
    assert!(r.text.contains(&refusal("answer", "error.proposal.answer")));
    let r =
        staff.post_form(&format!("{page}/decide"), &[("decision", "accept"), ("answer", "提交本月联席会议研究")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let p = app.db.store.proposal(id).await.unwrap();
    let item = app.db.store.ledger_item(p.ledger_item_id.unwrap()).await.unwrap();
    assert_eq!((item.source.as_str(), item.title.as_str()), ("proposal", "3 号楼加装电梯"));
    assert!(author.get("/inbox").await.text.contains("您的议题已提交联席会议：3 号楼加装电梯"));
    let r = tenth.post_form(&format!("{page}/support"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no support after the answer");
});

dual_backend_test!(a_reported_proposal_hidden_with_a_reason_is_gone_for_others, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut author = app.signed_in(&app.login_of(Role::Resident)).await;
    let r = author
        .post_form(
            &format!("/communities/{c}/proposals"),
            &[("title", "某某物业太差"), ("proposal_text", "物业经理就是个骗子，大家一起去闹")],
        )
        .await;
    let page = r.location().unwrap().to_owned();
    let neighbour_resident = other_residents(&app, 1).await[0];
    verified(&app, "linju1", neighbour_resident).await;
    let mut neighbour = app.signed_in("linju1").await;
    let r = neighbour.post_form(&format!("{page}/report"), &[("report_reason", "人身攻击")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = neighbour.post_form(&format!("{page}/report"), &[("report_reason", "再举报一次")]).await;
    assert!(r.text.contains(&refusal("report_reason", "error.proposal.reported")));
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    assert!(staff.get(&page).await.text.contains("人身攻击"), "staff read the reports");
    let r = staff
        .post_form(&format!("{page}/decide"), &[("decision", "hide"), ("answer", "含人身攻击内容，请修改后重新提出")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(neighbour.get(&page).await.status, StatusCode::NOT_FOUND);
    assert!(!neighbour.get(&format!("/communities/{c}/proposals")).await.text.contains("某某物业太差"));
    let own = author.get(&page).await.text;
    assert!(own.contains("含人身攻击内容，请修改后重新提出") && own.contains(zh("proposal.status.hidden")));

    // Withdrawn by its proposer while open.
    let r = author
        .post_form(
            &format!("/communities/{c}/proposals"),
            &[("title", "增设快递柜"), ("proposal_text", "小区只有一处快递柜，建议在北门再设一处")],
        )
        .await;
    let page = r.location().unwrap().to_owned();
    assert_eq!(neighbour.post_form(&format!("{page}/withdraw"), &[]).await.status, StatusCode::NOT_FOUND, "not theirs");
    assert_eq!(author.post_form(&format!("{page}/withdraw"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(neighbour.get(&page).await.text.contains(zh("proposal.status.withdrawn")));
    let r = neighbour.post_form(&format!("{page}/support"), &[]).await;
    assert!(r.text.contains(&refusal("support", "error.proposal.closed")));
});
