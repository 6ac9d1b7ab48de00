//! Services of social organisations (社会组织服务): what each organisation offers (counselling,
//! legal aid, education, elderly and children's services, health), to whom (an age range and
//! care tags), and in slots with a number of places. A booking takes a place or joins the
//! waiting list in arrival order; a cancelled place goes to the first in line. A referral
//! sends a resident to a service from a case, a dispute or a care visit; the organisation
//! accepts or declines it and reports it served. What a counsellor or lawyer writes is the
//! organisation's alone ([`Kind::sealed`]); the community sees that the service happened.

use crate::care::CareTag;
use crate::{FieldError, TextRule};

codes!(
    /// What a service is for; residents look for a service by it.
    Kind, "kind" {
        Counselling => "counselling",
        LegalAid => "legal_aid",
        Education => "education",
        ElderlyCare => "elderly_care",
        Children => "children",
        Health => "health",
        Other => "other",
    }
);

impl Kind {
    /// A counselling or legal-aid record is confidential to the serving organisation: its
    /// notes are read by its own staff only, never by the community.
    pub fn sealed(self) -> bool {
        matches!(self, Kind::Counselling | Kind::LegalAid)
    }
}

codes!(
    /// Where a booking stands. `Booked` holds a place; `Waiting` is in line for one.
    BookingStatus, "status" {
        Booked => "booked",
        Waiting => "waiting",
        Cancelled => "cancelled",
        Served => "served",
        NoShow => "no_show",
    }
);

impl BookingStatus {
    /// Still to happen: it can be cancelled, and the organisation marks it served or missed.
    pub fn pending(self) -> bool {
        matches!(self, BookingStatus::Booked | BookingStatus::Waiting)
    }
}

codes!(
    /// A referral's way: sent, then accepted or declined by the organisation; an accepted
    /// one is served, then closed (or closed without service, with a reason).
    ReferralStatus, "status" {
        Sent => "sent",
        Accepted => "accepted",
        Declined => "declined",
        Served => "served",
        Closed => "closed",
    }
);

codes!(
    /// Where a referral came from.
    Source, "source" {
        Case => "case",
        Dispute => "dispute",
        Visit => "visit",
        Direct => "direct",
    }
);

impl ReferralStatus {
    /// The statuses the organisation may move a referral to from this one.
    pub fn next(self) -> &'static [ReferralStatus] {
        use ReferralStatus::*;
        match self {
            Sent => &[Accepted, Declined],
            Accepted => &[Served, Closed],
            Served => &[Closed],
            Declined | Closed => &[],
        }
    }

    /// Moving there needs a reason (a refusal, or closing without service).
    pub fn needs_reason(self, from: ReferralStatus) -> bool {
        self == ReferralStatus::Declined || (self == ReferralStatus::Closed && from == ReferralStatus::Accepted)
    }
}

/// A service's name.
pub const TITLE: TextRule = TextRule::line(2, 60, "error.service.title", "error.service.title");
/// What it offers and how to prepare.
pub const DESCRIPTION: TextRule = TextRule {
    min: 0,
    max: 2000,
    multiline: true,
    short: "error.service.description",
    long: "error.service.description",
};
/// Where it is given.
pub const PLACE: TextRule = TextRule::line(2, 60, "error.service.place", "error.service.place");
/// The reason of a referral, a refusal or a closing.
pub const REASON: TextRule =
    TextRule { min: 2, max: 500, multiline: true, short: "error.service.reason", long: "error.service.reason" };
/// What the organisation writes after serving.
pub const NOTES: TextRule =
    TextRule { min: 0, max: 4000, multiline: true, short: "error.service.notes", long: "error.service.notes" };
/// Places in one slot.
pub const MAX_CAPACITY: i64 = 500;
/// A slot's length in minutes.
pub const MAX_MINUTES: i64 = 600;

/// Who may use a service: an age range, and care tags of which the resident must hold one
/// (none: anyone of the age).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eligibility {
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub tags: Vec<CareTag>,
}

impl Eligibility {
    /// Checks an age range as a form gives it.
    pub fn new(min_age: Option<i64>, max_age: Option<i64>, tags: Vec<CareTag>) -> Result<Eligibility, FieldError> {
        for (field, age) in [("min_age", min_age), ("max_age", max_age)] {
            if age.is_some_and(|a| !(0..=120).contains(&a)) {
                return Err(FieldError::new(field, "error.service.age"));
            }
        }
        if let (Some(lo), Some(hi)) = (min_age, max_age)
            && hi < lo
        {
            return Err(FieldError::new("max_age", "error.service.age_range"));
        }
        Ok(Eligibility { min_age, max_age, tags })
    }

    /// Whether a resident of `age` with `tags` may use it.
    pub fn admits(&self, age: i64, tags: &[CareTag]) -> bool {
        self.min_age.is_none_or(|lo| age >= lo)
            && self.max_age.is_none_or(|hi| age <= hi)
            && (self.tags.is_empty() || self.tags.iter().any(|t| tags.contains(t)))
    }

    /// Whether it is meant for someone with these tags: it asks for one of them, and
    /// admits the resident.
    pub fn fits(&self, age: i64, tags: &[CareTag]) -> bool {
        !self.tags.is_empty() && self.admits(age, tags)
    }

    /// The tags as stored: codes joined by commas.
    pub fn tags_code(&self) -> String {
        self.tags.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored tags back (unknown codes are dropped).
    pub fn parse_tags(code: &str) -> Vec<CareTag> {
        code.split(',').filter_map(CareTag::parse).collect()
    }
}

/// Age in whole years on `today` of someone born on `born`.
pub fn age_on(born: chrono::NaiveDate, today: chrono::NaiveDate) -> i64 {
    use chrono::Datelike;
    let mut age = i64::from(today.year() - born.year());
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

/// Where a new booking goes: a place while fewer than `capacity` are taken, else the line.
pub fn placement(taken: i64, capacity: i64) -> BookingStatus {
    if taken < capacity { BookingStatus::Booked } else { BookingStatus::Waiting }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn only_counselling_and_legal_aid_are_sealed() {
        let sealed: Vec<_> = Kind::ALL.iter().filter(|k| k.sealed()).collect();
        assert_eq!(sealed, [&Kind::Counselling, &Kind::LegalAid]);
    }

    #[test]
    fn eligibility_keeps_age_and_tags() {
        let elderly = Eligibility::new(Some(60), None, vec![CareTag::ElderlyAlone, CareTag::Aged]).unwrap();
        assert!(elderly.admits(82, &[CareTag::Aged]));
        assert!(!elderly.admits(82, &[]));
        assert!(!elderly.admits(59, &[CareTag::Aged]));
        assert!(elderly.fits(82, &[CareTag::Veteran, CareTag::Aged]));
        let anyone = Eligibility::new(None, Some(14), vec![]).unwrap();
        assert!(anyone.admits(9, &[]));
        assert!(!anyone.admits(15, &[]));
        assert!(!anyone.fits(9, &[CareTag::LeftBehindChild]), "a service for anyone is not offered as a fit");
        assert_eq!(Eligibility::new(Some(70), Some(60), vec![]).unwrap_err().field, "max_age");
        assert_eq!(Eligibility::new(Some(-1), None, vec![]).unwrap_err().field, "min_age");
        assert_eq!(Eligibility::parse_tags(&elderly.tags_code()), elderly.tags);
    }

    #[test]
    fn age_turns_on_the_birthday() {
        let born = NaiveDate::from_ymd_opt(1946, 12, 6).unwrap();
        assert_eq!(age_on(born, NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()), 79);
        assert_eq!(age_on(born, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()), 80);
    }

    #[test]
    fn places_then_the_line_and_the_referral_path() {
        assert_eq!(placement(9, 10), BookingStatus::Booked);
        assert_eq!(placement(10, 10), BookingStatus::Waiting);
        assert!(ReferralStatus::Sent.next().contains(&ReferralStatus::Declined));
        assert!(!ReferralStatus::Declined.next().contains(&ReferralStatus::Served));
        assert!(ReferralStatus::Declined.needs_reason(ReferralStatus::Sent));
        assert!(ReferralStatus::Closed.needs_reason(ReferralStatus::Accepted));
        assert!(!ReferralStatus::Closed.needs_reason(ReferralStatus::Served));
    }
}
