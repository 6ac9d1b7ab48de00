//! Prometheus metrics with an explicit registry (no global recorder, so several apps can
//! live in one test process): request counts and latencies by route, and the state of
//! the database pool, sampled when scraped.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub state: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub pool: Family<PoolLabels, Gauge>,
    /// Device messages, counted by the monitor.
    pub devices: linli_monitor::Counters,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("linli");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
        });
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("db_pool_connections", "Database pool connections by state", pool.clone());
        let devices = linli_monitor::Counters::default();
        devices.register(&mut registry);
        Metrics { registry, requests, latency, pool, devices }
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels { method: method.to_owned(), route: route.to_owned(), status })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method: method.to_owned(), route: route.to_owned() })
            .observe(seconds);
    }

    /// The text exposition format, after sampling the pool.
    pub fn render(&self, pool: linli_store::PoolState) -> String {
        self.pool.get_or_create(&PoolLabels { state: "open" }).set(i64::from(pool.size));
        self.pool.get_or_create(&PoolLabels { state: "idle" }).set(i64::from(pool.idle));
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
