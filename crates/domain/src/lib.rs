//! Linli's domain rules, free of I/O: roles and the one permission table, the
//! administrative tree and its codes, and the parse-don't-validate newtypes that every
//! form and API call goes through. Later waves add case workflow, calendars, vote
//! tallies, indicators and alarm rules here.

/// A code stored as text, read back: the store decodes its text columns into the
/// domain's enums with `TryFrom<String>` (sqlx `try_from`), so no caller compares
/// strings; `Display` writes the code, and it compares with a code as tests name them.
macro_rules! stored_code {
    ($name:ident, $field:literal) => {
        impl TryFrom<String> for $name {
            type Error = $crate::FieldError;
            fn try_from(code: String) -> Result<$name, $crate::FieldError> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == code)
                    .ok_or($crate::FieldError::new($field, "error.choice"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, code: &&str) -> bool {
                self.as_str() == *code
            }
        }
    };
}

/// A code list stored as text: an enum with its codes in display order, `as_str` and a
/// `parse` that names the field on a bad code.
macro_rules! codes {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            /// The stored code, or a [`FieldError`] naming the field.
            pub fn parse(raw: &str) -> Result<$name, $crate::FieldError> {
                match raw.trim() {
                    $($code => Ok($name::$variant),)+
                    _ => Err($crate::FieldError::new($field, "error.choice")),
                }
            }
        }

        stored_code!($name, $field);

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

pub mod activity;
pub mod admin;
pub mod announcement;
pub mod assembly;
pub mod care;
pub mod case;
pub mod committee;
pub mod consultation;
pub mod dispute;
pub mod election;
pub mod field;
pub mod geometry;
pub mod identity;
pub mod indicators;
pub mod joint;
pub mod monitoring;
pub mod ownership;
pub mod permission;
pub mod person;
pub mod privacy;
pub mod proposal;
pub mod publicity;
pub mod role;
pub mod rules;
pub mod scorecard;
pub mod service;
pub mod survey;
pub mod volunteer;
pub mod worktime;

pub use field::{FieldError, TextRule, clean_text};
pub use permission::{Action, Assignment, CaseFacts, CaseScope, Principal, Reach};
pub use role::Role;
