//! The public record through the pages, on both backends: anyone reads the board without
//! signing in; staff draft and publish, a phone number in public text is refused, a draft
//! past the community's deadline is late on the page and the home to-do.

use axum::http::StatusCode;
use linli_domain::Role;
use linli_test_support::{TestApp, dual_backend_test, in_days, zh, zh_fill};
use linli_web::i18n::{Lang, Tr};

dual_backend_test!(staff_publish_the_public_record_and_anyone_reads_it_without_signing_in, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let board = format!("/board/{c}");
    let manage = format!("/communities/{c}/board");
    let mut anyone = app.browser();
    let page = anyone.get(&board).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(zh("board.empty")));

    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert_eq!(resident.get(&manage).await.status, StatusCode::FORBIDDEN);

    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let today = in_days(0);
    let item = |title: &'static str, text: &'static str, arose: String, publish: bool| {
        let mut f = vec![
            ("kind".to_owned(), "relief".to_owned()),
            ("title".to_owned(), title.to_owned()),
            ("record_text".to_owned(), text.to_owned()),
            ("arose_on".to_owned(), arose),
        ];
        if publish {
            f.push(("publish".to_owned(), "1".to_owned()));
        }
        f
    };
    let send = |f: &[(String, String)]| f.iter().map(|(a, b)| (a.clone(), b.clone())).collect::<Vec<_>>();

    // A phone number in public text is refused, naming the field; nothing is kept.
    let f = send(&item("临时救助发放", "王某 13812345678 领取 1500 元", today.clone(), true));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = staff.post_form(&manage, &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(&Tr::new(Lang::Zh).field_error("record_text", "error.publicity.personal")));
    assert!(app.db.store.public_drafts(c).await.unwrap().is_empty());

    let f = send(&item("临时救助发放", "临时救助 3 户，共 4,500 元", today.clone(), true));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let r = staff.post_form(&manage, &pairs).await;
    assert_eq!(r.location(), Some(board.as_str()));
    let page = anyone.get(&board).await;
    assert!(page.text.contains("临时救助 3 户，共 4,500 元") && page.text.contains(zh("publicity.kind.relief")));

    // A draft about something 40 days old is past 20 working days: late, and on the home page.
    let f = send(&item("第三季度经费收支", "收入 6 万元", in_days(-40), false));
    let pairs: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    staff.post_form(&manage, &pairs).await;
    assert!(!anyone.get(&board).await.text.contains("第三季度经费收支"), "a draft is not public");
    assert!(staff.get(&manage).await.text.contains(zh("board.late")));
    assert!(staff.get("/").await.text.contains(&zh_fill("todo.board_late", &[("n", &1)])));
    let draft = app.db.store.public_drafts(c).await.unwrap()[0].id;
    let r = staff.post_form(&format!("{manage}/{draft}/publish"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(anyone.get(&board).await.text.contains("第三季度经费收支"));
    assert!(!staff.get("/").await.text.contains(&zh_fill("todo.board_late", &[("n", &1)])));

    let r = staff.post_form(&format!("{manage}/within"), &[("within_days", "0")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(anyone.get(&format!("/board/{}", c + 1000)).await.status, StatusCode::NOT_FOUND);
});
