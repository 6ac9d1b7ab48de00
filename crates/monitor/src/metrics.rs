//! The counters of device messages, registered in the service's Prometheus registry
//! (`/metrics`): every message is counted by transport and outcome, none dropped silently.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct IngestLabels {
    pub transport: &'static str,
    pub outcome: &'static str,
}

/// Cheap to clone: every clone counts into the same series.
#[derive(Clone, Default)]
pub struct Counters {
    /// Device messages by transport and outcome (stored, duplicate, unknown_device,
    /// malformed, bad_topic, bad_token).
    pub ingest: Family<IngestLabels, Counter>,
    /// Messages read from the broker and not yet stored.
    pub queue: Gauge,
    /// Batches stored again after the database refused them.
    pub retries: Counter,
    pub mqtt_connects: Counter,
    /// Reconnections on which the broker had no session for us: what it queued while we
    /// were away (and the subscription) is gone.
    pub mqtt_sessions_lost: Counter,
}

impl Counters {
    /// Adds these counters to `registry` (prefixed as the registry is).
    pub fn register(&self, registry: &mut Registry) {
        registry.register("device_messages", "Device messages by transport and outcome", self.ingest.clone());
        registry.register("device_queue", "Device messages read and not yet stored", self.queue.clone());
        registry.register(
            "device_store_retries",
            "Message batches stored again after a database error",
            self.retries.clone(),
        );
        registry.register("mqtt_connections", "Connections made to the MQTT broker", self.mqtt_connects.clone());
        registry.register(
            "mqtt_sessions_lost",
            "Reconnections to a broker that had lost our session (messages queued meanwhile are gone)",
            self.mqtt_sessions_lost.clone(),
        );
    }

    pub fn ingested(&self, transport: &'static str, outcome: &'static str) {
        self.ingest.get_or_create(&IngestLabels { transport, outcome }).inc();
    }
}
