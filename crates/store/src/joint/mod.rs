//! The joint mechanism in the store (联席会议): the issues ledger (`ledger`), joint meetings
//! with their members, agenda and minutes (`meetings`), and resolutions with their progress,
//! follow-ups, reminders, escalation and striking off (`resolutions`). Each change is audited
//! in its own transaction, and the notices it sends are written there too.

use crate::{StoreResult, Tx};
use linli_domain::joint::{ItemStatus, Source};

pub mod ledger;
pub mod meetings;
pub mod resolutions;

/// An item of the issues ledger.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LedgerItem {
    pub id: i64,
    pub community_id: i64,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub title: String,
    pub body: String,
    pub case_id: Option<i64>,
    /// The party that raised it, or whose request it is.
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: ItemStatus,
    /// Why it was dropped.
    pub reason: String,
    pub raised_by: i64,
    pub raised_by_name: String,
    pub raised_at: i64,
}

/// A joint meeting.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Meeting {
    pub id: i64,
    pub community_id: i64,
    pub title: String,
    pub starts_at: i64,
    pub place: String,
    pub convened_by: i64,
    pub minutes: String,
    /// When its minutes were first recorded: the meeting was held.
    pub held_at: Option<i64>,
}

/// Someone invited to a meeting: a party of the community, or a guest by name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub organisation_id: Option<i64>,
    pub organisation_name: Option<String>,
    pub organisation_kind: Option<String>,
    pub guest: String,
    pub present: bool,
}

/// The accounts that act for the party responsible for resolution `$1`: its own staff, and
/// for the community's own bodies the roles that stand for them (the Party branch: the
/// secretary; the residents' committee: its staff; the owners' committee: its members), as
/// [`linli_domain::joint::acts_for`] says.
pub(crate) const RESPONSIBLE: &str = "SELECT a.account_id FROM resolutions r \
     JOIN organisations o ON o.id = r.organisation_id JOIN role_assignments a ON a.organisation_id = o.id \
     WHERE r.id = $1 \
     UNION SELECT a.account_id FROM resolutions r \
     JOIN organisations o ON o.id = r.organisation_id JOIN role_assignments a ON a.community_id = o.community_id \
     WHERE r.id = $1 AND ((o.kind = 'party_branch' AND a.role = 'community_director') \
        OR (o.kind = 'residents_committee' AND a.role IN ('community_staff', 'community_director')) \
        OR (o.kind = 'owners_committee' AND a.role = 'owners_committee_member'))";

/// The community's Party secretary and director (`$5` is the community).
pub(crate) const CONVENERS: &str =
    "SELECT account_id FROM role_assignments WHERE community_id = $5 AND role = 'community_director'";

/// Everyone who sits at the community's joint meetings (`$5` is the community): its staff
/// and director, the owners' committee, and the staff of its property companies and social
/// organisations.
pub(crate) const MEMBERS: &str = "SELECT account_id FROM role_assignments WHERE community_id = $5 \
     AND role IN ('community_director', 'community_staff', 'owners_committee_member', 'property_staff', 'social_org_staff')";

async fn audit(
    tx: &mut Tx,
    by: Option<i64>,
    community_id: i64,
    action: &str,
    detail: &str,
    now: i64,
) -> StoreResult<()> {
    let event = crate::audit::Event {
        account_id: by,
        community_id: Some(community_id),
        action,
        detail,
        subject_resident_id: None,
    };
    crate::audit::in_tx(tx, event, now).await
}
