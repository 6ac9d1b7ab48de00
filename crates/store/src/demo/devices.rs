//! The demo community's sensors: a smoke detector in each building's stairwell, a lift
//! controller in each building of seven floors or more, a water meter for every elderly
//! resident living alone, fire-lane and thrown-object cameras, and door access. A day of
//! readings goes through the real ingestion path; with `alarms`, so do a live water leak
//! (with its case), a meter gone offline and a thrown object that was dealt with.

use crate::monitoring::{DeviceRef, Incoming, NewDevice};
use crate::{Store, StoreResult, now_ms, read};
use linli_domain::monitoring::Channel;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

const HOUR: i64 = 3_600_000;

pub async fn seed(store: &Store, community_id: i64, alarms: bool, rng: &mut ChaCha8Rng) -> StoreResult<usize> {
    let buildings: Vec<(i64, String, i64)> =
        read!(store, |db| sqlx::query_as("SELECT id, name, floors FROM buildings WHERE community_id = $1 ORDER BY id")
            .bind(community_id)
            .fetch_all(db)
            .await?);
    let alone: Vec<(i64, i64, i64)> = read!(store, |db| sqlx::query_as(
        "SELECT r.id, h.id, h.building_id FROM care_tags t JOIN residents r ON r.id = t.resident_id \
         JOIN households h ON h.id = r.household_id WHERE t.community_id = $1 AND t.tag = 'elderly_alone' ORDER BY r.id"
    )
    .bind(community_id)
    .fetch_all(db)
    .await?);
    let add = |code: String, name: String, profile: &str, building: i64, room: &str| NewDevice {
        community_id,
        code,
        name,
        profile_code: profile.into(),
        building_id: Some(building),
        room: room.into(),
        ..NewDevice::default()
    };
    let mut devices = Vec::new();
    for (i, (id, name, floors)) in buildings.iter().enumerate() {
        devices.push(add(format!("smoke-b{id}"), format!("{name} 烟感"), "smoke_detector", *id, "1单元楼道"));
        if *floors >= 7 {
            devices.push(add(format!("lift-b{id}"), format!("{name} 电梯"), "elevator", *id, "1单元"));
        }
        if i < 6 {
            devices.push(add(format!("door-b{id}"), format!("{name} 单元门禁"), "door_access", *id, "1单元"));
        }
        if i < 2 {
            devices.push(add(
                format!("lane-cam-{}", i + 1),
                format!("{name} 消防通道摄像头"),
                "fire_lane_camera",
                *id,
                "",
            ));
            devices.push(add(
                format!("drop-cam-{}", i + 1),
                format!("{name} 高空抛物摄像头"),
                "thrown_object_camera",
                *id,
                "",
            ));
        }
        if i == 3 {
            devices.push(add(format!("leak-b{id}"), format!("{name} 地下泵房水浸"), "water_leak", *id, "地下泵房"));
        }
    }
    let mut ids = Vec::new();
    for d in &devices {
        ids.push((store.register_device(d).await?.0, d.profile_code.clone()));
    }
    for (resident, household, building) in &alone {
        let new = NewDevice {
            community_id,
            code: format!("meter-r{resident}"),
            name: "独居老人水表".into(),
            profile_code: "elder_water_meter".into(),
            building_id: Some(*building),
            household_id: Some(*household),
            resident_id: Some(*resident),
            ..NewDevice::default()
        };
        ids.push((store.register_device(&new).await?.0, new.profile_code));
    }
    // A day of readings, hourly, through the real path.
    let now = now_ms();
    let start = now - 24 * HOUR;
    let mut batch = Vec::new();
    let message = |device: i64, ts: i64, values: String| Incoming {
        device: DeviceRef::Id(device),
        channel: Channel::Telemetry,
        payload: format!(r#"{{"ts": {ts}, "values": {values}}}"#).into_bytes(),
        received_at: now,
    };
    for h in 0..24 {
        // The last round a few minutes ago: no sensor starts the demo silent for long.
        let ts = start + (h + 1) * HOUR - rng.gen_range(60_000..10 * 60_000);
        for (device, profile) in &ids {
            let values = match profile.as_str() {
                "smoke_detector" => format!(
                    r#"{{"smoke": 0, "battery": {}, "temp": {:.1}}}"#,
                    92 - h / 6,
                    17.0 + rng.gen_range(0.0..4.0)
                ),
                "elevator" => format!(r#"{{"fault": 0, "trips": {}}}"#, rng.gen_range(2..40)),
                "elder_water_meter" => {
                    let used = (7..=22).contains(&((h + 8) % 24)) && rng.gen_bool(0.5);
                    format!(r#"{{"flow": {:.1}}}"#, if used { rng.gen_range(1.0..12.0) } else { 0.0 })
                }
                "door_access" => r#"{"open": 0}"#.to_owned(),
                "fire_lane_camera" => format!(r#"{{"occupied": 0, "fps": {}}}"#, 25),
                "water_leak" => r#"{"leak": 0}"#.to_owned(),
                _ => r#"{"fps": 25}"#.to_owned(),
            };
            batch.push(message(*device, ts, values));
        }
    }
    for chunk in batch.chunks(500) {
        store.ingest(chunk).await?;
    }
    if alarms {
        let find = |prefix: &str| ids.iter().find(|(_, p)| p == prefix).map(|(id, _)| *id);
        let mut scene = Vec::new();
        if let Some(leak) = find("water_leak") {
            scene.push(message(leak, now - 20 * 60_000, r#"{"leak": 1}"#.into()));
        }
        if let Some(meter) = find("elder_water_meter") {
            scene.push(Incoming {
                channel: Channel::State,
                payload: b"offline".to_vec(),
                ..message(meter, now, String::new())
            });
        }
        if let Some(camera) = find("thrown_object_camera") {
            let ts = now - 5 * HOUR;
            scene.push(Incoming {
                channel: Channel::Event,
                payload: format!(r#"{{"ts": {ts}, "event": "thrown_object"}}"#).into_bytes(),
                ..message(camera, ts, String::new())
            });
        }
        store.ingest(&scene).await?;
    }
    Ok(ids.len())
}
