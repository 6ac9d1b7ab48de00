//! Server-rendered pages (askama). Every page struct holds a [`crate::frame::Chrome`],
//! the shared frame, and is turned into a response by [`crate::frame::render`].

pub mod buildings;
pub mod buildings_import;
pub mod community;
pub mod grids;
pub mod home;
pub mod import;
pub mod inbox;
pub mod indicators;
pub mod settings;
