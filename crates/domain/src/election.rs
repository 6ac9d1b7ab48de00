//! Electing the owners' committee (业主委员会) at an owners' assembly (domain guide §3).
//!
//! Each candidate is a matter of the assembly of kind [`MatterKind::Committee`]: owners
//! answer agree, oppose or abstain for each, agreeing to at most as many candidates as there
//! are seats. A candidate passes on the matter's double condition (yes votes hold more than
//! half of the participating area AND are more than half of the participating owners, after
//! the 2/3 participation). Among those who pass, the most yes votes win the seats: ranked by
//! yes owners, then by yes area. Candidates who pass after the seats are filled become
//! alternates (候补), in that order. Candidates tied on both counts across the last seat(s)
//! take none of those seats: the seats stay vacant until a further vote decides between
//! them, and the result says so; too few passing candidates leave seats vacant too.
//!
//! [`MatterKind::Committee`]: crate::assembly::MatterKind::Committee

use crate::FieldError;
use crate::assembly::Weight;

codes!(
    /// Who nominated a candidate.
    Nomination, "nomination" {
        /// The community's Party organisation.
        Party => "party",
        /// The residents' committee.
        ResidentsCommittee => "residents_committee",
        /// The owner, on their own.
        SelfNominated => "self",
        /// Owners jointly.
        Joint => "joint",
    }
);

/// The committee's size rules (settings; local rules vary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitteeRules {
    /// An odd number of members from `min_seats` to `max_seats`…
    pub min_seats: i64,
    pub max_seats: i64,
    /// …or as few as `small_estate_seats` where the estate has at most this many households.
    pub small_estate_households: i64,
    pub small_estate_seats: i64,
}

impl Default for CommitteeRules {
    fn default() -> Self {
        CommitteeRules { min_seats: 5, max_seats: 11, small_estate_households: 100, small_estate_seats: 3 }
    }
}

impl CommitteeRules {
    /// The fewest seats an estate of `households` may elect.
    pub fn fewest(self, households: i64) -> i64 {
        if households <= self.small_estate_households { self.small_estate_seats } else { self.min_seats }
    }

    /// Whether an estate of `households` may elect `seats` members: odd, within the range.
    pub fn check_seats(self, households: i64, seats: i64) -> Result<(), FieldError> {
        if seats % 2 == 1 && (self.fewest(households)..=self.max_seats).contains(&seats) {
            Ok(())
        } else {
            Err(FieldError::new("seats", "error.election.seats"))
        }
    }
}

/// One candidate's count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub candidate: i64,
    pub yes: Weight,
    /// The candidate's matter passed (quorum, then more than half of both counts).
    pub passed: bool,
}

/// What became of a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Elected,
    /// Passed, after the seats were filled: an alternate (候补), in rank order.
    Alternate,
    /// Passed, but tied on both counts with others across the last seat(s): a further vote
    /// decides between them.
    Tied,
    /// Did not pass the double condition.
    NotPassed,
}

/// The election's result: every candidate in rank order with what became of them, and the
/// seats left vacant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionResult {
    pub places: Vec<(Standing, Outcome)>,
    pub vacancies: i64,
}

impl ElectionResult {
    pub fn with(&self, outcome: Outcome) -> impl Iterator<Item = &Standing> {
        self.places.iter().filter(move |(_, o)| *o == outcome).map(|(s, _)| s)
    }
}

/// Fills `seats` from the candidates' counts; the order of `candidates` does not matter
/// (rank ties between those who fail are broken by candidate id, for a stable list).
pub fn elect(seats: i64, candidates: &[Standing]) -> ElectionResult {
    let mut ranked: Vec<Standing> = candidates.to_vec();
    ranked.sort_by(|a, b| {
        b.passed
            .cmp(&a.passed)
            .then(b.yes.owners.cmp(&a.yes.owners))
            .then(b.yes.area_dm2.cmp(&a.yes.area_dm2))
            .then(a.candidate.cmp(&b.candidate))
    });
    let mut places = Vec::with_capacity(ranked.len());
    let mut elected = 0;
    let mut i = 0;
    while i < ranked.len() {
        let head = ranked[i];
        if !head.passed {
            places.push((head, Outcome::NotPassed));
            i += 1;
            continue;
        }
        // The group tied with this candidate on both counts.
        let len = ranked[i..].iter().take_while(|s| s.passed && s.yes == head.yes).count();
        let outcome = if elected + len as i64 <= seats {
            elected += len as i64;
            Outcome::Elected
        } else if elected < seats {
            // The group straddles the last seat(s): none of them takes one.
            elected = seats.max(elected);
            Outcome::Tied
        } else {
            Outcome::Alternate
        };
        places.extend(ranked[i..i + len].iter().map(|s| (*s, outcome)));
        i += len;
    }
    let filled = places.iter().filter(|(_, o)| *o == Outcome::Elected).count() as i64;
    ElectionResult { places, vacancies: seats - filled }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn c(id: i64, owners: i64, area: i64, passed: bool) -> Standing {
        Standing { candidate: id, yes: Weight { owners, area_dm2: area }, passed }
    }

    fn ids(r: &ElectionResult, o: Outcome) -> Vec<i64> {
        r.with(o).map(|s| s.candidate).collect()
    }

    #[test]
    fn the_most_yes_votes_among_those_who_pass_are_elected_and_the_next_are_alternates() {
        let r = elect(
            3,
            &[
                c(1, 50, 5000, true),
                c(2, 80, 8000, true),
                c(3, 90, 100, false),
                c(4, 60, 6000, true),
                c(5, 70, 7000, true),
                c(6, 55, 5500, true),
            ],
        );
        assert_eq!(ids(&r, Outcome::Elected), vec![2, 5, 4]);
        assert_eq!(ids(&r, Outcome::Alternate), vec![6, 1]);
        assert_eq!(ids(&r, Outcome::NotPassed), vec![3], "most votes, but short of the double condition");
        assert_eq!(r.vacancies, 0);
    }

    #[test]
    fn owners_decide_the_rank_and_area_breaks_a_tie_in_owners() {
        let r = elect(1, &[c(1, 60, 9000, true), c(2, 61, 100, true)]);
        assert_eq!(ids(&r, Outcome::Elected), vec![2]);
        let r = elect(1, &[c(1, 60, 9000, true), c(2, 60, 8000, true)]);
        assert_eq!(ids(&r, Outcome::Elected), vec![1]);
    }

    #[test]
    fn a_tie_across_the_last_seat_leaves_it_vacant_for_a_further_vote() {
        let r = elect(
            3,
            &[
                c(1, 90, 9000, true),
                c(2, 80, 8000, true),
                c(3, 70, 7000, true),
                c(4, 70, 7000, true),
                c(5, 60, 6000, true),
            ],
        );
        assert_eq!(ids(&r, Outcome::Elected), vec![1, 2]);
        assert_eq!(ids(&r, Outcome::Tied), vec![3, 4]);
        assert_eq!(ids(&r, Outcome::Alternate), vec![5]);
        assert_eq!(r.vacancies, 1);
        // A tie that fits inside the seats elects both.
        let r = elect(3, &[c(1, 90, 9000, true), c(2, 70, 7000, true), c(3, 70, 7000, true)]);
        assert_eq!((ids(&r, Outcome::Elected).len(), r.vacancies), (3, 0));
        // A tie after the seats are filled is between alternates only.
        let r = elect(1, &[c(1, 90, 9000, true), c(2, 70, 7000, true), c(3, 70, 7000, true)]);
        assert_eq!(ids(&r, Outcome::Alternate), vec![2, 3]);
    }

    #[test]
    fn too_few_passing_candidates_leave_seats_vacant() {
        let r = elect(5, &[c(1, 90, 9000, true), c(2, 80, 8000, true), c(3, 10, 100, false)]);
        assert_eq!((ids(&r, Outcome::Elected).len(), r.vacancies), (2, 3));
    }

    #[test]
    fn seats_are_odd_within_the_range_and_small_estates_may_elect_three() {
        let rules = CommitteeRules::default();
        assert!(rules.check_seats(300, 5).is_ok() && rules.check_seats(300, 11).is_ok());
        assert!(rules.check_seats(300, 6).is_err() && rules.check_seats(300, 13).is_err());
        assert!(rules.check_seats(300, 3).is_err(), "a large estate elects at least 5");
        assert!(rules.check_seats(100, 3).is_ok() && rules.check_seats(101, 3).is_err(), "100 households or fewer: 3");
        assert_eq!(rules.check_seats(300, 4).unwrap_err().field, "seats");
    }

    proptest! {
        #[test]
        fn the_order_of_candidates_does_not_matter_and_seats_are_never_exceeded(
            raw in proptest::collection::vec((0i64..20, 0i64..5, any::<bool>()), 0..12),
            seats in 1i64..8,
            rotate in 0usize..12,
        ) {
            let cs: Vec<Standing> = raw.iter().enumerate().map(|(i, (o, a, p))| c(i as i64, *o, *a, *p)).collect();
            let r = elect(seats, &cs);
            let mut turned = cs.clone();
            if !turned.is_empty() {
                let k = rotate % turned.len();
                turned.rotate_left(k);
                turned.reverse();
            }
            prop_assert_eq!(&elect(seats, &turned), &r);
            let elected = r.with(Outcome::Elected).count() as i64;
            prop_assert!(elected <= seats);
            prop_assert_eq!(elected + r.vacancies, seats);
            prop_assert_eq!(r.places.len(), cs.len());
            // Everyone elected has at least the yes votes of every alternate.
            for e in r.with(Outcome::Elected) {
                for a in r.with(Outcome::Alternate) {
                    prop_assert!((e.yes.owners, e.yes.area_dm2) >= (a.yes.owners, a.yes.area_dm2));
                }
                prop_assert!(e.passed);
            }
        }
    }
}
