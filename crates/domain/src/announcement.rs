//! Announcements (通知公告): a notice from the community to everyone in it, to some grids or
//! buildings (their adult residents of record), or to the people holding some roles; pinned
//! or expiring; important ones are followed up by the grid workers, who see who in their
//! grids has not read it and may mark them told in person (the elderly without phones).

use crate::{FieldError, Role};

codes!(
    /// Whom an announcement is for.
    Audience, "audience" {
        Community => "community",
        Grids => "grids",
        Buildings => "buildings",
        Roles => "roles",
    }
);

/// An announcement's title.
pub const TITLE: crate::TextRule = crate::TextRule::line(2, 60, "error.announcement.title", "error.announcement.title");
/// Its text.
pub const BODY: crate::TextRule = crate::TextRule {
    min: 2,
    max: 4000,
    multiline: true,
    short: "error.announcement.body",
    long: "error.announcement.body",
};

/// The roles an announcement may be addressed to: those who work in the community.
pub const ROLES: [Role; 6] = [
    Role::GridWorker,
    Role::CommunityStaff,
    Role::CommunityDirector,
    Role::OwnersCommitteeMember,
    Role::PropertyStaff,
    Role::SocialOrgStaff,
];

/// Ids chosen for a grid or building audience: at least one, each a number.
pub fn parse_ids(field: &'static str, raw: &[String]) -> Result<Vec<i64>, FieldError> {
    let ids: Vec<i64> = raw
        .iter()
        .map(|r| r.trim().parse::<i64>())
        .collect::<Result<_, _>>()
        .map_err(|_| FieldError::new(field, "error.choice"))?;
    if ids.is_empty() {
        return Err(FieldError::new(field, "error.announcement.targets"));
    }
    Ok(ids)
}

/// Roles chosen for a role audience: at least one, each of [`ROLES`].
pub fn parse_roles(field: &'static str, raw: &[String]) -> Result<Vec<Role>, FieldError> {
    let roles: Vec<Role> = raw
        .iter()
        .map(|r| Role::parse(r.trim()).filter(|r| ROLES.contains(r)))
        .collect::<Option<_>>()
        .ok_or(FieldError::new(field, "error.choice"))?;
    if roles.is_empty() {
        return Err(FieldError::new(field, "error.announcement.targets"));
    }
    Ok(roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audience_of_places_or_roles_names_at_least_one() {
        assert_eq!(parse_ids("grid_ids", &["3".into(), " 4".into()]), Ok(vec![3, 4]));
        assert_eq!(parse_ids("grid_ids", &[]).unwrap_err().key, "error.announcement.targets");
        assert!(parse_ids("grid_ids", &["x".into()]).is_err());
        assert_eq!(parse_roles("roles", &["grid_worker".into()]), Ok(vec![Role::GridWorker]));
        assert!(parse_roles("roles", &["system_admin".into()]).is_err(), "not a role in the community");
    }
}
