//! Remote monitoring end to end, on both backends: messages through the real Mosquitto
//! (the machine's broker at 127.0.0.1:1883, or `LINLI_TEST_MQTT_URL`) open a case; a
//! duplicate delivery makes one alarm; a broker of the test's own, restarted in the middle
//! of a stream, loses no acknowledged message and the subscription goes on; and the HTTP
//! ingestion endpoint with its device token.
//!
//! Without a broker the MQTT tests are skipped, unless `LINLI_REQUIRE_MQTT=1` (CI).

use axum::http::{Method, StatusCode};
use linli_domain::Role;
use linli_monitor::mqtt::{self, MqttConfig};
use linli_store::monitoring::NewDevice;
use linli_store::{Store, now_ms, read};
use linli_test_support::{TestApp, dual_backend_test, zh};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::process::{Child, Command};
use std::time::Duration;

fn broker_url() -> String {
    std::env::var("LINLI_TEST_MQTT_URL").unwrap_or_else(|_| "mqtt://127.0.0.1:1883".into())
}

fn required() -> bool {
    std::env::var("LINLI_REQUIRE_MQTT").is_ok_and(|v| v == "1")
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// Publishes one message at QoS 1 and waits for the broker's acknowledgement.
async fn publish(url: &str, topic: &str, payload: &str) -> bool {
    let (host, port) = mqtt::parse_url(url).unwrap();
    let mut options = MqttOptions::new(unique("pub"), host, port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut events) = AsyncClient::new(options, 10);
    if client.publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec()).await.is_err() {
        return false;
    }
    let acked = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    })
    .await
    .unwrap_or(false);
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_millis(200), events.poll()).await;
    acked
}

/// True when a broker answers at `url`.
async fn broker_up(url: &str) -> bool {
    let (host, port) = mqtt::parse_url(url).unwrap();
    tokio::net::TcpStream::connect((host.as_str(), port)).await.is_ok()
}

/// Ends the broker's record of a test's session (connects clean, then leaves).
async fn forget_session(url: &str, client_id: &str) {
    let (host, port) = mqtt::parse_url(url).unwrap();
    let mut options = MqttOptions::new(client_id, host, port);
    options.set_clean_session(true);
    let (client, mut events) = AsyncClient::new(options, 10);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(e) = events.poll().await {
            if matches!(e, Event::Incoming(Packet::ConnAck(_))) {
                let _ = client.disconnect().await;
            }
        }
    })
    .await;
}

async fn wait_for<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn count(store: &Store, sql: &str, id: i64) -> i64 {
    read!(store, |db| sqlx::query_scalar(sql).bind(id).fetch_one(db).await.unwrap())
}

async fn post(app: &TestApp, auth: String, body: String, path: &str) -> linli_test_support::Reply {
    let headers = [("authorization", auth.as_str()), ("accept-language", "en")];
    app.browser().send(Method::POST, path, Some(("application/json", body.into_bytes())), &headers).await
}

async fn register(app: &TestApp, profile: &str) -> (i64, String, String) {
    let code = unique(profile);
    let building = app.building_in_grid(app.demo.grid_ids[0]).await;
    let (id, token) = app
        .db
        .store
        .register_device(&NewDevice {
            community_id: app.demo.community_id,
            code: code.clone(),
            name: code.clone(),
            profile_code: profile.into(),
            building_id: Some(building),
            ..Default::default()
        })
        .await
        .unwrap();
    let community = app.db.store.community(app.demo.community_id).await.unwrap().code;
    (id, format!("linli/{community}/{code}"), token)
}

/// Skips (or, in CI, fails) when the machine's broker is down.
async fn machine_broker() -> Option<String> {
    let url = broker_url();
    if broker_up(&url).await {
        return Some(url);
    }
    assert!(!required(), "LINLI_REQUIRE_MQTT=1 but no MQTT broker answers at {url}");
    eprintln!("no MQTT broker at {url}: skipped");
    None
}

dual_backend_test!(a_smoke_alarm_published_to_the_broker_opens_a_case_once, |db| {
    let Some(url) = machine_broker().await else { return };
    let app = TestApp::new(db).await;
    let (device, topic, _) = register(&app, "smoke_detector").await;
    let client_id = unique("linli-test");
    let subscriber = mqtt::spawn(app.monitor.clone(), MqttConfig::new(url.clone(), client_id.clone())).unwrap();
    // Until the subscription is in place the broker drops what it cannot deliver: say
    // hello until one arrives.
    wait_for("the subscription", || async {
        publish(&url, &format!("{topic}/state"), "online").await;
        app.db.store.device(device).await.unwrap().online
    })
    .await;
    let payload = format!(r#"{{"ts": {}, "values": {{"smoke": true}}}}"#, now_ms());
    let started = std::time::Instant::now();
    assert!(publish(&url, &format!("{topic}/telemetry"), &payload).await);
    // The same message again, as a redelivery would bring it.
    assert!(publish(&url, &format!("{topic}/telemetry"), &payload).await);
    wait_for("the alarm's case", || async {
        app.db.store.device_alarms(device).await.unwrap().first().is_some_and(|a| a.case_id.is_some())
    })
    .await;
    eprintln!("publish to case: {:?}", started.elapsed());
    let alarms = app.db.store.device_alarms(device).await.unwrap();
    assert_eq!(alarms.len(), 1, "one alarm for a duplicate delivery");
    assert_eq!(alarms[0].repeats, 0);
    let case = app.db.store.case(alarms[0].case_id.unwrap()).await.unwrap();
    assert_eq!((case.source.as_str(), case.state.as_str()), ("alarm", "dispatched"));
    wait_for("the duplicate to be counted", || async {
        count(&app.db.store, "SELECT COUNT(*) FROM device_messages WHERE device_id = $1", device).await == 2
    })
    .await;
    assert_eq!(
        count(
            &app.db.store,
            "SELECT COUNT(*) FROM cases WHERE source = 'alarm' AND community_id = $1",
            app.demo.community_id
        )
        .await,
        1
    );
    subscriber.abort();
    forget_session(&url, &client_id).await;
});

/// A Mosquitto of the test's own, with persistence, so it can be restarted.
struct Broker {
    child: Child,
    conf: std::path::PathBuf,
    url: String,
    _dir: tempfile::TempDir,
}

impl Broker {
    fn binary() -> String {
        std::env::var("LINLI_MOSQUITTO").unwrap_or_else(|_| {
            if std::path::Path::new("/usr/sbin/mosquitto").exists() {
                "/usr/sbin/mosquitto".into()
            } else {
                "mosquitto".into()
            }
        })
    }

    async fn start() -> Option<Broker> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        // Started as root, mosquitto drops to its own user, which must be able to save here.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\n\
                 max_queued_messages 100000\nlog_dest stderr\nlog_type error\nlog_type warning\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let child = match Command::new(Self::binary()).arg("-c").arg(&conf).spawn() {
            Ok(c) => c,
            Err(e) => {
                assert!(!required(), "LINLI_REQUIRE_MQTT=1 but mosquitto cannot start: {e}");
                eprintln!("mosquitto cannot start ({e}): skipped");
                return None;
            }
        };
        let broker = Broker { child, conf, url: format!("mqtt://127.0.0.1:{port}"), _dir: dir };
        broker.wait_up().await;
        Some(broker)
    }

    async fn wait_up(&self) {
        for _ in 0..100 {
            if broker_up(&self.url).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mosquitto did not start at {}", self.url);
    }

    /// Stops the broker as an operator would (SIGTERM: it saves its sessions) and starts it again.
    async fn restart(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
        self.child = Command::new(Self::binary()).arg("-c").arg(&self.conf).spawn().unwrap();
        self.wait_up().await;
    }

    /// Kills the broker (SIGKILL: it saves nothing) and starts it again.
    async fn crash_and_restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Command::new(Self::binary()).arg("-c").arg(&self.conf).spawn().unwrap();
        self.wait_up().await;
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A water-level device, and Linli subscribed to the broker at `url`: a message from the
/// device has come through.
async fn subscribed(app: &TestApp, url: &str) -> (i64, String, tokio::task::JoinHandle<()>) {
    let (device, topic, _) = register(app, "water_level").await;
    let subscriber = mqtt::spawn(app.monitor.clone(), MqttConfig::new(url.to_owned(), "linli")).unwrap();
    wait_for("the subscription", || async {
        publish(url, &format!("{topic}/state"), "online").await;
        app.db.store.device(device).await.unwrap().online
    })
    .await;
    (device, topic, subscriber)
}

dual_backend_test!(a_broker_restart_mid_stream_loses_no_acknowledged_message, |db| {
    let Some(mut broker) = Broker::start().await else { return };
    let app = TestApp::new(db).await;
    let url = broker.url.clone();
    let (device, topic, _subscriber) = subscribed(&app, &url).await;
    let base = now_ms();
    let mut retried = 0;
    for i in 0..120_i64 {
        if i == 60 {
            broker.restart().await;
        }
        let payload = format!(r#"{{"ts": {}, "values": {{"level": {}}}}}"#, base + i, i % 50);
        // A device publishes until the broker acknowledges.
        while !publish(&url, &format!("{topic}/telemetry"), &payload).await {
            retried += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    wait_for("every acknowledged message to be stored", || async {
        count(&app.db.store, "SELECT COUNT(*) FROM telemetry WHERE device_id = $1", device).await >= 120
    })
    .await;
    let stored: Vec<i64> =
        read!(app.db.store, |pool| sqlx::query_scalar("SELECT ts FROM telemetry WHERE device_id = $1 ORDER BY ts")
            .bind(device)
            .fetch_all(pool)
            .await
            .unwrap());
    assert_eq!(stored, (0..120).map(|i| base + i).collect::<Vec<_>>(), "each message once, none lost");
    eprintln!("publishes retried during the restart: {retried}");
    // The subscription still works after the restart: a new message arrives.
    assert!(publish(&url, &format!("{topic}/event"), r#"{"event": "ping"}"#).await);
    wait_for("a message after the restart", || async {
        count(&app.db.store, "SELECT COUNT(*) FROM device_messages WHERE device_id = $1 AND channel = 'event'", device)
            .await
            == 1
    })
    .await;
});

dual_backend_test!(devices_post_over_http_with_their_own_token, |db| {
    let app = TestApp::new(db).await;
    let (device, _, token) = register(&app, "water_leak").await;
    let bearer = format!("Bearer {token}");
    let body = format!(r#"{{"ts": {}, "values": {{"leak": 1, "temp": 18.5}}}}"#, now_ms());
    let r = post(&app, bearer.clone(), body.clone(), "/api/v1/telemetry").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let r = post(&app, bearer.clone(), body.clone(), "/api/v1/telemetry").await;
    assert_eq!((r.status, r.json()["outcome"].as_str()), (StatusCode::OK, Some("duplicate")));
    let alarms = app.db.store.device_alarms(device).await.unwrap();
    assert_eq!(alarms.len(), 1);
    assert!(alarms[0].case_id.is_some(), "a water leak is major: it opens a case");
    // The system registers and dispatches an alarm's case at once: only those it was
    // dispatched to are told, not the grid worker who would have nothing to do but escalate.
    let case = app.db.store.case(alarms[0].case_id.unwrap()).await.unwrap();
    let told: Vec<i64> =
        read!(app.db.store, |pool| sqlx::query_scalar("SELECT account_id FROM notifications WHERE case_id = $1")
            .bind(case.id)
            .fetch_all(pool)
            .await
            .unwrap());
    let holders: Vec<i64> = read!(app.db.store, |pool| sqlx::query_scalar(
        "SELECT account_id FROM role_assignments WHERE organisation_id = $1"
    )
    .bind(case.assignee_organisation_id)
    .fetch_all(pool)
    .await
    .unwrap());
    assert!(!told.is_empty(), "someone is told of the alarm's case");
    for account in told {
        assert!(case.assignee_account_id == Some(account) || holders.contains(&account), "{account} has no step on it");
    }

    let r = post(&app, "Bearer dev_wrong".into(), body.clone(), "/api/v1/telemetry").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (r.json()["error"]["code"].as_str(), r.json()["error"]["field"].as_str()),
        (Some("unauthenticated"), Some("token"))
    );
    let r = post(&app, bearer.clone(), r#"{"ts": 5, "leak": 1}"#.into(), "/api/v1/telemetry").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        (r.json()["error"]["code"].as_str(), r.json()["error"]["field"].as_str()),
        (Some("invalid"), Some("ts"))
    );
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("time"), "{}", r.text);
    let r = post(&app, bearer.clone(), body.clone(), "/api/v1/telemetry?channel=radio").await;
    assert_eq!((r.status, r.json()["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("channel")));
    let r = post(&app, bearer.clone(), "offline".into(), "/api/v1/telemetry?channel=state").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(!app.db.store.device(device).await.unwrap().online);

    // Every outcome is counted.
    let metrics = app.browser().get("/metrics").await.text;
    for outcome in ["stored", "duplicate", "malformed", "bad_token"] {
        assert!(
            metrics.contains(&format!("linli_device_messages_total{{transport=\"http\",outcome=\"{outcome}\"}}")),
            "{outcome} missing from /metrics"
        );
    }
    // A staff member's session is not a device token.
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let r = staff.send(Method::POST, "/api/v1/telemetry", Some(("application/json", body.into_bytes())), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

dual_backend_test!(staff_see_the_board_acknowledge_an_alarm_and_read_a_device_chart, |db| {
    let app = TestApp::new(db).await;
    let (device, _, token) = register(&app, "smoke_detector").await;
    let t0 = now_ms();
    for (i, smoke) in [(0, 0), (1, 0), (2, 1)] {
        let body = format!(
            r#"{{"ts": {}, "values": {{"smoke": {smoke}, "battery": {}}}}}"#,
            t0 - 3_600_000 + i * 60_000,
            90 - i
        );
        assert_eq!(post(&app, format!("Bearer {token}"), body, "/api/v1/telemetry").await.status, StatusCode::ACCEPTED);
    }
    let alarm = app.db.store.device_alarms(device).await.unwrap().remove(0);
    let community = app.demo.community_id;
    let mut worker = app.signed_in(&app.login_of(Role::GridWorker)).await;
    let board = worker.get(&format!("/communities/{community}/alarms")).await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(
        board.text.contains(zh("alarm.type.smoke")) && board.text.contains(zh("alarm.status.active_unack")),
        "{}",
        board.text
    );
    // Raised 58 minutes ago: its age is said, so it does not look like a fresh one.
    assert!(board.text.contains("已持续 5") && board.text.contains(" 分钟</b>"), "{}", board.text);
    assert!(board.text.contains(&format!("/alarms/{}/acknowledge", alarm.id)));
    let fragment = worker.get(&format!("/communities/{community}/alarms?fragment=1")).await;
    assert!(!fragment.text.contains("<html"), "the fragment is the board alone");
    let r = worker.post_form(&format!("/alarms/{}/acknowledge", alarm.id), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.db.store.case(alarm.case_id.unwrap()).await.unwrap().state, "accepted");
    let board = worker.get(&format!("/communities/{community}/alarms?done=ack")).await;
    assert!(board.text.contains(zh("alarm.status.active_ack")));
    let page = worker.get(&format!("/devices/{device}?days=1")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text.contains("<polyline") && page.text.contains(zh("reading.battery")),
        "a chart per value, named in words"
    );
    assert_eq!(worker.get(&format!("/devices/{device}?days=3")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A year of a device that reported for an hour: its few points are drawn as dots.
    let year = worker.get(&format!("/devices/{device}?days=365")).await.text;
    assert!(year.contains("<circle"), "a lone point must be visible");
    let list = worker.get(&format!("/communities/{community}/devices")).await;
    assert!(list.text.contains(&format!("/devices/{device}")));
    // The board's event stream is open to staff, as server-sent events.
    let events = worker.get(&format!("/communities/{community}/alarms/events")).await;
    assert_eq!(events.status, StatusCode::OK);
    assert_eq!(events.headers["content-type"], "text/event-stream");
    // A resident has no board.
    let mut resident = app.signed_in(&app.login_of(Role::Resident)).await;
    assert_eq!(resident.get(&format!("/communities/{community}/alarms")).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(staff_register_a_device_and_it_reports_with_the_token_shown_once, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let fields = [
        ("code", "gas-kitchen-7"),
        ("name", "7号楼 燃气"),
        ("profile", "gas_detector"),
        ("building_id", building.as_str()),
        ("room", "101"),
    ];
    let r = staff.post_form(&format!("/communities/{community}/devices"), &fields).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let token = r.text.split("<code>").nth(1).and_then(|s| s.split("</code>").next()).unwrap().to_owned();
    assert!(token.starts_with("dev_"));
    let body = format!(r#"{{"ts": {}, "values": {{"lel": 3}}}}"#, now_ms());
    assert_eq!(post(&app, format!("Bearer {token}"), body, "/api/v1/telemetry").await.status, StatusCode::ACCEPTED);
    let list = staff.get(&format!("/communities/{community}/devices")).await.text;
    assert!(list.contains("gas-kitchen-7") && !list.contains(&token), "the token is shown once only");
    // The same code again is refused, naming the field, with the form kept.
    let r = staff.post_form(&format!("/communities/{community}/devices"), &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("value=\"7号楼 燃气\""), "the typed name is kept");
    assert!(r.text.contains("role=\"alert\""));
});

dual_backend_test!(a_burst_larger_than_the_queue_is_stored_in_full, |db| {
    let Some(broker) = Broker::start().await else { return };
    let app = TestApp::new(db).await;
    let (device, topic, _) = register(&app, "water_level").await;
    let url = broker.url.clone();
    // A small queue and batches, so the burst overfills them many times.
    let config = MqttConfig { queue: 16, batch: 8, ..MqttConfig::new(url.clone(), "linli") };
    let _subscriber = mqtt::spawn(app.monitor.clone(), config).unwrap();
    wait_for("the subscription", || async {
        publish(&url, &format!("{topic}/state"), "online").await;
        app.db.store.device(device).await.unwrap().online
    })
    .await;
    let (host, port) = mqtt::parse_url(&url).unwrap();
    let (client, mut events) = AsyncClient::new(MqttOptions::new(unique("burst"), host, port), 100);
    let base = now_ms();
    let total = 2000_i64;
    let publisher = tokio::spawn(async move {
        for i in 0..total {
            let payload = format!(r#"{{"ts": {}, "values": {{"level": 10}}}}"#, base + i);
            client.publish(format!("{topic}/telemetry"), QoS::AtLeastOnce, false, payload).await.unwrap();
        }
        client
    });
    let mut acked = 0;
    while acked < total {
        if let Event::Incoming(Packet::PubAck(_)) = events.poll().await.unwrap() {
            acked += 1;
        }
    }
    let _client = publisher.await.unwrap();
    wait_for("the whole burst to be stored", || async {
        count(&app.db.store, "SELECT COUNT(*) FROM telemetry WHERE device_id = $1", device).await == total
    })
    .await;
});

dual_backend_test!(one_click_acknowledges_every_open_alarm_of_a_building, |db| {
    let app = TestApp::new(db).await;
    let (a, _, token_a) = register(&app, "water_leak").await;
    let (b, _, token_b) = register(&app, "water_leak").await;
    let (c, _, token_c) = register(&app, "door_access").await;
    let t0 = now_ms();
    for (token, body) in [
        (&token_a, format!(r#"{{"ts": {t0}, "values": {{"leak": 1}}}}"#)),
        (&token_b, format!(r#"{{"ts": {t0}, "values": {{"leak": 1}}}}"#)),
    ] {
        assert_eq!(post(&app, format!("Bearer {token}"), body, "/api/v1/telemetry").await.status, StatusCode::ACCEPTED);
    }
    let forced = format!(r#"{{"ts": {t0}, "event": "forced"}}"#);
    assert_eq!(
        post(&app, format!("Bearer {token_c}"), forced, "/api/v1/telemetry?channel=event").await.status,
        StatusCode::ACCEPTED
    );
    let community = app.demo.community_id;
    let building = app.building_in_grid(app.demo.grid_ids[0]).await.to_string();
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let board = staff.get(&format!("/communities/{community}/alarms")).await.text;
    assert!(board.contains("本楼全部确认 (3)"), "{board}");
    let r =
        staff.post_form(&format!("/communities/{community}/alarms/acknowledge"), &[("building_id", &building)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for device in [a, b, c] {
        let alarms = app.db.store.device_alarms(device).await.unwrap();
        assert!(alarms.iter().all(|x| x.acknowledged_at.is_some()), "device {device}");
    }
    let case = app.db.store.device_alarms(a).await.unwrap()[0].case_id.unwrap();
    assert_eq!(app.db.store.case(case).await.unwrap().state, "accepted", "the leak's shared case is accepted");
    let bad = staff.post_form(&format!("/communities/{community}/alarms/acknowledge"), &[("building_id", "x")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
});

dual_backend_test!(the_device_list_filters_by_type_state_building_and_words_and_a_meter_leads_to_care, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let (smoke, _, token) = register(&app, "smoke_detector").await;
    let body = format!(r#"{{"ts": {}, "values": {{"smoke": 0}}}}"#, now_ms());
    assert_eq!(post(&app, format!("Bearer {token}"), body, "/api/v1/telemetry").await.status, StatusCode::ACCEPTED);
    // An elderly resident's water meter, in their home.
    let (resident, building): (i64, i64) = read!(app.db.store, |db| sqlx::query_as(
        "SELECT r.id, h.building_id FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE r.grid_id = $1 ORDER BY r.id LIMIT 1"
    )
    .bind(app.demo.grid_ids[1])
    .fetch_one(db)
    .await
    .unwrap());
    let code = unique("meter");
    let (meter, _) = app
        .db
        .store
        .register_device(&NewDevice {
            community_id: community,
            code: code.clone(),
            name: code.clone(),
            profile_code: "elder_water_meter".into(),
            building_id: Some(building),
            resident_id: Some(resident),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut staff = app.signed_in(&app.login_of(Role::CommunityStaff)).await;
    let mut list = async |query: &str| staff.get(&format!("/communities/{community}/devices?{query}")).await.text;
    let (s, m) = (format!("/devices/{smoke}\""), format!("/devices/{meter}\""));
    let meters = list("profile=elder_water_meter").await;
    assert!(meters.contains(&m) && !meters.contains(&s), "by type");
    assert!(meters.contains(&format!("/residents/{resident}#care")), "the meter leads to its resident's care record");
    let online = list("state=online").await;
    assert!(online.contains(&s) && !online.contains(&m), "the smoke detector reported, the meter never did");
    let offline = list("state=offline").await;
    assert!(offline.contains(&m) && !offline.contains(&s));
    let found = list(&format!("q={}", &code[code.len() - 8..])).await;
    assert!(found.contains(&m) && !found.contains(&s) && found.contains("筛选出 1 台"), "by words of the code");
    let in_building = list(&format!("building_id={building}")).await;
    assert!(in_building.contains(&m) && !in_building.contains(&s), "by building");
    let page = staff.get(&format!("/devices/{meter}")).await.text;
    assert!(page.contains(&format!("/residents/{resident}#care")));
    // A grid worker of other grids does not see the meter, nor whose it is.
    let elsewhere: String = read!(app.db.store, |db| sqlx::query_scalar(
        "SELECT a.username FROM accounts a JOIN grid_workers gw ON gw.account_id = a.id \
         WHERE NOT EXISTS (SELECT 1 FROM grid_workers o WHERE o.account_id = a.id AND o.grid_id = $1) \
         ORDER BY a.id LIMIT 1"
    )
    .bind(app.demo.grid_ids[1])
    .fetch_one(db)
    .await
    .unwrap());
    let mut other = app.signed_in(&elsewhere).await;
    let theirs = other.get(&format!("/communities/{community}/devices")).await.text;
    assert!(theirs.contains("/devices/") && !theirs.contains(&m), "{elsewhere} sees devices of own grids only");
    assert!(!theirs.contains(&format!("/residents/{resident}#")));
});

dual_backend_test!(a_broker_that_lost_our_session_is_counted_and_the_subscription_comes_back, |db| {
    let Some(mut broker) = Broker::start().await else { return };
    let app = TestApp::new(db).await;
    let url = broker.url.clone();
    let (device, topic, _subscriber) = subscribed(&app, &url).await;
    let lost = || async { app.browser().get("/metrics").await.text.contains("linli_mqtt_sessions_lost_total 1") };
    assert!(!lost().await);
    // Killed before it saved anything, the broker comes back without our session.
    broker.crash_and_restart().await;
    wait_for("the lost session to be counted", lost).await;
    // Linli subscribes again: a new message arrives.
    wait_for("a message after the broker came back", || async {
        publish(&url, &format!("{topic}/event"), r#"{"event": "ping"}"#).await;
        count(&app.db.store, "SELECT COUNT(*) FROM device_messages WHERE device_id = $1 AND channel = 'event'", device)
            .await
            >= 1
    })
    .await;
});
