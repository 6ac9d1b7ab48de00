//! Disputes (矛盾纠纷排查调解, domain guide §2): the risk levels, the ways a mediation
//! session and a dispute end, the channels a dispute is referred to, the follow-up
//! visit's findings, and the half-month periods of screening sweeps.
//!
//! A dispute is a case of a dispute category, so it runs through the same loop
//! ([`crate::case`]); this module holds what a dispute adds. A threat of violence makes
//! a dispute urgent: it is escalated to the community at once.

use crate::TextRule;
use chrono::{Datelike, NaiveDate};

/// The other party of a dispute, as the reporter names them.
pub const OTHER_PARTY: TextRule = TextRule::line(0, 32, "error.dispute.name", "error.dispute.name");

codes!(
    /// How likely a dispute is to turn worse.
    Risk, "risk" {
        Normal => "normal",
        /// May escalate (激化): watched closely.
        High => "high",
        /// A threat of violence: urgent, and escalated at once.
        Violence => "violence",
    }
);

codes!(
    /// One step of recording a mediation, in the order the case page offers them.
    MediationAction, "action" {
        Party => "party",
        Risk => "risk",
        Session => "session",
        Settle => "settle",
        Refer => "refer",
        FollowUp => "follow_up",
    }
);

impl MediationAction {
    /// What may still be recorded once the case is closed: only the follow-up visit, which
    /// by its nature comes after the settlement.
    pub fn on_closed_case(self) -> bool {
        matches!(self, MediationAction::FollowUp)
    }
}

impl Risk {
    /// A dispute at this risk goes straight to the community, above the grid.
    pub fn escalates(self) -> bool {
        self == Risk::Violence
    }

    /// The level a new dispute report starts at: the community for a threat of violence,
    /// the grid otherwise.
    pub fn level_at_intake(self) -> crate::case::Level {
        if self.escalates() { crate::case::Level::Community } else { crate::case::Level::Grid }
    }
}

codes!(
    /// Which side of a dispute a party is on.
    Side, "side" {
        Applicant => "applicant",
        Respondent => "respondent",
    }
);

codes!(
    /// How one mediation session ended.
    SessionOutcome, "outcome" {
        Agreed => "agreed",
        Partly => "partly",
        Continue => "continue",
        Failed => "failed",
    }
);

codes!(
    /// How the mediation ended: a written agreement (调解协议书), an oral agreement put
    /// on record, or no agreement.
    Settlement, "settlement" {
        Agreement => "agreement",
        Record => "record",
        Failed => "failed",
    }
);

codes!(
    /// Where a dispute beyond mediation is sent.
    Referral, "referral" {
        LegalAid => "legal_aid",
        Arbitration => "arbitration",
        Court => "court",
        Administrative => "administrative",
    }
);

codes!(
    /// What the follow-up visit after an agreement found.
    FollowUp, "follow_up" {
        Kept => "kept",
        Partly => "partly",
        Broken => "broken",
    }
);

/// The half-month a date falls in, as stored: `2026-11-1` (1st–15th) or `2026-11-2`.
/// Communities screen for disputes every half month.
pub fn half_month(date: NaiveDate) -> String {
    format!("{}-{:02}-{}", date.year(), date.month(), if date.day() <= 15 { 1 } else { 2 })
}

/// The first and last day of the half-month a date falls in.
pub fn half_month_bounds(date: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first_of_month = date.with_day(1).unwrap_or(date);
    if date.day() <= 15 {
        (first_of_month, first_of_month.with_day(15).unwrap_or(date))
    } else {
        let next_month =
            first_of_month.checked_add_months(chrono::Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(date);
        (first_of_month.with_day(16).unwrap_or(date), next_month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn half_months_split_on_the_fifteenth_and_end_with_the_month() {
        assert_eq!(half_month(d("2026-11-15")), "2026-11-1");
        assert_eq!(half_month(d("2026-11-16")), "2026-11-2");
        assert_eq!(half_month_bounds(d("2026-02-20")), (d("2026-02-16"), d("2026-02-28")));
        assert_eq!(half_month_bounds(d("2028-02-29")), (d("2028-02-16"), d("2028-02-29")));
        assert_eq!(half_month_bounds(d("2026-12-31")), (d("2026-12-16"), d("2026-12-31")));
        assert_eq!(half_month_bounds(d("2026-12-01")), (d("2026-12-01"), d("2026-12-15")));
    }

    #[test]
    fn only_a_threat_of_violence_escalates_and_codes_round_trip() {
        assert!(Risk::Violence.escalates() && !Risk::High.escalates() && !Risk::Normal.escalates());
        for r in Referral::ALL {
            assert_eq!(Referral::parse(r.as_str()), Ok(*r));
        }
        assert_eq!(Risk::parse("extreme").unwrap_err().field, "risk");
    }
}
