//! Bookings of one slot sent at once, on both backends: the places are filled exactly, the
//! rest wait in the order they arrived (their line numbers run without gap or repeat), and
//! places given up at once go to the first in line, one each.

use linli_domain::Role;
use linli_domain::service::{BookingStatus, Eligibility, Kind};
use linli_store::services::NewService;
use linli_store::{StoreError, read};
use linli_test_support::{dual_backend_test, small_demo};

/// The counselling service of the demo's social organisation, with one slot of `places`
/// tomorrow; returns (slot, the organisation's staff account).
async fn slot_of(store: &linli_store::Store, places: i64) -> (i64, i64, linli_store::demo::DemoReport) {
    let demo = linli_store::demo::load(store, &small_demo()).await.unwrap();
    let staff = demo.account(Role::SocialOrgStaff).unwrap().account_id;
    let org = store
        .organisations(demo.community_id)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.kind == "social_organisation")
        .unwrap()
        .id;
    let service = store
        .create_service(&NewService {
            community_id: demo.community_id,
            organisation_id: org,
            kind: Kind::Counselling,
            title: "心理疏导".into(),
            description: String::new(),
            place: "社区活动中心 203".into(),
            eligibility: Eligibility::default(),
            by: staff,
        })
        .await
        .unwrap();
    let tomorrow = format!("{} 14:00", linli_store::today() + chrono::Days::new(1));
    let slot = store.add_slot(service, &tomorrow, 60, places).await.unwrap();
    (slot, staff, demo)
}

async fn residents(store: &linli_store::Store, community_id: i64, n: i64) -> Vec<i64> {
    read!(store, |d| sqlx::query_scalar("SELECT id FROM residents WHERE community_id = $1 ORDER BY id LIMIT $2")
        .bind(community_id)
        .bind(n)
        .fetch_all(d)
        .await
        .unwrap())
}

/// (line, status) of the slot's bookings, in line order.
async fn lines(store: &linli_store::Store, slot: i64) -> Vec<(i64, BookingStatus)> {
    let rows: Vec<(i64, String)> =
        read!(store, |d| sqlx::query_as("SELECT line, status FROM bookings WHERE slot_id = $1 ORDER BY line")
            .bind(slot)
            .fetch_all(d)
            .await
            .unwrap());
    rows.into_iter().map(|(l, s)| (l, BookingStatus::try_from(s).unwrap())).collect()
}

dual_backend_test!(a_rush_on_one_slot_fills_its_places_exactly_and_lines_up_the_rest, |db| {
    let (slot, staff, demo) = slot_of(&db.store, 5).await;
    let people = residents(&db.store, demo.community_id, 40).await;
    let tries = people.iter().map(|&r| {
        let store = db.store.clone();
        tokio::spawn(async move { (r, store.book(slot, r, staff, true, None).await.unwrap()) })
    });
    let mut placed = Vec::new();
    for t in tries {
        placed.push(t.await.unwrap());
    }
    let booked = placed.iter().filter(|(_, p)| p.status == BookingStatus::Booked).count();
    assert_eq!(booked, 5, "exactly the places");
    let stored = lines(&db.store, slot).await;
    assert_eq!(stored.iter().map(|l| l.0).collect::<Vec<_>>(), (1..=40).collect::<Vec<_>>(), "one line each");
    assert!(stored[..5].iter().all(|l| l.1 == BookingStatus::Booked), "the first five arrivals hold the places");
    assert!(stored[5..].iter().all(|l| l.1 == BookingStatus::Waiting));
    // Each waiting booking was told how many were ahead of it when it arrived.
    let mut aheads: Vec<i64> =
        placed.iter().filter(|(_, p)| p.status == BookingStatus::Waiting).map(|(_, p)| p.ahead).collect();
    aheads.sort();
    assert_eq!(aheads, (0..35).collect::<Vec<_>>());

    // The same resident again, and a newcomer without asking to wait: refused, nothing written.
    let again = db.store.book(slot, people[0], staff, true, None).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.key == "error.service.booked_twice"));
    let extra = residents(&db.store, demo.community_id, 41).await[40];
    let full = db.store.book(slot, extra, staff, false, None).await;
    assert!(matches!(full, Err(StoreError::Invalid(e)) if (e.field, e.key) == ("slot", "error.service.full")));
    assert_eq!(lines(&db.store, slot).await.len(), 40);

    // Three places given up at once go to lines 6, 7 and 8.
    let holders: Vec<i64> = read!(db.store, |d| sqlx::query_scalar(
        "SELECT id FROM bookings WHERE slot_id = $1 AND status = 'booked' ORDER BY line LIMIT 3"
    )
    .bind(slot)
    .fetch_all(d)
    .await
    .unwrap());
    let cancels = holders.into_iter().map(|b| {
        let store = db.store.clone();
        tokio::spawn(async move { store.cancel_booking(b).await.unwrap() })
    });
    let mut promoted = 0;
    for c in cancels {
        promoted += usize::from(c.await.unwrap().is_some());
    }
    assert_eq!(promoted, 3);
    let after = lines(&db.store, slot).await;
    let held: Vec<i64> = after.iter().filter(|l| l.1 == BookingStatus::Booked).map(|l| l.0).collect();
    assert_eq!(held, [4, 5, 6, 7, 8]);
    assert_eq!(db.store.slot(slot).await.unwrap().taken, 5);
});

dual_backend_test!(a_rush_on_an_activity_registers_exactly_its_places_with_distinct_codes, |db| {
    use linli_domain::activity::{Kind as ActivityKind, Organiser, Status};
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let staff = demo.account(Role::CommunityStaff).unwrap().account_id;
    let day = linli_store::today() + chrono::Days::new(3);
    let activity = db
        .store
        .create_activity(&linli_store::activities::NewActivity {
            community_id: demo.community_id,
            kind: ActivityKind::Festival,
            title: "中秋游园会".into(),
            description: String::new(),
            venue: "中心广场".into(),
            starts_at: format!("{day} 18:30"),
            ends_at: format!("{day} 21:00"),
            capacity: 10,
            eligibility: Eligibility::default(),
            grids: Vec::new(),
            organiser: Organiser::Community,
            organisation_id: None,
            status: Status::Approved,
            by: staff,
        })
        .await
        .unwrap();
    let people = residents(&db.store, demo.community_id, 60).await;
    let tries = people.iter().map(|&r| {
        let store = db.store.clone();
        tokio::spawn(async move { store.register(activity, r, staff, true).await.unwrap() })
    });
    for t in tries {
        t.await.unwrap();
    }
    let rows: Vec<(i64, String, String)> = read!(db.store, |d| sqlx::query_as(
        "SELECT line, status, code FROM registrations WHERE activity_id = $1 ORDER BY line"
    )
    .bind(activity)
    .fetch_all(d)
    .await
    .unwrap());
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), (1..=60).collect::<Vec<_>>());
    assert!(rows[..10].iter().all(|r| r.1 == "booked") && rows[10..].iter().all(|r| r.1 == "waiting"));
    let mut codes: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), 60, "a code each");
    let a = db.store.activity(activity).await.unwrap();
    assert_eq!((a.taken, a.waiting), (10, 50));
});
