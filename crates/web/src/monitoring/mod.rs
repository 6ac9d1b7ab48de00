//! Remote monitoring in the web layer: the alarm board, devices and their charts
//! ([`pages`]), and devices posting over HTTP ([`telemetry`]). Storing and evaluating
//! device messages, MQTT and the clock are the `linli-monitor` crate's.

pub mod pages;
pub mod telemetry;
