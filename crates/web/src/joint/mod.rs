//! The joint mechanism on the web (联席会议, domain guide §7): the issues ledger (`ledger`),
//! joint meetings with their agenda, attendance, minutes and calendar (`meetings`), and
//! resolutions followed up and struck off (`resolutions`). Those who sit at the table (the
//! community's parties and grid workers) and the street read; the Party secretary and the
//! staff convene; each party reports on the resolutions it is responsible for.

use linli_domain::Principal;
use linli_domain::admin::OrganisationKind;
use linli_domain::joint::acts_for;
use linli_store::admin::Organisation;

pub mod ledger;
pub mod meetings;
pub mod resolutions;

/// The parties among `orgs` (one community's) that `p` acts for: the organisation of a
/// property or social organisation staff account, and the community's own bodies for the
/// roles that stand for them.
pub(crate) fn parties_of(p: &Principal, orgs: &[Organisation]) -> Vec<i64> {
    orgs.iter()
        .filter(|o| {
            let kind = OrganisationKind::parse(&o.kind);
            p.assignments.iter().any(|a| {
                a.organisation_id == Some(o.id)
                    || (a.community_id == Some(o.community_id) && kind.is_some_and(|k| acts_for(a.role, k)))
            })
        })
        .map(|o| o.id)
        .collect()
}

/// A select's id: empty is none; anything else must be a number, or the field is named.
pub(crate) fn chosen_id(field: &'static str, raw: &str) -> Result<Option<i64>, linli_domain::FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| linli_domain::FieldError::new(field, "error.choice"))
}
