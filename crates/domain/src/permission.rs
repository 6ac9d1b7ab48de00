//! The one permission table. Every route names an [`Action`]; [`permits`] decides
//! whether a role may perform it at all, and [`Principal`] narrows that to the scope
//! of each role assignment (own grids, own community, own street).

use crate::case::{Level, Standing, Step};
use crate::role::{Role, ScopeKind};
use serde::Serialize;

/// Everything a route can ask permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The personal home page (工作台).
    ViewHome,
    /// Own account: password, language, API tokens.
    ManageOwnAccount,
    /// A community's overview: its parties and grids (no personal data).
    ViewCommunity,
    /// A grid's detail: buildings, households and residents in it.
    ViewGrid,
    /// A street's overview across its communities.
    ViewStreet,
    /// Accounts and role assignments.
    ManageAccounts,
    /// The parties of a community (Party branch, committees, companies, organisations).
    ManageOrganisations,
    /// Grid boundaries (GeoJSON) and the buildings they place.
    ManageGrids,
    /// The registry's residents, with personal data masked.
    ViewResidents,
    /// A full ID number or phone, with a stated reason; every reveal is audited.
    RevealPersonalData,
    /// Residents as CSV or XLSX (masked), audited.
    ExportResidents,
    /// Residents added from a file, checked first, all or nothing.
    ImportResidents,
    /// Care tags and visit records (走访) of residents.
    ManageCare,
    /// The log of reveals and exports of personal data.
    ViewAuditLog,
    /// What the community holds about oneself, and who accessed it.
    ViewOwnData,
    /// Moves of residents: to another household, or out of the community.
    RecordMoves,
    /// The property register: owners of record of each unit, and the units' areas.
    ManageOwnership,
    /// The owners' assembly totals (units, owners by number, area): no personal data.
    ViewElectorate,
    /// The owners' assemblies of a community: matters, participation, results; an owner
    /// on the roll votes from the same page.
    ViewAssemblies,
    /// Prepare an assembly and publish its notice (the owners' committee, or the residents'
    /// committee for a first assembly or where there is no committee).
    ManageAssemblies,
    /// Report a problem or a dispute (a resident from a phone, a grid worker on patrol,
    /// staff for phone, walk-in and 12345 referrals).
    ReportCase,
    /// Cases within reach: a community's for its staff, own grids' for a grid worker,
    /// the street's for a supervisor, those sent to one's party for its staff, and one's
    /// own reports for a resident.
    ViewCases,
    /// Take a step of the loop on a case within reach; which steps depends on who one is
    /// to the case (staff, the grid's worker, the assignee, the reporter).
    ActOnCases,
    /// The case indicators (立案率, 结案率, …): the community's for its staff, the
    /// street's for its supervisor, own grids' for a grid worker.
    ViewIndicators,
    /// A party's own figures: the cases a property company or social organisation holds,
    /// for its own staff, for the owners' committee that supervises the property company,
    /// and for the community's staff and the street ([`Principal::sees_party_figures`]).
    ViewPartyFigures,
    /// Record mediation on a dispute within reach (parties, risk, sessions, settlement,
    /// referral, follow-up): the community's staff, the grid's worker, the social
    /// organisation holding it, the street for disputes escalated to it.
    MediateDisputes,
    /// Record the half-monthly screening sweep: a grid worker for own grids, the
    /// community's staff for any of its grids.
    ScreenDisputes,
    /// The platform's settings: the holiday calendar, category time limits, what an
    /// unanswered rating means.
    ManageSettings,
    /// The community's devices, their values and charts, and the live alarm board.
    ViewMonitoring,
    /// Acknowledge an alarm (which accepts its case) or clear it by hand.
    HandleAlarms,
    /// Register the community's devices (and receive each one's ingestion token).
    ManageDevices,
    /// Confirm or refuse an account's request to be linked to an owner or resident of
    /// record, having seen the person's ID card.
    VerifyAccounts,
    /// Enter and publish the community's public record (居务公开) and set how soon it is due.
    ManagePublicRecord,
    /// The joint meetings (联席会议) of a community, their minutes and resolutions, and the
    /// issues ledger: the parties that sit at the table, and the street.
    ViewJointMeetings,
    /// Raise an item on the issues ledger: staff from cases and disputes, a grid worker from
    /// a visit, the owners' committee a motion, a property company or social organisation
    /// its request ([`crate::joint::sources_for`]).
    RaiseLedgerItems,
    /// Convene joint meetings (the Party secretary, with the staff who prepare them): the
    /// agenda, attendance, minutes, resolutions, follow-ups, striking off, dropping items.
    ConveneMeetings,
    /// Report progress on a resolution one's own party is responsible for
    /// ([`crate::joint::acts_for`]), or open its case.
    UpdateResolutions,
    /// Residents' proposals of a community, their supports and answers; report one.
    ViewProposals,
    /// Propose a topic, support others' (a verified resident, once each), edit one's own
    /// before its first support, withdraw it.
    Propose,
    /// Triage proposals (the Party organisation and residents' committee): accept for the
    /// joint meeting, answer, reject or hide with a reason; set the threshold's share.
    TriageProposals,
    /// A community's announcements: everyone's, and those addressed to one.
    ViewAnnouncements,
    /// Publish announcements to the community, grids, buildings or roles; every receipt.
    PublishAnnouncements,
    /// Who has not read an important announcement, and marking residents told in person: a
    /// grid worker for own grids, staff for all.
    FollowReceipts,
    /// The community's consultations and 四议两公开 procedures, step by step.
    ViewConsultations,
    /// Start a consultation and record its steps (the Party organisation and the residents'
    /// committee, through their staff).
    RunConsultations,
    /// The community's surveys: those sent to one, answered once.
    ViewSurveys,
    /// Write surveys, send them, close them, read their results and export them (staff,
    /// and the owners' committee for the owners' surveys such as the property company's).
    RunSurveys,
    /// The community's services directory: what its social organisations offer, to whom,
    /// with the slots and places left; one's own bookings.
    ViewServices,
    /// Book a slot: a resident for themself, a grid worker for a resident of own grids
    /// (an elderly neighbour without a phone), staff for any resident of the community.
    BookServices,
    /// Run one's own organisation's services: publish them and their slots, see who
    /// booked, record service (with sealed notes) or a missed appointment, answer referrals.
    ProvideServices,
    /// Refer a resident to a service from a case, a dispute or a care visit, and follow the
    /// referral's status (never its content): the grid's worker, the community's staff.
    ReferToServices,
    /// The community's activities (festivals, classes, clinics, talks): those approved, one's
    /// own proposals and registrations; the calendar.
    ViewActivities,
    /// Register for an activity, cancel, show one's check-in code (a resident of record).
    JoinActivities,
    /// Propose an activity residents organise themselves, for staff to approve.
    ProposeActivities,
    /// Organise activities: the community's staff for the community's and residents' (and
    /// approving residents' proposals), a social organisation's staff for its own; check-in,
    /// attendance, the report; shifts for volunteers and their hours (who organises
    /// records), the community's volunteer teams and record entries, corrections asked.
    RunActivities,
    /// Register as a volunteer (with consent), join teams and projects, sign up for an
    /// activity's shifts, read one's record, ask for a correction, print a certificate.
    Volunteer,
    /// One's points: the ledger of what earned and spent them; redeem in the points shop.
    RedeemPoints,
    /// The community's points: the earning rules, the shop and its stock, every ledger,
    /// corrections by entries with a reason, handing over and reversing redemptions.
    ManagePoints,
}

impl Action {
    pub const ALL: [Action; 58] = [
        Action::ViewHome,
        Action::ManageOwnAccount,
        Action::ViewCommunity,
        Action::ViewGrid,
        Action::ViewStreet,
        Action::ManageAccounts,
        Action::ManageOrganisations,
        Action::ManageGrids,
        Action::ViewResidents,
        Action::RevealPersonalData,
        Action::ExportResidents,
        Action::ImportResidents,
        Action::ManageCare,
        Action::ViewAuditLog,
        Action::ViewOwnData,
        Action::RecordMoves,
        Action::ManageOwnership,
        Action::ViewElectorate,
        Action::ViewAssemblies,
        Action::ManageAssemblies,
        Action::ReportCase,
        Action::ViewCases,
        Action::ActOnCases,
        Action::ViewIndicators,
        Action::ViewPartyFigures,
        Action::MediateDisputes,
        Action::ScreenDisputes,
        Action::ManageSettings,
        Action::ViewMonitoring,
        Action::HandleAlarms,
        Action::ManageDevices,
        Action::VerifyAccounts,
        Action::ManagePublicRecord,
        Action::ViewJointMeetings,
        Action::RaiseLedgerItems,
        Action::ConveneMeetings,
        Action::UpdateResolutions,
        Action::ViewProposals,
        Action::Propose,
        Action::TriageProposals,
        Action::ViewAnnouncements,
        Action::PublishAnnouncements,
        Action::FollowReceipts,
        Action::ViewConsultations,
        Action::RunConsultations,
        Action::ViewSurveys,
        Action::RunSurveys,
        Action::ViewServices,
        Action::BookServices,
        Action::ProvideServices,
        Action::ReferToServices,
        Action::ViewActivities,
        Action::JoinActivities,
        Action::ProposeActivities,
        Action::RunActivities,
        Action::Volunteer,
        Action::RedeemPoints,
        Action::ManagePoints,
    ];
}

use Role::*;

/// Everyone who lives or works in a community, and the street that oversees it: who reads
/// its cases, proposals, announcements, consultations and surveys (each within their reach).
const IN_COMMUNITY: &[Role] = &[
    Resident,
    OwnersCommitteeMember,
    GridWorker,
    CommunityStaff,
    CommunityDirector,
    PropertyStaff,
    SocialOrgStaff,
    StreetSupervisor,
];

/// Which roles may perform each action. Scope is checked separately.
const TABLE: &[(Action, &[Role])] = &[
    (Action::ViewHome, &Role::ALL),
    (Action::ManageOwnAccount, &Role::ALL),
    (Action::ViewCommunity, &Role::ALL),
    (Action::ViewGrid, &[GridWorker, CommunityStaff, CommunityDirector, StreetSupervisor]),
    (Action::ViewStreet, &[StreetSupervisor, SystemAdmin]),
    (Action::ManageAccounts, &[SystemAdmin]),
    (Action::ManageOrganisations, &[CommunityDirector, SystemAdmin]),
    (Action::ManageGrids, &[CommunityStaff, CommunityDirector]),
    // Personal data: the people who work with residents, grid workers in own grids only.
    // Street supervisors oversee figures, not people; administrators have no routine access.
    (Action::ViewResidents, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::RevealPersonalData, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ExportResidents, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ImportResidents, &[CommunityStaff, CommunityDirector]),
    (Action::ManageCare, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ViewAuditLog, &[CommunityDirector, SystemAdmin]),
    (Action::ViewOwnData, &[Resident]),
    (Action::RecordMoves, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ManageOwnership, &[CommunityStaff, CommunityDirector]),
    (Action::ViewElectorate, &[CommunityStaff, CommunityDirector, OwnersCommitteeMember]),
    (Action::ViewAssemblies, &[Resident, OwnersCommitteeMember, CommunityStaff, CommunityDirector, StreetSupervisor]),
    (Action::ManageAssemblies, &[OwnersCommitteeMember, CommunityStaff, CommunityDirector]),
    (Action::ReportCase, &[Resident, OwnersCommitteeMember, GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ViewCases, IN_COMMUNITY),
    (Action::ActOnCases, IN_COMMUNITY),
    (Action::ViewIndicators, &[GridWorker, CommunityStaff, CommunityDirector, StreetSupervisor]),
    (
        Action::ViewPartyFigures,
        &[PropertyStaff, SocialOrgStaff, OwnersCommitteeMember, CommunityStaff, CommunityDirector, StreetSupervisor],
    ),
    (Action::MediateDisputes, &[GridWorker, CommunityStaff, CommunityDirector, SocialOrgStaff, StreetSupervisor]),
    (Action::ScreenDisputes, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ManageSettings, &[SystemAdmin]),
    (Action::ViewMonitoring, &[GridWorker, CommunityStaff, CommunityDirector, PropertyStaff, StreetSupervisor]),
    (Action::HandleAlarms, &[GridWorker, CommunityStaff, CommunityDirector, PropertyStaff]),
    (Action::ManageDevices, &[CommunityStaff, CommunityDirector]),
    (Action::VerifyAccounts, &[CommunityStaff, CommunityDirector]),
    (Action::ManagePublicRecord, &[CommunityStaff, CommunityDirector]),
    (
        Action::ViewJointMeetings,
        &[
            GridWorker,
            CommunityStaff,
            CommunityDirector,
            OwnersCommitteeMember,
            PropertyStaff,
            SocialOrgStaff,
            StreetSupervisor,
        ],
    ),
    (
        Action::RaiseLedgerItems,
        &[GridWorker, CommunityStaff, CommunityDirector, OwnersCommitteeMember, PropertyStaff, SocialOrgStaff],
    ),
    (Action::ConveneMeetings, &[CommunityStaff, CommunityDirector]),
    (
        Action::UpdateResolutions,
        &[CommunityStaff, CommunityDirector, OwnersCommitteeMember, PropertyStaff, SocialOrgStaff],
    ),
    (Action::ViewProposals, IN_COMMUNITY),
    (Action::Propose, &[Resident]),
    (Action::TriageProposals, &[CommunityStaff, CommunityDirector]),
    (Action::ViewAnnouncements, IN_COMMUNITY),
    (Action::PublishAnnouncements, &[CommunityStaff, CommunityDirector]),
    (Action::FollowReceipts, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ViewConsultations, IN_COMMUNITY),
    (Action::RunConsultations, &[CommunityStaff, CommunityDirector]),
    (Action::ViewSurveys, IN_COMMUNITY),
    (Action::RunSurveys, &[CommunityStaff, CommunityDirector, OwnersCommitteeMember]),
    (Action::ViewServices, IN_COMMUNITY),
    (Action::BookServices, &[Resident, GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ProvideServices, &[SocialOrgStaff]),
    (Action::ReferToServices, &[GridWorker, CommunityStaff, CommunityDirector]),
    (Action::ViewActivities, IN_COMMUNITY),
    (Action::JoinActivities, &[Resident]),
    (Action::ProposeActivities, &[Resident]),
    (Action::RunActivities, &[CommunityStaff, CommunityDirector, SocialOrgStaff]),
    (Action::Volunteer, &[Resident]),
    (Action::RedeemPoints, &[Resident]),
    (Action::ManagePoints, &[CommunityStaff, CommunityDirector]),
];

/// Whether `role` may perform `action` anywhere in its scope.
pub fn permits(role: Role, action: Action) -> bool {
    TABLE.iter().find(|(a, _)| *a == action).is_some_and(|(_, roles)| roles.contains(&role))
}

/// One role held by an account, with the place it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assignment {
    pub role: Role,
    pub street_id: Option<i64>,
    pub community_id: Option<i64>,
    pub organisation_id: Option<i64>,
    /// For grid workers: the grids they cover (as worker or deputy).
    pub grid_ids: Vec<i64>,
}

impl Assignment {
    fn covers_community(&self, community_id: i64, street_id: i64) -> bool {
        match self.role.scope_kind() {
            ScopeKind::Global => true,
            ScopeKind::Street => self.street_id == Some(street_id),
            ScopeKind::Community | ScopeKind::Grids | ScopeKind::Organisation => {
                self.community_id == Some(community_id)
            }
        }
    }

    fn covers_grid(&self, community_id: i64, street_id: i64, grid_id: i64) -> bool {
        match self.role.scope_kind() {
            ScopeKind::Grids => self.community_id == Some(community_id) && self.grid_ids.contains(&grid_id),
            _ => self.covers_community(community_id, street_id),
        }
    }
}

/// The part of a community an action reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Community,
    Grids(Vec<i64>),
    Nothing,
}

impl Reach {
    pub fn includes_grid(&self, grid_id: i64) -> bool {
        match self {
            Reach::Community => true,
            Reach::Grids(g) => g.contains(&grid_id),
            Reach::Nothing => false,
        }
    }
}

/// Which cases of one community a person sees: all of them (staff, director, the street's
/// supervisor), those of some grids (a grid worker), those sent to some parties (property
/// company or social organisation staff), and always the ones they reported themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseScope {
    pub all: bool,
    pub grids: Vec<i64>,
    pub organisations: Vec<i64>,
    pub reporter: Option<i64>,
}

impl CaseScope {
    /// Whether a case with these facts is within the scope.
    pub fn includes(&self, grid_id: Option<i64>, organisation_id: Option<i64>, reporter: Option<i64>) -> bool {
        self.all
            || grid_id.is_some_and(|g| self.grids.contains(&g))
            || organisation_id.is_some_and(|o| self.organisations.contains(&o))
            || (reporter.is_some() && reporter == self.reporter)
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.grids.is_empty() && self.organisations.is_empty() && self.reporter.is_none()
    }
}

/// The facts of a case that decide who may see the people in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    pub community_id: i64,
    pub street_id: i64,
    pub grid_id: Option<i64>,
    /// Escalated to the street (上报街道).
    pub at_street: bool,
    /// The property company or social organisation holding it.
    pub organisation_id: Option<i64>,
    pub reporter_account_id: Option<i64>,
    /// The reporter asked to stay anonymous.
    pub anonymous: bool,
}

/// The signed-in person as the permission checks see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub account_id: i64,
    pub display_name: String,
    pub assignments: Vec<Assignment>,
}

impl Principal {
    pub fn roles(&self) -> impl Iterator<Item = Role> + '_ {
        self.assignments.iter().map(|a| a.role)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles().any(|r| r == role)
    }

    /// May perform `action` somewhere.
    pub fn can(&self, action: Action) -> bool {
        self.roles().any(|r| permits(r, action))
    }

    /// May perform `action` on something belonging to this community.
    pub fn can_in_community(&self, action: Action, community_id: i64, street_id: i64) -> bool {
        self.assignments.iter().any(|a| permits(a.role, action) && a.covers_community(community_id, street_id))
    }

    /// May perform `action` on something in this grid. A grid worker reaches only own grids.
    pub fn can_in_grid(&self, action: Action, community_id: i64, street_id: i64, grid_id: i64) -> bool {
        self.assignments.iter().any(|a| permits(a.role, action) && a.covers_grid(community_id, street_id, grid_id))
    }

    /// May perform `action` on a street as a whole (its supervisor, or a global role).
    pub fn can_in_street(&self, action: Action, street_id: i64) -> bool {
        self.assignments.iter().any(|a| {
            permits(a.role, action)
                && match a.role.scope_kind() {
                    ScopeKind::Global => true,
                    ScopeKind::Street => a.street_id == Some(street_id),
                    _ => false,
                }
        })
    }

    /// How far `action` reaches into a community: all of it, some grids, or nothing.
    pub fn reach(&self, action: Action, community_id: i64, street_id: i64) -> Reach {
        let mut grids: Vec<i64> = Vec::new();
        for a in self.assignments.iter().filter(|a| permits(a.role, action)) {
            match a.role.scope_kind() {
                ScopeKind::Grids if a.community_id == Some(community_id) => grids.extend(&a.grid_ids),
                ScopeKind::Grids => {}
                _ if a.covers_community(community_id, street_id) => return Reach::Community,
                _ => {}
            }
        }
        grids.sort_unstable();
        grids.dedup();
        if grids.is_empty() { Reach::Nothing } else { Reach::Grids(grids) }
    }

    /// Whether `action` reaches a device of this community (or an alarm of it): one in a
    /// building of `grid_id` (`None`: in no building), and `personal` when it is tied to a
    /// resident or a household (a home). A grid worker reaches own grids' devices; staff,
    /// the property company and the street the whole community's. A personal device (the
    /// water meter of an elderly resident living alone tells care status and daily life)
    /// has the reach of the resident's record as well ([`Action::ViewResidents`]).
    pub fn reaches_device(
        &self,
        action: Action,
        community_id: i64,
        street_id: i64,
        grid_id: Option<i64>,
        personal: bool,
    ) -> bool {
        let within = |reach: Reach| match grid_id {
            Some(g) => reach.includes_grid(g),
            None => reach == Reach::Community,
        };
        within(self.reach(action, community_id, street_id))
            && (!personal || within(self.reach(Action::ViewResidents, community_id, street_id)))
    }

    /// Whether this person is in the circle that handles a case and so sees the people in
    /// it: the reporter; the community's staff; the grid worker of the case's grid; the
    /// street supervisor once the case is escalated to the street; the party holding it.
    /// Anyone else who may open the case (the street overseeing a case never escalated to
    /// it) sees it without personal data: no reporter, and its free text masked.
    pub fn handles_case(&self, case: &CaseFacts) -> bool {
        self.in_circle(case, true)
    }

    /// Whether this person may see who reported a case (name, account, the reporter's own
    /// steps on the timeline). The default is not to: the circle of [`Self::handles_case`],
    /// except that the party holding the case does not see a reporter who asked to stay
    /// anonymous. Nobody else, on any page, API answer or timeline.
    pub fn sees_reporter(&self, case: &CaseFacts) -> bool {
        self.in_circle(case, !case.anonymous)
    }

    /// Whether this person reads a case's internal notes: those who work on it (the circle
    /// of [`Self::handles_case`] without its reporter). Everyone else reads only the notes
    /// their authors made public, and their own.
    pub fn reads_internal_notes(&self, case: &CaseFacts) -> bool {
        self.works_on(case, true)
    }

    fn in_circle(&self, case: &CaseFacts, with_party: bool) -> bool {
        case.reporter_account_id.is_some_and(|r| r == self.account_id) || self.works_on(case, with_party)
    }

    /// The steps this person may take on a case now. The loop itself
    /// ([`crate::case::Case::apply`]) still decides whether a step is legal; this decides
    /// whose step it is.
    pub fn steps_on(&self, case: &CaseFacts, standing: &Standing) -> Vec<Step> {
        use crate::case::State::*;
        let state = standing.state;
        let level = standing.level;
        let staff = self.is_staff_of(case.community_id);
        let street = level == Level::Street && self.can_in_street(Action::ActOnCases, case.street_id);
        let manager = staff || street;
        let grid_worker = level == Level::Grid && self.works_in_grid(case);
        let holds = standing.assignee_account_id == Some(self.account_id)
            || case.organisation_id.is_some_and(|o| self.organisations().any(|mine| mine == o));
        // A case held by no one in particular is the managers' to take on.
        let assignee = holds || (standing.assignee_account_id.is_none() && case.organisation_id.is_none() && manager);
        let reporter = case.reporter_account_id == Some(self.account_id);
        let open = !matches!(state, Closed | Refused);
        let rated_low = standing.rating.is_none_or(|r| r <= 3);
        let own_report = reporter && !standing.self_resolved;
        Step::ALL
            .iter()
            .copied()
            .filter(|step| match step {
                Step::Register | Step::Refuse => state == Reported && (manager || grid_worker),
                Step::Dispatch => state == Registered && (manager || grid_worker),
                Step::Accept => state == Dispatched && assignee,
                // The party or person it was sent to hands a wrong dispatch back to the
                // staff (those who may dispatch it themselves send it on instead).
                Step::HandBack => matches!(state, Dispatched | Accepted) && !(manager || grid_worker) && holds,
                Step::Feedback => state == Accepted && assignee,
                // Whoever handled the case does not verify it (a grid worker's 自办自结 at
                // intake closes without either step, and is counted as such).
                Step::VerifyPass | Step::VerifyFail => {
                    state == Handled && (manager || grid_worker) && standing.handled_by != Some(self.account_id)
                }
                Step::Suspend => matches!(state, Registered | Dispatched | Accepted) && manager,
                Step::Resume => state == Suspended && manager,
                Step::Extend => open && state != Reported && state != Suspended && manager,
                Step::Escalate => {
                    level.above().is_some()
                        && matches!(state, Reported | Registered | Dispatched | Accepted)
                        && (manager || grid_worker)
                }
                Step::Remind => state.clock_runs() && state != Reported && manager,
                // A case its reporter fixed on the spot is not theirs to rate or reopen.
                Step::Rate => state == Closed && own_report && standing.rating.is_none(),
                Step::Reopen => state == Closed && own_report && rated_low,
            })
            .collect()
    }

    /// Whether this person takes part in mediating a dispute case: the community's staff,
    /// the grid's worker, the social organisation holding it, or the street above once it
    /// is passed up there.
    pub fn mediates(&self, case: &CaseFacts) -> bool {
        self.is_staff_of(case.community_id)
            || self.works_in_grid(case)
            || case.organisation_id.is_some_and(|o| self.organisations().any(|mine| mine == o))
            || (case.at_street && self.can_in_street(Action::MediateDisputes, case.street_id))
    }

    /// Staff or director of this community.
    pub fn is_staff_of(&self, community_id: i64) -> bool {
        self.assignments
            .iter()
            .any(|a| matches!(a.role, CommunityStaff | CommunityDirector) && a.community_id == Some(community_id))
    }

    /// The organisations this person works for (a property company, a social organisation).
    pub fn organisations(&self) -> impl Iterator<Item = i64> + '_ {
        self.assignments
            .iter()
            .filter(|a| matches!(a.role, PropertyStaff | SocialOrgStaff))
            .filter_map(|a| a.organisation_id)
    }

    /// The grid worker of the case's grid.
    fn works_in_grid(&self, case: &CaseFacts) -> bool {
        case.grid_id.is_some_and(|g| self.assignments.iter().any(|a| a.role == GridWorker && a.grid_ids.contains(&g)))
    }

    fn works_on(&self, case: &CaseFacts, with_party: bool) -> bool {
        self.assignments.iter().any(|a| match a.role {
            CommunityStaff | CommunityDirector => a.community_id == Some(case.community_id),
            GridWorker => {
                a.community_id == Some(case.community_id) && case.grid_id.is_some_and(|g| a.grid_ids.contains(&g))
            }
            StreetSupervisor => case.at_street && a.street_id == Some(case.street_id),
            PropertyStaff | SocialOrgStaff => {
                with_party && case.organisation_id.is_some() && a.organisation_id == case.organisation_id
            }
            _ => false,
        })
    }

    /// The parties of a community whose cases and figures this person follows as a party:
    /// their own (property company or social organisation staff), and the property
    /// companies that an owners' committee member's committee supervises
    /// (`property_companies`: the community's).
    pub fn parties_followed(&self, community_id: i64, street_id: i64, property_companies: &[i64]) -> Vec<i64> {
        let mut out = Vec::new();
        for a in self.assignments.iter().filter(|a| a.covers_community(community_id, street_id)) {
            match a.role {
                PropertyStaff | SocialOrgStaff => out.extend(a.organisation_id),
                OwnersCommitteeMember => out.extend(property_companies),
                _ => {}
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether this person sees the figures of one party of a community: those who see the
    /// whole community's indicators see every party's; a party's staff their own; an owners'
    /// committee member the property company's.
    pub fn sees_party_figures(
        &self,
        community_id: i64,
        street_id: i64,
        party_id: i64,
        property_companies: &[i64],
    ) -> bool {
        self.reach(Action::ViewIndicators, community_id, street_id) == Reach::Community
            || self.parties_followed(community_id, street_id, property_companies).contains(&party_id)
    }

    /// The cases of a community this person sees ([`Action::ViewCases`]); an owners'
    /// committee member sees, besides their own reports, those held by the property
    /// companies (`property_companies`: the community's) that the committee supervises.
    pub fn case_scope(&self, community_id: i64, street_id: i64, property_companies: &[i64]) -> CaseScope {
        let mut scope = CaseScope::default();
        for a in self.assignments.iter().filter(|a| permits(a.role, Action::ViewCases)) {
            if !a.covers_community(community_id, street_id) {
                continue;
            }
            match a.role {
                Resident => scope.reporter = Some(self.account_id),
                OwnersCommitteeMember => {
                    scope.reporter = Some(self.account_id);
                    scope.organisations.extend(property_companies);
                }
                GridWorker => scope.grids.extend(&a.grid_ids),
                PropertyStaff | SocialOrgStaff => scope.organisations.extend(a.organisation_id),
                _ => scope.all = true,
            }
        }
        if !scope.is_empty() && self.can_in_community(Action::ReportCase, community_id, street_id) {
            scope.reporter = Some(self.account_id);
        }
        scope
    }

    /// The communities this person's `action` reaches directly (not via a street or global
    /// scope), in the order of the assignments.
    pub fn community_ids(&self, action: Action) -> Vec<i64> {
        let mut ids: Vec<i64> =
            self.assignments.iter().filter(|a| permits(a.role, action)).filter_map(|a| a.community_id).collect();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, community: Option<i64>, street: Option<i64>, grids: Vec<i64>) -> Principal {
        Principal {
            account_id: 1,
            display_name: "测试".into(),
            assignments: vec![Assignment {
                role,
                street_id: street,
                community_id: community,
                organisation_id: None,
                grid_ids: grids,
            }],
        }
    }

    fn case_in(grid: i64, reporter: Option<i64>) -> CaseFacts {
        CaseFacts {
            community_id: 10,
            street_id: 5,
            grid_id: Some(grid),
            at_street: false,
            organisation_id: None,
            reporter_account_id: reporter,
            anonymous: false,
        }
    }

    fn standing(state: crate::case::State, level: Level) -> Standing {
        Standing { state, level, assignee_account_id: None, handled_by: None, self_resolved: false, rating: None }
    }

    #[test]
    fn whose_step_it_is_follows_the_role_the_grid_and_the_hand_that_did_the_work() {
        use crate::case::State::*;
        let worker = principal(GridWorker, Some(10), None, vec![1]);
        let staff = principal(CommunityStaff, Some(10), None, vec![]);
        let reported = standing(Reported, Level::Grid);
        assert_eq!(worker.steps_on(&case_in(1, None), &reported), [Step::Register, Step::Refuse, Step::Escalate]);
        assert!(worker.steps_on(&case_in(2, None), &reported).is_empty(), "another grid's case");
        // Passed up to the community, the case is the staff's, not the grid worker's.
        assert!(worker.steps_on(&case_in(1, None), &standing(Reported, Level::Community)).is_empty());
        assert!(staff.steps_on(&case_in(1, None), &standing(Reported, Level::Community)).contains(&Step::Register));
        // Whoever handled a case does not verify it.
        let handled = Standing { handled_by: Some(1), ..standing(Handled, Level::Grid) };
        assert!(!worker.steps_on(&case_in(1, None), &handled).contains(&Step::VerifyPass));
        let by_other = Standing { handled_by: Some(2), ..handled };
        assert!(worker.steps_on(&case_in(1, None), &by_other).contains(&Step::VerifyPass));
        // The reporter rates a closed case once, and reopens it only when rated low.
        let resident = principal(Resident, Some(10), None, vec![]);
        let closed = standing(Closed, Level::Grid);
        assert_eq!(resident.steps_on(&case_in(1, Some(1)), &closed), [Step::Rate, Step::Reopen]);
        assert!(resident.steps_on(&case_in(1, Some(1)), &Standing { rating: Some(5), ..closed }).is_empty());
        assert!(resident.steps_on(&case_in(1, Some(1)), &Standing { self_resolved: true, ..closed }).is_empty());
        assert!(resident.steps_on(&case_in(1, Some(2)), &closed).is_empty(), "not their report");
    }

    #[test]
    fn a_party_hands_back_what_it_was_sent_and_mediates_what_it_holds() {
        use crate::case::State::*;
        let mut property = principal(PropertyStaff, Some(10), None, vec![]);
        property.assignments[0].organisation_id = Some(7);
        let held = CaseFacts { organisation_id: Some(7), ..case_in(1, None) };
        let dispatched = standing(Dispatched, Level::Grid);
        assert_eq!(property.steps_on(&held, &dispatched), [Step::Accept, Step::HandBack]);
        assert!(property.steps_on(&case_in(1, None), &dispatched).is_empty(), "not sent to it");
        assert!(property.mediates(&held) && !property.mediates(&case_in(1, None)));
        let supervisor = principal(StreetSupervisor, None, Some(5), vec![]);
        assert!(!supervisor.mediates(&case_in(1, None)), "the street mediates once the case is passed up");
        assert!(supervisor.mediates(&CaseFacts { at_street: true, ..case_in(1, None) }));
    }

    #[test]
    fn every_action_is_in_the_table_once() {
        for action in Action::ALL {
            assert_eq!(TABLE.iter().filter(|(a, _)| *a == action).count(), 1, "{action:?}");
        }
        assert_eq!(TABLE.len(), Action::ALL.len());
    }

    #[test]
    fn grid_worker_reaches_only_own_grids() {
        let p = principal(GridWorker, Some(10), None, vec![1, 2]);
        assert!(p.can_in_grid(Action::ViewGrid, 10, 5, 1));
        assert!(p.can_in_grid(Action::ViewGrid, 10, 5, 2));
        assert!(!p.can_in_grid(Action::ViewGrid, 10, 5, 3));
        assert!(!p.can_in_grid(Action::ViewGrid, 11, 5, 1));
    }

    #[test]
    fn street_supervisor_reaches_every_community_of_the_street_only() {
        let p = principal(StreetSupervisor, None, Some(5), vec![]);
        assert!(p.can_in_grid(Action::ViewGrid, 10, 5, 3));
        assert!(p.can_in_community(Action::ViewCommunity, 99, 5));
        assert!(!p.can_in_community(Action::ViewCommunity, 99, 6));
        assert!(p.can_in_street(Action::ViewStreet, 5));
        assert!(!p.can_in_street(Action::ViewStreet, 6));
    }

    #[test]
    fn reach_tells_whole_community_from_own_grids() {
        let worker = principal(GridWorker, Some(10), None, vec![2, 1]);
        assert_eq!(worker.reach(Action::ViewResidents, 10, 5), Reach::Grids(vec![1, 2]));
        assert_eq!(worker.reach(Action::ViewResidents, 11, 5), Reach::Nothing);
        let staff = principal(CommunityStaff, Some(10), None, vec![]);
        assert_eq!(staff.reach(Action::ViewResidents, 10, 5), Reach::Community);
        let street = principal(StreetSupervisor, None, Some(5), vec![]);
        assert_eq!(street.reach(Action::ViewResidents, 10, 5), Reach::Nothing, "figures, not people");
        assert!(Reach::Grids(vec![1]).includes_grid(1) && !Reach::Grids(vec![1]).includes_grid(2));
    }

    #[test]
    fn devices_reach_as_far_as_their_grid_and_personal_ones_as_far_as_residents() {
        let worker = principal(GridWorker, Some(10), None, vec![1]);
        assert!(worker.reaches_device(Action::HandleAlarms, 10, 5, Some(1), true));
        assert!(!worker.reaches_device(Action::HandleAlarms, 10, 5, Some(2), false), "another grid");
        assert!(!worker.reaches_device(Action::ViewMonitoring, 10, 5, None, false), "in no building");
        assert!(!worker.reaches_device(Action::ViewMonitoring, 11, 5, Some(1), false), "another community");
        let property = Principal {
            assignments: vec![Assignment {
                role: PropertyStaff,
                street_id: None,
                community_id: Some(10),
                organisation_id: Some(3),
                grid_ids: vec![],
            }],
            ..worker.clone()
        };
        assert!(property.reaches_device(Action::HandleAlarms, 10, 5, Some(2), false));
        assert!(!property.reaches_device(Action::ViewMonitoring, 10, 5, Some(2), true), "a resident's meter");
        let street = principal(StreetSupervisor, None, Some(5), vec![]);
        assert!(street.reaches_device(Action::ViewMonitoring, 10, 5, Some(2), false));
        assert!(!street.reaches_device(Action::ViewMonitoring, 10, 5, Some(2), true));
        assert!(!street.reaches_device(Action::HandleAlarms, 10, 5, Some(2), false), "the street only watches");
        let staff = principal(CommunityStaff, Some(10), None, vec![]);
        assert!(staff.reaches_device(Action::HandleAlarms, 10, 5, None, true));
    }

    #[test]
    fn a_reporter_is_seen_by_few_and_never_by_default() {
        let case = CaseFacts {
            community_id: 10,
            street_id: 5,
            grid_id: Some(1),
            at_street: false,
            organisation_id: Some(3),
            reporter_account_id: Some(77),
            anonymous: true,
        };
        let staff = principal(CommunityStaff, Some(10), None, vec![]);
        assert!(staff.sees_reporter(&case));
        assert!(principal(GridWorker, Some(10), None, vec![1]).sees_reporter(&case));
        assert!(!principal(GridWorker, Some(10), None, vec![2]).sees_reporter(&case), "another grid's worker");
        let street = principal(StreetSupervisor, None, Some(5), vec![]);
        assert!(!street.sees_reporter(&case), "not escalated to the street");
        assert!(!street.handles_case(&case));
        assert!(street.sees_reporter(&CaseFacts { at_street: true, ..case }));
        assert!(street.handles_case(&CaseFacts { at_street: true, ..case }));
        let mut property = principal(PropertyStaff, Some(10), None, vec![]);
        property.assignments[0].organisation_id = Some(3);
        assert!(!property.sees_reporter(&case), "anonymous");
        assert!(property.handles_case(&case), "but it handles the case");
        assert!(property.sees_reporter(&CaseFacts { anonymous: false, ..case }));
        assert!(!property.sees_reporter(&CaseFacts { anonymous: false, organisation_id: Some(4), ..case }));
        let resident = principal(Resident, Some(10), None, vec![]);
        assert!(!resident.sees_reporter(&case));
        assert!(Principal { account_id: 77, ..resident }.sees_reporter(&case), "one's own report");
        assert!(!principal(SystemAdmin, None, None, vec![]).sees_reporter(&case));
    }

    #[test]
    fn system_admin_has_no_routine_access_to_residents() {
        let p = principal(SystemAdmin, None, None, vec![]);
        assert!(p.can(Action::ManageAccounts));
        assert!(!p.can_in_grid(Action::ViewGrid, 10, 5, 1));
        assert_eq!(p.reach(Action::ViewResidents, 10, 5), Reach::Nothing);
        assert_eq!(p.reach(Action::RevealPersonalData, 10, 5), Reach::Nothing);
    }

    #[test]
    fn residents_see_their_community_but_not_grids() {
        let p = principal(Resident, Some(10), None, vec![]);
        assert!(p.can_in_community(Action::ViewCommunity, 10, 5));
        assert!(!p.can_in_community(Action::ViewCommunity, 11, 5));
        assert!(!p.can_in_grid(Action::ViewGrid, 10, 5, 1));
        assert!(!p.can(Action::ManageAccounts));
    }

    #[test]
    fn a_party_follows_its_own_cases_and_the_owners_committee_the_property_companys() {
        let mut property = principal(PropertyStaff, Some(10), None, vec![]);
        property.assignments[0].organisation_id = Some(3);
        let mut social = principal(SocialOrgStaff, Some(10), None, vec![]);
        social.assignments[0].organisation_id = Some(5);
        let committee = principal(OwnersCommitteeMember, Some(10), None, vec![]);
        let companies = [3];
        assert_eq!(property.parties_followed(10, 5, &companies), vec![3]);
        assert_eq!(social.parties_followed(10, 5, &companies), vec![5], "its own, not the property company's");
        assert_eq!(committee.parties_followed(10, 5, &companies), vec![3], "the committee supervises the company");
        assert!(committee.parties_followed(11, 5, &companies).is_empty(), "another community");
        assert!(property.sees_party_figures(10, 5, 3, &companies));
        assert!(!property.sees_party_figures(10, 5, 5, &companies), "not another party's");
        assert!(!social.sees_party_figures(10, 5, 3, &companies));
        assert!(committee.sees_party_figures(10, 5, 3, &companies));
        assert!(principal(CommunityDirector, Some(10), None, vec![]).sees_party_figures(10, 5, 5, &companies));
        assert!(principal(StreetSupervisor, None, Some(5), vec![]).sees_party_figures(10, 5, 5, &companies));
        assert!(!principal(Resident, Some(10), None, vec![]).sees_party_figures(10, 5, 3, &companies));
        let worker = principal(GridWorker, Some(10), None, vec![1]);
        assert!(!worker.sees_party_figures(10, 5, 3, &companies), "a grid worker's figures are own grids'");
        // The committee's cases: its members' own reports and the property company's.
        let scope = committee.case_scope(10, 5, &companies);
        assert!(scope.includes(Some(2), Some(3), Some(99)) && scope.includes(None, None, Some(1)));
        assert!(!scope.includes(Some(2), Some(5), Some(99)), "a social organisation's case");
        assert!(!principal(Resident, Some(10), None, vec![]).case_scope(10, 5, &companies).includes(
            None,
            Some(3),
            None
        ));
    }
}
