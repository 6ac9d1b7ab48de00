//! Whom an announcement or a survey reaches: the adult residents of record in the community,
//! some grids or some buildings (with the verified account each may have, and their grid),
//! or the accounts holding some roles in the community. One query, used by both.

use linli_domain::Role;
use linli_domain::announcement::Audience;

/// The targets as stored: a comma list of grid or building ids, or of role codes.
pub(crate) fn targets(audience: Audience, places: &[i64], roles: &[Role]) -> String {
    let items: Vec<String> = match audience {
        Audience::Roles => roles.iter().map(|r| r.as_str().to_owned()).collect(),
        _ => places.iter().map(ToString::to_string).collect(),
    };
    items.join(",")
}

/// A `SELECT resident_id, account_id, grid_id` of the people `audience` reaches, with `$2`
/// the community, `$3` the latest birth date of an adult and `$4` the [`targets`].
pub(crate) fn reached(audience: Audience) -> String {
    let place = match audience {
        Audience::Community => "TRUE",
        Audience::Grids => "(',' || $4 || ',') LIKE ('%,' || CAST(b.grid_id AS TEXT) || ',%')",
        Audience::Buildings => "(',' || $4 || ',') LIKE ('%,' || CAST(b.id AS TEXT) || ',%')",
        Audience::Roles => {
            return "SELECT DISTINCT CAST(NULL AS BIGINT) AS resident_id, account_id, CAST(NULL AS BIGINT) AS grid_id \
                    FROM role_assignments WHERE community_id = $2 AND $3 <> '' \
                    AND (',' || $4 || ',') LIKE ('%,' || role || ',%')"
                .to_owned();
        }
    };
    format!(
        "SELECT r.id AS resident_id, (SELECT MIN(x.id) FROM accounts x WHERE x.resident_id = r.id) AS account_id, \
         b.grid_id FROM residents r JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id \
         WHERE r.community_id = $2 AND r.birth_date <= $3 AND {place}"
    )
}

/// The latest birth date of an adult today.
pub(crate) fn adult_born_by() -> String {
    (crate::today() - chrono::Months::new(18 * 12)).to_string()
}
