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

/// The rule for a piece of free text as a person types it: at most `max` characters as
/// sent, at least `min` once surrounding spaces are dropped, and, for a single line, no
/// control characters at all. The API's schema is built from the same rule, so the two
/// cannot disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    pub min: usize,
    pub max: usize,
    /// Line breaks and tabs allowed (other control characters are dropped on keeping, see
    /// [`clean_text`]).
    pub multiline: bool,
    /// Message key when the text is shorter than `min` (or empty).
    pub short: &'static str,
    /// Message key when it is longer than `max` or holds a control character.
    pub long: &'static str,
}

impl TextRule {
    /// A single line of `min..=max` characters, with one message for both ends.
    pub const fn line(min: usize, max: usize, short: &'static str, long: &'static str) -> TextRule {
        TextRule { min, max, multiline: false, short, long }
    }

    /// The text, trimmed, or a [`FieldError`] naming `field`.
    pub fn parse(self, field: &'static str, raw: &str) -> Result<String, FieldError> {
        if raw.chars().count() > self.max || (!self.multiline && raw.chars().any(char::is_control)) {
            return Err(FieldError::new(field, self.long));
        }
        let kept = raw.trim();
        if kept.chars().count() < self.min {
            return Err(FieldError::new(field, self.short));
        }
        Ok(kept.to_owned())
    }
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

    #[test]
    fn a_text_rule_counts_what_was_sent_and_keeps_it_trimmed() {
        let rule = TextRule::line(2, 5, "short", "long");
        assert_eq!(rule.parse("f", " 张三 ").unwrap(), "张三");
        assert_eq!(rule.parse("f", " 张 ").unwrap_err().key, "short", "one character once trimmed");
        assert_eq!(rule.parse("f", "张三李四王五").unwrap_err().key, "long");
        assert_eq!(rule.parse("f", "  张三  ").unwrap_err().key, "long", "spaces count as sent");
        assert_eq!(rule.parse("f", "张\t三").unwrap_err(), FieldError::new("f", "long"), "no tab in a line");
        let text = TextRule { multiline: true, ..rule };
        assert_eq!(text.parse("f", "张\n三").unwrap(), "张\n三");
    }
}
