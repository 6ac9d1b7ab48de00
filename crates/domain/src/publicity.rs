//! 居务公开: what a community publishes on its public board (residents' meeting decisions and
//! their implementation, hearings, consultation outcomes and their implementation, the
//! committee's funds, relief funds and donations, and the owners' assembly results), how
//! soon (a per-community number of working days from when the information arose; no
//! national rule sets it), and what free text may not carry once it is public.

use crate::FieldError;
use crate::worktime::Calendar;
use chrono::NaiveDate;

codes!(
    /// What an item of the public record is.
    Kind, "kind" {
        Decision => "decision",
        Implementation => "implementation",
        Hearing => "hearing",
        Consultation => "consultation",
        Funds => "funds",
        Relief => "relief",
        Donation => "donation",
        /// Posted by the system when an owners' assembly's final result is published.
        AssemblyResult => "assembly_result",
        /// A joint meeting's resolutions and how far each has gone, posted by its conveners.
        Resolutions => "resolutions",
    }
);

impl Kind {
    /// The kinds staff enter by hand (the assembly's result is posted by the system).
    pub const ENTERED: [Kind; 7] = [
        Kind::Decision,
        Kind::Implementation,
        Kind::Hearing,
        Kind::Consultation,
        Kind::Funds,
        Kind::Relief,
        Kind::Donation,
    ];
}

/// A public item's title: 2–100 characters on one line.
pub const TITLE: crate::TextRule = crate::TextRule::line(2, 100, "error.publicity.title", "error.publicity.title");
/// A public item's text: up to 4,000 characters.
pub const BODY: crate::TextRule =
    crate::TextRule { min: 0, max: 4000, multiline: true, short: "error.publicity.body", long: "error.publicity.body" };

/// The default number of working days within which information must be published.
pub const DEFAULT_WITHIN_DAYS: i64 = 20;

/// The last day to publish information that arose on `arose`: `within` working days later.
pub fn due_on(calendar: &Calendar, arose: NaiveDate, within: i64) -> NaiveDate {
    let mut day = arose;
    let mut left = within;
    // Bounded: a year of days at most.
    for _ in 0..400 {
        if left <= 0 {
            break;
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
        if calendar.is_working_day(day) {
            left -= 1;
        }
    }
    day
}

/// Refuses text that would publish a phone, ID or other long number (a bank card), however
/// typed: the board is read by anyone, and relief lists are where such numbers creep in.
/// What counts as such a number is what the public feed masks
/// ([`crate::privacy::mask_public_text`]); here the writer is asked to take it out instead.
pub fn check_public_text(field: &'static str, text: &str) -> Result<(), FieldError> {
    if crate::privacy::mask_public_text(text, &crate::privacy::Names::none()) == text {
        Ok(())
    } else {
        Err(FieldError::new(field, "error.publicity.personal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_deadline_counts_working_days_from_the_day_after() {
        let c = Calendar::default();
        // Friday 2026-12-04: five working days later is the next Friday.
        assert_eq!(due_on(&c, day("2026-12-04"), 5), day("2026-12-11"));
        assert_eq!(due_on(&c, day("2026-12-04"), 1), day("2026-12-07"), "over the weekend");
        assert_eq!(due_on(&c, day("2026-12-04"), 0), day("2026-12-04"));
        let mut holiday = Calendar::default();
        holiday.holidays.insert(day("2026-12-07"));
        assert_eq!(due_on(&holiday, day("2026-12-04"), 1), day("2026-12-08"));
    }

    #[test]
    fn a_mobile_or_id_number_is_refused_but_sums_and_dates_are_not() {
        assert!(check_public_text("body", "困难补助 3 户，共 4,500 元，2026-12-01 发放").is_ok());
        assert!(check_public_text("body", "账户 6222 0212 3456 7890").is_err(), "a bank card, spaced");
        assert!(check_public_text("body", "联系 １３８ ００１３ ８０００").is_err(), "full-width and spaced");
        assert!(check_public_text("body", "联系 13812345678 领取").is_err());
        assert!(check_public_text("body", "张三 11010519491231002X").is_err());
        assert!(check_public_text("body", "张三110105194912310028").is_err());
    }
}
