//! Notifications as people and gateways see them, on both backends: the grid worker's
//! inbox after a resident's report, "mark all read", the digest choice, and a real HTTP
//! webhook that receives each notice once and gets a failed one again later.

use axum::http::StatusCode;
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, zh, zh_fill};
use linli_web::notify::{Webhook, run_once};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) const SECRET: &str = "gateway-shared-secret";

/// A gateway on a free port that records what it is sent (refusing a bad signature) and
/// answers `status`.
pub(crate) async fn gateway() -> (String, Arc<Mutex<Vec<serde_json::Value>>>, Arc<AtomicU16>) {
    let got = Arc::new(Mutex::new(Vec::new()));
    let status = Arc::new(AtomicU16::new(200));
    let (g, s) = (got.clone(), status.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let (g, s) = (g.clone(), s.clone());
            async move {
                let signed = headers.get("x-linli-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
                if signed != Webhook::signature(SECRET, &body) || !signed.starts_with("sha256=") {
                    return StatusCode::UNAUTHORIZED;
                }
                g.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
                StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got, status)
}

async fn report(app: &TestApp, text: &str) -> i64 {
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let cat = app.db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == "0201").unwrap().id;
    let building: i64 = app.building_in_grid(app.demo.grid_ids[0]).await;
    let r = resident
        .post_form(
            &format!("/communities/{}/cases", app.demo.community_id),
            &[("category_id", &cat.to_string()), ("description", text), ("building_id", &building.to_string())],
        )
        .await;
    r.location().unwrap().trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap()
}

dual_backend_test!(the_inbox_and_the_webhook_hear_of_a_report_and_a_failed_push_is_retried, |db| {
    let app = TestApp::new(db).await;
    let (url, got, status) = gateway().await;
    let hook = Webhook::new(url.clone(), Some(SECRET.into()));
    let case = report(&app, "3 号楼门口路灯不亮").await;

    let mut worker = app.signed_in("wangge1").await;
    let home = worker.get("/").await.text;
    assert!(home.contains("条未读消息"), "the home page points to the inbox");
    let inbox = worker.get("/inbox").await.text;
    assert!(inbox.contains(&zh_fill("notify.new_case", &[("id", &case)])) && inbox.contains("3 号楼门口路灯不亮"));

    // The demo's overdue history makes notices of its own: deliver everything first.
    let now = linli_store::now_ms();
    let mut delivered = 0;
    loop {
        let round = run_once(&app.db.store, Some(&hook), now).await.unwrap();
        if round.delivered == 0 {
            break;
        }
        delivered += round.delivered;
    }
    assert!(delivered >= 1);
    let pushed: Vec<_> = got.lock().unwrap().iter().filter(|v| v["case_id"] == case).cloned().collect();
    assert_eq!(pushed.len(), 1, "one push for the one worker on duty");
    assert_eq!(pushed[0]["kind"], "new_case");
    assert_eq!(pushed[0]["text"], format!("有新事件 #{case} 等您处理"));
    assert_eq!(pushed[0]["path"], format!("/cases/{case}"));
    assert!(!pushed[0].to_string().contains("1380013"), "no phone number leaves");
    assert_eq!(run_once(&app.db.store, Some(&hook), now).await.unwrap().delivered, 0, "each notice once");
    assert_eq!(Webhook::signature(SECRET, b"{}").len(), "sha256=".len() + 64);
    let unsigned = Webhook::new(url, Some("not-the-secret".into()));
    let lost = report(&app, "楼顶水箱漏水").await;
    let t1 = linli_store::now_ms();
    let round = run_once(&app.db.store, Some(&unsigned), t1).await.unwrap();
    assert!(round.delivered == 0 && round.failed >= 1, "a gateway refuses requests not signed with its secret");
    assert!(got.lock().unwrap().iter().all(|v| v["case_id"] != lost));
    run_once(&app.db.store, Some(&hook), t1 + 61_000).await.unwrap();
    assert!(got.lock().unwrap().iter().any(|v| v["case_id"] == lost), "and gets it, signed, on the retry");

    status.store(503, Ordering::SeqCst);
    let second = report(&app, "5 号楼电梯门关不上").await;
    let now = linli_store::now_ms() + 120_000;
    let tries = || got.lock().unwrap().iter().filter(|v| v["case_id"] == second).count();
    let round = run_once(&app.db.store, Some(&hook), now + 1000).await.unwrap();
    assert_eq!((round.delivered, tries()), (0, 1), "the gateway failed once");
    status.store(200, Ordering::SeqCst);
    run_once(&app.db.store, Some(&hook), now + 2000).await.unwrap();
    assert_eq!(tries(), 1, "it waits before retrying");
    run_once(&app.db.store, Some(&hook), now + 2000 + 61_000).await.unwrap();
    assert_eq!(tries(), 2, "tried again after a minute and delivered");
    run_once(&app.db.store, Some(&hook), now + 2000 + 3_600_000).await.unwrap();
    assert_eq!(tries(), 2, "and not again");

    let r = worker.post_form("/inbox/read", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!worker.get("/").await.text.contains("条未读消息"));
    let r = worker.post_form("/inbox/settings", &[("daily_digest", "1")]).await;
    assert_eq!(r.location(), Some("/inbox?done=settings"));
    let inbox = worker.get("/inbox?done=settings").await.text;
    assert!(inbox.contains(zh("inbox.saved")) && inbox.contains("name=\"daily_digest\" value=\"1\" checked"));
});

dual_backend_test!(without_a_webhook_the_outbox_does_not_grow, |db| {
    let app = TestApp::new(db).await;
    report(&app, "楼道灯坏了").await;
    let count = || async {
        read!(app.db.store, |db| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox")
            .fetch_one(db)
            .await
            .unwrap())
    };
    assert!(count().await > 0);
    run_once(&app.db.store, None, linli_store::now_ms()).await.unwrap();
    assert_eq!(count().await, 0);
    let mut worker = app.signed_in("wangge1").await;
    assert!(worker.get("/inbox").await.text.contains("等您处理"), "the inbox keeps its notices");
});
