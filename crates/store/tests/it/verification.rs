//! Account verification on both backends: a request links nothing; the code sent to the
//! phone on record, or the community's staff, make the link; wrong codes are counted and
//! kept even though the attempt fails; a record already linked is not given to a second
//! account; staff of another community cannot decide.

use linli_domain::Role;
use linli_domain::person::IdNumber;
use linli_store::residents::PersonalField;
use linli_store::{Store, StoreError, exec, read, transaction};
use linli_test_support::{dual_backend_test, small_demo};

const ID: &str = "110105195001010039";
const PHONE: &str = "13912345678";

fn id_number() -> IdNumber {
    IdNumber::parse("id_number", ID, linli_store::today()).unwrap()
}

async fn resident_account(store: &Store, community_id: i64, username: &str) -> i64 {
    linli_test_support::resident_account(store, community_id, username, "钱新").await
}

fn key_of<T: std::fmt::Debug>(r: Result<T, StoreError>) -> (&'static str, &'static str) {
    match r {
        Err(StoreError::Invalid(e)) => (e.field, e.key),
        other => panic!("expected a field error, got {other:?}"),
    }
}

async fn count(store: &Store, sql: &str, id: i64) -> i64 {
    read!(store, |d| sqlx::query_scalar(sql).bind(id).fetch_one(d).await.unwrap())
}

dual_backend_test!(an_account_stands_for_an_owner_only_once_the_code_or_the_staff_confirm_it, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    // An owner who lives elsewhere: on the property register, not among the residents.
    let owner = linli_test_support::absentee_owner(&db.store, c, "钱新", ID, PHONE).await;
    let account = resident_account(&db.store, c, "qianxin").await;

    // The wrong name with the right number finds nothing, and nothing is written.
    let wrong = db.store.request_verification(account, c, "钱旧", &id_number()).await;
    assert_eq!(key_of(wrong), ("id_number", "error.verify.no_record"));
    let sql = "SELECT COUNT(*) FROM account_verifications WHERE account_id = $1";
    assert_eq!(count(&db.store, sql, account).await, 0);

    // The request links nothing yet.
    let v = db.store.request_verification(account, c, " 钱新 ", &id_number()).await.unwrap();
    assert_eq!((v.owner_id, v.resident_id, v.status.as_str()), (Some(owner), None, "pending"));
    assert!(db.store.owners_of_account(c, account).await.unwrap().is_empty());

    // Staff of another community do not find it.
    assert!(matches!(db.store.decide_verification(c + 1000, v.id, 1, true, "").await, Err(StoreError::NotFound)));

    // The code goes to the phone on record; another is refused within the minute.
    let code = db.store.issue_verification_code(v.id, account).await.unwrap();
    assert_eq!(code.phone, PHONE);
    assert_eq!(code.code.len(), 6);
    assert_eq!(key_of(db.store.issue_verification_code(v.id, account).await), ("sms_code", "error.verify.code_wait"));
    assert_eq!(db.store.verification_phone_tail(&v).await.unwrap().as_deref(), Some("5678"));

    // Wrong codes count, though each attempt is refused; after five the right one is not taken.
    let wrong_code = if code.code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let r = db.store.confirm_verification_code(v.id, account, wrong_code).await;
        assert_eq!(key_of(r), ("sms_code", "error.verify.code_wrong"));
    }
    let r = db.store.confirm_verification_code(v.id, account, &code.code).await;
    assert_eq!(key_of(r), ("sms_code", "error.verify.code_locked"));
    assert!(db.store.owners_of_account(c, account).await.unwrap().is_empty());

    // A new code a minute later; the old one no longer works, the new one links.
    transaction!(db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE account_verifications SET code_sent_at = code_sent_at - 61000 WHERE id = $1")
                .bind(v.id)
        )?;
    })
    .unwrap();
    let fresh = db.store.issue_verification_code(v.id, account).await.unwrap();
    if fresh.code != code.code {
        let r = db.store.confirm_verification_code(v.id, account, &code.code).await;
        assert_eq!(key_of(r), ("sms_code", "error.verify.code_wrong"));
    }
    db.store.confirm_verification_code(v.id, account, &fresh.code).await.unwrap();
    assert_eq!(db.store.owners_of_account(c, account).await.unwrap(), [owner]);
    assert_eq!(db.store.verification_of(account).await.unwrap().unwrap().method.as_deref(), Some("sms"));
    let sql = "SELECT COUNT(*) FROM audit_events WHERE account_id = $1 AND action = 'verification.confirmed_sms'";
    assert_eq!(count(&db.store, sql, account).await, 1);
    assert_eq!(
        key_of(db.store.request_verification(account, c, "钱新", &id_number()).await),
        ("id_number", "error.verify.already")
    );

    // A second account asking for the same owner: a refusal needs its reason, and a
    // confirmation is refused because the owner already has an account.
    let other = resident_account(&db.store, c, "qianxin2").await;
    let v2 = db.store.request_verification(other, c, "钱新", &id_number()).await.unwrap();
    // The owner's phone takes five codes a day, whichever account asks: two went out above.
    for n in 3..=6 {
        transaction!(db.store, |tx| {
            exec!(
                tx,
                sqlx::query("UPDATE account_verifications SET code_sent_at = code_sent_at - 61000 WHERE id = $1")
                    .bind(v2.id)
            )?;
        })
        .unwrap();
        let sent = db.store.issue_verification_code(v2.id, other).await;
        if n <= 5 {
            sent.unwrap();
        } else {
            assert_eq!(key_of(sent), ("sms_code", "error.verify.code_limit"), "a sixth code in a day");
        }
    }
    let staff = demo.accounts.iter().find(|a| a.role == Role::CommunityStaff).unwrap().account_id;
    assert_eq!(
        key_of(db.store.decide_verification(c, v2.id, staff, false, " ").await),
        ("refusal_reason", "error.required")
    );
    assert_eq!(
        key_of(db.store.decide_verification(c, v2.id, staff, true, "").await),
        ("id_number", "error.verify.taken")
    );
    assert!(db.store.owners_of_account(c, other).await.unwrap().is_empty());
    assert_eq!(db.store.pending_verifications(c).await.unwrap().len(), 1, "still waiting");
    db.store.decide_verification(c, v2.id, staff, false, "已有账号关联").await.unwrap();
    let refused = db.store.verification_of(other).await.unwrap().unwrap();
    assert_eq!((refused.status.as_str(), refused.reason.as_deref()), ("refused", Some("已有账号关联")));
    assert!(db.store.pending_verifications(c).await.unwrap().is_empty());
});

dual_backend_test!(staff_link_a_resident_account_to_the_resident_and_the_owner_they_are, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let c = demo.community_id;
    // An owner who lives in the estate: owner and resident are one person.
    let (owner, resident, name): (i64, i64, String) = read!(db.store, |d| sqlx::query_as(
        "SELECT o.id, o.resident_id, o.name FROM owners o WHERE o.community_id = $1 AND o.resident_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = o.resident_id) ORDER BY o.id LIMIT 1"
    )
    .bind(c)
    .fetch_one(d)
    .await
    .unwrap());
    let staff = demo.accounts.iter().find(|a| a.role == Role::CommunityStaff).unwrap().account_id;
    let id = db.store.reveal(resident, PersonalField::IdNumber, staff, "核对").await.unwrap().unwrap();
    let account = resident_account(&db.store, c, "zhuhu").await;
    let id = IdNumber::parse("id_number", &id, linli_store::today()).unwrap();
    let v = db.store.request_verification(account, c, &name, &id).await.unwrap();
    assert_eq!((v.owner_id, v.resident_id), (Some(owner), Some(resident)));
    db.store.decide_verification(c, v.id, staff, true, "").await.unwrap();
    assert_eq!(db.store.resident_of_account(account).await.unwrap(), Some(resident));
    assert_eq!(db.store.owners_of_account(c, account).await.unwrap(), [owner]);
    // Decided once: a second decision finds nothing pending.
    assert!(matches!(db.store.decide_verification(c, v.id, staff, false, "x").await, Err(StoreError::NotFound)));
});
