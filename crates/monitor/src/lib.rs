//! Remote monitoring: one [`Monitor`] that every transport (the MQTT subscriber here,
//! `POST /api/v1/telemetry` in the web crate) hands its messages to. It stores and evaluates them (see `linli_store::monitoring`),
//! counts every outcome in `/metrics`, logs bad input once per device and period, and
//! tells the live alarm boards which communities changed. The clock's rounds for rules
//! that fire on silence, and retention, run in [`spawn_clock`].

pub mod metrics;
pub mod mqtt;

use linli_store::monitoring::{Incoming, Ingested, Outcome};
use linli_store::{Store, StoreResult};
pub use metrics::Counters;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// Bad input from one device is logged at most once in this period.
const LOG_PERIOD_MS: i64 = 10 * 60_000;

/// The entry point of device messages.
#[derive(Clone)]
pub struct Monitor {
    pub store: Store,
    counters: Counters,
    changes: broadcast::Sender<i64>,
    logged: Arc<Mutex<HashMap<String, i64>>>,
}

impl Monitor {
    pub fn new(store: Store, counters: Counters) -> Monitor {
        let (changes, _) = broadcast::channel(256);
        Monitor { store, counters, changes, logged: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Communities whose alarms changed, as they change (for server-sent events).
    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.changes.subscribe()
    }

    /// Stores and evaluates a batch that came in over `transport`. When this returns
    /// `Ok`, the batch is durable and may be acknowledged.
    pub async fn ingest(&self, transport: &'static str, batch: &[Incoming]) -> StoreResult<Ingested> {
        let out = self.store.ingest(batch).await?;
        for (incoming, outcome) in batch.iter().zip(&out.outcomes) {
            self.counters.ingested(transport, outcome.as_str());
            match outcome {
                Outcome::Stored | Outcome::Duplicate => {}
                Outcome::UnknownDevice => self.log_once(&format!("{:?}", incoming.device), "unknown device", ""),
                Outcome::Malformed(e) => self.log_once(&format!("{:?}", incoming.device), "malformed message", e.key),
            }
        }
        self.announce(&out);
        Ok(out)
    }

    /// Counts a message refused before it reached the store (a topic that names no device).
    pub fn refused(&self, transport: &'static str, reason: &'static str, topic: &str) {
        self.counters.ingested(transport, reason);
        self.log_once(topic, reason, "");
    }

    /// Tells the live boards that a person changed the community's alarms.
    pub fn changed(&self, community_id: i64) {
        let _ = self.changes.send(community_id);
    }

    fn announce(&self, out: &Ingested) {
        for community in &out.communities {
            // Nobody watching is fine.
            let _ = self.changes.send(*community);
        }
    }

    /// Logs bad input from `source` (a device or a topic) at most once per period.
    fn log_once(&self, source: &str, what: &str, detail: &str) {
        let key = format!("{source}/{what}");
        let now = linli_store::now_ms();
        let Ok(mut logged) = self.logged.lock() else { return };
        if logged.len() > 10_000 {
            logged.retain(|_, at| now - *at < LOG_PERIOD_MS);
        }
        let last = logged.entry(key).or_insert(i64::MIN);
        if now.saturating_sub(*last) >= LOG_PERIOD_MS {
            *last = now;
            tracing::warn!(source, detail, "{what}: counted in /metrics; logged once per 10 minutes");
        }
    }

    /// One round of the clock, and retention when `prune_raw_days` is given.
    pub async fn tick(&self, now: i64, prune_raw_days: Option<i64>) -> StoreResult<Ingested> {
        let out = self.store.monitor_tick(now).await?;
        self.announce(&out);
        if let Some(days) = prune_raw_days {
            let removed = self.store.prune_telemetry(now, days).await?;
            if removed > 0 {
                tracing::info!(removed, days, "raw telemetry summed per hour and pruned");
            }
        }
        Ok(out)
    }
}

/// Runs the clock every `period` until the process ends (retention once an hour).
pub fn spawn_clock(monitor: Monitor, period: Duration, raw_days: i64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_prune = 0_i64;
        loop {
            tick.tick().await;
            let now = linli_store::now_ms();
            let prune = (now - last_prune >= 3_600_000).then_some(raw_days);
            match monitor.tick(now, prune).await {
                Ok(out) => {
                    if prune.is_some() {
                        last_prune = now;
                    }
                    if !out.raised.is_empty() {
                        tracing::info!(raised = out.raised.len(), cases = out.cases.len(), "monitoring clock");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "monitoring clock round failed"),
            }
        }
    })
}
