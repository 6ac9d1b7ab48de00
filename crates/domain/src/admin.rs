//! The administrative tree district (区) → street (街道) → community (社区) → grid (网格)
//! and the parties of a community. Codes follow national unit-grid practice: a 6-digit
//! GB/T 2260 division code, then 3 digits each for street, community and grid, so a
//! grid code has 15 digits. Codes are text, never numbers (leading zeros matter).

use crate::FieldError;
use serde::{Deserialize, Serialize};

/// Level of a node in the administrative tree, by the length of its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    District,
    Street,
    Community,
    Grid,
}

impl Level {
    pub const fn code_len(self) -> usize {
        match self {
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
        }
    }
}

/// A validated administrative code of a known level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AdminCode(String);

impl AdminCode {
    /// Checks length and digits for `level`, and that the code lies under `parent` if given.
    pub fn parse(
        field: &'static str,
        level: Level,
        raw: &str,
        parent: Option<&AdminCode>,
    ) -> Result<AdminCode, FieldError> {
        let s = raw.trim();
        if s.len() != level.code_len() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(field, "error.code.format"));
        }
        // A code ending in 00 names a province or prefecture (110000, 110100), not a district.
        if level == Level::District && s.ends_with("00") {
            return Err(FieldError::new(field, "error.code.not_district"));
        }
        // The own sequence of a street, community or grid is 001..999, never 000.
        if level != Level::District && s.ends_with("000") {
            return Err(FieldError::new(field, "error.code.sequence"));
        }
        if let Some(parent) = parent
            && !s.starts_with(parent.as_str())
        {
            return Err(FieldError::new(field, "error.code.parent"));
        }
        Ok(AdminCode(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code one level up, if there is one.
    pub fn parent(&self) -> Option<AdminCode> {
        let len = self.0.len();
        (len > Level::District.code_len()).then(|| AdminCode(self.0[..len - 3].to_owned()))
    }
}

/// The parties of a community's joint mechanism (多方参与的治理机制).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    /// 社区党组织 (党支部/党委): the core.
    PartyBranch,
    /// 居民委员会: leads day-to-day governance.
    ResidentsCommittee,
    /// 业主委员会: elected by the owners' assembly.
    OwnersCommittee,
    /// 物业服务企业.
    PropertyCompany,
    /// 社会组织: counselling, legal aid, education and other services.
    SocialOrganisation,
}

/// A party's office hours, place or phone, as residents see it.
pub const CONTACT: crate::TextRule = crate::TextRule::line(0, 120, "error.name.invalid", "error.name.invalid");

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 5] = [
        OrganisationKind::PartyBranch,
        OrganisationKind::ResidentsCommittee,
        OrganisationKind::OwnersCommittee,
        OrganisationKind::PropertyCompany,
        OrganisationKind::SocialOrganisation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrganisationKind::PartyBranch => "party_branch",
            OrganisationKind::ResidentsCommittee => "residents_committee",
            OrganisationKind::OwnersCommittee => "owners_committee",
            OrganisationKind::PropertyCompany => "property_company",
            OrganisationKind::SocialOrganisation => "social_organisation",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A community has one Party organisation, one residents' committee and one owners'
    /// committee; property companies and social organisations may be several.
    pub fn one_per_community(self) -> bool {
        matches!(self, Self::PartyBranch | Self::ResidentsCommittee | Self::OwnersCommittee)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_code_has_fifteen_digits_under_its_community() {
        let district = AdminCode::parse("code", Level::District, "110105", None).unwrap();
        let street = AdminCode::parse("code", Level::Street, "110105001", Some(&district)).unwrap();
        let community = AdminCode::parse("code", Level::Community, "110105001002", Some(&street)).unwrap();
        let grid = AdminCode::parse("code", Level::Grid, "110105001002003", Some(&community)).unwrap();
        assert_eq!(grid.parent(), Some(community.clone()));
        assert_eq!(community.parent(), Some(street));
        assert_eq!(district.parent(), None);
        let other = AdminCode::parse("code", Level::Grid, "110105001009003", Some(&community));
        assert_eq!(other.unwrap_err().key, "error.code.parent");
    }

    #[test]
    fn malformed_codes_are_refused_with_a_reason() {
        let bad = |level, s| AdminCode::parse("code", level, s, None).unwrap_err().key;
        assert_eq!(bad(Level::Grid, "11010500100200"), "error.code.format");
        assert_eq!(bad(Level::Grid, "11010500100200a"), "error.code.format");
        assert_eq!(bad(Level::Grid, "110105001002000"), "error.code.sequence");
        assert_eq!(bad(Level::District, "110100"), "error.code.not_district");
    }

    #[test]
    fn organisation_kinds_round_trip() {
        for k in OrganisationKind::ALL {
            assert_eq!(OrganisationKind::parse(k.as_str()), Some(k));
        }
    }
}
