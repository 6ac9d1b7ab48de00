//! The store's integration tests, one binary (it builds and links once), on both backends.
//! `alarm_crash` stays a binary of its own: its crash points are process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod assemblies;
mod cases;
mod disputes;
mod full_disk;
mod monitoring;
mod notifications;
mod points;
mod proposals;
mod publicity;
mod registry;
mod remarks;
mod scorecards;
mod services;
mod store;
mod verification;
