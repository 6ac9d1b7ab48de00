//! The owners' assembly (业主大会) and how its decisions are counted (Civil Code Art. 278,
//! domain guide §3).
//!
//! Every decision is counted twice, by exclusive area and by headcount, and both counts
//! must pass at both steps:
//!
//! 1. **Participation**: the owners who took part hold at least 2/3 of the total
//!    exclusive area AND are at least 2/3 of all owners (以上 includes the number).
//! 2. **Decision**: the yes votes hold more than half (过半数, the half itself does not
//!    pass) of the participating area AND of the participating owners; for raising the
//!    maintenance fund, rebuilding, and changing the use of common parts, at least 3/4.
//!
//! Every comparison is made on integers (area in dm², headcount), cross-multiplied in
//! `i128`: no float ever decides a vote.
//!
//! Who counts as one owner is the electorate's business ([`crate::ownership::electorate`]):
//! a buyer of several units is one voter with their summed area, the developer's unsold
//! units one voter together. Here a voter is an [`Elector`] of a frozen electorate.
//!
//! A ballot that is returned blank counts as taking part (the owner took part and chose
//! nothing); an invalid one (unsigned, unreadable) does not count at all. On each matter a
//! participating voter who chose nothing is an abstainer. The "count with the majority"
//! rule (从众), when a community's rules have it, moves abstainers to the side that leads
//! by both area and headcount; it never changes participation, and it touches no one who
//! did not take part.

use crate::FieldError;

codes!(
    /// The nine kinds of matter of Art. 278; the kind decides the threshold.
    MatterKind, "kind" {
        /// (1) The owners' assembly's rules of procedure (议事规则).
        AssemblyRules => "assembly_rules",
        /// (2) The management covenant (管理规约).
        Covenant => "covenant",
        /// (3) Electing or replacing owners' committee members.
        Committee => "committee",
        /// (4) Hiring or dismissing the property company.
        PropertyCompany => "property_company",
        /// (5) Using the maintenance fund.
        UseFund => "use_fund",
        /// (6) Raising the maintenance fund.
        RaiseFund => "raise_fund",
        /// (7) Rebuilding buildings and their facilities.
        Rebuild => "rebuild",
        /// (8) Changing the use of common parts, or running a business with them.
        CommonParts => "common_parts",
        /// (9) Other major matters.
        Other => "other",
    }
);

/// How many yes votes a matter needs, of the participating area and owners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threshold {
    /// 过半数: more than half; exactly half does not pass.
    MoreThanHalf,
    /// 四分之三以上: three quarters or more.
    ThreeQuarters,
}

impl MatterKind {
    pub fn threshold(self) -> Threshold {
        match self {
            MatterKind::RaiseFund | MatterKind::Rebuild | MatterKind::CommonParts => Threshold::ThreeQuarters,
            _ => Threshold::MoreThanHalf,
        }
    }
}

impl Threshold {
    /// Whether `part` of `whole` meets the threshold.
    pub fn met(self, part: i64, whole: i64) -> bool {
        match self {
            Threshold::MoreThanHalf => more_than(part, whole, 1, 2),
            Threshold::ThreeQuarters => at_least(part, whole, 3, 4),
        }
    }
}

/// `part / whole >= num / den`, exactly. A whole of zero is never met: nothing was counted.
pub fn at_least(part: i64, whole: i64, num: i64, den: i64) -> bool {
    whole > 0 && i128::from(part) * i128::from(den) >= i128::from(whole) * i128::from(num)
}

/// `part / whole > num / den`, exactly. A whole of zero is never met.
pub fn more_than(part: i64, whole: i64, num: i64, den: i64) -> bool {
    whole > 0 && i128::from(part) * i128::from(den) > i128::from(whole) * i128::from(num)
}

codes!(
    /// An owner's answer on one matter.
    Choice, "choice" {
        Agree => "agree",
        Oppose => "oppose",
        Abstain => "abstain",
    }
);

codes!(
    /// How an assembly meets: a meeting with collective discussion, or written consultation.
    Form, "form" {
        Meeting => "meeting",
        Written => "written",
    }
);

codes!(
    /// Who convenes an assembly: the owners' committee, or the residents' committee for a
    /// first assembly or where the estate has no owners' committee.
    Convener, "convener" {
        OwnersCommittee => "owners_committee",
        ResidentsCommittee => "residents_committee",
    }
);

codes!(
    /// How a ballot reached the count.
    Channel, "channel" {
        /// Cast by the owner on their phone.
        Online => "online",
        /// Signed on paper, keyed in by staff (twice, by two people).
        Paper => "paper",
        /// Cast by a registered proxy (委托) on the owner's behalf.
        Proxy => "proxy",
    }
);

/// What happens to a ballot that arrives for a voter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// It becomes the voter's ballot (the first one, or one that takes precedence).
    Counts,
    /// It is kept in the record and not counted: a paper ballot of an owner who also voted
    /// online or through their proxy.
    Kept,
    /// It is refused: the voter has voted and may not change it, or their own ballot
    /// stands against their proxy's.
    Refused,
}

impl Channel {
    /// Whose voice weighs most when a voter's ballot comes twice: the owner's own online
    /// ballot, then their proxy's, then a paper ballot keyed in by staff.
    fn precedence(self) -> u8 {
        match self {
            Channel::Paper => 0,
            Channel::Proxy => 1,
            Channel::Online => 2,
        }
    }
}

/// What becomes of `incoming` when the voter's ballot so far came by `existing`. A paper
/// ballot never displaces one cast online (Shenzhen's rule: the online ballot counts), an
/// owner's own ballot displaces their proxy's, and a voter changes a ballot of the same
/// channel only where the assembly allows changes. Paper ballots are corrected by keying
/// them in again (every correction is a link of the chain).
pub fn arrival(existing: Option<Channel>, incoming: Channel, allow_changes: bool) -> Arrival {
    let Some(existing) = existing else { return Arrival::Counts };
    match incoming.precedence().cmp(&existing.precedence()) {
        std::cmp::Ordering::Greater => Arrival::Counts,
        std::cmp::Ordering::Equal if incoming == Channel::Paper || allow_changes => Arrival::Counts,
        std::cmp::Ordering::Equal => Arrival::Refused,
        std::cmp::Ordering::Less if incoming == Channel::Paper => Arrival::Kept,
        std::cmp::Ordering::Less => Arrival::Refused,
    }
}

/// Where a paper ballot's double entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoubleEntry {
    /// Nobody has keyed it in.
    None,
    /// One person has; a second, different person must key it in too.
    Once,
    /// Two different people keyed in the same: it counts.
    Agreed,
    /// It was keyed in by two or more people and no two of them agree: flagged, not counted.
    Mismatch,
}

/// Reads the entries of one paper ballot, each as who keyed it in and what they keyed.
/// Entries by the same person never agree with each other (one person's entry is replaced
/// when they key it again, so there is at most one per person anyway).
pub fn double_entry<K: PartialEq>(entries: &[(i64, K)]) -> DoubleEntry {
    let agreed = entries
        .iter()
        .enumerate()
        .any(|(i, (by, what))| entries[i + 1..].iter().any(|(other_by, other)| other_by != by && other == what));
    match entries.len() {
        0 => DoubleEntry::None,
        _ if agreed => DoubleEntry::Agreed,
        1 => DoubleEntry::Once,
        _ => DoubleEntry::Mismatch,
    }
}

/// A voter of a frozen electorate: one owner as the law counts them, with their area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elector {
    pub id: i64,
    /// Exclusive area in dm².
    pub area_dm2: i64,
}

/// What a ballot says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marks {
    /// One answer per matter, in the assembly's order; `None` where the owner chose nothing.
    Choices(Vec<Option<Choice>>),
    /// Returned with nothing marked: the owner took part.
    Blank,
    /// Void (unsigned, unreadable, marked twice): it does not count at all.
    Invalid,
}

/// One counted ballot: whose, how it came, what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedBallot {
    pub elector: Elector,
    pub channel: Channel,
    pub marks: Marks,
}

/// Both counts of one thing: area in dm² and headcount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Weight {
    pub area_dm2: i64,
    pub owners: i64,
}

impl Weight {
    fn add(&mut self, e: Elector) {
        self.area_dm2 += e.area_dm2;
        self.owners += 1;
    }

    fn plus(self, other: Weight) -> Weight {
        Weight { area_dm2: self.area_dm2 + other.area_dm2, owners: self.owners + other.owners }
    }

    /// Both counts of `self` against `whole` meet `threshold`.
    pub fn meets(self, whole: Weight, threshold: Threshold) -> bool {
        threshold.met(self.area_dm2, whole.area_dm2) && threshold.met(self.owners, whole.owners)
    }

    /// Both counts are at least 2/3 of `whole`: the participation an assembly needs.
    pub fn is_quorum_of(self, whole: Weight) -> bool {
        at_least(self.area_dm2, whole.area_dm2, 2, 3) && at_least(self.owners, whole.owners, 2, 3)
    }
}

/// Ballots by channel, as the result shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct ByChannel {
    pub online: i64,
    pub paper: i64,
    pub proxy: i64,
    pub blank: i64,
    pub invalid: i64,
}

/// The count of one matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MatterResult {
    pub agree: Weight,
    pub oppose: Weight,
    /// Participants who chose nothing or abstained (after the 从众 rule, if it moved them).
    pub abstain: Weight,
    /// Abstainers the 从众 rule counted with the majority (zero when the rule is off).
    pub moved_to_majority: Weight,
    pub passed: bool,
}

/// The count of an assembly.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// The frozen electorate: the denominators of participation.
    pub electorate: Weight,
    /// Who took part: every valid ballot, blank ones included.
    pub participation: Weight,
    pub quorum: bool,
    pub channels: ByChannel,
    pub matters: Vec<MatterResult>,
}

/// Counts an assembly: `kinds` are its matters in order, `electorate` its frozen totals,
/// `ballots` one per elector (the store keeps exactly one), `follow_majority` the
/// community's 从众 rule. The order of the ballots does not matter.
pub fn tally(kinds: &[MatterKind], electorate: Weight, ballots: &[CountedBallot], follow_majority: bool) -> Tally {
    let mut participation = Weight::default();
    let mut channels = ByChannel::default();
    let mut agree = vec![Weight::default(); kinds.len()];
    let mut oppose = vec![Weight::default(); kinds.len()];
    let mut abstain = vec![Weight::default(); kinds.len()];
    for b in ballots {
        match &b.marks {
            Marks::Invalid => {
                channels.invalid += 1;
                continue;
            }
            Marks::Blank => channels.blank += 1,
            Marks::Choices(_) => match b.channel {
                Channel::Online => channels.online += 1,
                Channel::Paper => channels.paper += 1,
                Channel::Proxy => channels.proxy += 1,
            },
        }
        participation.add(b.elector);
        for i in 0..kinds.len() {
            let choice = match &b.marks {
                Marks::Choices(c) => c.get(i).copied().flatten(),
                _ => None,
            };
            match choice {
                Some(Choice::Agree) => agree[i].add(b.elector),
                Some(Choice::Oppose) => oppose[i].add(b.elector),
                Some(Choice::Abstain) | None => abstain[i].add(b.elector),
            }
        }
    }
    let quorum = participation.is_quorum_of(electorate);
    let matters = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let (mut yes, mut no, mut rest) = (agree[i], oppose[i], abstain[i]);
            let mut moved = Weight::default();
            if follow_majority {
                let leads = |a: Weight, b: Weight| a.area_dm2 > b.area_dm2 && a.owners > b.owners;
                if leads(yes, no) {
                    yes = yes.plus(rest);
                    moved = rest;
                    rest = Weight::default();
                } else if leads(no, yes) {
                    no = no.plus(rest);
                    moved = rest;
                    rest = Weight::default();
                }
            }
            MatterResult {
                agree: yes,
                oppose: no,
                abstain: rest,
                moved_to_majority: moved,
                passed: quorum && yes.meets(participation, kind.threshold()),
            }
        })
        .collect();
    Tally { electorate, participation, quorum, channels, matters }
}

/// The double bar of a petition for a temporary meeting: signers holding at least 20% of
/// the area AND at least 20% of the owners.
pub fn petition_met(signed: Weight, electorate: Weight) -> bool {
    at_least(signed.area_dm2, electorate.area_dm2, 1, 5) && at_least(signed.owners, electorate.owners, 1, 5)
}

/// Where a petition stands over the register as it is now: the weight of the voters for whom
/// an owner of record signed (co-owners of a unit count once, however many of them sign; a
/// signer who has since sold counts no more), against the whole roll.
pub fn petition_standing(
    voters: &[crate::ownership::Voter],
    signed: &std::collections::HashSet<i64>,
) -> (Weight, Weight) {
    use crate::ownership::Holder;
    let mut part = Weight::default();
    let mut whole = Weight::default();
    for v in voters {
        whole.owners += 1;
        whole.area_dm2 += v.area.dm2();
        if v.holders.iter().any(|h| matches!(h, Holder::Owner(id) if signed.contains(id))) {
            part.owners += 1;
            part.area_dm2 += v.area.dm2();
        }
    }
    (part, whole)
}

/// A petition's reason: what the owners want the temporary meeting to decide, and why.
pub const PETITION_REASON: crate::TextRule = crate::TextRule {
    min: 10,
    max: 2000,
    multiline: true,
    short: "error.petition.reason",
    long: "error.petition.reason",
};

/// A candidate's statement for the committee election: who they are and what they offer
/// (published with the notice); may be left empty.
pub const CANDIDATE_STATEMENT: crate::TextRule = crate::TextRule {
    min: 0,
    max: 500,
    multiline: true,
    short: "error.election.statement",
    long: "error.election.statement",
};

/// An assembly's title: 2–100 characters on one line.
pub const TITLE: crate::TextRule = crate::TextRule::line(2, 100, "error.assembly.title", "error.assembly.title");
/// An objection to a preliminary result, or the committee's answer: 2–500 characters.
pub const OBJECTION: crate::TextRule = crate::TextRule {
    min: 2,
    max: 500,
    multiline: true,
    short: "error.assembly.objection",
    long: "error.assembly.objection",
};
/// A proxy's name as on the written authorisation: 1–32 characters.
pub const PROXY_NAME: crate::TextRule = crate::TextRule::line(1, 32, "error.required", "error.name.invalid");
/// A matter's wording: 2–2,000 characters.
pub const MATTER_TEXT: crate::TextRule = crate::TextRule {
    min: 2,
    max: 2000,
    multiline: true,
    short: "error.assembly.matter",
    long: "error.assembly.matter",
};

/// The law's and the city's limits an assembly's dates must keep (settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    /// Days between the notice and the opening of the vote, at least.
    pub notice_days: i64,
    /// The voting window's length in days, within these.
    pub min_window_days: i64,
    pub max_window_days: i64,
    /// Days the preliminary result stands open to objections (询异) after the count.
    pub objection_days: i64,
    /// Days after the objection period within which the final result is published.
    pub publish_days: i64,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { notice_days: 15, min_window_days: 5, max_window_days: 60, objection_days: 7, publish_days: 3 }
    }
}

impl Calendar {
    /// Checks a voting window given as days since the epoch (China dates): it opens at least
    /// `notice_days` after `today` and lasts within the range.
    pub fn check(self, today: i64, opens: i64, closes: i64) -> Result<(), FieldError> {
        if opens - today < self.notice_days {
            return Err(FieldError::new("opens_on", "error.assembly.notice_days"));
        }
        let days = closes - opens + 1;
        if days < self.min_window_days || days > self.max_window_days {
            return Err(FieldError::new("closes_on", "error.assembly.window"));
        }
        Ok(())
    }
}

/// Whether a search finds a voter by their units. The numbers typed (`3号楼 1202`,
/// `3-1-1202`, `3 1 1202`) must appear in that order among one unit's numbers (building,
/// stair, room), each number whole (`1` does not find `11号楼`); a number marked as a
/// building (`3号楼`, `3栋`) or a stair (`1单元`) must be that unit's building or stair.
pub fn units_match(label: &str, needle: &str) -> bool {
    /// The numbers of a text, each with what it is marked as: 0 building, 1 stair, else none.
    fn numbers(s: &str) -> Vec<(&str, Option<usize>)> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find(|c: char| c.is_ascii_digit()) {
            let tail = &rest[start..];
            let end = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
            let after = tail[end..].trim_start();
            let mark = if ["号楼", "栋", "幢", "号"].iter().any(|m| after.starts_with(m)) {
                Some(0)
            } else if after.starts_with("单元") {
                Some(1)
            } else {
                None
            };
            out.push((&tail[..end], mark));
            rest = &tail[end..];
        }
        out
    }
    let wanted = numbers(needle);
    if wanted.is_empty() {
        return needle.trim().is_empty() || label.contains(needle.trim());
    }
    label.split('、').any(|unit| {
        let mut have = numbers(unit).into_iter().enumerate();
        wanted.iter().all(|(w, mark)| have.any(|(i, (h, _))| h == *w && mark.is_none_or(|m| m == i)))
    })
}

/// A voter's units as an inspection shows another owner's ballot: the building and stair
/// of each unit, the room hidden (`3号楼 1单元 ***`), so the record shows how each
/// building voted without naming a household.
pub fn masked_units(label: &str) -> String {
    label
        .split('、')
        .map(|unit| match unit.rsplit_once(' ') {
            Some((place, _room)) => format!("{place} ***"),
            None => "***".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn e(id: i64, area_dm2: i64) -> Elector {
        Elector { id, area_dm2 }
    }

    fn vote(id: i64, area_dm2: i64, choice: Choice) -> CountedBallot {
        CountedBallot { elector: e(id, area_dm2), channel: Channel::Online, marks: Marks::Choices(vec![Some(choice)]) }
    }

    fn whole(area_dm2: i64, owners: i64) -> Weight {
        Weight { area_dm2, owners }
    }

    #[test]
    fn exactly_two_thirds_meets_the_quorum_and_one_less_does_not() {
        // Nine owners of 100 dm² each: six are exactly 2/3 by both counts.
        let six: Vec<_> = (0..6).map(|i| vote(i, 100, Choice::Agree)).collect();
        let t = tally(&[MatterKind::Other], whole(900, 9), &six, false);
        assert!(t.quorum && t.matters[0].passed);
        let five = &six[..5];
        assert!(!tally(&[MatterKind::Other], whole(900, 9), five, false).quorum);
        // Six owners, but one dm² short of 2/3 of the area.
        let t = tally(&[MatterKind::Other], whole(901, 9), &six, false);
        assert!(!t.quorum && !t.matters[0].passed, "both counts must hold");
    }

    #[test]
    fn exactly_half_does_not_pass_and_one_more_does() {
        let mut ballots: Vec<_> = (0..4).map(|i| vote(i, 100, Choice::Agree)).collect();
        ballots.extend((4..8).map(|i| vote(i, 100, Choice::Oppose)));
        let t = tally(&[MatterKind::PropertyCompany], whole(800, 8), &ballots, false);
        assert!(t.quorum && !t.matters[0].passed, "4 of 8 is not more than half");
        ballots[4] = vote(4, 100, Choice::Agree);
        assert!(tally(&[MatterKind::PropertyCompany], whole(800, 8), &ballots, false).matters[0].passed);
    }

    #[test]
    fn exactly_three_quarters_passes_a_fund_raise_and_one_less_does_not() {
        let mut ballots: Vec<_> = (0..6).map(|i| vote(i, 100, Choice::Agree)).collect();
        ballots.extend((6..8).map(|i| vote(i, 100, Choice::Oppose)));
        assert!(tally(&[MatterKind::RaiseFund], whole(800, 8), &ballots, false).matters[0].passed);
        ballots[5] = vote(5, 100, Choice::Oppose);
        let t = tally(&[MatterKind::RaiseFund], whole(800, 8), &ballots, false);
        assert!(!t.matters[0].passed, "5 of 8 is less than 3/4");
        assert!(t.matters[0].agree.meets(t.participation, Threshold::MoreThanHalf), "though it is a majority");
    }

    #[test]
    fn the_area_can_fail_a_matter_that_the_headcount_passes() {
        // Three small flats agree; one large one opposes.
        let ballots = [
            vote(1, 50, Choice::Agree),
            vote(2, 50, Choice::Agree),
            vote(3, 50, Choice::Agree),
            vote(4, 300, Choice::Oppose),
        ];
        let t = tally(&[MatterKind::Other], whole(450, 4), &ballots, false);
        assert!(t.quorum && !t.matters[0].passed);
    }

    #[test]
    fn a_blank_ballot_takes_part_and_an_invalid_one_does_not() {
        let mut ballots: Vec<_> = (0..5).map(|i| vote(i, 100, Choice::Agree)).collect();
        ballots.push(CountedBallot { elector: e(5, 100), channel: Channel::Paper, marks: Marks::Blank });
        let t = tally(&[MatterKind::Other], whole(900, 9), &ballots, false);
        assert_eq!(t.participation, whole(600, 6));
        assert!(t.quorum && t.channels.blank == 1);
        ballots[5].marks = Marks::Invalid;
        let t = tally(&[MatterKind::Other], whole(900, 9), &ballots, false);
        assert_eq!((t.participation, t.quorum, t.channels.invalid), (whole(500, 5), false, 1));
    }

    #[test]
    fn the_majority_rule_moves_abstainers_only_and_only_to_a_side_that_leads_both_ways() {
        let ballots = [
            vote(1, 100, Choice::Agree),
            vote(2, 100, Choice::Agree),
            vote(3, 100, Choice::Oppose),
            vote(4, 100, Choice::Abstain),
            vote(5, 100, Choice::Abstain),
        ];
        // 2 of 5 agree: not more than half. With the rule, the two abstainers join.
        let off = tally(&[MatterKind::Other], whole(600, 6), &ballots, false);
        let on = tally(&[MatterKind::Other], whole(600, 6), &ballots, true);
        assert!(!off.matters[0].passed && on.matters[0].passed);
        assert_eq!(on.matters[0].moved_to_majority, whole(200, 2));
        assert_eq!(off.participation, on.participation);
        // A tie leaves the abstainers where they are.
        let tie = [vote(1, 100, Choice::Agree), vote(2, 100, Choice::Oppose), vote(3, 100, Choice::Abstain)];
        let t = tally(&[MatterKind::Other], whole(300, 3), &tie, true);
        assert_eq!(t.matters[0].moved_to_majority, Weight::default());
    }

    /// The worked example of docs/assembly.md, figure for figure.
    #[test]
    fn the_worked_example_of_the_docs() {
        let flat = |id, a, b| CountedBallot {
            elector: e(id, 9_000),
            channel: Channel::Online,
            marks: Marks::Choices(vec![Some(a), Some(b)]),
        };
        let ballots = [
            flat(1, Choice::Agree, Choice::Agree),
            flat(2, Choice::Agree, Choice::Agree),
            flat(3, Choice::Agree, Choice::Agree),
            flat(4, Choice::Oppose, Choice::Agree),
            flat(5, Choice::Oppose, Choice::Agree),
            CountedBallot {
                elector: e(9, 18_000),
                channel: Channel::Paper,
                marks: Marks::Choices(vec![Some(Choice::Oppose), Some(Choice::Oppose)]),
            },
        ];
        let t = tally(&[MatterKind::PropertyCompany, MatterKind::RaiseFund], whole(90_000, 9), &ballots, false);
        assert_eq!(t.participation, whole(63_000, 6));
        assert!(t.quorum);
        assert_eq!(t.matters[0].agree, whole(27_000, 3));
        assert!(!t.matters[0].passed);
        assert_eq!(t.matters[1].agree, whole(45_000, 5));
        assert!(Threshold::ThreeQuarters.met(5, 6) && !Threshold::ThreeQuarters.met(45_000, 63_000));
        assert!(!t.matters[1].passed, "the shop's area blocks the raise");
        let mut one_more = ballots.clone();
        one_more[3] = flat(4, Choice::Agree, Choice::Agree);
        assert!(tally(&[MatterKind::PropertyCompany], whole(90_000, 9), &one_more, false).matters[0].passed);
    }

    #[test]
    fn an_empty_electorate_decides_nothing() {
        let t = tally(&[MatterKind::Other], Weight::default(), &[], false);
        assert!(!t.quorum && !t.matters[0].passed);
    }

    #[test]
    fn a_petition_counts_each_voter_once_over_the_register_as_it_is() {
        use crate::ownership::{Area, Holder, Holding, voters};
        let unit = |id: i64, m2: i64, holders: &[Holder]| Holding {
            unit_id: id,
            area: Some(Area::from_dm2(m2 * 100)),
            holders: holders.to_vec(),
        };
        // Owners 1 and 2 hold unit 1 together; owner 3 holds units 2 and 3; unit 4 is unsold.
        let register = [
            unit(1, 100, &[Holder::Owner(1), Holder::Owner(2)]),
            unit(2, 80, &[Holder::Owner(3)]),
            unit(3, 70, &[Holder::Owner(3)]),
            unit(4, 90, &[Holder::Developer]),
        ];
        let roll = voters(&register);
        let signed: std::collections::HashSet<i64> = [1, 2, 3].into();
        let (part, whole) = petition_standing(&roll, &signed);
        assert_eq!((part.owners, part.area_dm2), (2, 25_000), "co-owners once, a buyer of two units once");
        assert_eq!((whole.owners, whole.area_dm2), (3, 34_000));
        // Owner 3 sells both units to owner 9, who has not signed: the signature no longer counts.
        let sold = [
            register[0].clone(),
            unit(2, 80, &[Holder::Owner(9)]),
            unit(3, 70, &[Holder::Owner(9)]),
            register[3].clone(),
        ];
        let (part, _) = petition_standing(&voters(&sold), &signed);
        assert_eq!((part.owners, part.area_dm2), (1, 10_000));
    }

    #[test]
    fn a_petition_needs_a_fifth_of_both() {
        assert!(petition_met(whole(200, 2), whole(1000, 10)));
        assert!(!petition_met(whole(199, 2), whole(1000, 10)));
        assert!(!petition_met(whole(900, 1), whole(1000, 10)));
    }

    #[test]
    fn a_window_keeps_the_notice_and_its_length() {
        let c = Calendar::default();
        assert!(c.check(100, 115, 119).is_ok());
        assert_eq!(c.check(100, 114, 119).unwrap_err().field, "opens_on");
        assert_eq!(c.check(100, 115, 118).unwrap_err().field, "closes_on");
        assert!(c.check(100, 115, 174).is_ok());
        assert_eq!(c.check(100, 115, 175).unwrap_err().field, "closes_on");
    }

    fn ballots() -> impl Strategy<Value = Vec<CountedBallot>> {
        prop::collection::vec(
            (1..50_000i64, 0..5u8, 0..3u8).prop_map(|(area, mark, channel)| (area, mark, channel)),
            0..60,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (area, mark, channel))| CountedBallot {
                    elector: e(i as i64, area),
                    channel: Channel::ALL[usize::from(channel)],
                    marks: match mark {
                        0 => Marks::Invalid,
                        1 => Marks::Blank,
                        m => Marks::Choices(vec![Some(Choice::ALL[usize::from(m - 2)]), None]),
                    },
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_order_of_the_ballots_does_not_matter(list in ballots(), seed in any::<u64>(), follow in any::<bool>()) {
            let kinds = [MatterKind::Other, MatterKind::RaiseFund];
            let all = list.iter().map(|b| b.elector.area_dm2).sum::<i64>() + 1_000;
            let electorate = whole(all, list.len() as i64 + 3);
            let mut shuffled = list.clone();
            // A permutation from the seed, without a random-number crate.
            shuffled.sort_by_key(|b| (b.elector.id as u64).wrapping_mul(seed | 1).rotate_left(17));
            prop_assert_eq!(tally(&kinds, electorate, &list, follow), tally(&kinds, electorate, &shuffled, follow));
        }

        #[test]
        fn the_majority_rule_never_changes_participation_or_quorum(list in ballots()) {
            let kinds = [MatterKind::Other, MatterKind::CommonParts];
            let all = list.iter().map(|b| b.elector.area_dm2).sum::<i64>();
            let electorate = whole(all, list.len() as i64);
            let off = tally(&kinds, electorate, &list, false);
            let on = tally(&kinds, electorate, &list, true);
            prop_assert_eq!(off.participation, on.participation);
            prop_assert_eq!(off.quorum, on.quorum);
            for (a, b) in off.matters.iter().zip(&on.matters) {
                // Everyone who took part is on one side or abstained, before and after.
                prop_assert_eq!(a.agree.plus(a.oppose).plus(a.abstain), b.agree.plus(b.oppose).plus(b.abstain));
                prop_assert_eq!(a.agree.plus(a.oppose).plus(a.abstain), on.participation);
            }
        }

        #[test]
        fn the_thresholds_agree_with_rational_arithmetic(part in 0..1_000_000i64, extra in 0..1_000_000i64) {
            let whole = part + extra;
            prop_assume!(whole > 0);
            // Against the exact comparison in a wider type, written the other way round.
            prop_assert_eq!(Threshold::MoreThanHalf.met(part, whole), 2 * i128::from(part) > i128::from(whole));
            prop_assert_eq!(Threshold::ThreeQuarters.met(part, whole), 4 * i128::from(part) >= 3 * i128::from(whole));
            prop_assert_eq!(at_least(part, whole, 2, 3), 3 * i128::from(part) >= 2 * i128::from(whole));
        }
    }

    #[test]
    fn the_owners_own_ballot_outweighs_a_proxy_and_paper_never_displaces_online() {
        use Channel::*;
        assert_eq!(arrival(None, Paper, false), Arrival::Counts);
        assert_eq!(arrival(Some(Paper), Online, false), Arrival::Counts, "online replaces paper");
        assert_eq!(arrival(Some(Online), Paper, true), Arrival::Kept, "the online ballot counts");
        assert_eq!(arrival(Some(Proxy), Paper, false), Arrival::Kept);
        assert_eq!(arrival(Some(Proxy), Online, false), Arrival::Counts, "the owner's own voice");
        assert_eq!(arrival(Some(Online), Proxy, true), Arrival::Refused, "a proxy never overrides the owner");
        assert_eq!(arrival(Some(Online), Online, false), Arrival::Refused);
        assert_eq!(arrival(Some(Online), Online, true), Arrival::Counts);
        assert_eq!(arrival(Some(Proxy), Proxy, false), Arrival::Refused);
        assert_eq!(arrival(Some(Paper), Paper, false), Arrival::Counts, "a keyed correction");
    }

    #[test]
    fn a_paper_ballot_counts_only_when_two_people_key_in_the_same() {
        assert_eq!(double_entry::<&str>(&[]), DoubleEntry::None);
        assert_eq!(double_entry(&[(1, "agree")]), DoubleEntry::Once);
        assert_eq!(double_entry(&[(1, "agree"), (2, "agree")]), DoubleEntry::Agreed);
        assert_eq!(double_entry(&[(1, "agree"), (1, "agree")]), DoubleEntry::Mismatch, "one person twice is not two");
        assert_eq!(double_entry(&[(1, "agree"), (2, "oppose")]), DoubleEntry::Mismatch);
        assert_eq!(
            double_entry(&[(1, "agree"), (2, "oppose"), (3, "oppose")]),
            DoubleEntry::Agreed,
            "a third settles it"
        );
    }

    #[test]
    fn an_inspected_ballot_hides_the_room_of_every_unit() {
        assert_eq!(masked_units("3号楼 1单元 1202"), "3号楼 1单元 ***");
        assert_eq!(masked_units("1号楼 2单元 902、1号楼 1单元 1001"), "1号楼 2单元 ***、1号楼 1单元 ***");
        assert_eq!(masked_units("1202"), "***");
    }

    #[test]
    fn a_unit_is_found_by_its_numbers_in_order_and_whole() {
        let label = "3号楼 1单元 1202";
        assert!(units_match(label, "3号楼 1202") && units_match(label, "3-1-1202") && units_match(label, "1202"));
        assert!(!units_match("13号楼 1单元 1202", "3号楼 1202"), "3 is not 13");
        assert!(!units_match(label, "1202 3"), "in order");
        assert!(units_match("1号楼 2单元 902、3号楼 1单元 1202", "3 1202"), "any of an owner's units");
        assert!(!units_match("1号楼 2单元 902、3号楼 1单元 1202", "2 1202"), "within one unit");
        assert!(units_match(label, " "));
        assert!(units_match(label, "3号楼") && !units_match("4号楼 3单元 101", "3号楼"), "a building is a building");
        assert!(units_match("4号楼 3单元 101", "3单元") && !units_match(label, "3单元"));
    }
}
