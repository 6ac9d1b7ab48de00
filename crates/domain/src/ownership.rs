//! Owners of record and how they count for the owners' assembly (Civil Code Art. 278, and
//! the Supreme People's Court interpretation on building ownership, domain guide §3).
//!
//! An owner's weight is the exclusive area of the units held: the area in the property
//! register, else the surveyed area, else the contract area. The number of owners is the
//! number of exclusive units, one unit one owner, except that a buyer of several units
//! counts once, and the units the developer has not sold count once together. Areas are
//! kept exactly, in hundredths of a square metre (dm²), never as floats.

use crate::FieldError;
use serde::Serialize;
use std::collections::HashMap;

/// An exclusive area in dm² (0.01 m²).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Area(i64);

impl Area {
    /// Largest area a single unit may have: 100,000 m².
    const MAX_DM2: i64 = 10_000_000;

    pub fn from_dm2(dm2: i64) -> Area {
        Area(dm2)
    }

    pub fn dm2(self) -> i64 {
        self.0
    }

    /// Parses square metres with at most two decimals (`89.5`, `120.37`), exactly.
    pub fn parse(field: &'static str, raw: &str) -> Result<Area, FieldError> {
        let bad = || FieldError::new(field, "error.area");
        let raw = raw.trim().trim_end_matches("m²").trim_end_matches("㎡").trim();
        let (whole, frac) = raw.split_once('.').unwrap_or((raw, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 6 {
            return Err(bad());
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let dm2 = whole * 100 + frac;
        if dm2 == 0 || dm2 > Area::MAX_DM2 {
            return Err(bad());
        }
        Ok(Area(dm2))
    }
}

impl Area {
    /// Whole square metres, rounded half up, with thousands separators: `200,296`.
    pub fn grouped_m2(self) -> String {
        let whole = (self.0 + 50) / 100;
        let digits = whole.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

impl std::fmt::Display for Area {
    /// Square metres with two decimals: `89.50`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}", self.0 / 100, self.0 % 100)
    }
}

/// Where a unit's counted area comes from, in the order the interpretation prefers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AreaSource {
    Register,
    Survey,
    Contract,
}

impl AreaSource {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaSource::Register => "register",
            AreaSource::Survey => "survey",
            AreaSource::Contract => "contract",
        }
    }
}

/// The area that counts: register, else survey, else contract.
pub fn counted_area(
    register: Option<Area>,
    survey: Option<Area>,
    contract: Option<Area>,
) -> Option<(Area, AreaSource)> {
    register
        .map(|a| (a, AreaSource::Register))
        .or(survey.map(|a| (a, AreaSource::Survey)))
        .or(contract.map(|a| (a, AreaSource::Contract)))
}

/// Who holds a unit of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Holder {
    /// An owner by id (a person, or an organisation that bought).
    Owner(i64),
    /// The developer: the unit is not yet sold or delivered.
    Developer,
}

/// One exclusive unit and its current holders (co-owners hold one unit together).
#[derive(Debug, Clone)]
pub struct Holding {
    pub unit_id: i64,
    pub area: Option<Area>,
    pub holders: Vec<Holder>,
}

/// The owners' assembly as the law counts it: the denominators of every Art. 278 vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Electorate {
    /// Exclusive units of record.
    pub units: u64,
    /// Owners by number: one per unit, a buyer of several units once, unsold units once.
    pub owners: u64,
    /// Total exclusive area.
    pub area: Area,
    /// Units the developer still holds.
    pub unsold_units: u64,
    /// Units with no owner recorded: each still counts as one owner, but staff should fix them.
    pub units_without_owner: u64,
    /// Units with no area recorded: they count with no area until one is entered.
    pub units_without_area: u64,
}

/// One owner as the law counts them: the units that share holders (a buyer of several
/// units; co-owners; all of the developer's unsold units), with their summed area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    /// Unit ids, ascending.
    pub units: Vec<i64>,
    pub area: Area,
    /// Who may vote for these units; empty when no owner is recorded.
    pub holders: Vec<Holder>,
}

/// The voters of the assembly over the current holdings, in the order of their first unit.
/// Units that share a holder are one voter; all developer units are one.
pub fn voters(holdings: &[Holding]) -> Vec<Voter> {
    let mut parent: Vec<usize> = (0..holdings.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut first_unit_of: HashMap<Holder, usize> = HashMap::new();
    for (i, h) in holdings.iter().enumerate() {
        for holder in &h.holders {
            match first_unit_of.get(holder) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    first_unit_of.insert(*holder, i);
                }
            }
        }
    }
    let mut index_of_root: HashMap<usize, usize> = HashMap::new();
    let mut out: Vec<Voter> = Vec::new();
    for (i, h) in holdings.iter().enumerate() {
        let r = root(&mut parent, i);
        let at = *index_of_root.entry(r).or_insert_with(|| {
            out.push(Voter { units: Vec::new(), area: Area::default(), holders: Vec::new() });
            out.len() - 1
        });
        let v = &mut out[at];
        v.units.push(h.unit_id);
        v.area.0 += h.area.map_or(0, |a| a.0);
        for holder in &h.holders {
            if !v.holders.contains(holder) {
                v.holders.push(*holder);
            }
        }
    }
    for v in &mut out {
        v.units.sort_unstable();
    }
    out
}

/// Counts owners and area over the current holdings: the totals of [`voters`].
pub fn electorate(holdings: &[Holding]) -> Electorate {
    let mut e = Electorate::default();
    for h in holdings {
        e.units += 1;
        match h.area {
            Some(a) => e.area.0 += a.0,
            None => e.units_without_area += 1,
        }
        if h.holders.is_empty() {
            e.units_without_owner += 1;
        }
        if h.holders.contains(&Holder::Developer) {
            e.unsold_units += 1;
        }
    }
    e.owners = voters(holdings).len() as u64;
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(id: i64, m2: i64, holders: &[Holder]) -> Holding {
        Holding { unit_id: id, area: Some(Area::from_dm2(m2 * 100)), holders: holders.to_vec() }
    }

    #[test]
    fn one_unit_one_owner_and_areas_add_up() {
        let e = electorate(&[unit(1, 90, &[Holder::Owner(1)]), unit(2, 120, &[Holder::Owner(2)])]);
        assert_eq!((e.units, e.owners, e.area.dm2()), (2, 2, 21_000));
    }

    #[test]
    fn a_buyer_of_several_units_counts_once_with_all_the_area() {
        let e = electorate(&[
            unit(1, 90, &[Holder::Owner(7)]),
            unit(2, 90, &[Holder::Owner(7)]),
            unit(3, 60, &[Holder::Owner(8)]),
        ]);
        assert_eq!((e.units, e.owners, e.area.dm2()), (3, 2, 24_000));
    }

    #[test]
    fn unsold_units_count_once_together() {
        let e = electorate(&[
            unit(1, 90, &[Holder::Developer]),
            unit(2, 90, &[Holder::Developer]),
            unit(3, 90, &[Holder::Developer]),
            unit(4, 60, &[Holder::Owner(1)]),
        ]);
        assert_eq!((e.owners, e.unsold_units), (2, 3));
    }

    #[test]
    fn co_owners_hold_one_unit_and_link_their_other_units() {
        // A couple owns unit 1 together; the wife alone owns unit 2: one owner by number.
        let e = electorate(&[unit(1, 90, &[Holder::Owner(1), Holder::Owner(2)]), unit(2, 50, &[Holder::Owner(2)])]);
        assert_eq!(e.owners, 1);
        let e = electorate(&[unit(1, 90, &[Holder::Owner(1), Holder::Owner(2)])]);
        assert_eq!(e.owners, 1, "two co-owners of one unit are one owner");
    }

    #[test]
    fn units_without_owner_or_area_are_counted_and_reported() {
        let e = electorate(&[Holding { unit_id: 1, area: None, holders: vec![] }, unit(2, 80, &[Holder::Owner(1)])]);
        assert_eq!((e.units, e.owners, e.units_without_owner, e.units_without_area), (2, 2, 1, 1));
        assert_eq!(e.area.dm2(), 8_000);
    }

    #[test]
    fn area_prefers_register_then_survey_then_contract() {
        let a = |m| Some(Area::from_dm2(m));
        assert_eq!(counted_area(a(1), a(2), a(3)), Some((Area::from_dm2(1), AreaSource::Register)));
        assert_eq!(counted_area(None, a(2), a(3)), Some((Area::from_dm2(2), AreaSource::Survey)));
        assert_eq!(counted_area(None, None, a(3)), Some((Area::from_dm2(3), AreaSource::Contract)));
        assert_eq!(counted_area(None, None, None), None);
    }

    #[test]
    fn areas_parse_exactly() {
        assert_eq!(Area::parse("area", "89.5").unwrap().dm2(), 8_950);
        assert_eq!(Area::parse("area", "120.37㎡").unwrap().dm2(), 12_037);
        assert_eq!(Area::parse("area", "64").unwrap().to_string(), "64.00");
        assert_eq!(Area::from_dm2(20_029_650).grouped_m2(), "200,297");
        assert_eq!(Area::from_dm2(99_949).grouped_m2(), "999");
        for bad in ["", "0", "-3", "1.234", "abc", "1,5", "9999999", ".5"] {
            assert_eq!(Area::parse("area", bad).unwrap_err().key, "error.area", "{bad}");
        }
    }

    proptest::proptest! {
        /// However units are shared, owners by number never exceed units, never fall
        /// below the distinct non-developer holders' groups, and the area is the sum.
        #[test]
        fn counting_is_bounded_and_order_free(
            raw in proptest::collection::vec((1i64..20_000, proptest::collection::vec(0i64..12, 0..3), proptest::bool::weighted(0.1)), 0..40)
        ) {
            let holdings: Vec<Holding> = raw.iter().enumerate().map(|(i, (area, owners, dev))| Holding {
                unit_id: i as i64,
                area: Some(Area::from_dm2(*area)),
                holders: if *dev { vec![Holder::Developer] } else { owners.iter().map(|o| Holder::Owner(*o)).collect() },
            }).collect();
            let e = electorate(&holdings);
            proptest::prop_assert!(e.owners <= e.units);
            proptest::prop_assert_eq!(e.area.dm2(), raw.iter().map(|r| r.0).sum::<i64>());
            let mut reversed = holdings.clone();
            reversed.reverse();
            proptest::prop_assert_eq!(electorate(&reversed), e);
            // Distinct holders bound the count from above, together with unowned units.
            let mut distinct: std::collections::HashSet<Holder> = std::collections::HashSet::new();
            for h in &holdings { distinct.extend(h.holders.iter().copied()); }
            proptest::prop_assert!(e.owners <= distinct.len() as u64 + e.units_without_owner);
        }
    }
}
