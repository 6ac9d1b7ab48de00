//! `linli simulate-devices`: publishes realistic telemetry for the registered devices of
//! a database over MQTT (QoS 1), at a set total rate, with the occasional fault and its
//! clearing, for demos and benchmarks. Each device first says it is online (retained).

use anyhow::{Context, Result};
use linli_store::Store;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Plan {
    pub url: String,
    pub count: usize,
    pub rate: u32,
    pub seconds: u64,
    /// Stop after this many telemetry messages (0: no limit).
    pub total: u64,
    /// Chance that a message carries a fault.
    pub faults: f64,
}

/// The values a device of `profile` reports; `fault` makes it report a problem.
fn values(profile: &str, fault: bool, rng: &mut ChaCha8Rng) -> String {
    let f = u8::from(fault);
    match profile {
        "smoke_detector" => format!(
            r#"{{"smoke": {f}, "battery": {}, "temp": {:.1}}}"#,
            rng.gen_range(60..100),
            rng.gen_range(16.0..24.0)
        ),
        "gas_detector" => format!(r#"{{"lel": {}}}"#, if fault { 40 } else { rng.gen_range(0..5) }),
        "water_leak" => format!(r#"{{"leak": {f}}}"#),
        "water_level" => format!(r#"{{"level": {}}}"#, if fault { 90 } else { rng.gen_range(10..40) }),
        "elder_water_meter" => {
            format!(r#"{{"flow": {:.1}}}"#, if rng.gen_bool(0.4) { rng.gen_range(1.0..12.0) } else { 0.0 })
        }
        "elevator" => format!(r#"{{"fault": {f}, "trips": {}}}"#, rng.gen_range(0..40)),
        "fire_lane_camera" => format!(r#"{{"occupied": {f}, "fps": 25}}"#),
        "door_access" => format!(r#"{{"open": {f}}}"#),
        _ => r#"{"fps": 25}"#.to_owned(),
    }
}

pub async fn run(store: &Store, plan: &Plan) -> Result<()> {
    let mut devices: Vec<(String, String)> = Vec::new();
    for community in store.communities(None).await? {
        let code = community.code.clone();
        for d in store.devices(community.id).await? {
            devices.push((format!("linli/{code}/{}", d.code), d.profile_code));
        }
    }
    devices.truncate(plan.count.max(1));
    anyhow::ensure!(!devices.is_empty(), "no devices are registered: load the demo first (linli demo)");
    let (host, port) = linli_monitor::mqtt::parse_url(&plan.url).map_err(anyhow::Error::msg)?;
    let mut options = MqttOptions::new(format!("linli-sim-{}", std::process::id()), host, port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_inflight(200);
    let (client, mut events) = AsyncClient::new(options, 1000);
    let acked = Arc::new(AtomicU64::new(0));
    let counter = acked.clone();
    let pump = tokio::spawn(async move {
        loop {
            match events.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => {}
                Err(e) => {
                    eprintln!("MQTT: {e}; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    });
    for (topic, _) in &devices {
        client.publish(format!("{topic}/state"), QoS::AtLeastOnce, true, "online").await.context("publish")?;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let started = Instant::now();
    let mut sent = devices.len() as u64;
    let mut faulty: Vec<bool> = vec![false; devices.len()];
    let mut last_ts: Vec<i64> = vec![0; devices.len()];
    let per_tick = f64::from(plan.rate.max(1)) / 100.0;
    let mut owed = 0.0;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut next = 0;
    let states = sent;
    'run: while plan.seconds == 0 || started.elapsed() < Duration::from_secs(plan.seconds) {
        tick.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            if plan.total > 0 && sent - states >= plan.total {
                break 'run;
            }
            owed -= 1.0;
            let i = next % devices.len();
            next += 1;
            // A fault starts now and then and clears on the device's next message.
            let fault = !faulty[i] && rng.gen_bool(plan.faults.clamp(0.0, 1.0));
            faulty[i] = fault;
            // The time of publishing (benchmarks measure publish-to-case latency from it),
            // never twice the same for one device: a repeat would be taken for a redelivery.
            let ts = linli_store::now_ms().max(last_ts[i] + 1);
            last_ts[i] = ts;
            let payload = format!(r#"{{"ts": {ts}, "values": {}}}"#, values(&devices[i].1, fault, &mut rng));
            client.publish(format!("{}/telemetry", devices[i].0), QoS::AtLeastOnce, false, payload).await?;
            sent += 1;
        }
    }
    // Wait for the broker to acknowledge what was sent.
    let deadline = Instant::now() + Duration::from_secs(10);
    while acked.load(Ordering::Relaxed) < sent && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = client.disconnect().await;
    pump.abort();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "published {sent} messages for {} devices in {secs:.1} s ({:.0}/s), {} acknowledged by the broker",
        devices.len(),
        sent as f64 / secs.max(0.001),
        acked.load(Ordering::Relaxed)
    );
    Ok(())
}
