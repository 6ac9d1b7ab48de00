//! Consultations through the pages, on both backends: a major matter goes through 四议两公开
//! step by step, in order; a meeting short of its quorum is refused naming the attendance
//! and nothing is recorded; both publications reach the public board; a failed vote ends the
//! procedure; residents read it but do not record it.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_test_support::{Browser, TestApp, dual_backend_test, in_days, zh};
use linli_web::i18n::{Lang, Tr};

fn refusal(field: &str, key: &str) -> String {
    Tr::new(Lang::Zh).field_error(field, key)
}

async fn step(
    b: &mut Browser,
    id: i64,
    step: &str,
    note: &str,
    vote: Option<(&str, &str, &str)>,
) -> linli_test_support::Reply {
    let day = in_days(0);
    let mut f = vec![("step", step), ("held_on", day.as_str()), ("note", note)];
    if let Some((m, p, a)) = vote {
        f.extend([("members", m), ("present", p), ("agree", a)]);
    }
    b.post_form(&format!("/consultations/{id}/steps"), &f).await
}

async fn start(app: &TestApp, b: &mut Browser, title: &str) -> i64 {
    let c = app.demo.community_id;
    let fields =
        [("kind", "major"), ("title", title), ("topic", "7 号楼北侧绿地边角建设电动自行车充电棚，约需 12 万元。")];
    let r = b.post_form(&format!("/communities/{c}/consultations"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    r.location().unwrap().trim_start_matches("/consultations/").parse().unwrap()
}

dual_backend_test!(a_major_matter_goes_through_four_deliberations_and_two_publications, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let id = start(&app, &mut staff, "建设电动自行车充电棚").await;

    let r = step(&mut staff, id, "discuss", "两委商议", Some(("9", "7", "6"))).await;
    assert!(r.text.contains(&refusal("step", "error.consultation.order")), "the Party organisation proposes first");
    assert_eq!(
        step(&mut staff, id, "propose", "社区党委根据居民议事提议建设充电棚", None).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&mut staff, id, "discuss", "两委联席商议同意提交党员大会", Some(("9", "7", "6"))).await.status,
        StatusCode::SEE_OTHER
    );
    // 19 of 30 Party members is short of 2/3: no meeting, nothing recorded.
    let r = step(&mut staff, id, "review", "党员大会审议", Some(("30", "19", "19"))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&refusal("present", "error.consultation.two_thirds")));
    assert_eq!(app.db.store.consultation_steps(id).await.unwrap().len(), 2);
    let r = step(&mut staff, id, "review", "党员大会审议", Some(("30", "21", "22"))).await;
    assert!(r.text.contains(&refusal("agree", "error.consultation.agree")));
    assert_eq!(
        step(&mut staff, id, "review", "党员大会审议通过", Some(("30", "21", "15"))).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&mut staff, id, "decide", "居民代表会议表决通过", Some(("41", "33", "30"))).await.status,
        StatusCode::SEE_OTHER
    );
    // What is published may not carry a phone number.
    let r = step(&mut staff, id, "publish_decision", "联系人 13812345678", None).await;
    assert!(r.text.contains(&refusal("note", "error.publicity.personal")));
    let decision = "居民代表会议决定在 7 号楼北侧建设充电棚，费用 12 万元由公共收益列支。";
    assert_eq!(step(&mut staff, id, "publish_decision", decision, None).await.status, StatusCode::SEE_OTHER);
    let result = "充电棚已于 11 月 30 日建成，设充电口 60 个，验收合格。";
    assert_eq!(step(&mut staff, id, "publish_result", result, None).await.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.consultation(id).await.unwrap().status, "done");

    let board = app.browser().get(&format!("/board/{c}")).await.text;
    assert!(board.contains("建设电动自行车充电棚：决议") && board.contains(decision));
    assert!(board.contains("建设电动自行车充电棚：实施结果") && board.contains(result));

    // Residents read the procedure, and do not record it.
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    let page = resident.get(&format!("/consultations/{id}")).await;
    assert!(page.text.contains(zh("consultation.status.done")) && page.text.contains("党员大会审议通过"));
    assert_eq!(step(&mut resident, id, "propose", "居民自己记录", None).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(a_failed_vote_ends_the_procedure, |db| {
    let app = TestApp::new(db).await;
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let id = start(&app, &mut staff, "拆除东侧围墙").await;
    step(&mut staff, id, "propose", "党委提议", None).await;
    step(&mut staff, id, "discuss", "两委商议", Some(("9", "9", "5"))).await;
    step(&mut staff, id, "review", "党员大会审议", Some(("30", "24", "13"))).await;
    // More than half present, but only half of them agree: not passed.
    assert_eq!(
        step(&mut staff, id, "decide", "居民代表会议表决", Some(("41", "30", "15"))).await.status,
        StatusCode::SEE_OTHER
    );
    let c = app.db.store.consultation(id).await.unwrap();
    assert_eq!(c.status, "failed");
    let r = step(&mut staff, id, "publish_decision", "决议公开", None).await;
    assert!(r.text.contains(&refusal("step", "error.consultation.order")), "nothing after a failed vote");
});
