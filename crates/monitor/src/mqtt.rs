//! The MQTT subscriber: `linli/{community}/{device}/{telemetry|event|state}` at QoS 1.
//!
//! - A persistent session (`clean_session = false`): the broker keeps messages for Linli
//!   while it is away.
//! - Subscribes again after every connection, whether or not the broker kept the session.
//! - Acknowledges a message only after its batch is committed (manual acks). A store that
//!   fails is retried; its messages are never acknowledged unstored.
//! - One bounded queue between the network and the store: when it is full the reader
//!   stops reading, the broker stops sending (its in-flight window fills), and TCP pushes
//!   back. What the broker does beyond its own queue limit is its setting; see
//!   docs/operations.md.
//! - With a share group, several instances split the stream (`$share/{group}/…`).

use crate::Monitor;
use linli_domain::monitoring::Channel;
use linli_store::monitoring::{DeviceRef, Incoming};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use std::collections::VecDeque;
use std::time::Duration;
use tokio::sync::mpsc;

/// Where and how to subscribe.
#[derive(Debug, Clone)]
pub struct MqttConfig {
    /// `mqtt://host:port`.
    pub url: String,
    /// Stable across restarts, so the broker keeps the session; distinct per instance.
    pub client_id: String,
    /// Splits the stream between instances (MQTT shared subscriptions).
    pub share_group: Option<String>,
    /// Messages between the network and the store.
    pub queue: usize,
    /// Messages stored per transaction, at most.
    pub batch: usize,
}

impl MqttConfig {
    pub fn new(url: impl Into<String>, client_id: impl Into<String>) -> MqttConfig {
        MqttConfig { url: url.into(), client_id: client_id.into(), share_group: None, queue: 1024, batch: 256 }
    }

    /// The subscription's topic filter.
    pub fn filter(&self) -> String {
        match &self.share_group {
            Some(group) => format!("$share/{group}/linli/+/+/+"),
            None => "linli/+/+/+".to_owned(),
        }
    }
}

/// `mqtt://host:port` (or `tcp://`, or a bare `host:port`) as host and port.
pub fn parse_url(url: &str) -> Result<(String, u16), String> {
    let rest = url.strip_prefix("mqtt://").or_else(|| url.strip_prefix("tcp://")).unwrap_or(url);
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("bad port in MQTT URL {url}"))?),
        None => (rest, 1883),
    };
    if host.is_empty() || url.contains("://") && !(url.starts_with("mqtt://") || url.starts_with("tcp://")) {
        return Err(format!("MQTT URL must look like mqtt://host:1883, not {url}"));
    }
    Ok((host.to_owned(), port))
}

/// Reads a topic as the device and channel it names.
pub fn topic_target(topic: &str) -> Option<(DeviceRef, Channel)> {
    let mut parts = topic.split('/');
    let (Some("linli"), Some(community), Some(device), Some(channel), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let channel = Channel::parse(channel).ok()?;
    Some((DeviceRef::Topic { community: community.to_owned(), device: device.to_owned() }, channel))
}

/// Connects and runs the subscriber until the process ends (it reconnects by itself).
pub fn spawn(monitor: Monitor, config: MqttConfig) -> Result<tokio::task::JoinHandle<()>, String> {
    let (host, port) = parse_url(&config.url)?;
    let mut options = MqttOptions::new(config.client_id.clone(), host, port);
    options.set_keep_alive(Duration::from_secs(30));
    options.set_clean_session(false);
    options.set_manual_acks(true);
    options.set_max_packet_size(256 * 1024, 256 * 1024);
    // Room for the acknowledgements of what the queue and a batch hold (see store_and_ack).
    let (client, mut eventloop) = AsyncClient::new(options, config.queue + config.batch + 64);
    let (tx, rx) = mpsc::channel::<Publish>(config.queue.max(1));
    let filter = config.filter();
    let subscriber = client.clone();
    let reader_monitor = monitor.clone();
    let reader = tokio::spawn(async move {
        let mut failures = 0_u32;
        let mut connected_before = false;
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    failures = 0;
                    reader_monitor.counters.mqtt_connects.inc();
                    if connected_before && !ack.session_present {
                        // A broker restarted without its persistence (or with a folder it
                        // cannot write): what it held for us while we were away is lost.
                        reader_monitor.counters.mqtt_sessions_lost.inc();
                        tracing::warn!(
                            filter,
                            "MQTT broker had no session for us on reconnecting: messages it queued while we were \
                             away are lost (is its persistence folder writable by the broker's user?)"
                        );
                    }
                    connected_before = true;
                    tracing::info!(session_present = ack.session_present, filter, "MQTT connected; subscribing");
                    let (c, f) = (subscriber.clone(), filter.clone());
                    tokio::spawn(async move {
                        if let Err(e) = c.subscribe(f, QoS::AtLeastOnce).await {
                            tracing::warn!(error = %e, "MQTT subscribe request failed");
                        }
                    });
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    reader_monitor.counters.queue.inc();
                    if tx.send(p).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    failures = failures.saturating_add(1);
                    if failures == 1 || failures.is_multiple_of(60) {
                        tracing::warn!(error = %e, failures, "MQTT connection lost; reconnecting");
                    }
                    tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(10)))).await;
                }
            }
        }
    });
    Ok(tokio::spawn(async move {
        store_and_ack(monitor, client, rx, config.batch.max(1)).await;
        reader.abort();
    }))
}

/// Takes what the queue holds (up to a batch), stores it, then acknowledges it.
///
/// Acknowledgements go to the connection through rumqttc's request channel, which only the
/// reader drains, and the reader may be waiting for room in the queue. So this never waits
/// on that channel: acknowledgements it cannot hand over yet wait here, in order, and are
/// handed over as soon as there is room, while the queue keeps being emptied.
async fn store_and_ack(monitor: Monitor, client: AsyncClient, mut rx: mpsc::Receiver<Publish>, batch_size: usize) {
    let mut batch: Vec<Publish> = Vec::with_capacity(batch_size);
    let mut unsent: VecDeque<Publish> = VecDeque::new();
    loop {
        while let Some(p) = unsent.front() {
            match client.try_ack(p) {
                Ok(()) => {
                    unsent.pop_front();
                }
                Err(rumqttc::ClientError::TryRequest(_)) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "MQTT acknowledgement not sent; the broker will redeliver");
                    unsent.pop_front();
                }
            }
        }
        let first = if unsent.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout(Duration::from_millis(5), rx.recv()).await {
                Ok(p) => p,
                Err(_) => continue,
            }
        };
        let Some(first) = first else { return };
        batch.push(first);
        while batch.len() < batch_size {
            match rx.try_recv() {
                Ok(p) => batch.push(p),
                Err(_) => break,
            }
        }
        let now = linli_store::now_ms();
        let mut incoming = Vec::with_capacity(batch.len());
        for p in &batch {
            match topic_target(&p.topic) {
                Some((device, channel)) => {
                    incoming.push(Incoming { device, channel, payload: p.payload.to_vec(), received_at: now })
                }
                None => monitor.refused("mqtt", "bad_topic", &p.topic),
            }
        }
        let mut wait = Duration::from_millis(100);
        while let Err(e) = monitor.ingest("mqtt", &incoming).await {
            // Not stored, so not acknowledged: try again until the database is back.
            tracing::warn!(error = %e, messages = incoming.len(), "storing MQTT messages failed; retrying");
            monitor.counters.retries.inc();
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(5));
        }
        monitor.counters.queue.dec_by(i64::try_from(batch.len()).unwrap_or(i64::MAX));
        unsent.extend(batch.drain(..));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_and_urls() {
        assert_eq!(
            topic_target("linli/320102001/smoke-1/telemetry"),
            Some((DeviceRef::Topic { community: "320102001".into(), device: "smoke-1".into() }, Channel::Telemetry))
        );
        assert_eq!(topic_target("linli/c/d/noise"), None);
        assert_eq!(topic_target("linli/c/d/state/x"), None);
        assert_eq!(topic_target("other/c/d/state"), None);
        assert_eq!(parse_url("mqtt://127.0.0.1:1883"), Ok(("127.0.0.1".into(), 1883)));
        assert_eq!(parse_url("broker.local"), Ok(("broker.local".into(), 1883)));
        assert!(parse_url("http://x:1").is_err());
        assert!(parse_url("mqtt://x:port").is_err());
        assert_eq!(
            MqttConfig { share_group: Some("linli".into()), ..MqttConfig::new("x", "a") }.filter(),
            "$share/linli/linli/+/+/+"
        );
    }
}
