//! The home page (工作台): for each role the person holds, what needs doing today and
//! the numbers behind it.

use crate::context::User;
use crate::error::AppResult;
use crate::frame::{Chrome, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use linli_domain::service::{BookingStatus, ReferralStatus};
use linli_domain::{Action, Role};
use linli_store::admin::{Community, Organisation};
use linli_store::registry::GridSummary;

/// One grid's card.
pub struct GridCard {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub workers: String,
    pub summary: Option<GridSummary>,
    pub deputy: bool,
}

/// One of a resident's own reports, in plain words: its state as 已受理、处理中、已办结…
/// and when it is expected to be done (or was).
pub struct MyReport {
    pub id: i64,
    pub category: String,
    pub state: String,
    pub status: String,
    pub when: String,
}

/// A task derived from the data (never a placeholder).
pub struct Todo {
    pub text: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    greeting: String,
    todos: Vec<Todo>,
    community: Option<Community>,
    organisations: Vec<Organisation>,
    own_org: Option<Organisation>,
    grid_cards: Vec<GridCard>,
    grid_title: String,
    totals: Option<GridSummary>,
    street_link: Option<(String, String)>,
    admin_accounts: Option<i64>,
    /// Overdue visits: the resident, how late, the last visit, the tags.
    overdue: Vec<(linli_store::care::OverdueVisit, String, String, String)>,
    /// The community's headline figures of the last 30 days, for those who oversee it.
    headline: Vec<(String, String)>,
    /// "See all N", when the card shows only the first ten.
    overdue_more: Option<String>,
    /// A grid worker's big actions: patrol report, the visits list, today's work.
    worker_actions: bool,
    /// A resident's big "我要报事" and their own reports, newest first.
    report_href: Option<String>,
    my_reports: Option<Vec<MyReport>>,
    community_id: i64,
}

pub async fn show(State(state): State<AppState>, user: User) -> AppResult<Response> {
    let User(ctx, _) = &user;
    let p = user.principal();
    let t = ctx.tr();
    let today = linli_store::today();
    let mut todos = Vec::new();
    let mut page = HomePage {
        chrome: Chrome::new(ctx, t.get("home.title")),
        greeting: t.fill("home.greeting", &[("name", &p.display_name)]),
        todos: Vec::new(),
        community: None,
        organisations: Vec::new(),
        own_org: None,
        grid_cards: Vec::new(),
        grid_title: String::new(),
        totals: None,
        street_link: None,
        admin_accounts: None,
        overdue: Vec::new(),
        overdue_more: None,
        headline: Vec::new(),
        worker_actions: false,
        report_href: None,
        my_reports: None,
        community_id: 0,
    };

    if let Some(&community_id) = p.community_ids(Action::ViewCommunity).first() {
        let community = state.store.community(community_id).await?;
        let organisations = state.store.organisations(community_id).await?;
        page.own_org = p
            .assignments
            .iter()
            .filter_map(|a| a.organisation_id)
            .find_map(|id| organisations.iter().find(|o| o.id == id).cloned());
        page.organisations = organisations;

        let grids = state.store.grids(community_id).await?;
        let reachable: Vec<_> =
            grids.iter().filter(|g| p.can_in_grid(Action::ViewGrid, community_id, community.street_id, g.id)).collect();
        if !reachable.is_empty() {
            let summaries = state.store.grid_summaries(community_id, today).await?;
            let workers = state.store.grid_workers(community_id).await?;
            let mine = p.has_role(Role::GridWorker);
            for g in reachable {
                let summary = summaries.iter().find(|s| s.grid_id == g.id).cloned();
                let names: Vec<&str> =
                    workers.iter().filter(|w| w.grid_id == g.id).map(|w| w.display_name.as_str()).collect();
                let deputy =
                    workers.iter().any(|w| w.grid_id == g.id && w.account_id == p.account_id && w.duty == "deputy");
                page.grid_cards.push(GridCard {
                    id: g.id,
                    name: g.name.clone(),
                    code: g.code.clone(),
                    workers: if names.is_empty() { t.get("grid.no_worker").to_owned() } else { names.join("、") },
                    summary,
                    deputy,
                });
            }
            page.grid_title = t.get(if mine { "home.my_grids" } else { "home.all_grids" }).to_owned();
            let mut total = GridSummary {
                grid_id: 0,
                buildings: 0,
                households: 0,
                residents: 0,
                aged_80_plus: 0,
                elderly_living_alone: 0,
            };
            for s in page.grid_cards.iter().filter(|c| !c.deputy).filter_map(|c| c.summary.as_ref()) {
                total.buildings += s.buildings;
                total.households += s.households;
                total.residents += s.residents;
                total.aged_80_plus += s.aged_80_plus;
                total.elderly_living_alone += s.elderly_living_alone;
            }
            // Care plans: tagged residents whose visit is overdue, within the person's reach;
            // the to-do opens the whole list, most overdue first.
            let overdue = crate::residents::care::overdue_in_reach(&state, &user, &community).await?;
            if !overdue.is_empty() {
                todos.push(Todo {
                    text: t.fill("todo.overdue_visits", &[("n", &overdue.len())]),
                    href: format!("/communities/{community_id}/care/overdue"),
                });
            }
            page.overdue_more = (overdue.len() > 10).then(|| t.fill("home.all_overdue", &[("n", &overdue.len())]));
            // The names themselves are for the grid worker who visits them; others get the count.
            if p.has_role(Role::GridWorker) {
                page.overdue =
                    overdue.into_iter().take(10).map(|o| crate::residents::care::overdue_line(t, o)).collect();
            }
            if !mine && total.elderly_living_alone > 0 {
                todos.push(Todo {
                    text: t.fill(
                        "todo.care_overview",
                        &[("alone", &total.elderly_living_alone), ("aged", &total.aged_80_plus)],
                    ),
                    href: format!("/communities/{community_id}"),
                });
            }
            if !mine {
                for card in page.grid_cards.iter().filter(|c| c.workers == t.get("grid.no_worker")) {
                    todos.push(Todo {
                        text: t.fill("todo.assign_worker", &[("grid", &card.name)]),
                        href: format!("/grids/{}", card.id),
                    });
                }
            }
            page.totals = Some(total);
        }
        todos.extend(case_todos(&state, &user, &community).await?);
        // A party's staff follow their own figures; an owners' committee member the
        // property company's, which the committee supervises.
        for (id, supervised) in crate::cases::parties_followed(&state, p, &community).await? {
            let party = state.store.organisation(id).await?;
            let key = if supervised { "todo.supervise_property" } else { "todo.party_figures" };
            todos.push(Todo {
                text: t.fill(key, &[("party", &party.name)]),
                href: format!("/organisations/{id}/indicators"),
            });
            if party.kind == "property_company" {
                todos.push(Todo {
                    text: t.fill("todo.scorecard", &[("party", &party.name)]),
                    href: format!("/organisations/{id}/scorecard"),
                });
            }
        }
        if p.has_role(Role::Resident) || p.has_role(Role::OwnersCommitteeMember) {
            page.report_href = p
                .can_in_community(Action::ReportCase, community.id, community.street_id)
                .then(|| format!("/communities/{}/cases/new", community.id));
            page.my_reports = Some(my_reports(&state, &user, community.id).await?);
        }
        // Owners' assemblies that are taking ballots now.
        if p.can_in_community(Action::ViewAssemblies, community.id, community.street_id) {
            let today = today.to_string();
            for a in state.store.assemblies(community.id).await?.into_iter().filter(|a| a.is_open_on(&today)) {
                todos.push(Todo {
                    text: t.fill("todo.assembly_vote", &[("title", &a.title), ("closes", &a.closes_on)]),
                    href: format!("/assemblies/{}", a.id),
                });
            }
        }
        // Accounts asking to be linked to an owner or resident of record.
        if p.can_in_community(Action::VerifyAccounts, community.id, community.street_id) {
            let n = state.store.pending_verifications(community.id).await?.len();
            if n > 0 {
                todos.push(Todo {
                    text: t.fill("todo.verifications", &[("n", &n)]),
                    href: format!("/communities/{}/verifications", community.id),
                });
            }
        }
        // A social organisation's staff: its desk, with the referrals waiting for an answer.
        for o in p.organisations().collect::<Vec<_>>() {
            if crate::services::provides(p, o, &community) {
                let sent =
                    state.store.referrals_to(o).await?.iter().filter(|f| f.status == ReferralStatus::Sent).count();
                todos.push(Todo {
                    text: if sent > 0 {
                        t.fill("todo.referrals", &[("n", &sent)])
                    } else {
                        t.get("todo.service_desk").to_owned()
                    },
                    href: format!("/organisations/{o}/services"),
                });
            }
        }
        // A resident's next booked service and next activity.
        if let Some(r) = state.store.verified_resident(p.account_id, community.id).await? {
            let now = linli_store::services::now_local();
            if let Some(b) = state
                .store
                .bookings_of(r)
                .await?
                .into_iter()
                .filter(|b| b.status == BookingStatus::Booked && b.starts_at > now)
                .min_by(|x, y| x.starts_at.cmp(&y.starts_at))
            {
                todos.push(Todo {
                    text: t.fill("todo.next_booking", &[("when", &b.starts_at), ("service", &b.service)]),
                    href: format!("/bookings/{}", b.id),
                });
            }
            if let Some(g) = state
                .store
                .registrations_of(r)
                .await?
                .into_iter()
                .filter(|g| g.status == BookingStatus::Booked && g.starts_at > now)
                .min_by(|x, y| x.starts_at.cmp(&y.starts_at))
            {
                todos.push(Todo {
                    text: t.fill("todo.next_activity", &[("when", &g.starts_at), ("title", &g.title)]),
                    href: format!("/activities/{}", g.activity_id),
                });
            }
        }
        // Public record drafts past the community's deadline.
        if p.can_in_community(Action::ManagePublicRecord, community.id, community.street_id) {
            let late = crate::publicity::drafts_with_due(&state, community.id).await?.iter().filter(|d| d.2).count();
            if late > 0 {
                todos.push(Todo {
                    text: t.fill("todo.board_late", &[("n", &late)]),
                    href: format!("/communities/{}/board", community.id),
                });
            }
        }
        // Joint meeting resolutions: the conveners see the overdue ones, a party its own.
        if p.can_in_community(Action::ViewJointMeetings, community.id, community.street_id) {
            let (key, n) = crate::joint::resolutions::to_do(&state, p, &community).await?;
            if n > 0 {
                todos.push(Todo {
                    text: t.fill(key, &[("n", &n)]),
                    href: format!("/communities/{}/resolutions", community.id),
                });
            }
        }
        // Residents' proposals: residents see those collecting supports, staff those waiting
        // for the community's answer.
        if p.can_in_community(Action::ViewProposals, community.id, community.street_id) {
            let proposals = state.store.proposals(community.id).await?;
            let triage = p.can_in_community(Action::TriageProposals, community.id, community.street_id);
            let (key, status) = if triage {
                ("todo.proposals_triage", linli_domain::proposal::Status::Triage)
            } else {
                ("todo.proposals_open", linli_domain::proposal::Status::Open)
            };
            let n = proposals.iter().filter(|x| x.status == status).count();
            if n > 0 && (triage || p.can_in_community(Action::Propose, community.id, community.street_id)) {
                todos.push(Todo {
                    text: t.fill(key, &[("n", &n)]),
                    href: format!("/communities/{}/proposals", community.id),
                });
            }
        }
        // A resident's account that stands for nobody yet is offered verification.
        if p.has_role(Role::Resident)
            && state.store.resident_of_account(p.account_id).await?.is_none()
            && state.store.owners_of_account(community.id, p.account_id).await?.is_empty()
        {
            todos.push(Todo { text: t.get("todo.verify").to_owned(), href: "/account/verify".into() });
        }
        page.community_id = community.id;
        if p.has_role(Role::CommunityDirector)
            && p.reach(Action::ViewIndicators, community.id, community.street_id) == linli_domain::Reach::Community
        {
            page.headline = crate::indicators::headline(&state, t, community.id).await?;
        }
        page.worker_actions = p.has_role(Role::GridWorker);
        page.community = Some(community);
    }
    let unread = state.store.unread_count(p.account_id).await?;
    if unread > 0 {
        todos.insert(0, Todo { text: t.fill("todo.inbox", &[("n", &unread)]), href: "/inbox".into() });
    }

    if p.can(Action::ViewStreet)
        && let Some(street_id) = p.assignments.iter().find_map(|a| a.street_id)
    {
        let street = state.store.street(street_id).await?;
        todos.push(Todo {
            text: t.fill("todo.review_street", &[("n", &street.communities), ("street", &street.name)]),
            href: format!("/streets/{street_id}"),
        });
        page.street_link = Some((format!("/streets/{street_id}"), street.name));
    }
    if p.can(Action::ManageAccounts) {
        let n = state.store.account_count().await?;
        page.admin_accounts = Some(n);
        todos.push(Todo { text: t.fill("todo.review_accounts", &[("n", &n)]), href: "/admin/accounts".into() });
    }
    if todos.is_empty()
        && let Some(c) = &page.community
    {
        todos.push(Todo {
            text: t.fill("todo.know_community", &[("community", &c.name)]),
            href: format!("/communities/{}", c.id),
        });
    }
    page.todos = todos;
    Ok(render(StatusCode::OK, &page))
}

/// The person's own reports, newest first, as a resident reads them.
async fn my_reports(state: &AppState, user: &User, community_id: i64) -> AppResult<Vec<MyReport>> {
    let t = user.0.tr();
    let query = linli_store::cases::CaseQuery {
        community_id,
        scope: Some(linli_domain::CaseScope { reporter: Some(user.principal().account_id), ..Default::default() }),
        state: Some("all".into()),
        limit: 10,
        ..Default::default()
    };
    let (rows, _) = state.store.cases(&query).await?;
    let day = |ms: i64| crate::frame::format_ms(ms).chars().take(10).collect::<String>();
    Ok(rows
        .into_iter()
        .map(|c| {
            let when = match (c.closed_at, c.deadline) {
                (Some(at), _) if c.state == "closed" => t.fill("home.closed_on", &[("date", &day(at))]),
                (_, Some(due)) if c.state != "refused" => t.fill("home.expected", &[("date", &day(due))]),
                _ => t.fill("home.reported_on", &[("date", &day(c.reported_at))]),
            };
            MyReport {
                id: c.id,
                category: t.pick(&c.category_zh, &c.category_en).to_owned(),
                status: t.label("case.plain", c.state.as_str()),
                state: c.state.as_str().to_owned(),
                when,
            }
        })
        .collect())
}

/// Cases waiting for this person, as to-dos: reports to register and work to verify for
/// staff and grid workers, cases to accept or finish for a party's staff, closed reports to
/// rate for a resident, and the overdue ones within reach.
async fn case_todos(state: &AppState, user: &User, community: &Community) -> AppResult<Vec<Todo>> {
    let p = user.principal();
    let t = user.0.tr();
    let scope = crate::cases::case_scope(state, p, community).await?;
    if scope.is_empty() {
        return Ok(Vec::new());
    }
    let manages = scope.all || !scope.grids.is_empty();
    let mut out = Vec::new();
    // Cases dispatched to this person, to accept or to finish.
    if manages {
        let query = linli_store::cases::CaseQuery {
            community_id: community.id,
            scope: Some(scope.clone()),
            state: Some("open".into()),
            assignee_account_id: Some(p.account_id),
            limit: 1,
            ..Default::default()
        };
        let (_, n) = state.store.cases(&query).await?;
        if n > 0 {
            out.push(Todo {
                text: t.fill("todo.cases_mine", &[("n", &n)]),
                href: format!("/communities/{}/cases?state=open&mine=1", community.id),
            });
        }
    }
    let party = p.has_role(Role::PropertyStaff) || p.has_role(Role::SocialOrgStaff);
    // Ratings are asked of a case's own reporter only, whatever else one follows (an
    // owners' committee member follows the property company's cases).
    let scope = if manages || party {
        scope
    } else {
        linli_domain::CaseScope { reporter: Some(p.account_id), ..Default::default() }
    };
    let waits: &[(&str, &str)] = if manages {
        &[
            ("reported", "todo.cases_to_register"),
            ("handled", "todo.cases_to_verify"),
            ("overdue", "todo.cases_overdue"),
        ]
    } else if party {
        &[
            ("dispatched", "todo.cases_to_accept"),
            ("accepted", "todo.cases_to_finish"),
            ("overdue", "todo.cases_overdue"),
        ]
    } else {
        &[("unrated", "todo.cases_to_rate")]
    };
    for (filter, key) in waits {
        let query = linli_store::cases::CaseQuery {
            community_id: community.id,
            scope: Some(scope.clone()),
            state: Some((*filter).to_owned()),
            limit: 1,
            ..Default::default()
        };
        let (_, n) = state.store.cases(&query).await?;
        if n > 0 {
            out.push(Todo {
                text: t.fill(key, &[("n", &n)]),
                href: format!("/communities/{}/cases?state={filter}", community.id),
            });
        }
    }
    Ok(out)
}
