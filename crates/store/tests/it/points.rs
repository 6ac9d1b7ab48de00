//! Service points and volunteers' hours, on both backends: the ledger's invariant (every
//! balance the sum of its entries, never below zero) holds through a rush of redemptions
//! larger than the balances allow, an item's stock never goes below zero, entries cannot be
//! changed, and hours are recorded only for a volunteer who signed up, once, earning points
//! that a correction moves by a new entry.

use linli_domain::Role;
use linli_domain::activity::{Kind, Organiser, Status};
use linli_domain::service::{BookingStatus, Eligibility};
use linli_domain::volunteer::Reason;
use linli_store::activities::NewActivity;
use linli_store::points::NewItem;
use linli_store::volunteers::NewHours;
use linli_store::{Store, StoreError, exec, read, transaction};
use linli_test_support::{dual_backend_test, small_demo};

async fn residents(store: &Store, community_id: i64, n: i64) -> Vec<i64> {
    read!(store, |d| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND moved_out_on IS NULL ORDER BY id DESC LIMIT $2"
    )
    .bind(community_id)
    .bind(n)
    .fetch_all(d)
    .await
    .unwrap())
}

fn refused(e: StoreError, field: &str, key: &str) -> bool {
    matches!(e, StoreError::Invalid(f) if f.field == field && f.key == key)
}

dual_backend_test!(a_rush_of_redemptions_never_takes_a_balance_below_zero_and_balances_stay_sums, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(Role::CommunityStaff).unwrap().account_id;
    let community = demo.community_id;
    let people = residents(&db.store, community, 20).await;
    let before: Vec<i64> = {
        let mut b = Vec::new();
        for &r in &people {
            b.push(db.store.points_balance(r).await.unwrap());
        }
        b
    };
    // Each resident gets exactly what five redemptions cost, on top of what they had, and
    // spends what they had first.
    for (&r, &had) in people.iter().zip(&before) {
        db.store.correct_points(community, r, 50, "活动补录积分", staff).await.unwrap();
        if had > 0 {
            db.store.correct_points(community, r, -had, "测试清零", staff).await.unwrap();
        }
    }
    let e = db.store.correct_points(community, people[0], -51, "多扣", staff).await.unwrap_err();
    assert!(refused(e, "delta", "error.points.below_zero"), "a correction cannot go below zero");
    let item = db
        .store
        .create_item(&NewItem {
            community_id: community,
            organisation_id: None,
            title: "洗衣液一瓶".into(),
            description: String::new(),
            cost: 10,
            stock: 1000,
            by: staff,
        })
        .await
        .unwrap();
    // Ten tries each, all at once: five each can be paid.
    let tries: Vec<_> = people
        .iter()
        .flat_map(|&r| std::iter::repeat_n(r, 10))
        .map(|r| {
            let store = db.store.clone();
            tokio::spawn(async move { store.redeem(item, r, staff).await })
        })
        .collect();
    let (mut ok, mut short) = (0, 0);
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(refused(e, "item", "error.points.balance"), "refused for the balance");
                short += 1
            }
        }
    }
    assert_eq!((ok, short), (100, 100), "half paid, half refused");
    for &r in &people {
        assert_eq!(db.store.points_balance(r).await.unwrap(), 0, "spent to zero, never below");
        assert_eq!(db.store.redemptions_of(r).await.unwrap().len(), 5);
    }
    assert_eq!(db.store.item(item).await.unwrap().stock, 900, "the stock moved with the points");
    assert_eq!(db.store.points_mismatches(community).await.unwrap(), 0, "every balance is its entries' sum");

    // A scarce item: three in stock, ten ask for it at once.
    let rich = people[0];
    db.store.correct_points(community, rich, 100, "优秀志愿者奖励", staff).await.unwrap();
    let scarce = db
        .store
        .create_item(&NewItem {
            community_id: community,
            organisation_id: None,
            title: "理发券".into(),
            description: String::new(),
            cost: 5,
            stock: 3,
            by: staff,
        })
        .await
        .unwrap();
    let tries: Vec<_> = (0..10)
        .map(|_| {
            let store = db.store.clone();
            tokio::spawn(async move { store.redeem(scarce, rich, staff).await })
        })
        .collect();
    let mut got = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => got += 1,
            Err(e) => assert!(refused(e, "item", "error.points.out_of_stock")),
        }
    }
    assert_eq!(got, 3, "no more than the stock");
    assert_eq!(db.store.item(scarce).await.unwrap().stock, 0);
    assert_eq!(db.store.points_balance(rich).await.unwrap(), 85, "a refusal spends nothing");

    // A reversal is a new entry naming the one it reverses, once.
    let redemption = db.store.redemptions_of(rich).await.unwrap()[0].id;
    db.store.reverse_redemption(redemption, "居民未领取", staff).await.unwrap();
    let e = db.store.reverse_redemption(redemption, "再退一次", staff).await.unwrap_err();
    assert!(refused(e, "redemption", "error.points.not_redeemed"), "reversed once");
    assert_eq!(db.store.points_balance(rich).await.unwrap(), 90);
    assert_eq!(db.store.item(scarce).await.unwrap().stock, 1, "back in stock");
    let ledger = db.store.points_ledger(rich, 5).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta, ledger[0].balance_after), (Reason::Reversal, 5, 90));
    assert!(ledger[0].reverses_id.is_some());
    let r2 = db.store.redeem(scarce, rich, staff).await.unwrap();
    db.store.hand_over(r2, staff).await.unwrap();
    let e = db.store.reverse_redemption(r2, "已领取", staff).await.unwrap_err();
    assert!(refused(e, "redemption", "error.points.not_redeemed"), "a handed item is not reversed");

    // The ledger cannot be edited or emptied, even by hand.
    let edit = transaction!(db.store, |tx| {
        exec!(tx, sqlx::query("UPDATE points_entries SET delta = 1000 WHERE resident_id = $1").bind(rich))?
    });
    assert!(edit.is_err(), "entries are not changed");
    let delete = transaction!(db.store, |tx| {
        exec!(tx, sqlx::query("DELETE FROM points_entries WHERE resident_id = $1").bind(rich))?
    });
    assert!(delete.is_err(), "entries are not deleted");
    assert_eq!(db.store.points_mismatches(community).await.unwrap(), 0);
});

dual_backend_test!(hours_are_recorded_once_for_who_signed_up_and_earn_points_a_correction_moves, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(Role::CommunityStaff).unwrap().account_id;
    let community = demo.community_id;
    let people = residents(&db.store, community, 3).await;
    let (a, b, outsider) = (people[0], people[1], people[2]);
    let day = linli_store::today() + chrono::Days::new(3);
    let activity = db
        .store
        .create_activity(&NewActivity {
            community_id: community,
            kind: Kind::Festival,
            title: "重阳敬老宴".into(),
            description: String::new(),
            venue: "社区食堂".into(),
            starts_at: format!("{day} 10:00"),
            ends_at: format!("{day} 13:00"),
            capacity: 50,
            eligibility: Eligibility::default(),
            grids: Vec::new(),
            organiser: Organiser::Community,
            organisation_id: None,
            status: Status::Approved,
            by: staff,
        })
        .await
        .unwrap();
    let shift =
        db.store.add_shift(activity, "餐桌服务", &format!("{day} 09:30"), &format!("{day} 13:00"), 1).await.unwrap();
    let e = db.store.sign_up(shift, a, true).await.unwrap_err();
    assert!(refused(e, "shift", "error.volunteer.not_volunteer"), "only a volunteer signs up");
    let va = db.store.join_volunteers(a, "烹饪", true, staff).await.unwrap();
    let vb = db.store.join_volunteers(b, "", false, staff).await.unwrap();
    let vc = db.store.join_volunteers(outsider, "", false, staff).await.unwrap();
    let e = db.store.join_volunteers(a, "", true, staff).await.unwrap_err();
    assert!(refused(e, "consent", "error.volunteer.already"));
    let sa = db.store.sign_up(shift, a, true).await.unwrap();
    let sb = db.store.sign_up(shift, b, true).await.unwrap();
    assert_eq!((sa.status, sb.status, sb.ahead), (BookingStatus::Booked, BookingStatus::Waiting, 0));
    let e = db.store.sign_up(shift, a, true).await.unwrap_err();
    assert!(refused(e, "shift", "error.volunteer.twice"));
    assert_eq!(db.store.cancel_signup(sa.id).await.unwrap(), Some(sb.id), "the first in line moves up");
    let sa = db.store.sign_up(shift, a, true).await.unwrap();
    assert_eq!(sa.status, BookingStatus::Waiting, "a's place went to b");

    // The day comes: the shift and the activity move into the past.
    let past = linli_store::today().to_string();
    transaction!(db.store, |tx| {
        exec!(
            tx,
            sqlx::query("UPDATE shifts SET starts_at = $2, ends_at = $3 WHERE id = $1")
                .bind(shift)
                .bind(format!("{past} 00:00"))
                .bind(format!("{past} 03:30"))
        )?;
        exec!(
            tx,
            sqlx::query("UPDATE activities SET starts_at = $2 WHERE id = $1")
                .bind(activity)
                .bind(format!("{past} 00:30"))
        )?;
    })
    .unwrap();
    let hours = |volunteer_id, signup_id| NewHours {
        volunteer_id,
        signup_id,
        activity_id: Some(activity),
        team_id: None,
        project: "重阳敬老宴".into(),
        served_on: past.clone(),
        minutes: 210,
        content: "餐桌服务".into(),
        issuer: "社区居委会".into(),
        organisation_id: None,
        by: staff,
    };
    let e = db.store.record_hours(&hours(vc, Some(sb.id))).await.unwrap_err();
    assert!(refused(e, "signup", "error.volunteer.not_signed_up"), "not someone else's sign-up");
    let e = db.store.record_hours(&hours(va, Some(sa.id))).await.unwrap_err();
    assert!(refused(e, "signup", "error.volunteer.not_signed_up"), "not one still in line");
    let balance = db.store.points_balance(b).await.unwrap();
    let h = db.store.record_hours(&hours(vb, Some(sb.id))).await.unwrap();
    let e = db.store.record_hours(&hours(vb, Some(sb.id))).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "signup"), "recorded once");
    assert_eq!(db.store.points_balance(b).await.unwrap(), balance + 35, "3.5 hours at 10 points an hour");
    assert_eq!(db.store.volunteer(vb).await.unwrap().minutes, 210);

    // b asks for the half hour of setting up; the organiser accepts.
    let e = db.store.ask_correction(h, 210, "时长有误").await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(f) if f.field == "asked_minutes"), "a correction changes something");
    let c = db.store.ask_correction(h, 240, "提前半小时到场布置").await.unwrap();
    let e = db.store.ask_correction(h, 250, "再补十分钟").await.unwrap_err();
    assert!(refused(e, "asked_minutes", "error.volunteer.asked"), "one open request at a time");
    db.store.decide_correction(c, true, "核实属实", staff).await.unwrap();
    let e = db.store.decide_correction(c, false, "重复处理", staff).await.unwrap_err();
    assert!(refused(e, "correction", "error.volunteer.decided"));
    assert_eq!(db.store.hours(h).await.unwrap().minutes, 240);
    assert_eq!(db.store.points_balance(b).await.unwrap(), balance + 40);
    let ledger = db.store.points_ledger(b, 2).await.unwrap();
    assert_eq!((ledger[0].reason, ledger[0].delta), (Reason::Correction, 5), "the difference, as a new entry");
    assert_eq!((ledger[1].reason, ledger[1].delta), (Reason::VolunteerHour, 35), "the first entry stands");
    assert_eq!(db.store.corrections_of(vb).await.unwrap()[0].was_minutes, 210, "the request keeps what it was");
    assert_eq!(db.store.points_mismatches(community).await.unwrap(), 0);
});
