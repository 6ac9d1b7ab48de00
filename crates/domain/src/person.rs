//! Personal identity facts of residents: the resident identity card number (GB 11643),
//! with its check digit and embedded birth date, and the default masked forms.

use crate::FieldError;
use chrono::{Datelike, NaiveDate};

/// An 18-character citizen identity number (公民身份号码, GB 11643-1999): 6-digit address
/// code, 8-digit birth date, 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2
/// check character (0-9 or X).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [u8; 11] = *b"10X98765432";

impl IdNumber {
    /// Checks format, check character and birth date (a real date, not after `today`).
    pub fn parse(field: &'static str, raw: &str, today: NaiveDate) -> Result<IdNumber, FieldError> {
        let s: String = raw.trim().to_ascii_uppercase();
        let b = s.as_bytes();
        let format_ok =
            b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && (b[17].is_ascii_digit() || b[17] == b'X');
        if !format_ok {
            return Err(FieldError::new(field, "error.id_number.format"));
        }
        let sum: u32 = b[..17].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        if CHECK[(sum % 11) as usize] != b[17] {
            return Err(FieldError::new(field, "error.id_number.check"));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d").ok().filter(|d| *d <= today && d.year() >= 1880);
        if birth.is_none() {
            return Err(FieldError::new(field, "error.id_number.birth"));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or_default()
    }

    /// `M` or `F`, from the parity of the sequence code.
    pub fn gender(&self) -> &'static str {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 { "M" } else { "F" }
    }

    /// The form shown by default: `3101************51`, the province and city and the
    /// last two characters. It hides the district, the whole birth date and most of the
    /// sequence, so that nothing else Linli shows (a birth year, a gender, a building)
    /// completes it: even with the full birth date, about a hundred numbers would fit.
    pub fn masked(&self) -> String {
        format!("{}************{}", &self.0[..4], &self.0[16..])
    }

    /// Completes 17 digits with their check character (for generated demo data).
    pub fn with_check(first17: &str) -> Option<String> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let sum: u32 = b.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        Some(format!("{first17}{}", CHECK[(sum % 11) as usize] as char))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn the_standard_example_passes_and_tells_birth_and_gender() {
        // The worked example of GB 11643-1999.
        let id = IdNumber::parse("id_number", "11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31).unwrap());
        assert_eq!(id.gender(), "F");
        assert_eq!(id.masked(), "1101************2X");
        assert!(!format!("{id:?}").contains("19491231"));
    }

    #[test]
    fn bad_numbers_say_what_is_wrong() {
        let key = |s: &str| IdNumber::parse("id_number", s, today()).unwrap_err().key;
        assert_eq!(key("11010519491231002"), "error.id_number.format");
        assert_eq!(key("1101051949123100XX"), "error.id_number.format");
        assert_eq!(key("110105194912310021"), "error.id_number.check");
        let feb30 = IdNumber::with_check("11010519490230002").unwrap();
        assert_eq!(key(&feb30), "error.id_number.birth");
        let future = IdNumber::with_check("11010520300101002").unwrap();
        assert_eq!(key(&future), "error.id_number.birth");
    }

    #[test]
    fn generated_check_characters_validate() {
        for first in ["31011719800101001", "31011720000229002", "31011719991231123"] {
            let full = IdNumber::with_check(first).unwrap();
            assert!(IdNumber::parse("id_number", &full, today()).is_ok(), "{full}");
        }
    }
}
