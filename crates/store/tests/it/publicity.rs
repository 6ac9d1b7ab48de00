//! The public record in the store, on both backends: drafts publish once, in their own
//! community only; the owners' assembly's final result is on the board with it.

use linli_domain::Role;
use linli_domain::publicity::Kind;
use linli_store::StoreError;
use linli_store::publicity::NewPublicItem;
use linli_test_support::{dual_backend_test, small_demo};

dual_backend_test!(a_draft_is_published_once_and_an_assemblys_final_result_is_posted_with_it, |db| {
    let spec = linli_store::demo::DemoSpec { assemblies: true, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let c = demo.community_id;
    let staff = demo.accounts.iter().find(|a| a.role == Role::CommunityStaff).unwrap().account_id;

    // Each finalised assembly is on the board, posted as its result was published.
    let finalised = db.store.assemblies(c).await.unwrap().into_iter().filter(|a| a.finalised_at.is_some()).count();
    let board = db.store.public_board(c, 100).await.unwrap();
    let results: Vec<_> = board.iter().filter(|i| i.kind == Kind::AssemblyResult).collect();
    assert_eq!(results.len(), finalised);
    assert!(finalised >= 2, "the demo's counted assembly and its election");
    assert!(board.windows(2).all(|w| w[0].published_at >= w[1].published_at), "newest first");

    let before = db.store.public_drafts(c).await.unwrap().len();
    let new = NewPublicItem {
        community_id: c,
        kind: Kind::Donation,
        title: "中秋慰问捐赠".into(),
        body: "辖区企业捐赠月饼 300 盒".into(),
        arose_on: linli_store::today().to_string(),
        publish: false,
        by: staff,
    };
    let id = db.store.add_public_item(&new).await.unwrap();
    assert_eq!(db.store.public_drafts(c).await.unwrap().len(), before + 1);
    assert!(!db.store.public_board(c, 100).await.unwrap().iter().any(|i| i.id == id), "a draft is not public");
    assert!(matches!(db.store.publish_public_item(c + 1000, id, staff).await, Err(StoreError::NotFound)));
    db.store.publish_public_item(c, id, staff).await.unwrap();
    assert_eq!(db.store.public_board(c, 100).await.unwrap()[0].id, id);
    assert!(matches!(db.store.publish_public_item(c, id, staff).await, Err(StoreError::NotFound)), "once");

    assert!(matches!(db.store.set_publish_within_days(c, 0, staff).await, Err(StoreError::Invalid(_))));
    db.store.set_publish_within_days(c, 10, staff).await.unwrap();
    assert_eq!(db.store.publish_within_days(c).await.unwrap(), 10);
});
