//! Account verification as the owner and the staff see it, on both backends: the owner
//! asks from the account page, gets the code on the phone on record through the gateway
//! and is linked, after which the owners' pages treat the account as the owner; without
//! a gateway the staff confirm from their queue, which shows the record masked.

use crate::notifications::{SECRET, gateway};
use axum::http::StatusCode;
use linli_domain::Role;
use linli_domain::person::IdNumber;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, zh};
use linli_web::i18n::{Lang, Tr};
use linli_web::notify::Webhook;
use linli_web::state::WebSettings;

const ID: &str = "110105195001010039";
const PHONE: &str = "13912345678";

/// An owner of record who lives elsewhere, and a fresh resident account for them that
/// signs in as `qianxin`.
async fn owner_and_account(app: &TestApp) {
    let (c, store) = (app.demo.community_id, &app.db.store);
    linli_test_support::absentee_owner(store, c, "钱新", ID, PHONE).await;
    linli_test_support::resident_account(store, c, "qianxin", "钱新").await;
}

fn offered_petition_form(text: &str) -> bool {
    text.contains("name=\"petition_reason\"")
}

dual_backend_test!(an_owner_types_the_code_sent_to_the_phone_on_record_and_then_acts_as_the_owner, |db| {
    let (url, got, _) = gateway().await;
    let settings = WebSettings { webhook: Some(Webhook::new(url, Some(SECRET.into()))), ..WebSettings::default() };
    let app = TestApp::with_settings(db, settings).await;
    owner_and_account(&app).await;
    let c = app.demo.community_id;
    let mut owner = app.signed_in("qianxin").await;
    let petition = format!("/communities/{c}/petitions/new");
    assert!(!offered_petition_form(&owner.get(&petition).await.text), "not an owner before verifying");
    let home = owner.get("/").await;
    assert!(home.text.contains(zh("todo.verify")), "the home page offers verification");

    // A wrong name: refused naming the ID number, which is not shown back.
    let r = owner.post_form("/account/verify", &[("holder_name", "钱旧"), ("id_number", ID)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = Tr::new(Lang::Zh).field_error("id_number", "error.verify.no_record");
    assert!(r.text.contains(&message), "{}", r.text);
    assert!(!r.text.contains(ID), "the ID number typed is not echoed");

    let r = owner.post_form("/account/verify", &[("holder_name", "钱新"), ("id_number", ID)]).await;
    assert_eq!(r.location(), Some("/account/verify"));
    let page = owner.get("/account/verify").await;
    assert!(page.text.contains(zh("verify.pending")) && page.text.contains("5678"), "{}", page.text);
    assert!(!page.text.contains(PHONE), "only the last four digits of the phone on record");
    let id = app.db.store.verification_of(app_account(&app).await).await.unwrap().unwrap().id.to_string();

    let r = owner.post_form("/account/verify/code", &[("id", &id)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(zh("verify.code_sent")));
    let sms = got.lock().unwrap().last().cloned().unwrap();
    assert_eq!((sms["type"].as_str(), sms["phone"].as_str()), (Some("verification_code"), Some(PHONE)));
    let text = sms["text"].as_str().unwrap();
    // The code is the first run of digits in the message.
    let code: String = text.chars().skip_while(|c| !c.is_ascii_digit()).take_while(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 6, "{text}");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = owner.post_form("/account/verify/confirm", &[("id", &id), ("sms_code", wrong)]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&Tr::new(Lang::Zh).field_error("sms_code", "error.verify.code_wrong")));
    assert!(!offered_petition_form(&owner.get(&petition).await.text));

    let r = owner.post_form("/account/verify/confirm", &[("id", &id), ("sms_code", &code)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text.contains(zh("verify.linked")) && r.text.contains(zh("verify.as_owner")));
    assert!(offered_petition_form(&owner.get(&petition).await.text), "the owner may now petition");
});

async fn app_account(app: &TestApp) -> i64 {
    read!(app.db.store, |d| sqlx::query_scalar("SELECT id FROM accounts WHERE username = 'qianxin'")
        .fetch_one(d)
        .await
        .unwrap())
}

dual_backend_test!(without_a_gateway_the_staff_confirm_from_their_queue, |db| {
    let app = TestApp::new(db).await;
    owner_and_account(&app).await;
    let c = app.demo.community_id;
    let mut owner = app.signed_in("qianxin").await;
    owner.post_form("/account/verify", &[("holder_name", "钱新"), ("id_number", ID)]).await;
    let page = owner.get("/account/verify").await;
    assert!(page.text.contains(zh("verify.at_office")));
    assert!(!page.text.contains(zh("verify.send_code")), "no code is offered without a gateway");

    let queue = format!("/communities/{c}/verifications");
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    assert_eq!(worker.get(&queue).await.status, StatusCode::FORBIDDEN);

    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    assert!(staff.get("/").await.text.contains(&linli_test_support::zh_fill("todo.verifications", &[("n", &1)])));
    let list = staff.get(&queue).await;
    assert!(
        list.text.contains("钱新")
            && list.text.contains(&IdNumber::parse("id_number", ID, linli_store::today()).unwrap().masked()),
        "{}",
        list.text
    );
    assert!(!list.text.contains(ID), "the queue shows the ID number masked");
    let v = app.db.store.verification_of(app_account(&app).await).await.unwrap().unwrap().id;
    let decide = format!("{queue}/{v}");
    let r = staff.post_form(&decide, &[("decision", "refuse"), ("refusal_reason", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = staff.post_form(&decide, &[("decision", "confirm")]).await;
    assert_eq!(r.location(), Some(queue.as_str()));
    assert!(staff.get(&queue).await.text.contains(zh("verify.queue_empty")));
    assert!(offered_petition_form(&owner.get(&format!("/communities/{c}/petitions/new")).await.text));
    // Deciding again finds nothing pending.
    assert_eq!(staff.post_form(&decide, &[("decision", "confirm")]).await.status, StatusCode::NOT_FOUND);
});
