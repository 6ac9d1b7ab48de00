//! Opening an alarm's case writes the report, its registration, its dispatch, the notice
//! and the alarm's link to the case in one transaction. A crash at any point between them
//! must leave nothing behind (no case reported and never dispatched, no alarm linked to a
//! case that is not whole), and the clock's next round must open the case once, whole. The crash points are injected with the `fail` crate; they are
//! process-wide, so this file holds one test that walks both backends in turn.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming, NewDevice};
use linli_store::{Store, now_ms, read};
use linli_test_support::{TestDb, small_demo};

const CRASH_POINTS: [&str; 3] = ["alarm_case.registered", "alarm_case.dispatched", "alarm_case.linked"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_at_any_point_of_opening_an_alarms_case_leaves_no_case_stranded() {
    let scenario = fail::FailScenario::setup();
    let mut backends = vec![TestDb::sqlite().await];
    backends.extend(TestDb::postgres().await);
    for db in &backends {
        crash_at_each_point(&db.store).await;
    }
    scenario.teardown();
}

async fn crash_at_each_point(store: &Store) {
    let spec = linli_store::demo::DemoSpec { case_days: 0, ..small_demo() };
    let demo = linli_store::demo::load(store, &spec).await.unwrap();
    let buildings = store.buildings_in_grid(demo.grid_ids[0]).await.unwrap();
    for (point, building) in CRASH_POINTS.into_iter().zip(&buildings) {
        // A smoke detector of its own building, so that no alarm joins another's case.
        let new = NewDevice {
            community_id: demo.community_id,
            code: format!("smoke-{point}"),
            name: format!("烟感 {point}"),
            profile_code: "smoke_detector".into(),
            building_id: Some(building.id),
            ..Default::default()
        };
        let smoke = store.register_device(&new).await.unwrap().0;
        fail::cfg(point, "return").unwrap();
        let payload = format!(r#"{{"ts": {}, "values": {{"smoke": true}}}}"#, now_ms());
        let message = Incoming {
            device: DeviceRef::Id(smoke),
            channel: Channel::Telemetry,
            payload: payload.into_bytes(),
            received_at: now_ms(),
        };
        let out = store.ingest(&[message]).await.unwrap();
        assert!(out.cases.is_empty(), "{point}: the round stopped before the case was whole");
        fail::cfg(point, "off").unwrap();
        let alarm = &store.device_alarms(smoke).await.unwrap()[0];
        assert_eq!(alarm.case_id, None, "{point}: the alarm is not linked to a half-opened case");
        let key = format!("alarm:{}", alarm.id);
        let stranded: i64 =
            read!(store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE idempotency_key = $1")
                .bind(&key)
                .fetch_one(db)
                .await
                .unwrap());
        assert_eq!(stranded, 0, "{point}: nothing of the case was left behind");

        // The clock's next round (as after a restart).
        let opened = store.open_alarm_cases().await.unwrap();
        assert_eq!(opened.len(), 1, "{point}");
        let alarm = &store.device_alarms(smoke).await.unwrap()[0];
        assert_eq!(alarm.case_id, Some(opened[0]), "{point}: the alarm is linked to its case");
        let case = store.case(opened[0]).await.unwrap();
        assert_eq!(case.state, "dispatched", "{point}");
        assert!(case.deadline.is_some(), "{point}: registered, with a deadline");
        let kinds: Vec<String> = store.case_timeline(case.id).await.unwrap().into_iter().map(|e| e.kind).collect();
        for kind in ["report", "register", "dispatch"] {
            assert_eq!(kinds.iter().filter(|k| *k == kind).count(), 1, "{point}: one {kind} in {kinds:?}");
        }
        let cases: i64 = read!(store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE idempotency_key = $1")
            .bind(&key)
            .fetch_one(db)
            .await
            .unwrap());
        assert_eq!(cases, 1, "{point}: one case for the alarm");
        assert!(store.open_alarm_cases().await.unwrap().is_empty(), "{point}: a further round changes nothing");
    }
}
