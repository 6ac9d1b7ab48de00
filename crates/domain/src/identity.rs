//! Parsed identities of accounts: usernames, mainland mobile numbers, passwords and
//! display names. Each `parse` returns the value or a [`FieldError`] naming the field.

use crate::FieldError;
use crate::field::TextRule;

/// A mainland China mobile number: 11 digits starting 13–19. Spaces, dashes and a
/// `+86`/`86` prefix are accepted and dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(field: &'static str, raw: &str) -> Result<Phone, FieldError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '+')).collect();
        let digits = digits.strip_prefix("86").filter(|d| d.len() == 11).unwrap_or(&digits);
        let b = digits.as_bytes();
        if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b[0] != b'1' || b[1] < b'3' {
            return Err(FieldError::new(field, "error.phone.invalid"));
        }
        Ok(Phone(digits.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form shown by default: `138****5678`.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A login name: 3–32 characters of ASCII letters, digits, `_`, `.` and `-`, starting
/// with a letter (so it can never be confused with a phone number). Stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &'static str, raw: &str) -> Result<Username, FieldError> {
        let s = raw.trim().to_ascii_lowercase();
        let ok_len = (3..=32).contains(&s.len());
        let ok_first = s.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        let ok_chars = s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !(ok_len && ok_first && ok_chars) {
            return Err(FieldError::new(field, "error.username.invalid"));
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a person types on the login form: a username or a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginName {
    Username(Username),
    Phone(Phone),
}

impl LoginName {
    pub fn parse(field: &'static str, raw: &str) -> Result<LoginName, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "error.required"));
        }
        let looks_numeric = trimmed.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+'));
        if looks_numeric {
            Phone::parse(field, trimmed).map(LoginName::Phone)
        } else {
            Username::parse(field, trimmed).map(LoginName::Username)
        }
    }
}

/// A new password: 8–128 characters with at least one letter and one digit. Existing
/// passwords are only ever compared against their argon2id hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(field: &'static str, raw: &str) -> Result<NewPassword, FieldError> {
        let n = raw.chars().count();
        if n < 8 {
            return Err(FieldError::new(field, "error.password.short"));
        }
        if n > 128 {
            return Err(FieldError::new(field, "error.password.long"));
        }
        if !raw.chars().any(char::is_alphabetic) || !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(field, "error.password.weak"));
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A person's or organisation's name as shown on pages: 1–64 characters, trimmed, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const RULE: TextRule = TextRule::line(1, 64, "error.required", "error.name.invalid");

    pub fn parse(field: &'static str, raw: &str) -> Result<DisplayName, FieldError> {
        Self::RULE.parse(field, raw).map(DisplayName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalised_and_masked() {
        let p = Phone::parse("phone", "+86 138-1234-5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        for bad in ["1381234567", "23812345678", "12812345678", "1381234567x", ""] {
            assert_eq!(Phone::parse("phone", bad).unwrap_err().key, "error.phone.invalid", "{bad}");
        }
    }

    #[test]
    fn login_names_tell_phones_from_usernames() {
        assert!(matches!(LoginName::parse("login", "13812345678"), Ok(LoginName::Phone(_))));
        assert!(matches!(LoginName::parse("login", " Admin "), Ok(LoginName::Username(u)) if u.as_str() == "admin"));
        assert_eq!(LoginName::parse("login", "  ").unwrap_err().key, "error.required");
        assert_eq!(LoginName::parse("login", "12").unwrap_err().key, "error.phone.invalid");
        assert_eq!(LoginName::parse("login", "a b").unwrap_err().key, "error.username.invalid");
    }

    #[test]
    fn passwords_need_length_letters_and_digits() {
        assert!(NewPassword::parse("p", "linli2026").is_ok());
        assert!(NewPassword::parse("p", "邻里安居乐业2026").is_ok());
        assert_eq!(NewPassword::parse("p", "abc12").unwrap_err().key, "error.password.short");
        assert_eq!(NewPassword::parse("p", "12345678").unwrap_err().key, "error.password.weak");
        assert_eq!(NewPassword::parse("p", "abcdefgh").unwrap_err().key, "error.password.weak");
        assert!(!format!("{:?}", NewPassword::parse("p", "linli2026").unwrap()).contains("linli"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("name", " 张三 ").unwrap().as_str(), "张三");
        assert_eq!(DisplayName::parse("name", "").unwrap_err().key, "error.required");
        assert_eq!(DisplayName::parse("name", &"长".repeat(65)).unwrap_err().key, "error.name.invalid");
    }
}
