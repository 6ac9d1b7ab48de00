//! The roles of the domain guide, with the scope each one acts in.

use serde::{Deserialize, Serialize};

/// Who a person is on the platform. An account may hold several roles; each
/// [`crate::Assignment`] carries the scope of one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 居民: reports problems, follows own cases, books services, votes if an owner.
    Resident,
    /// 网格员: own grids only.
    GridWorker,
    /// 社区工作者: the whole community: intake, registration, dispatch, verification.
    CommunityStaff,
    /// 书记/主任: everything in the community, indicators, joint meetings, settings.
    CommunityDirector,
    /// 业委会委员: owners' roll (masked), assemblies and votes, property supervision.
    OwnersCommitteeMember,
    /// 物业: cases dispatched to the property company, its scorecard.
    PropertyStaff,
    /// 社会组织: own organisation's services, bookings, referrals.
    SocialOrgStaff,
    /// 街道: all communities of the street.
    StreetSupervisor,
    /// 系统管理员: accounts, organisations, configuration; no routine access to personal data.
    SystemAdmin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Resident,
        Role::GridWorker,
        Role::CommunityStaff,
        Role::CommunityDirector,
        Role::OwnersCommitteeMember,
        Role::PropertyStaff,
        Role::SocialOrgStaff,
        Role::StreetSupervisor,
        Role::SystemAdmin,
    ];

    /// The stable name stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::GridWorker => "grid_worker",
            Role::CommunityStaff => "community_staff",
            Role::CommunityDirector => "community_director",
            Role::OwnersCommitteeMember => "owners_committee_member",
            Role::PropertyStaff => "property_staff",
            Role::SocialOrgStaff => "social_org_staff",
            Role::StreetSupervisor => "street_supervisor",
            Role::SystemAdmin => "system_admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// What the role's scope is anchored to.
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::SystemAdmin => ScopeKind::Global,
            Role::StreetSupervisor => ScopeKind::Street,
            Role::GridWorker => ScopeKind::Grids,
            Role::PropertyStaff | Role::SocialOrgStaff => ScopeKind::Organisation,
            Role::Resident | Role::CommunityStaff | Role::CommunityDirector | Role::OwnersCommitteeMember => {
                ScopeKind::Community
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    Global,
    Street,
    Community,
    /// A community, narrowed to the grids the worker is assigned to.
    Grids,
    /// A community, narrowed to one organisation's work.
    Organisation,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
    }
}
