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

/// Free text as it is kept: control characters dropped but for line breaks and tabs, and
/// Unicode noncharacters (`U+FFFE`, `U+FFFF`, …) dropped: XML 1.0, as the Open311 feed
/// is written, cannot carry either, and they mean nothing to a reader. `\r\n` becomes `\n`.
pub fn clean_text(raw: &str) -> String {
    let noncharacter = |c: char| matches!(c as u32, 0xFDD0..=0xFDEF) || (c as u32) & 0xFFFE == 0xFFFE;
    raw.replace("\r\n", "\n")
        .chars()
        .filter(|&c| (!c.is_control() || matches!(c, '\n' | '\t')) && !noncharacter(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_dropped_but_line_breaks_kept() {
        assert_eq!(clean_text("路灯\u{0}不亮\u{7}了\r\n第二行\t完\u{1b}[31m"), "路灯不亮了\n第二行\t完[31m");
        assert_eq!(clean_text("\u{85}\u{9f}ok"), "ok", "C1 controls too");
        assert_eq!(clean_text("门口\u{FFFE}\u{FFFF}\u{FDD0}\u{1FFFF}好"), "门口好", "noncharacters XML cannot carry");
    }
}
