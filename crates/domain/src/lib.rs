//! Linli's domain rules, free of I/O: roles and the one permission table, the
//! administrative tree and its codes, and the parse-don't-validate newtypes that every
//! form and API call goes through. Later waves add case workflow, calendars, vote
//! tallies, indicators and alarm rules here.

pub mod admin;
pub mod care;
pub mod case;
pub mod dispute;
pub mod field;
pub mod geometry;
pub mod identity;
pub mod indicators;
pub mod ownership;
pub mod permission;
pub mod person;
pub mod role;
pub mod worktime;

pub use field::FieldError;
pub use permission::{Action, Assignment, CaseScope, Principal, Reach};
pub use role::Role;
