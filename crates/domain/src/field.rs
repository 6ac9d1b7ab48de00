//! A validation failure that names the field and a message key. The web layer turns
//! the key into a localized sentence; the domain never speaks a language.

use std::fmt;

/// A bad value for one named field. `key` is a message-catalog key such as
/// `error.phone.invalid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
}

impl FieldError {
    pub const fn new(field: &'static str, key: &'static str) -> Self {
        Self { field, key }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.key)
    }
}

impl std::error::Error for FieldError {}
