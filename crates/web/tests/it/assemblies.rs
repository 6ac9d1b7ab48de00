//! The owners' assembly through the pages, on both backends: the owners' committee
//! prepares one and publishes its notice, an owner votes from the page and gets a
//! receipt, a second ballot is refused, and those who are not owners cannot vote.

use axum::http::StatusCode;
use linli_store::{exec, read, transaction};
use linli_test_support::{TestApp, dual_backend_test, zh, zh_fill};

fn in_days(days: i64) -> String {
    (linli_store::today() + chrono::Duration::days(days)).to_string()
}

dual_backend_test!(the_committee_publishes_an_assembly_and_an_owner_votes_once_with_a_receipt, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut committee = app.signed_in("yeweihui").await;
    let form = committee.get(&format!("/communities/{c}/assemblies/new")).await;
    assert_eq!(form.status, StatusCode::OK);

    // Voting may not open before the notice period is over: the field is named, nothing written.
    let too_soon = [
        ("title", "续聘物业服务企业"),
        ("form", "written"),
        ("opens_on", &in_days(3)),
        ("closes_on", &in_days(20)),
        ("kind_1", "property_company"),
        ("matter_1", "续聘安居物业服务有限公司，服务期三年"),
    ];
    let r = committee.post_form(&format!("/communities/{c}/assemblies"), &too_soon).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.opens_on")), "the field is named");
    assert!(r.text.contains("续聘安居物业服务有限公司，服务期三年"), "what was typed is kept");
    assert!(app.db.store.assemblies(c).await.unwrap().is_empty());

    let (opens, closes) = (in_days(15), in_days(29));
    let good = [
        ("title", "续聘物业服务企业"),
        ("form", "written"),
        ("opens_on", opens.as_str()),
        ("closes_on", closes.as_str()),
        ("kind_1", "property_company"),
        ("matter_1", "续聘安居物业服务有限公司，服务期三年"),
        ("kind_2", "raise_fund"),
        ("matter_2", "续筹专项维修资金"),
    ];
    let r = committee.post_form(&format!("/communities/{c}/assemblies"), &good).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = app.db.store.assemblies(c).await.unwrap()[0].id;
    let page = committee.get(&format!("/assemblies/{id}")).await;
    assert!(page.text.contains(zh("assembly.stage.draft")) && page.text.contains(zh("assembly.kind.raise_fund")));
    assert!(page.text.contains(zh("assembly.threshold.three_quarters")), "the fund raise needs 3/4");

    let r = committee.post_form(&format!("/assemblies/{id}/publish"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let frozen = app.db.store.assembly(id).await.unwrap().electorate().unwrap();
    assert_eq!(frozen.owners, app.db.store.electorate(c).await.unwrap().owners as i64);
    let again = committee.post_form(&format!("/assemblies/{id}/publish"), &[]).await;
    assert_ne!(again.status, StatusCode::SEE_OTHER, "a notice goes out once");

    // The notice reaches the owners' inboxes, linked to the assembly, and the community's staff.
    let mut owner = app.signed_in("13800138000").await;
    let inbox = owner.get("/inbox").await.text;
    assert!(inbox.contains(&zh_fill("notify.assembly_noticed", &[("detail", &"续聘物业服务企业")])), "{inbox}");
    assert!(inbox.contains(&format!("href=\"/assemblies/{id}\"")));
    let mut staff = app.signed_in("shequ").await;
    assert!(staff.get("/inbox").await.text.contains(&format!("href=\"/assemblies/{id}\"")));
    let told: i64 =
        read!(app.db.store, |d| sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap());
    let owners_with_accounts: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT COUNT(DISTINCT a.id) FROM assembly_elector_owners eo JOIN owners o ON o.id = eo.owner_id \
         JOIN accounts a ON a.resident_id = o.resident_id WHERE eo.assembly_id = $1"
    )
    .bind(id)
    .fetch_one(d)
    .await
    .unwrap());
    assert!(owners_with_accounts >= 1 && told > owners_with_accounts, "every owner with an account, and the staff");

    // The owner cannot vote before the window opens.
    let early = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree"), ("m_2", "agree")]).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text);
    // Fifteen days on, the window is open.
    transaction!(app.db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE assemblies SET opens_on = $1 WHERE id = $2").bind(in_days(0)).bind(id))?
    })
    .unwrap();
    let home = owner.get("/").await.text;
    assert!(
        home.contains(&format!("href=\"/assemblies/{id}\"")) && home.contains("续聘物业服务企业"),
        "the owner's to-do"
    );
    let page = owner.get(&format!("/assemblies/{id}")).await;
    assert!(page.text.contains(zh("assembly.stage.voting")) && page.text.contains("name=\"m_2\""), "the ballot form");
    let half = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree")]).await;
    assert_eq!(half.status, StatusCode::UNPROCESSABLE_ENTITY, "every matter needs an answer");
    let voted = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree"), ("m_2", "oppose")]).await;
    assert_eq!(voted.status, StatusCode::SEE_OTHER, "a reload of the receipt page sends nothing again");
    let voted = owner.get(&format!("/assemblies/{id}?done=voted")).await;
    let receipt: String =
        read!(app.db.store, |d| sqlx::query_scalar("SELECT receipt FROM assembly_ballots WHERE assembly_id = $1")
            .bind(id)
            .fetch_one(d)
            .await
            .unwrap());
    assert_eq!(receipt.len(), 10);
    assert!(voted.text.contains(&receipt), "the receipt code is shown");
    let second = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "oppose"), ("m_2", "oppose")]).await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert!(second.text.contains(zh("field.ballot")));
    let t = app.db.store.assembly_tally(id).await.unwrap();
    assert_eq!((t.participation.owners, t.matters[0].agree.owners, t.matters[1].oppose.owners), (1, 1, 1));
    // While voting, participation shows and the counts of agree and oppose do not.
    let page = owner.get(&format!("/assemblies/{id}")).await;
    assert!(page.text.contains(zh("assembly.participation")) && page.text.contains(zh("assembly.results_hidden")));
    assert!(page.text.contains(&receipt), "the owner sees their receipt again");

    // A grid worker is no owner's voice and may not even open the page; a resident who
    // owns nothing here is told so and cannot vote.
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&format!("/assemblies/{id}")).await.status, StatusCode::FORBIDDEN);
    let tenant: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND relation <> 'head' ORDER BY id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap());
    let resident_account = app.demo.account(linli_domain::Role::Resident).unwrap().account_id;
    transaction!(app.db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE accounts SET resident_id = $1 WHERE id = $2").bind(tenant).bind(resident_account)
        )?
    })
    .unwrap();
    let mut tenant_browser = app.signed_in("13800138000").await;
    let page = tenant_browser.get(&format!("/assemblies/{id}")).await;
    assert!(page.text.contains(zh("assembly.not_on_roll")));
    let r = tenant_browser.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree"), ("m_2", "agree")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The window closes; the committee closes the count, and the result carries the hash of
    // the ballot record. The owner checks the ballot by its receipt code.
    transaction!(app.db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE assemblies SET opens_on = $1, closes_on = $2 WHERE id = $3")
                .bind(in_days(-10))
                .bind(in_days(-1))
                .bind(id)
        )?
    })
    .unwrap();
    let r = committee.post_form(&format!("/assemblies/{id}/count"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let hash = app.db.store.assembly(id).await.unwrap().tally_hash.unwrap();
    let page = owner.get(&format!("/assemblies/{id}?receipt={}", receipt.to_lowercase())).await.text;
    assert!(page.contains(&hash) && page.contains(zh("assembly.results")), "the result with its hash");
    assert!(
        page.contains(&format!("1. {}", zh("assembly.choice.agree")))
            && page.contains(&format!("2. {}", zh("assembly.choice.oppose")))
    );
    let unknown = owner.get(&format!("/assemblies/{id}?receipt=ZZZZZZZZZZ")).await.text;
    assert!(unknown.contains(zh("assembly.receipt_unknown")));
    assert_ne!(committee.post_form(&format!("/assemblies/{id}/count"), &[]).await.status, StatusCode::SEE_OTHER);
});
