//! Remote monitoring in the store, on both backends: a sensor's message opens a case for
//! the grid of its building, acknowledging the alarm accepts the case and the case closes
//! only when the alarm is cleared and acknowledged; redeliveries change nothing; bad
//! messages stop nothing; absence and offline rules under a controllable clock; rule state
//! across a restart; grouping per building; flapping; retention.

use linli_domain::Role;
use linli_domain::case::{Event, Remark};
use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming, NewDevice, Outcome};
use linli_store::{Store, now_ms, read};
use linli_test_support::{TestDb, dual_backend_test, small_demo};

const HOUR: i64 = 3_600_000;

struct Site {
    demo: linli_store::demo::DemoReport,
    building: i64,
}

async fn site(db: &TestDb) -> Site {
    let spec = linli_store::demo::DemoSpec { case_days: 0, ..small_demo() };
    let demo = linli_store::demo::load(&db.store, &spec).await.unwrap();
    let building = db.store.buildings_in_grid(demo.grid_ids[0]).await.unwrap()[0].id;
    Site { demo, building }
}

async fn device(db: &TestDb, site: &Site, code: &str, profile: &str) -> i64 {
    let new = NewDevice {
        community_id: site.demo.community_id,
        code: code.into(),
        name: format!("{code} 1单元"),
        profile_code: profile.into(),
        building_id: Some(site.building),
        room: "1单元".into(),
        ..Default::default()
    };
    db.store.register_device(&new).await.unwrap().0
}

fn message(device: i64, channel: Channel, payload: &str) -> Incoming {
    Incoming { device: DeviceRef::Id(device), channel, payload: payload.as_bytes().to_vec(), received_at: now_ms() }
}

fn telemetry(device: i64, ts: i64, values: &str) -> Incoming {
    message(device, Channel::Telemetry, &format!(r#"{{"ts": {ts}, "values": {values}}}"#))
}

async fn count(store: &Store, sql: &str, id: i64) -> i64 {
    read!(store, |db| sqlx::query_scalar(sql).bind(id).fetch_one(db).await.unwrap())
}

dual_backend_test!(a_smoke_alarm_opens_a_case_that_closes_only_when_the_alarm_is_cleared_and_acknowledged, |db| {
    let site = site(&db).await;
    let smoke = device(&db, &site, "smoke-1", "smoke_detector").await;
    let t0 = now_ms();
    let out = db.store.ingest(&[telemetry(smoke, t0, r#"{"smoke": true, "battery": 80}"#)]).await.unwrap();
    assert_eq!(out.outcomes, vec![Outcome::Stored]);
    assert_eq!(out.cases.len(), 1, "a critical alarm opens a case");
    let alarm = db.store.device_alarms(smoke).await.unwrap().remove(0);
    assert_eq!(
        (alarm.alarm.as_str(), alarm.severity.as_str(), alarm.status().as_str()),
        ("smoke", "critical", "active_unack")
    );
    let case = db.store.case(alarm.case_id.unwrap()).await.unwrap();
    let building_grid = db.store.buildings_in_grid(site.demo.grid_ids[0]).await.unwrap()[0].grid_id;
    assert_eq!(case.grid_id, Some(building_grid));
    assert_eq!((case.source.as_str(), case.category_code.as_str(), case.state.as_str()), ("alarm", "05", "dispatched"));
    let worker = site.demo.account(Role::GridWorker).unwrap().account_id;
    assert_eq!(case.assignee_account_id, Some(worker), "safety hazards go to the grid's worker");
    assert!(case.description.contains("烟雾报警"), "{}", case.description);

    // Acknowledging the alarm accepts the case in the acknowledger's name.
    let acked = db.store.acknowledge_alarm(alarm.id, worker).await.unwrap();
    assert_eq!(acked.status(), "active_ack");
    let case = db.store.case(case.id).await.unwrap();
    assert_eq!(case.state, "accepted");
    let timeline = db.store.case_timeline(case.id).await.unwrap();
    assert_eq!(timeline.last().unwrap().account_id, Some(worker));

    db.store.apply_case_step(case.id, Some(worker), &Event::Feedback, "现场确认，已处置").await.unwrap();
    let staff = site.demo.account(Role::CommunityStaff).unwrap().account_id;
    let refused = db.store.apply_case_step(case.id, Some(staff), &Event::VerifyPass, "").await.unwrap_err();
    assert!(refused.to_string().contains("error.case.alarm_open"), "{refused}");
    assert_eq!(db.store.case(case.id).await.unwrap().state, "handled", "a refused step writes nothing");

    // Smoke gone: the alarm clears; cleared and acknowledged, it is closed, and so may the case be.
    db.store.ingest(&[telemetry(smoke, t0 + 60_000, r#"{"smoke": false}"#)]).await.unwrap();
    let alarm = db.store.alarm(alarm.id).await.unwrap();
    assert_eq!(alarm.status(), "cleared_ack");
    assert!(alarm.closed);
    db.store.apply_case_step(case.id, Some(staff), &Event::VerifyPass, "").await.unwrap();
    assert_eq!(db.store.case(case.id).await.unwrap().state, "closed");
});

dual_backend_test!(a_redelivered_message_changes_nothing, |db| {
    let site = site(&db).await;
    let smoke = device(&db, &site, "smoke-2", "smoke_detector").await;
    let t0 = now_ms();
    let first = telemetry(smoke, t0, r#"{"smoke": 1}"#);
    let out = db.store.ingest(&[first.clone(), first.clone()]).await.unwrap();
    assert_eq!(out.outcomes, vec![Outcome::Stored, Outcome::Duplicate]);
    let out = db.store.ingest(std::slice::from_ref(&first)).await.unwrap();
    assert_eq!(out.outcomes, vec![Outcome::Duplicate]);
    assert!(out.cases.is_empty());
    let alarms = db.store.device_alarms(smoke).await.unwrap();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].repeats, 0, "a redelivery is not a repeat");
    assert_eq!(count(&db.store, "SELECT COUNT(*) FROM telemetry WHERE device_id = $1", smoke).await, 1);
    assert_eq!(
        count(
            &db.store,
            "SELECT COUNT(*) FROM cases WHERE source = 'alarm' AND community_id = $1",
            site.demo.community_id
        )
        .await,
        1
    );
    // The same values later, with their own time, are a repeat.
    db.store.ingest(&[telemetry(smoke, t0 + 1000, r#"{"smoke": 1}"#)]).await.unwrap();
    assert_eq!(db.store.device_alarms(smoke).await.unwrap()[0].repeats, 1);
});

dual_backend_test!(unknown_devices_and_bad_payloads_are_reported_and_stop_nothing, |db| {
    let site = site(&db).await;
    let meter = device(&db, &site, "meter-1", "elder_water_meter").await;
    let unknown = Incoming {
        device: DeviceRef::Topic { community: "nope".into(), device: "x".into() },
        channel: Channel::Telemetry,
        payload: br#"{"flow": 1}"#.to_vec(),
        received_at: now_ms(),
    };
    let by_topic = Incoming {
        device: DeviceRef::Topic { community: site_code(&db, site.demo.community_id).await, device: "meter-1".into() },
        ..unknown.clone()
    };
    let out = db
        .store
        .ingest(&[
            unknown,
            message(meter, Channel::Telemetry, "{oops"),
            message(meter, Channel::State, "maybe"),
            by_topic,
        ])
        .await
        .unwrap();
    assert_eq!(out.outcomes[0], Outcome::UnknownDevice);
    assert!(matches!(&out.outcomes[1], Outcome::Malformed(e) if e.field == "payload"));
    assert!(matches!(&out.outcomes[2], Outcome::Malformed(e) if e.field == "payload"));
    assert_eq!(out.outcomes[3], Outcome::Stored);
    let values = db.store.device_values(meter).await.unwrap();
    assert_eq!((values[0].key.as_str(), values[0].value), ("flow", 1.0));
    assert!(db.store.device(meter).await.unwrap().online);
});

async fn site_code(db: &TestDb, community: i64) -> String {
    read!(db.store, |pool| sqlx::query_scalar("SELECT code FROM communities WHERE id = $1")
        .bind(community)
        .fetch_one(pool)
        .await
        .unwrap())
}

dual_backend_test!(absence_and_offline_fire_and_clear_under_a_controllable_clock, |db| {
    let site = site(&db).await;
    let meter = device(&db, &site, "meter-2", "elder_water_meter").await;
    let t0 = now_ms();
    db.store.ingest(&[telemetry(meter, t0, r#"{"flow": 2.5}"#)]).await.unwrap();
    // Readings of no use do not count as use; a day after the last use the alarm fires.
    for h in 1..=24 {
        db.store.ingest(&[telemetry(meter, t0 + h * HOUR, r#"{"flow": 0}"#)]).await.unwrap();
    }
    // (The demo's own sensors go quiet under this clock too: only this meter is looked at.)
    db.store.monitor_tick(t0 + 24 * HOUR - 1).await.unwrap();
    assert!(db.store.device_alarms(meter).await.unwrap().is_empty());
    let out = db.store.monitor_tick(t0 + 24 * HOUR).await.unwrap();
    let alarm = db.store.device_alarms(meter).await.unwrap().remove(0);
    assert!(out.raised.contains(&alarm.id));
    assert_eq!((alarm.alarm.as_str(), alarm.severity.as_str()), ("no_water_use", "major"));
    let case = db.store.case(alarm.case_id.expect("a major alarm opens a case")).await.unwrap();
    assert_eq!(case.category_code, "10");
    // The next round does not raise it again.
    assert!(!db.store.monitor_tick(t0 + 25 * HOUR).await.unwrap().raised.contains(&alarm.id));
    // Water used: cleared.
    db.store.ingest(&[telemetry(meter, t0 + 25 * HOUR, r#"{"flow": 1}"#)]).await.unwrap();
    assert_eq!(db.store.alarm(alarm.id).await.unwrap().status(), "cleared_unack");

    // Offline by the Last Will: a warning alarm, no case; silent absence while away.
    db.store.ingest(&[message(meter, Channel::State, "offline")]).await.unwrap();
    let offline = db.store.device_alarms(meter).await.unwrap().into_iter().find(|a| a.alarm == "offline").unwrap();
    assert_eq!((offline.severity.as_str(), offline.case_id), ("warning", None));
    assert!(!db.store.device(meter).await.unwrap().online);
    db.store.monitor_tick(t0 + 80 * HOUR).await.unwrap();
    let absence = db.store.alarm(alarm.id).await.unwrap();
    assert_eq!(absence.status(), "cleared_unack", "no absence alarm while the meter is offline");
    assert_eq!(db.store.device_alarms(meter).await.unwrap().len(), 2);
    // Back online: the offline alarm clears, and the absence count starts again.
    db.store.ingest(&[message(meter, Channel::State, "online")]).await.unwrap();
    assert_eq!(db.store.alarm(offline.id).await.unwrap().status(), "cleared_unack");

    // Offline by silence: nothing for two hours (this profile's limit).
    let quiet = db.store.device(meter).await.unwrap().last_seen.unwrap();
    assert!(!db.store.monitor_tick(quiet + 2 * HOUR - 1).await.unwrap().raised.contains(&offline.id));
    let out = db.store.monitor_tick(quiet + 2 * HOUR).await.unwrap();
    assert!(out.raised.contains(&offline.id), "the same unacknowledged incident comes back");
    assert_eq!(db.store.device_alarms(meter).await.unwrap().len(), 2);
    assert_eq!(db.store.alarm(offline.id).await.unwrap().flaps, 1);
});

dual_backend_test!(rule_state_survives_a_restart, |db| {
    let site = site(&db).await;
    let level = device(&db, &site, "level-1", "water_level").await;
    let t0 = now_ms();
    db.store.ingest(&[telemetry(level, t0, r#"{"level": 90}"#)]).await.unwrap();
    assert!(db.store.device_alarms(level).await.unwrap().is_empty(), "this rule needs two readings in a row");
    let restarted = db.reopen().await;
    restarted.ingest(&[telemetry(level, t0 + 60_000, r#"{"level": 91}"#)]).await.unwrap();
    let alarms = restarted.device_alarms(level).await.unwrap();
    assert_eq!(alarms.len(), 1, "the first reading was remembered across the restart");
    assert_eq!(alarms[0].alarm, "high_water");
});

dual_backend_test!(alarms_of_one_building_share_a_case_and_a_flapping_alarm_stays_one, |db| {
    let site = site(&db).await;
    let a = device(&db, &site, "leak-a", "water_leak").await;
    let b = device(&db, &site, "leak-b", "water_leak").await;
    let t0 = now_ms();
    let out = db.store.ingest(&[telemetry(a, t0, r#"{"leak": 1}"#), telemetry(b, t0, r#"{"leak": 1}"#)]).await.unwrap();
    assert_eq!(out.cases.len(), 2);
    assert_eq!(out.cases[0], out.cases[1], "one case for the building");
    let case = out.cases[0];
    assert_eq!(db.store.case_alarms(case).await.unwrap().len(), 2);
    let joined = db.store.case_timeline(case).await.unwrap().into_iter().find_map(|e| e.remark());
    assert!(
        matches!(&joined, Some(Remark::AlarmJoined { device, alarm }) if device.contains("leak-b") && alarm == "water_leak"),
        "the timeline says which device's alarm joined: {joined:?}"
    );

    // Leak, dry, leak, dry… before anyone acknowledges: one alarm, counted as flapping.
    for i in 1..=7 {
        let leak = i64::from(i % 2 == 0);
        db.store.ingest(&[telemetry(a, t0 + i * 1000, &format!(r#"{{"leak": {leak}}}"#))]).await.unwrap();
    }
    let alarms = db.store.device_alarms(a).await.unwrap();
    assert_eq!(alarms.len(), 1);
    assert_eq!(alarms[0].flaps, 3);
    assert!(alarms[0].flapping());
    assert_eq!(alarms[0].status(), "cleared_unack");
    // Acknowledged now, it is closed; the next leak is a new alarm.
    let staff = site.demo.account(Role::CommunityStaff).unwrap().account_id;
    assert!(db.store.acknowledge_alarm(alarms[0].id, staff).await.unwrap().closed);
    db.store.ingest(&[telemetry(a, t0 + 10_000, r#"{"leak": 1}"#)]).await.unwrap();
    assert_eq!(db.store.device_alarms(a).await.unwrap().len(), 2);
});

dual_backend_test!(a_thrown_object_alarm_waits_for_a_person_to_clear_it, |db| {
    let site = site(&db).await;
    let camera = device(&db, &site, "cam-1", "thrown_object_camera").await;
    db.store
        .ingest(&[message(camera, Channel::Event, r#"{"event": "thrown_object", "ts": 1790000000000}"#)])
        .await
        .unwrap();
    let alarm = db.store.device_alarms(camera).await.unwrap().remove(0);
    assert_eq!(db.store.case(alarm.case_id.unwrap()).await.unwrap().category_code, "0503");
    db.store.ingest(&[telemetry(camera, now_ms(), r#"{"fps": 25}"#)]).await.unwrap();
    assert_eq!(db.store.alarm(alarm.id).await.unwrap().status(), "active_unack", "readings do not clear it");
    let staff = site.demo.account(Role::CommunityStaff).unwrap().account_id;
    assert_eq!(db.store.clear_alarm(alarm.id, staff).await.unwrap().status(), "cleared_unack");
});

dual_backend_test!(old_telemetry_is_kept_as_hourly_sums_and_charts_read_both, |db| {
    let site = site(&db).await;
    let level = device(&db, &site, "level-2", "water_level").await;
    let now = now_ms();
    let old = now - 40 * 24 * HOUR;
    let old = old - old % HOUR;
    let batch: Vec<Incoming> =
        (0..6).map(|i| telemetry(level, old + i * 10 * 60_000, &format!(r#"{{"level": {}}}"#, 10 + i))).collect();
    db.store.ingest(&batch).await.unwrap();
    db.store.ingest(&[telemetry(level, now - HOUR, r#"{"level": 50}"#)]).await.unwrap();
    assert_eq!(db.store.prune_telemetry(now, 30).await.unwrap(), 6);
    assert_eq!(count(&db.store, "SELECT COUNT(*) FROM telemetry WHERE device_id = $1", level).await, 1);
    let series = db.store.telemetry_series(level, "level", now - 60 * 24 * HOUR, now, 60).await.unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!((series[0].low, series[0].mean, series[0].high), (10.0, 12.5, 15.0));
    assert_eq!(series[1].mean, 50.0);
});
