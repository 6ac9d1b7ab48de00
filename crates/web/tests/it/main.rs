//! The web layer's integration tests, one binary (it builds and links once): each module
//! drives the real router on both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod activities;
mod announcements;
mod assemblies;
mod cases;
mod consultations;
mod disputes;
mod grid_worker;
mod grids;
mod http;
mod joint;
mod layout;
mod monitoring;
mod notifications;
mod open311;
mod photos;
mod proposals;
mod publicity;
mod registry;
mod reporting;
mod residents;
mod scorecards;
mod security;
mod services;
mod settings;
mod surveys;
mod verification;
mod volunteers;
