//! Supports of one proposal sent at once, on both backends: each resident's counts once,
//! the count equals the rows, and the proposal goes to triage exactly once.

use linli_domain::Role;
use linli_store::proposals::NewProposal;
use linli_test_support::{dual_backend_test, small_demo};

dual_backend_test!(supports_sent_at_once_are_counted_exactly, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    let author = demo.accounts.iter().find(|a| a.role == Role::Resident).unwrap().account_id;
    let staff = demo.accounts.iter().find(|a| a.role == Role::CommunityStaff).unwrap().account_id;
    db.store.set_proposal_permille(c, 1, staff).await.unwrap();
    let new = NewProposal {
        community_id: c,
        account_id: author,
        resident_id: demo.resident_id,
        title: "增设快递柜".into(),
        body: "小区只有一处快递柜，建议在北门再设一处".into(),
        photos: Vec::new(),
    };
    let id = db.store.propose(&new).await.unwrap();
    let p = db.store.proposal(id).await.unwrap();
    assert_eq!(p.threshold, 10);
    let residents: Vec<i64> = linli_store::transaction!(db.store, |tx| {
        linli_store::on!(tx, |conn| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM residents WHERE community_id = $1 AND id <> $2 ORDER BY id LIMIT 40",
            )
            .bind(c)
            .bind(demo.resident_id)
            .fetch_all(conn)
            .await
        })?
    })
    .unwrap();
    // Forty residents, each sending twice, at once; the first ten count and the rest meet a
    // proposal already in triage, or their own support.
    let mut tasks = Vec::new();
    for r in residents.iter().chain(residents.iter()) {
        let (store, p, r) = (db.store.clone(), p.clone(), *r);
        tasks.push(tokio::spawn(async move { store.support_proposal(&p, r, staff).await }));
    }
    let mut counted = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            counted += 1;
        }
    }
    let p = db.store.proposal(id).await.unwrap();
    assert_eq!(counted, 10, "exactly the threshold's worth were taken");
    assert_eq!(p.supports, db.store.counted_supports(id).await.unwrap());
    assert_eq!((p.supports, p.status.as_str()), (10, "triage"));
});
