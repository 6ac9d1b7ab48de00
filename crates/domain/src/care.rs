//! People who need care (关爱对象) and how often a grid worker visits them. Each tag
//! carries a care plan; a resident with several tags is visited as often as the most
//! demanding one asks.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CareTag {
    /// 独居老人: visited weekly.
    ElderlyAlone,
    /// 高龄 (80+).
    Aged,
    /// 残疾.
    Disabled,
    /// 低保.
    LowIncome,
    /// 留守儿童.
    LeftBehindChild,
    /// 退役军人.
    Veteran,
    /// 特殊人群.
    SpecialGroup,
}

impl CareTag {
    pub const ALL: [CareTag; 7] = [
        CareTag::ElderlyAlone,
        CareTag::Aged,
        CareTag::Disabled,
        CareTag::LowIncome,
        CareTag::LeftBehindChild,
        CareTag::Veteran,
        CareTag::SpecialGroup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CareTag::ElderlyAlone => "elderly_alone",
            CareTag::Aged => "aged",
            CareTag::Disabled => "disabled",
            CareTag::LowIncome => "low_income",
            CareTag::LeftBehindChild => "left_behind_child",
            CareTag::Veteran => "veteran",
            CareTag::SpecialGroup => "special_group",
        }
    }

    pub fn parse(s: &str) -> Option<CareTag> {
        CareTag::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The care plan: a visit at least every this many days.
    pub fn visit_every_days(self) -> i64 {
        match self {
            CareTag::ElderlyAlone => 7,
            CareTag::Aged | CareTag::LeftBehindChild => 14,
            CareTag::Disabled | CareTag::LowIncome | CareTag::SpecialGroup => 30,
            CareTag::Veteran => 90,
        }
    }
}

/// When the next visit is due, from the tags and the last visit (or the day the first
/// tag was given, when nobody has visited yet).
pub fn next_visit_due(tags: &[CareTag], since: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
    let every = tags.iter().map(|t| t.visit_every_days()).min()?;
    Some(since + chrono::Duration::days(every))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn the_most_demanding_tag_sets_the_pace() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(
            next_visit_due(&[CareTag::Veteran, CareTag::ElderlyAlone], d),
            Some(NaiveDate::from_ymd_opt(2026, 11, 8).unwrap())
        );
        assert_eq!(next_visit_due(&[CareTag::Veteran], d), Some(NaiveDate::from_ymd_opt(2027, 1, 30).unwrap()));
        assert_eq!(next_visit_due(&[], d), None);
        for t in CareTag::ALL {
            assert_eq!(CareTag::parse(t.as_str()), Some(t));
        }
    }
}
