//! The pages that belong to no one capability: each person's home (工作台), their inbox
//! and the platform's settings. Every page struct holds a [`crate::frame::Chrome`], the
//! shared frame, and is turned into a response by [`crate::frame::render`].

pub mod home;
pub mod inbox;
pub mod settings;
