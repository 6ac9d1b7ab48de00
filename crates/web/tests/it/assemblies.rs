//! The owners' assembly through the pages, on both backends: the owners' committee
//! prepares one and publishes its notice, an owner votes from the page and gets a
//! receipt, a second ballot is refused, and those who are not owners cannot vote.

use axum::http::StatusCode;
use linli_store::{exec, read, transaction};
use linli_test_support::{TestApp, dual_backend_test, in_days, set_voting_window, zh, zh_fill};

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
    set_voting_window(&app.db.store, id, -10, -1).await;
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

fn photo_png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(80, 60, image::Rgb([240, 240, 230])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

/// An assembly noticed and open for voting today, straight through the store.
async fn open_assembly(app: &TestApp) -> i64 {
    use linli_domain::assembly::{Form, MatterKind};
    use linli_store::assemblies::{NewAssembly, NewMatter};
    let new = NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id: app.demo.community_id,
        title: "续聘物业服务企业".into(),
        form: Form::Written,
        opens_on: in_days(0),
        closes_on: in_days(10),
        allow_changes: false,
        show_running: true,
        matters: vec![
            NewMatter { kind: MatterKind::PropertyCompany, title: "续聘安居物业".into(), body: String::new() },
            NewMatter { kind: MatterKind::RaiseFund, title: "续筹维修资金".into(), body: String::new() },
        ],
    };
    let id = app.db.store.create_assembly(&new, None).await.unwrap();
    app.db.store.publish_assembly(id, false).await.unwrap();
    id
}

dual_backend_test!(the_desk_keys_in_paper_ballots_twice_and_a_proxy_votes_from_a_phone, |db| {
    let app = TestApp::new(db).await;
    let id = open_assembly(&app).await;
    let roll = app.db.store.assembly_electors(id).await.unwrap();
    // The owner 13800138000 stands on the roll; pick two other voters for paper and proxy.
    let owner_account = app.demo.account(linli_domain::Role::Resident).unwrap().account_id;
    let owners = app.db.store.owners_of_account(app.demo.community_id, owner_account).await.unwrap();
    let own = app.db.store.elector_of_owner(id, owners[0]).await.unwrap().unwrap();
    let others: Vec<_> = roll.iter().filter(|e| e.id != own.id).take(2).collect();
    let (paper_voter, proxied) = (others[0], others[1]);

    let mut committee = app.signed_in("yeweihui").await;
    let page = committee.get(&format!("/assemblies/{id}/roll")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains(&paper_voter.label) && page.text.contains(zh("assembly.standing.none")));
    let found = committee.get(&format!("/assemblies/{id}/roll?q={}", urlencode(&proxied.label))).await.text;
    assert!(found.contains(&proxied.label) && !found.contains(&format!("voters/{}\"", paper_voter.id)));
    // Neither a grid worker nor an owner opens the desk.
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&format!("/assemblies/{id}/roll")).await.status, StatusCode::FORBIDDEN);
    let mut owner = app.signed_in("13800138000").await;
    assert_eq!(owner.get(&format!("/assemblies/{id}/voters/{}", paper_voter.id)).await.status, StatusCode::FORBIDDEN);

    // Paper: the first entry needs the photo of the signed paper (the field is named, nothing
    // kept); then two people key it in, the first disagreeing once.
    let voter_path = format!("/assemblies/{id}/voters/{}", paper_voter.id);
    let marks = [("m_1", "agree"), ("m_2", "oppose")];
    let r = committee.post_multipart(&format!("{voter_path}/paper"), &marks, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.photos")) && r.text.contains("value=\"oppose\" checked"), "the form is kept");
    assert!(app.db.store.paper_entries(id, paper_voter.id).await.unwrap().is_empty());
    let r = committee
        .post_multipart(&format!("{voter_path}/paper"), &marks, &[("photos", "ballot.png", photo_png())])
        .await;
    assert_eq!(r.location(), Some(format!("{voter_path}?done=awaiting").as_str()));
    let mut staff = app.signed_in("shequ").await;
    // The second person keys in blind: the first reading is not shown to them.
    let first =
        format!("1. {}{}2. {}", zh("assembly.choice.agree"), zh("list.separator"), zh("assembly.choice.oppose"));
    assert!(committee.get(&voter_path).await.text.contains(&first), "one's own entry is shown");
    let blind = staff.get(&voter_path).await.text;
    assert!(!blind.contains(&first) && blind.contains(zh("assembly.reading_hidden")), "{blind}");
    let r = staff.post_multipart(&format!("{voter_path}/paper"), &[("m_1", "agree"), ("m_2", "agree")], &[]).await;
    assert_eq!(r.location(), Some(format!("{voter_path}?done=mismatch").as_str()));
    let flagged = committee.get(&format!("/assemblies/{id}/roll?status=mismatch")).await.text;
    assert!(flagged.contains(&paper_voter.label), "the mismatch is flagged on the roll");
    assert_eq!(app.db.store.assembly_tally(id).await.unwrap().participation.owners, 0, "and not counted");
    let r = staff.post_multipart(&format!("{voter_path}/paper"), &marks, &[]).await;
    assert_eq!(r.location(), Some(format!("{voter_path}?done=counted").as_str()));
    let page = staff.get(&voter_path).await.text;
    assert!(page.contains(zh("assembly.channel.paper")) && page.contains("/photo?size=thumb"), "{page}");
    let entry = app.db.store.paper_entries(id, paper_voter.id).await.unwrap()[0].id;
    let photo = staff.get(&format!("/assemblies/{id}/paper/{entry}/photo")).await;
    assert_eq!((photo.status, photo.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "image/jpeg"));

    // A proxy: the authorisation's photo and the proxy's ID number are required; the proxy
    // is the resident behind 13800138000, who then votes for that owner from the phone.
    let proxy_path = format!("/assemblies/{id}/voters/{}/proxy", proxied.id);
    let number = id_number_of(&app, owner_account).await;
    let who = [("proxy_name", "王建国"), ("proxy_id_number", number.as_str())];
    let r = committee.post_multipart(&proxy_path, &who, &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.authorisation")));
    let bad = [("proxy_name", "王建国"), ("proxy_id_number", "110105194912310021")];
    let r = committee.post_multipart(&proxy_path, &bad, &[("photos", "auth.png", photo_png())]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.proxy_id_number")));
    assert!(app.db.store.assembly_proxies(id).await.unwrap().is_empty(), "nothing registered");
    let r = committee.post_multipart(&proxy_path, &who, &[("photos", "auth.png", photo_png())]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let page = committee.get(&format!("/assemblies/{id}/voters/{}", proxied.id)).await.text;
    assert!(page.contains("王**") && !page.contains("王建国"), "the proxy's name is masked");
    assert!(!page.contains(&number[6..14]), "and the ID number");
    let proxy = app.db.store.assembly_proxies(id).await.unwrap()[0].id;
    let before = audits(&app, "assembly.authorisation_viewed").await;
    let auth = committee.get(&format!("/assemblies/{id}/proxies/{proxy}/authorisation")).await;
    assert_eq!(auth.status, StatusCode::OK);
    assert_eq!(audits(&app, "assembly.authorisation_viewed").await, before + 1, "the opening is audited");
    assert_eq!(audits(&app, "assembly.proxy_registered").await, 1);

    // The proxy sees two ballots: their own and the one they hold; they cast the proxied one.
    let page = owner.get(&format!("/assemblies/{id}")).await.text;
    assert!(
        page.contains(&format!("name=\"elector\" value=\"{}\"", proxied.id))
            && page.contains(zh("assembly.cast_as_proxy"))
    );
    let elector = proxied.id.to_string();
    let r = owner
        .post_form(&format!("/assemblies/{id}/ballot"), &[("elector", &elector), ("m_1", "oppose"), ("m_2", "abstain")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A voter the caller does not hold is nobody's ballot to cast.
    let stranger = paper_voter.id.to_string();
    let r = owner
        .post_form(&format!("/assemblies/{id}/ballot"), &[("elector", &stranger), ("m_1", "agree"), ("m_2", "agree")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let t = app.db.store.assembly_tally(id).await.unwrap();
    assert_eq!((t.channels.paper, t.channels.proxy, t.channels.online), (1, 1, 0));
    // After the proxy's ballot the proxy stays: revoking is refused, naming the proxy.
    let r = committee.post_form(&format!("/assemblies/{id}/proxies/{proxy}/revoke"), &[]).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains(zh("field.proxy")));
});

/// The ID number of the resident behind an account, unsealed (the proxy is that person).
async fn id_number_of(app: &TestApp, account: i64) -> String {
    let sealed: String = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT r.id_number_enc FROM residents r JOIN accounts a ON a.resident_id = r.id WHERE a.id = $1"
    )
    .bind(account)
    .fetch_one(d)
    .await
    .unwrap());
    app.db.store.key().open(linli_store::registry::FIELD_ID_NUMBER, &sealed).unwrap()
}

async fn audits(app: &TestApp, action: &str) -> i64 {
    read!(app.db.store, |d| sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_one(d)
        .await
        .unwrap())
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap().trim_start_matches('=').to_owned()
}

dual_backend_test!(after_the_count_owners_object_inspect_the_record_and_read_the_final_notice, |db| {
    let app = TestApp::new(db).await;
    let id = open_assembly(&app).await;
    let owner_account = app.demo.account(linli_domain::Role::Resident).unwrap().account_id;
    let owners = app.db.store.owners_of_account(app.demo.community_id, owner_account).await.unwrap();
    let own = app.db.store.elector_of_owner(id, owners[0]).await.unwrap().unwrap();
    let other =
        app.db.store.assembly_electors(id).await.unwrap().into_iter().find(|e| e.id != own.id && e.units == 1).unwrap();
    let mut owner = app.signed_in("13800138000").await;
    let r = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree"), ("m_2", "agree")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    use linli_domain::assembly::{Channel, Choice, Marks};
    let cast = linli_store::assemblies::Cast {
        assembly_id: id,
        elector_id: other.id,
        channel: Channel::Online,
        marks: Marks::Choices(vec![Some(Choice::Oppose), Some(Choice::Abstain)]),
        cast_by: None,
        on_paper: false,
        today: in_days(0),
        at: linli_store::now_ms(),
    };
    app.db.store.cast_ballot(&cast).await.unwrap();
    // Before the count there is no notice and no record to inspect.
    assert_eq!(owner.get(&format!("/assemblies/{id}/record")).await.status, StatusCode::NOT_FOUND);
    set_voting_window(&app.db.store, id, -9, -1).await;
    let mut committee = app.signed_in("yeweihui").await;
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/count"), &[]).await.status, StatusCode::SEE_OTHER);

    // The owner objects during the objection period; the committee answers.
    let page = owner.get(&format!("/assemblies/{id}")).await.text;
    assert!(page.contains(zh("assembly.stage.preliminary")) && page.contains("name=\"text\""), "the objection form");
    let r = owner.post_form(&format!("/assemblies/{id}/objections"), &[("text", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.objection")));
    let r = owner.post_form(&format!("/assemblies/{id}/objections"), &[("text", "我家的纸质票没有计入")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let objection = app.db.store.objections(id).await.unwrap()[0].id;
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(
        worker.post_form(&format!("/assemblies/{id}/objections/{objection}/answer"), &[("text", "答复")]).await.status,
        StatusCode::FORBIDDEN
    );
    let r = committee
        .post_form(
            &format!("/assemblies/{id}/objections/{objection}/answer"),
            &[("text", "已核对：您在网上投了票，以网上票为准")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&format!("/assemblies/{id}")).await.text.contains("以网上票为准"), "the owner reads the answer");
    // Not before the objection period ends; then the final result goes out.
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/finalise"), &[]).await.status, StatusCode::CONFLICT);
    transaction!(app.db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE assemblies SET objections_until = $1 WHERE id = $2").bind(in_days(-5)).bind(id))?
    })
    .unwrap();
    assert!(
        committee.get(&format!("/assemblies/{id}")).await.text.contains(zh("assembly.final_late")),
        "overdue is flagged"
    );
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/finalise"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(
        owner.get("/inbox").await.text.contains(&zh_fill("notify.assembly_final", &[("detail", &"续聘物业服务企业")]))
    );
    let notice = owner.get(&format!("/assemblies/{id}/notice")).await.text;
    let community = app.db.store.community(app.demo.community_id).await.unwrap().name;
    let hash = app.db.store.assembly(id).await.unwrap().tally_hash.unwrap();
    assert!(notice.contains(&zh_fill("assembly.notice_final", &[("community", &community)])) && notice.contains(&hash));
    assert!(notice.contains(zh("assembly.notice_close")), "a proper public notice");

    // The record: the owner's own ballot in full, another's room hidden; each look audited.
    let before = audits(&app, "assembly.record_inspected").await;
    let record = owner.get(&format!("/assemblies/{id}/record")).await;
    assert_eq!(record.status, StatusCode::OK);
    assert!(record.text.contains(&own.label), "their own units");
    assert!(!record.text.contains(&other.label), "another owner's room is not shown");
    assert!(record.text.contains(&linli_domain::assembly::masked_units(&other.label)));
    assert_eq!(audits(&app, "assembly.record_inspected").await, before + 1);
    assert_eq!(worker.get(&format!("/assemblies/{id}/record")).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(owners_petition_the_committee_calls_the_meeting_and_the_result_is_published, |db| {
    use linli_domain::assembly::{Channel, Choice, Marks};
    use linli_domain::ownership::{Holder, voters};
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let owner_account = app.demo.account(linli_domain::Role::Resident).unwrap().account_id;
    let mine = app.db.store.owners_of_account(c, owner_account).await.unwrap();

    // An owner starts a petition from the phone; a reason too short is refused, named, kept.
    let mut owner = app.signed_in("13800138000").await;
    let list = owner.get(&format!("/communities/{c}/assemblies")).await.text;
    assert!(list.contains(&format!("/communities/{c}/petitions/new")), "the owner is offered a petition");
    let short = [("title", "更换物业服务企业"), ("petition_reason", "太差")];
    let r = owner.post_form(&format!("/communities/{c}/petitions"), &short).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.petition_reason")) && r.text.contains("更换物业服务企业"));
    assert!(app.db.store.petitions(c).await.unwrap().is_empty(), "nothing written");
    let reason = "安居物业近一年报修响应慢、保洁不到位，提议召开临时业主大会会议，表决解聘并另行选聘物业服务企业";
    let r = owner
        .post_form(
            &format!("/communities/{c}/petitions"),
            &[("title", "更换物业服务企业"), ("petition_reason", reason)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let petition = app.db.store.petitions(c).await.unwrap()[0].id;
    let page = owner.get(&format!("/petitions/{petition}")).await.text;
    assert!(page.contains(zh("petition.you_signed")) && !page.contains(zh("petition.met")));
    assert!(!page.contains(zh("petition.signed_at")), "an owner does not see who signed");
    // A grid worker is no owner and does not reach the petition.
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&format!("/petitions/{petition}")).await.status, StatusCode::FORBIDDEN);
    // The owner takes the signature back, and it no longer counts.
    assert_eq!(owner.post_form(&format!("/petitions/{petition}/withdraw"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&format!("/petitions/{petition}")).await.text.contains(zh("petition.sign")));
    assert!(app.db.store.petition_signatures(petition).await.unwrap().is_empty());

    // Other owners sign (through the store: they have no accounts in the test) until one
    // owner short of a fifth, the largest units first so that the area bar is passed.
    let roll = voters(&app.db.store.holdings(c).await.unwrap());
    let fifth = roll.len().div_ceil(5);
    let mut others: Vec<_> = roll
        .iter()
        .filter(|v| !v.holders.iter().any(|h| matches!(h, Holder::Owner(o) if mine.contains(o))))
        .filter_map(|v| match v.holders.first() {
            Some(Holder::Owner(o)) => Some((v.area.dm2(), *o)),
            _ => None,
        })
        .collect();
    others.sort_by(|a, b| b.cmp(a));
    let signers: Vec<i64> = others.iter().take(fifth - 1).map(|(_, o)| *o).collect();
    app.db.store.sign_petition(petition, owner_account, &signers).await.unwrap();
    let page = owner.get(&format!("/petitions/{petition}")).await.text;
    assert!(!page.contains(zh("petition.met")), "one owner short of a fifth");
    // The owner's signature carries it over both bars, live.
    assert_eq!(owner.post_form(&format!("/petitions/{petition}/sign"), &[]).await.status, StatusCode::SEE_OTHER);
    let page = owner.get(&format!("/petitions/{petition}")).await.text;
    assert!(page.contains(zh("petition.met")), "{page}");

    // The committee is told, sees which units signed, and calls the meeting from the petition.
    let mut committee = app.signed_in("yeweihui").await;
    let inbox = committee.get("/inbox").await.text;
    assert!(inbox.contains(&format!("href=\"/petitions/{petition}\"")));
    assert!(inbox.contains(&zh_fill("notify.petition_met", &[("detail", &"更换物业服务企业")])));
    let page = committee.get(&format!("/petitions/{petition}")).await.text;
    let some_signer = app.db.store.unit_labels(c).await.unwrap();
    let signer_units = roll.iter().find(|v| v.holders.contains(&Holder::Owner(signers[0]))).unwrap();
    assert!(page.contains(some_signer[&signer_units.units[0]].as_str()), "the convener checks the signers' units");
    let call = format!("/communities/{c}/assemblies/new?petition={petition}");
    assert!(page.contains(&call.replace('&', "&amp;")));
    let form = committee.get(&call).await.text;
    assert!(form.contains(&format!("name=\"petition\" value=\"{petition}\"")) && form.contains(reason));
    let (opens, closes) = (in_days(15), in_days(29));
    let fields = [
        ("petition", petition.to_string()),
        ("title", "更换物业服务企业".to_owned()),
        ("form", "written".to_owned()),
        ("opens_on", opens),
        ("closes_on", closes),
        ("kind_1", "property_company".to_owned()),
        ("matter_1", "解聘安居物业服务有限公司，授权业主委员会另行选聘".to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = committee.post_form(&format!("/communities/{c}/assemblies"), &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let id = app.db.store.petition(petition).await.unwrap().assembly_id.expect("the petition is answered");
    let again = committee.post_form(&format!("/communities/{c}/assemblies"), &fields).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY, "one meeting answers a petition");
    assert!(again.text.contains(zh("field.petition")));
    let page = committee.get(&format!("/assemblies/{id}")).await.text;
    let convened = zh_fill("assembly.convened_by", &[("convener", &zh("assembly.convener.owners_committee"))]);
    assert!(page.contains(&convened));
    assert!(owner.get(&format!("/petitions/{petition}")).await.text.contains(&format!("href=\"/assemblies/{id}\"")));

    // The notice goes out; fifteen days on, the owner votes online.
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    set_voting_window(&app.db.store, id, 0, 14).await;
    let r = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("m_1", "agree")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let own = app.db.store.elector_of_owner(id, mine[0]).await.unwrap().unwrap();
    let receipt = app.db.store.ballot_of(id, own.id).await.unwrap().unwrap().receipt;

    // One paper ballot keyed in by two people, one proxy registered and voting on the phone.
    let electors = app.db.store.assembly_electors(id).await.unwrap();
    let rest: Vec<_> = electors.iter().filter(|e| e.id != own.id).collect();
    let (paper_voter, proxied) = (rest[0], rest[1]);
    // The paper ballots are printed for those who have not voted, each with its number,
    // units and area; the number finds the voter on the desk when the sheet comes back.
    let printed = committee.get(&format!("/assemblies/{id}/ballots?pending=1")).await.text;
    let number = format!("#{}", paper_voter.id);
    assert!(printed.contains(&number) && printed.contains(&paper_voter.label));
    assert!(!printed.contains(&format!("#{}<", own.id)), "the owner who voted online gets no sheet");
    let total =
        zh_fill("assembly.sheets_shown", &[("from", &1), ("to", &(rest.len().min(100))), ("total", &rest.len())]);
    assert!(printed.contains(&total), "{total}");
    assert_eq!(owner.get(&format!("/assemblies/{id}/ballots")).await.status, StatusCode::FORBIDDEN);
    let found = committee.get(&format!("/assemblies/{id}/roll?q=%23{}", paper_voter.id)).await.text;
    assert!(
        found.contains(&format!("voters/{}\"", paper_voter.id)) && !found.contains(&format!("voters/{}\"", proxied.id))
    );
    let voter_path = format!("/assemblies/{id}/voters/{}", paper_voter.id);
    let r = committee
        .post_multipart(&format!("{voter_path}/paper"), &[("m_1", "oppose")], &[("photos", "ballot.png", photo_png())])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut staff = app.signed_in("shequ").await;
    let r = staff.post_multipart(&format!("{voter_path}/paper"), &[("m_1", "oppose")], &[]).await;
    assert_eq!(r.location(), Some(format!("{voter_path}?done=counted").as_str()));
    let number = id_number_of(&app, owner_account).await;
    let r = committee
        .post_multipart(
            &format!("/assemblies/{id}/voters/{}/proxy", proxied.id),
            &[("proxy_name", "王建国"), ("proxy_id_number", number.as_str())],
            &[("photos", "auth.png", photo_png())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let elector = proxied.id.to_string();
    let r = owner.post_form(&format!("/assemblies/{id}/ballot"), &[("elector", &elector), ("m_1", "agree")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The rest of the owners vote online until both 2/3 bars are passed (most agreeing).
    let whole = app.db.store.assembly(id).await.unwrap().electorate().unwrap();
    let mut taken = app.db.store.assembly_tally(id).await.unwrap().participation;
    for (i, e) in rest.iter().skip(2).enumerate() {
        if linli_domain::assembly::at_least(taken.owners, whole.owners, 3, 4)
            && linli_domain::assembly::at_least(taken.area_dm2, whole.area_dm2, 3, 4)
        {
            break;
        }
        let choice = if i % 5 == 0 { Choice::Oppose } else { Choice::Agree };
        let cast = linli_store::assemblies::Cast {
            assembly_id: id,
            elector_id: e.id,
            channel: Channel::Online,
            marks: Marks::Choices(vec![Some(choice)]),
            cast_by: None,
            on_paper: false,
            today: in_days(0),
            at: linli_store::now_ms(),
        };
        app.db.store.cast_ballot(&cast).await.unwrap();
        taken.owners += 1;
        taken.area_dm2 += e.area_dm2;
    }
    let page = owner.get(&format!("/assemblies/{id}")).await.text;
    assert!(page.contains(zh("assembly.results_hidden")), "agree and oppose stay hidden while voting");

    // The window closes, the committee counts, the objection period passes, the result is final.
    set_voting_window(&app.db.store, id, -15, -1).await;
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/count"), &[]).await.status, StatusCode::SEE_OTHER);
    let t = app.db.store.assembly_tally(id).await.unwrap();
    assert!(t.quorum && t.matters[0].passed, "{t:?}");
    assert_eq!((t.channels.paper, t.channels.proxy), (1, 1));
    transaction!(app.db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE assemblies SET objections_until = $1 WHERE id = $2").bind(in_days(-1)).bind(id))?
    })
    .unwrap();
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/finalise"), &[]).await.status, StatusCode::SEE_OTHER);
    let notice = owner.get(&format!("/assemblies/{id}/notice")).await.text;
    let hash = app.db.store.assembly(id).await.unwrap().tally_hash.unwrap();
    let community = app.db.store.community(c).await.unwrap().name;
    assert!(notice.contains(&zh_fill("assembly.notice_final", &[("community", &community)])) && notice.contains(&hash));
    assert!(
        notice.contains(&zh_fill("assembly.notice_signature", &[("community", &community)])),
        "signed by the convener"
    );
    // The owner checks with the receipt code that the ballot was counted as cast.
    let check = owner.get(&format!("/assemblies/{id}?receipt={receipt}")).await.text;
    assert!(
        check.contains(&receipt)
            && check.contains(zh("assembly.choice.agree"))
            && !check.contains(zh("assembly.receipt_unknown"))
    );
});

dual_backend_test!(an_owner_votes_through_the_api_with_the_pages_rules, |db| {
    use axum::http::Method;
    use serde_json::json;
    let app = TestApp::new(db).await;
    let id = open_assembly(&app).await;
    let c = app.demo.community_id;
    transaction!(app.db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE assemblies SET show_running = $1 WHERE id = $2").bind(false).bind(id))?
    })
    .unwrap();
    let mut owner = app.signed_in("13800138000").await;
    let list = owner.get(&format!("/api/v1/communities/{c}/assemblies")).await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = list.json();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(
        (listed[0]["stage"].as_str(), listed[0]["convener"].as_str()),
        (Some("voting"), Some("owners_committee"))
    );
    let detail = owner.get(&format!("/api/v1/assemblies/{id}")).await.json();
    assert_eq!(detail["matters"][1]["threshold"], "three_quarters");
    assert_eq!(detail["voices"].as_array().unwrap().len(), 1, "the owner's own ballot to cast");
    assert!(detail["voices"][0]["ballot"].is_null());
    assert!(detail["results"].is_null(), "agree and oppose stay hidden while voting");
    assert_eq!(detail["participation"]["owners"], 0);

    let ballot = format!("/api/v1/assemblies/{id}/ballot");
    let short = owner.send_json(Method::POST, &ballot, &json!({"marks": ["agree"]})).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(short.json()["error"]["field"], "marks");
    let wrong = owner.send_json(Method::POST, &ballot, &json!({"marks": ["agree", "maybe"]})).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let cast = owner.send_json(Method::POST, &ballot, &json!({"marks": ["agree", "oppose"]})).await;
    assert_eq!(cast.status, StatusCode::CREATED, "{}", cast.text);
    let receipt = cast.json()["receipt"].as_str().unwrap().to_owned();
    let again = owner.send_json(Method::POST, &ballot, &json!({"marks": ["oppose", "oppose"]})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json()["error"]["field"], "ballot");
    let detail = owner.get(&format!("/api/v1/assemblies/{id}")).await.json();
    assert_eq!(detail["voices"][0]["ballot"]["receipt"], receipt.as_str());
    assert_eq!(detail["voices"][0]["ballot"]["marks"], json!(["agree", "oppose"]));
    assert_eq!(detail["participation"]["owners"], 1);

    // A voter the caller does not hold is refused; so is anyone outside the roll.
    let own = detail["voices"][0]["elector_id"].as_i64().unwrap();
    let stranger = app.db.store.assembly_electors(id).await.unwrap().into_iter().find(|e| e.id != own).unwrap();
    let r =
        owner.send_json(Method::POST, &ballot, &json!({"elector_id": stranger.id, "marks": ["agree", "agree"]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut staff = app.signed_in("shequ").await;
    let r = staff.send_json(Method::POST, &ballot, &json!({"marks": ["agree", "agree"]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "staff are on no roll");
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&format!("/api/v1/assemblies/{id}")).await.status, StatusCode::FORBIDDEN);

    // After the window the results are shown.
    set_voting_window(&app.db.store, id, -10, -1).await;
    let detail = owner.get(&format!("/api/v1/assemblies/{id}")).await.json();
    assert_eq!(detail["assembly"]["stage"], "ended");
    assert_eq!(detail["results"]["matters"][0]["agree"]["owners"], 1);
    assert_eq!(detail["results"]["channels"]["online"], 1);
    // The document describes the operations.
    let doc = owner.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/assemblies/{assembly_id}/ballot"]["post"].is_object());
});

dual_backend_test!(the_committee_runs_an_election_and_the_page_says_who_is_elected, |db| {
    use linli_domain::assembly::{Channel, Choice, Marks};
    use linli_domain::ownership::Holder;
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut committee = app.signed_in("yeweihui").await;
    let (opens, closes) = (in_days(15), in_days(20));
    let form = |seats: &'static str| {
        vec![
            ("title", "第二届业主委员会选举"),
            ("form", "meeting"),
            ("opens_on", opens.as_str()),
            ("closes_on", closes.as_str()),
            ("seats", seats),
        ]
    };
    let r = committee.post_form(&format!("/communities/{c}/assemblies"), &form("4")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.seats")));
    let r = committee.post_form(&format!("/communities/{c}/assemblies"), &form("5")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "an election needs no other matter");
    let id = app.db.store.assemblies(c).await.unwrap()[0].id;

    // Candidates by their unit: a search that finds many units is refused, naming the field.
    let r = committee
        .post_form(&format!("/assemblies/{id}/candidates"), &[("candidate_unit", "1"), ("nomination", "self")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.candidate_unit")));
    let labels = app.db.store.unit_labels(c).await.unwrap();
    let mut seen = std::collections::HashSet::new();
    let units: Vec<String> = app
        .db
        .store
        .holdings(c)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|h| match h.holders[..] {
            [Holder::Owner(o)] if seen.insert(o) => Some(labels[&h.unit_id].clone()),
            _ => None,
        })
        .take(6)
        .collect();
    for (i, unit) in units.iter().enumerate() {
        let nomination = ["party", "residents_committee", "self", "joint", "self", "self"][i];
        let r = committee
            .post_form(
                &format!("/assemblies/{id}/candidates"),
                &[("candidate_unit", unit), ("nomination", nomination), ("statement", "退休教师，热心公益")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    }
    let candidates = app.db.store.candidates(id).await.unwrap();
    assert_eq!(candidates.len(), 6);
    let page = committee.get(&format!("/assemblies/{id}")).await.text;
    assert!(page.contains(&candidates[0].name) && page.contains(zh("election.nomination.party")));
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    set_voting_window(&app.db.store, id, 0, 5).await;

    // The owner agrees to six of five seats: refused, named, nothing counted; then five.
    let mut owner = app.signed_in("13800138000").await;
    let page = owner.get(&format!("/assemblies/{id}")).await.text;
    assert!(page.contains(&zh_fill("election.rule", &[("seats", &5)])), "the rule is said before the ballot");
    let six: Vec<(String, &str)> = (1..=6).map(|p| (format!("m_{p}"), "agree")).collect();
    let six: Vec<(&str, &str)> = six.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let r = owner.post_form(&format!("/assemblies/{id}/ballot"), &six).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text.contains(zh("field.marks")), "{}", r.text);
    assert_eq!(app.db.store.assembly_tally(id).await.unwrap().participation.owners, 0);
    let mut five = six.clone();
    five[5].1 = "oppose";
    assert_eq!(owner.post_form(&format!("/assemblies/{id}/ballot"), &five).await.status, StatusCode::SEE_OTHER);

    // Everyone else agrees to the first four and the sixth: the fifth fails, the sixth is elected.
    let owner_elector = app.db.store.assembly_tally(id).await.unwrap();
    assert_eq!(owner_elector.participation.owners, 1);
    let voted = read!(app.db.store, |d| sqlx::query_scalar::<_, i64>(
        "SELECT elector_id FROM assembly_ballots WHERE assembly_id = $1"
    )
    .bind(id)
    .fetch_one(d)
    .await
    .unwrap());
    for e in app.db.store.assembly_electors(id).await.unwrap().into_iter().filter(|e| e.id != voted) {
        let marks =
            Marks::Choices((1..=6).map(|p| Some(if p == 5 { Choice::Oppose } else { Choice::Agree })).collect());
        let cast = linli_store::assemblies::Cast {
            assembly_id: id,
            elector_id: e.id,
            channel: Channel::Online,
            marks,
            cast_by: None,
            on_paper: false,
            today: in_days(0),
            at: linli_store::now_ms(),
        };
        app.db.store.cast_ballot(&cast).await.unwrap();
    }
    set_voting_window(&app.db.store, id, -6, -1).await;
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/count"), &[]).await.status, StatusCode::SEE_OTHER);
    let sep = zh("list.separator");
    let elected: Vec<&str> = [0, 1, 2, 3, 5].iter().map(|i| candidates[*i].name.as_str()).collect();
    let page = owner.get(&format!("/assemblies/{id}")).await.text;
    let not_passed = zh_fill("election.not_passed", &[("names", &candidates[4].name)]);
    assert!(page.contains(&not_passed), "{page}");
    // The elected are listed by votes: the first four tie on both counts inside the seats.
    let line_start = zh_fill("election.elected", &[("names", &"")]);
    let line = page.split(&line_start).nth(1).expect("an elected line").split('<').next().unwrap();
    assert_eq!(line.split(sep).count(), 5, "{line}");
    for name in &elected {
        assert!(line.split(sep).any(|n| n == *name), "{name} is on the elected line: {line}");
    }
    assert!(!line.contains(&candidates[4].name));
    let notice = owner.get(&format!("/assemblies/{id}/notice")).await.text;
    assert!(notice.contains(&not_passed), "the notice says it too");

    // With the final result the committee takes office and owes its duties.
    transaction!(app.db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE assemblies SET objections_until = $1 WHERE id = $2").bind(in_days(-1)).bind(id))?
    })
    .unwrap();
    assert_eq!(committee.post_form(&format!("/assemblies/{id}/finalise"), &[]).await.status, StatusCode::SEE_OTHER);
    // The final result is on the public board, read without signing in, with who was elected.
    let board = app.browser().get(&format!("/board/{c}")).await.text;
    let board_line = board.split(&line_start).nth(1).expect("the elected line on the board").split('<').next().unwrap();
    assert_eq!(board_line, line, "the board says what the page says");
    assert!(board.contains(&not_passed));
    let r = committee.get(&format!("/communities/{c}/committee")).await;
    let path = r.location().expect("the committee in office").to_owned();
    let page = committee.get(&path).await.text;
    assert!(page.contains(zh("committee.state.pending")) && page.contains(zh("committee.first_meeting")));
    let member = |i: usize| candidates[[0, 1, 2, 3, 5][i]].id.to_string();
    let same =
        [("held_on", in_days(0)), ("chair", member(0)), ("vice_chair", member(0)), ("minutes", "推选主任".to_owned())];
    let same: Vec<(&str, &str)> = same.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = committee.post_form(&format!("{path}/meetings"), &same).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.vice_chair")));
    let first = [
        ("held_on", in_days(0)),
        ("chair", member(0)),
        ("vice_chair", member(1)),
        ("minutes", "推选主任、副主任".to_owned()),
    ];
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(committee.post_form(&format!("{path}/meetings"), &first).await.status, StatusCode::SEE_OTHER);
    let page = owner.get(&path).await.text;
    assert!(
        page.contains(&zh_fill("committee.officers", &[("chair", &candidates[0].name), ("vice", &candidates[1].name)]))
    );
    assert!(!page.contains("推选主任、副主任"), "owners read decisions, not the minutes");
    // A decision signed by two of five members does not stand; three of five does.
    let decision = |signers: usize| {
        let mut f = vec![
            ("title", "公开公共收益账目".to_owned()),
            ("decision_body", "每季度公开公共收益收支明细".to_owned()),
            ("decided_on", in_days(0)),
        ];
        f.extend((0..signers).map(|i| ("signer", member(i))));
        f
    };
    let two = decision(2);
    let two: Vec<(&str, &str)> = two.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = committee.post_form(&format!("{path}/decisions"), &two).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.signers")));
    let three = decision(3);
    let three: Vec<(&str, &str)> = three.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(committee.post_form(&format!("{path}/decisions"), &three).await.status, StatusCode::SEE_OTHER);
    assert!(!owner.get(&path).await.text.contains("每季度公开公共收益收支明细"), "not published yet");
    let committee_id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
    let d = app.db.store.committee_decisions(committee_id).await.unwrap()[0].id;
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(worker.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(owner.post_form(&format!("{path}/decisions/{d}/publish"), &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(committee.post_form(&format!("{path}/decisions/{d}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(owner.get(&path).await.text.contains("每季度公开公共收益收支明细"), "published to the owners");
});

dual_backend_test!(the_estates_counting_rule_is_recorded_and_frozen_with_each_notice, |db| {
    use linli_domain::assembly::{Form, MatterKind};
    use linli_store::assemblies::{NewAssembly, NewMatter};
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let draft = || NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id: c,
        title: "修订管理规约".into(),
        form: Form::Written,
        opens_on: in_days(15),
        closes_on: in_days(25),
        allow_changes: false,
        show_running: false,
        matters: vec![NewMatter {
            kind: MatterKind::Covenant,
            title: "修订管理规约第十二条".into(),
            body: String::new(),
        }],
    };
    let mut committee = app.signed_in("yeweihui").await;
    let list = committee.get(&format!("/communities/{c}/assemblies")).await.text;
    assert!(list.contains(zh("assembly.follow_majority_no")), "off by default");
    let before = app.db.store.create_assembly(&draft(), None).await.unwrap();
    assert_eq!(committee.post_form(&format!("/assemblies/{before}/publish"), &[]).await.status, StatusCode::SEE_OTHER);

    let r = committee.post_form(&format!("/communities/{c}/assembly-rule"), &[("follow_majority", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        committee.get(&format!("/communities/{c}/assemblies")).await.text.contains(zh("assembly.follow_majority_yes"))
    );
    let after = app.db.store.create_assembly(&draft(), None).await.unwrap();
    assert_eq!(committee.post_form(&format!("/assemblies/{after}/publish"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(!app.db.store.assembly(before).await.unwrap().follow_majority, "a notice already out keeps its rule");
    assert!(app.db.store.assembly(after).await.unwrap().follow_majority, "the rule is frozen with the notice");
    let logged: i64 = read!(app.db.store, |d| sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'assembly.follow_majority_on'"
    )
    .fetch_one(d)
    .await
    .unwrap());
    assert_eq!(logged, 1);
    // An owner reads the rule but cannot change it.
    let mut owner = app.signed_in("13800138000").await;
    let page = owner.get(&format!("/communities/{c}/assemblies")).await.text;
    assert!(page.contains(zh("assembly.follow_majority_yes")) && !page.contains("name=\"follow_majority\""));
    assert_eq!(owner.post_form(&format!("/communities/{c}/assembly-rule"), &[]).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(the_committee_attaches_documents_owners_open_them_and_the_notice_freezes_them, |db| {
    let app = TestApp::new(db).await;
    let c = app.demo.community_id;
    let mut committee = app.signed_in("yeweihui").await;
    let r = prepare_in_15_days(&mut committee, c).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = app.db.store.assemblies(c).await.unwrap()[0].id;
    let matter = app.db.store.assembly_matters(id).await.unwrap()[0].id.to_string();
    let path = format!("/assemblies/{id}/documents");
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();

    // Not a PDF nor a picture: refused naming the field, nothing kept.
    let r = committee
        .post_multipart(
            &path,
            &[("matter_id", &matter), ("document_title", "合同")],
            &[("document", "contract.pdf", b"MZ not really a pdf".to_vec())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains(zh("field.document")), "{}", r.text);
    assert!(app.db.store.documents(id).await.unwrap().is_empty());

    let r = committee
        .post_multipart(
            &path,
            &[("matter_id", &matter), ("document_title", "物业服务合同（草案）")],
            &[("document", "x.bin", pdf.clone())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let r = committee
        .post_multipart(
            &path,
            &[("matter_id", &matter), ("document_title", "报价单照片")],
            &[("document", "quote.png", photo_png())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let docs = app.db.store.documents(id).await.unwrap();
    assert_eq!(
        docs.iter().map(|d| d.content_type.as_str()).collect::<Vec<_>>(),
        ["application/pdf", "image/jpeg"],
        "a picture is re-encoded"
    );
    let photo_doc = docs[1].id;
    let page = committee.get(&format!("/assemblies/{id}")).await.text;
    assert!(page.contains(&format!("action=\"{path}?_csrf=")), "a browser sends the file form's token in its address");
    let r = committee.post_form(&format!("{path}/{photo_doc}/remove"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    committee.post_form(&format!("/assemblies/{id}/publish"), &[]).await;

    // An owner sees the document beside the matter and opens it as it was uploaded.
    let mut owner = app.signed_in("13800138000").await;
    let page = owner.get(&format!("/assemblies/{id}")).await;
    let link = format!("{path}/{}", docs[0].id);
    assert!(page.text.contains(&link) && page.text.contains("物业服务合同（草案）"));
    assert!(page.text.contains(&docs[0].sha256[..12]), "the hash is shown");
    assert!(!page.text.contains("报价单照片"), "the removed one is gone");
    let opened = owner.get(&link).await;
    assert_eq!(opened.status, StatusCode::OK);
    assert_eq!(opened.headers["content-type"], "application/pdf");
    assert_eq!(opened.body, pdf);
    let api = owner.get(&format!("/api/v1/assemblies/{id}")).await.json();
    assert_eq!(api["matters"][0]["documents"][0]["sha256"], docs[0].sha256.as_str());
    assert_eq!(api["matters"][0]["documents"][0]["url"], link.as_str());

    // After the notice nothing is added or removed.
    let r = committee
        .post_multipart(
            &path,
            &[("matter_id", &matter), ("document_title", "补充说明")],
            &[("document", "x.pdf", pdf.clone())],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(committee.post_form(&format!("{link}/remove"), &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db.store.documents(id).await.unwrap().len(), 1);
    // Someone who cannot see the community's assemblies does not get the file.
    let mut company = app.signed_in(&app.login_of(linli_domain::Role::PropertyStaff)).await;
    assert_ne!(company.get(&link).await.status, StatusCode::OK);
});

dual_backend_test!(the_street_oversees_each_communitys_assemblies_and_committee, |db| {
    let app = TestApp::new(db).await;
    let id = open_assembly(&app).await;
    let street = app.demo.street_id;
    let path = format!("/streets/{street}/assemblies");
    let mut supervisor = app.signed_in(&app.login_of(linli_domain::Role::StreetSupervisor)).await;
    let page = supervisor.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains(&format!("href=\"/assemblies/{id}\"")) && page.text.contains(zh("assembly.stage.voting"))
    );
    assert!(page.text.contains("class=\"qbar\""), "participation is drawn");
    assert!(page.text.contains(zh("assembly.street_no_committee")));
    assert!(!page.text.contains(zh("assembly.street_unanswered")));
    // Another street's address is not found; an owner does not get the page.
    assert_eq!(supervisor.get(&format!("/streets/{}/assemblies", street + 1000)).await.status, StatusCode::NOT_FOUND);
    let mut owner = app.signed_in("13800138000").await;
    assert_eq!(owner.get(&path).await.status, StatusCode::FORBIDDEN);
});

/// The committee's form for one matter, voting opening in 15 days (the law's least notice).
pub(crate) async fn prepare_in_15_days(
    committee: &mut linli_test_support::Browser,
    c: i64,
) -> linli_test_support::Reply {
    let (opens, closes) = (in_days(15), in_days(29));
    let fields = [
        ("title", "续聘物业服务企业"),
        ("form", "written"),
        ("opens_on", opens.as_str()),
        ("closes_on", closes.as_str()),
        ("kind_1", "property_company"),
        ("matter_1", "续聘安居物业服务有限公司，服务期三年"),
    ];
    committee.post_form(&format!("/communities/{c}/assemblies"), &fields).await
}
