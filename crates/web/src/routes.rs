//! Every route in one list, each with the [`Action`] it needs (or none, for public
//! routes). The router, the OpenAPI document and the route × role permission test are
//! all built from this list, so a route cannot exist without a permission decision.

use crate::api;
use crate::assets;
use crate::auth::{self, login};
use crate::joint::{ledger, meetings, resolutions};
use crate::open311;
use crate::ops;
use crate::pages::{home, inbox, settings};
use crate::photo;
use crate::registry::{building_import, buildings, community, grids};
use crate::residents::import;
use crate::state::AppState;
use crate::{
    accounts, activities, announcements, assemblies, attachments, cases, consultations, indicators, monitoring,
    outcomes, points, proposals, publicity, registry, residents, scorecards, services, surveys, volunteers,
};
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn;
use axum::routing::{MethodFilter, MethodRouter, on};
use linli_domain::{Action, Role};
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

/// One route as the permission test sees it.
#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: Method,
    /// In axum syntax, e.g. `/grids/{grid_id}`.
    pub path: String,
    /// `None` for public routes.
    pub action: Option<Action>,
}

/// The router and the list it was built from.
pub struct Routes {
    pub router: Router<AppState>,
    pub catalog: Vec<RouteInfo>,
    pub openapi: utoipa::openapi::OpenApi,
}

struct Builder {
    router: Router<AppState>,
    api: OpenApiRouter<AppState>,
    catalog: Vec<RouteInfo>,
}

fn guarded(action: Option<Action>, mr: MethodRouter<AppState>) -> MethodRouter<AppState> {
    match action {
        Some(action) => mr.route_layer(from_fn(move |req, next| auth::require(action, req, next))),
        None => mr,
    }
}

impl Builder {
    fn page<H, T>(mut self, method: Method, path: &str, action: Option<Action>, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        self.router = self.router.route(path, guarded(action, on(filter, handler)));
        self.catalog.push(RouteInfo { method, path: path.to_owned(), action });
        self
    }

    /// A route that accepts uploads up to `limit` bytes (the default is [`crate::BODY_LIMIT`]).
    fn upload<H, T>(mut self, path: &str, action: Option<Action>, handler: H, limit: usize) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let mr = guarded(action, axum::routing::post(handler).layer(axum::extract::DefaultBodyLimit::max(limit)));
        self.router = self.router.route(path, mr);
        self.catalog.push(RouteInfo { method: Method::POST, path: path.to_owned(), action });
        self
    }

    fn api(mut self, action: Option<Action>, (schemas, paths, mr): UtoipaMethodRouter<AppState>) -> Self {
        for (path, item) in &paths.paths {
            let methods = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::PATCH, item.patch.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            for (method, present) in methods {
                if present {
                    self.catalog.push(RouteInfo { method, path: path.clone(), action });
                }
            }
        }
        self.api = self.api.routes((schemas, paths, guarded(action, mr)));
        self
    }
}

pub fn build() -> Routes {
    use Action::*;
    let b = Builder {
        router: Router::new(),
        api: OpenApiRouter::with_openapi(api::ApiDoc::openapi()),
        catalog: Vec::new(),
    };
    let b = b
        // Operations and assets.
        .page(Method::GET, "/healthz", None, ops::healthz)
        .page(Method::GET, "/readyz", None, ops::readyz)
        .page(Method::GET, "/metrics", None, ops::metrics)
        .page(Method::GET, "/static/{file}", None, assets::serve)
        .page(Method::GET, "/favicon.ico", None, assets::favicon)
        // Signing in and out, language.
        .page(Method::GET, "/login", None, login::login_form)
        .page(Method::POST, "/login", None, login::login)
        .page(Method::POST, "/language", None, login::set_language)
        .page(Method::POST, "/logout", Some(ViewHome), login::logout)
        // Pages.
        .page(Method::GET, "/", Some(ViewHome), home::show)
        .page(Method::GET, "/communities/{community_id}", Some(ViewCommunity), community::show_community)
        .page(Method::GET, "/grids/{grid_id}", Some(ViewGrid), community::show_grid)
        .page(Method::GET, "/streets", Some(ViewStreet), community::list_streets)
        .page(Method::GET, "/streets/{street_id}", Some(ViewStreet), community::show_street)
        .page(Method::GET, "/streets/{street_id}/indicators", Some(ViewIndicators), indicators::show_street)
        .page(Method::GET, "/streets/{street_id}/outcomes", Some(ViewIndicators), outcomes::street)
        .page(Method::GET, "/account", Some(ManageOwnAccount), accounts::own::show)
        .page(Method::GET, "/inbox", Some(ViewHome), inbox::show)
        .page(Method::POST, "/inbox/read", Some(ViewHome), inbox::mark_read)
        .page(Method::POST, "/inbox/settings", Some(ManageOwnAccount), inbox::settings)
        .page(Method::POST, "/account/password", Some(ManageOwnAccount), accounts::own::change_password)
        .page(Method::POST, "/account/tokens", Some(ManageOwnAccount), accounts::own::create_token)
        .page(Method::GET, "/account/verify", Some(ManageOwnAccount), accounts::verify::show)
        .page(Method::POST, "/account/verify", Some(ManageOwnAccount), accounts::verify::request)
        .page(Method::POST, "/account/verify/code", Some(ManageOwnAccount), accounts::verify::send_code)
        .page(Method::POST, "/account/verify/confirm", Some(ManageOwnAccount), accounts::verify::confirm)
        .page(Method::POST, "/account/verify/withdraw", Some(ManageOwnAccount), accounts::verify::withdraw)
        .page(Method::GET, "/communities/{community_id}/verifications", Some(VerifyAccounts), accounts::verify::list)
        .page(Method::GET, "/communities/{community_id}/ledger", Some(ViewJointMeetings), ledger::show)
        .page(Method::POST, "/communities/{community_id}/ledger", Some(RaiseLedgerItems), ledger::raise)
        .page(
            Method::POST,
            "/communities/{community_id}/ledger/{item_id}/drop",
            Some(ConveneMeetings),
            ledger::drop_item,
        )
        .page(Method::GET, "/communities/{community_id}/meetings", Some(ViewJointMeetings), meetings::list)
        .page(Method::POST, "/communities/{community_id}/meetings", Some(ConveneMeetings), meetings::schedule)
        .page(Method::GET, "/communities/{community_id}/meetings.ics", Some(ViewJointMeetings), meetings::calendar)
        .page(Method::GET, "/meetings/{meeting_id}", Some(ViewJointMeetings), meetings::show)
        .page(Method::POST, "/meetings/{meeting_id}/agenda", Some(ConveneMeetings), meetings::agenda)
        .page(Method::POST, "/meetings/{meeting_id}/minutes", Some(ConveneMeetings), meetings::minutes)
        .page(Method::POST, "/meetings/{meeting_id}/resolutions", Some(ConveneMeetings), meetings::resolve)
        .page(Method::POST, "/meetings/{meeting_id}/post", Some(ConveneMeetings), meetings::post)
        .page(Method::GET, "/communities/{community_id}/resolutions", Some(ViewJointMeetings), resolutions::open)
        .page(Method::GET, "/resolutions/{resolution_id}", Some(ViewJointMeetings), resolutions::show)
        .page(Method::POST, "/resolutions/{resolution_id}/progress", Some(UpdateResolutions), resolutions::progress)
        .page(Method::POST, "/resolutions/{resolution_id}/urge", Some(ConveneMeetings), resolutions::urge)
        .page(Method::POST, "/resolutions/{resolution_id}/case", Some(UpdateResolutions), resolutions::open_case)
        .page(Method::POST, "/resolutions/{resolution_id}/strike", Some(ConveneMeetings), resolutions::strike_off)
        .page(Method::GET, "/communities/{community_id}/proposals", Some(ViewProposals), proposals::list)
        .page(Method::POST, "/communities/{community_id}/proposals", Some(Propose), proposals::create)
        .page(Method::GET, "/communities/{community_id}/proposals/new", Some(Propose), proposals::new)
        .page(Method::POST, "/communities/{community_id}/proposals/share", Some(TriageProposals), proposals::share)
        .page(Method::GET, "/proposals/{proposal_id}", Some(ViewProposals), proposals::show)
        .page(Method::POST, "/proposals/{proposal_id}/support", Some(Propose), proposals::support)
        .page(Method::POST, "/proposals/{proposal_id}/edit", Some(Propose), proposals::edit)
        .page(Method::POST, "/proposals/{proposal_id}/withdraw", Some(Propose), proposals::withdraw)
        .page(Method::POST, "/proposals/{proposal_id}/report", Some(ViewProposals), proposals::report)
        .page(Method::POST, "/proposals/{proposal_id}/decide", Some(TriageProposals), proposals::decide)
        .page(Method::GET, "/proposals/{proposal_id}/photos/{photo_id}", Some(ViewProposals), proposals::photo)
        .page(Method::GET, "/communities/{community_id}/announcements", Some(ViewAnnouncements), announcements::list)
        .page(
            Method::POST,
            "/communities/{community_id}/announcements",
            Some(PublishAnnouncements),
            announcements::publish,
        )
        .page(Method::GET, "/announcements/{announcement_id}", Some(ViewAnnouncements), announcements::show)
        .page(Method::GET, "/announcements/{announcement_id}/receipts", Some(FollowReceipts), announcements::receipts)
        .page(
            Method::POST,
            "/announcements/{announcement_id}/receipts/{receipt_id}/told",
            Some(FollowReceipts),
            announcements::told,
        )
        .page(Method::GET, "/communities/{community_id}/consultations", Some(ViewConsultations), consultations::list)
        .page(Method::POST, "/communities/{community_id}/consultations", Some(RunConsultations), consultations::start)
        .page(Method::GET, "/consultations/{consultation_id}", Some(ViewConsultations), consultations::show)
        .page(Method::POST, "/consultations/{consultation_id}/steps", Some(RunConsultations), consultations::record)
        .upload(
            "/announcements/{announcement_id}/attachments",
            Some(PublishAnnouncements),
            attachments::add_to_announcement,
            assemblies::documents::UPLOAD_LIMIT,
        )
        .page(
            Method::GET,
            "/announcements/{announcement_id}/attachments/{attachment_id}",
            Some(ViewAnnouncements),
            attachments::open_on_announcement,
        )
        .page(
            Method::POST,
            "/announcements/{announcement_id}/attachments/{attachment_id}/remove",
            Some(PublishAnnouncements),
            attachments::remove_from_announcement,
        )
        .upload(
            "/meetings/{meeting_id}/attachments",
            Some(ConveneMeetings),
            attachments::add_to_meeting,
            assemblies::documents::UPLOAD_LIMIT,
        )
        .page(
            Method::GET,
            "/meetings/{meeting_id}/attachments/{attachment_id}",
            Some(ViewJointMeetings),
            attachments::open_on_meeting,
        )
        .page(
            Method::POST,
            "/meetings/{meeting_id}/attachments/{attachment_id}/remove",
            Some(ConveneMeetings),
            attachments::remove_from_meeting,
        )
        .page(Method::GET, "/communities/{community_id}/surveys", Some(ViewSurveys), surveys::list)
        .page(Method::POST, "/communities/{community_id}/surveys", Some(RunSurveys), surveys::create)
        .page(Method::GET, "/surveys/{survey_id}", Some(ViewSurveys), surveys::show)
        .page(Method::POST, "/surveys/{survey_id}/answers", Some(ViewSurveys), surveys::answer)
        .page(Method::POST, "/surveys/{survey_id}/questions", Some(RunSurveys), surveys::add_question)
        .page(
            Method::POST,
            "/surveys/{survey_id}/questions/{question_id}/delete",
            Some(RunSurveys),
            surveys::remove_question,
        )
        .page(Method::POST, "/surveys/{survey_id}/send", Some(RunSurveys), surveys::send)
        .page(Method::POST, "/surveys/{survey_id}/close", Some(RunSurveys), surveys::close)
        .page(Method::GET, "/surveys/{survey_id}/results", Some(RunSurveys), surveys::results)
        .page(
            Method::POST,
            "/organisations/{organisation_id}/satisfaction-survey",
            Some(RunSurveys),
            surveys::satisfaction,
        )
        .page(Method::GET, "/communities/{community_id}/services", Some(ViewServices), services::directory::list)
        .page(Method::GET, "/services/{service_id}", Some(ViewServices), services::directory::show)
        .page(Method::POST, "/services/{service_id}/bookings", Some(ViewServices), services::directory::book)
        .page(Method::GET, "/bookings/{booking_id}", Some(ViewServices), services::directory::show_booking)
        .page(Method::POST, "/bookings/{booking_id}/cancel", Some(ViewServices), services::directory::cancel)
        .page(Method::GET, "/bookings/{booking_id}/notes", Some(ViewServices), services::desk::notes)
        .page(Method::POST, "/bookings/{booking_id}/outcome", Some(ProvideServices), services::desk::record)
        .page(Method::GET, "/organisations/{organisation_id}/services", Some(ProvideServices), services::desk::desk)
        .page(Method::POST, "/organisations/{organisation_id}/services", Some(ProvideServices), services::desk::create)
        .page(Method::POST, "/services/{service_id}/slots", Some(ProvideServices), services::desk::add_slot)
        .page(Method::POST, "/services/{service_id}/active", Some(ProvideServices), services::desk::set_active)
        .page(Method::GET, "/slots/{slot_id}", Some(ProvideServices), services::desk::roster)
        .page(
            Method::GET,
            "/residents/{resident_id}/services",
            Some(ReferToServices),
            services::referrals::resident_services,
        )
        .page(Method::POST, "/residents/{resident_id}/referrals", Some(ReferToServices), services::referrals::refer)
        .page(Method::GET, "/communities/{community_id}/referrals", Some(ReferToServices), services::referrals::list)
        .page(Method::GET, "/referrals/{referral_id}", Some(ViewServices), services::referrals::show)
        .page(Method::POST, "/referrals/{referral_id}/decide", Some(ProvideServices), services::referrals::decide)
        .page(Method::GET, "/communities/{community_id}/activities", Some(ViewActivities), activities::list)
        .page(Method::POST, "/communities/{community_id}/activities", Some(RunActivities), activities::create)
        .page(
            Method::POST,
            "/communities/{community_id}/activity-proposals",
            Some(ProposeActivities),
            activities::propose,
        )
        .page(Method::GET, "/communities/{community_id}/activities.ics", Some(ViewActivities), activities::calendar)
        .page(Method::GET, "/activities/{activity_id}", Some(ViewActivities), activities::show)
        .page(Method::POST, "/activities/{activity_id}/registrations", Some(JoinActivities), activities::register)
        .page(Method::POST, "/registrations/{registration_id}/cancel", Some(JoinActivities), activities::cancel)
        .page(Method::POST, "/activities/{activity_id}/decide", Some(RunActivities), activities::decide)
        .page(Method::GET, "/activities/{activity_id}/checkin", Some(RunActivities), activities::checkin_desk)
        .page(Method::POST, "/activities/{activity_id}/checkin", Some(RunActivities), activities::check_in)
        .page(Method::POST, "/activities/{activity_id}/report", Some(RunActivities), activities::report)
        .page(Method::GET, "/activities/{activity_id}/photos/{photo_id}", Some(ViewActivities), activities::photo)
        .page(Method::POST, "/activities/{activity_id}/shifts", Some(RunActivities), volunteers::add_shift)
        .page(Method::POST, "/shifts/{shift_id}/signups", Some(Volunteer), volunteers::sign_up)
        .page(Method::POST, "/signups/{signup_id}/cancel", Some(Volunteer), volunteers::cancel_signup)
        .page(Method::POST, "/signups/{signup_id}/hours", Some(RunActivities), volunteers::record_hours)
        .page(Method::GET, "/communities/{community_id}/volunteers", Some(ViewActivities), volunteers::hub)
        .page(Method::POST, "/communities/{community_id}/volunteers", Some(Volunteer), volunteers::join)
        .page(Method::POST, "/communities/{community_id}/volunteers/me", Some(Volunteer), volunteers::update)
        .page(Method::POST, "/communities/{community_id}/volunteer-teams", Some(RunActivities), volunteers::create_team)
        .page(Method::POST, "/volunteer-teams/{team_id}/membership", Some(Volunteer), volunteers::membership)
        .page(Method::POST, "/volunteer-teams/{team_id}/hours", Some(RunActivities), volunteers::record_team_hours)
        .page(Method::GET, "/volunteers/{volunteer_id}", Some(ViewActivities), volunteers::record)
        .page(Method::GET, "/volunteers/{volunteer_id}/certificate", Some(ViewActivities), volunteers::certificate)
        .page(Method::POST, "/volunteers/{volunteer_id}/entries", Some(RunActivities), volunteers::add_entry)
        .page(Method::POST, "/volunteer-hours/{hours_id}/corrections", Some(Volunteer), volunteers::ask_correction)
        .page(
            Method::POST,
            "/volunteer-corrections/{correction_id}/decide",
            Some(RunActivities),
            volunteers::decide_correction,
        )
        .page(Method::GET, "/communities/{community_id}/points", Some(ViewActivities), points::show)
        .page(Method::POST, "/communities/{community_id}/points/rules", Some(ManagePoints), points::set_rules)
        .page(Method::POST, "/communities/{community_id}/points/corrections", Some(ManagePoints), points::correct)
        .page(Method::POST, "/communities/{community_id}/shop-items", Some(ManagePoints), points::create_item)
        .page(Method::POST, "/shop-items/{item_id}/redeem", Some(RedeemPoints), points::redeem)
        .page(Method::POST, "/shop-items/{item_id}/restock", Some(ManagePoints), points::restock)
        .page(Method::POST, "/redemptions/{redemption_id}", Some(ManagePoints), points::settle)
        .page(Method::GET, "/board/{community_id}", None, publicity::board)
        .page(Method::GET, "/communities/{community_id}/board", Some(ManagePublicRecord), publicity::manage)
        .page(Method::POST, "/communities/{community_id}/board", Some(ManagePublicRecord), publicity::add)
        .page(Method::POST, "/communities/{community_id}/board/within", Some(ManagePublicRecord), publicity::within)
        .page(
            Method::POST,
            "/communities/{community_id}/board/{record_id}/publish",
            Some(ManagePublicRecord),
            publicity::publish,
        )
        .page(
            Method::POST,
            "/communities/{community_id}/verifications/{verification_id}",
            Some(VerifyAccounts),
            accounts::verify::decide,
        )
        .page(Method::POST, "/account/tokens/{token_id}/revoke", Some(ManageOwnAccount), accounts::own::revoke_token)
        .page(Method::GET, "/communities/{community_id}/assemblies", Some(ViewAssemblies), assemblies::list)
        .page(Method::GET, "/communities/{community_id}/assemblies/new", Some(ManageAssemblies), assemblies::new_form)
        .page(Method::POST, "/communities/{community_id}/assemblies", Some(ManageAssemblies), assemblies::create)
        .page(Method::POST, "/communities/{community_id}/assembly-rule", Some(ManageAssemblies), assemblies::set_rule)
        .page(
            Method::GET,
            "/communities/{community_id}/petitions/new",
            Some(ViewAssemblies),
            assemblies::petitions::new_form,
        )
        .page(
            Method::POST,
            "/communities/{community_id}/petitions",
            Some(ViewAssemblies),
            assemblies::petitions::create,
        )
        .page(Method::GET, "/petitions/{petition_id}", Some(ViewAssemblies), assemblies::petitions::show)
        .page(Method::POST, "/petitions/{petition_id}/sign", Some(ViewAssemblies), assemblies::petitions::sign)
        .page(Method::POST, "/petitions/{petition_id}/withdraw", Some(ViewAssemblies), assemblies::petitions::withdraw)
        .page(Method::GET, "/assemblies/{assembly_id}", Some(ViewAssemblies), assemblies::show)
        .page(
            Method::GET,
            "/communities/{community_id}/committee",
            Some(ViewAssemblies),
            assemblies::committee::current,
        )
        .page(Method::GET, "/committees/{committee_id}", Some(ViewAssemblies), assemblies::committee::show)
        .page(
            Method::POST,
            "/committees/{committee_id}/meetings",
            Some(ManageAssemblies),
            assemblies::committee::meeting,
        )
        .page(Method::POST, "/committees/{committee_id}/filing", Some(ManageAssemblies), assemblies::committee::filing)
        .page(
            Method::POST,
            "/committees/{committee_id}/decisions",
            Some(ManageAssemblies),
            assemblies::committee::decision,
        )
        .page(
            Method::POST,
            "/committees/{committee_id}/decisions/{decision_id}/publish",
            Some(ManageAssemblies),
            assemblies::committee::publish_decision,
        )
        .page(Method::POST, "/assemblies/{assembly_id}/publish", Some(ManageAssemblies), assemblies::publish)
        .page(Method::POST, "/assemblies/{assembly_id}/count", Some(ManageAssemblies), assemblies::count)
        .page(Method::POST, "/assemblies/{assembly_id}/election", Some(ManageAssemblies), assemblies::election::seats)
        .page(
            Method::POST,
            "/assemblies/{assembly_id}/candidates",
            Some(ManageAssemblies),
            assemblies::election::add_candidate,
        )
        .page(
            Method::POST,
            "/assemblies/{assembly_id}/candidates/{candidate_id}/remove",
            Some(ManageAssemblies),
            assemblies::election::remove_candidate,
        )
        .page(Method::POST, "/assemblies/{assembly_id}/ballot", Some(ViewAssemblies), assemblies::vote)
        .page(Method::POST, "/assemblies/{assembly_id}/objections", Some(ViewAssemblies), assemblies::results::object)
        .page(
            Method::POST,
            "/assemblies/{assembly_id}/objections/{objection_id}/answer",
            Some(ManageAssemblies),
            assemblies::results::answer,
        )
        .page(Method::POST, "/assemblies/{assembly_id}/finalise", Some(ManageAssemblies), assemblies::results::finalise)
        .page(Method::GET, "/assemblies/{assembly_id}/notice", Some(ViewAssemblies), assemblies::results::notice)
        .page(Method::GET, "/assemblies/{assembly_id}/record", Some(ViewAssemblies), assemblies::results::record)
        .page(Method::GET, "/assemblies/{assembly_id}/roll", Some(ManageAssemblies), assemblies::desk::roll)
        .page(Method::GET, "/assemblies/{assembly_id}/ballots", Some(ManageAssemblies), assemblies::ballots::print)
        .page(
            Method::GET,
            "/assemblies/{assembly_id}/voters/{elector_id}",
            Some(ManageAssemblies),
            assemblies::desk::show_voter,
        )
        .upload(
            "/assemblies/{assembly_id}/voters/{elector_id}/paper",
            Some(ManageAssemblies),
            assemblies::desk::enter_paper,
            photo::UPLOAD_LIMIT,
        )
        .upload(
            "/assemblies/{assembly_id}/voters/{elector_id}/proxy",
            Some(ManageAssemblies),
            assemblies::desk::register_proxy,
            photo::UPLOAD_LIMIT,
        )
        .upload(
            "/assemblies/{assembly_id}/documents",
            Some(ManageAssemblies),
            assemblies::documents::add,
            assemblies::documents::UPLOAD_LIMIT,
        )
        .page(
            Method::POST,
            "/assemblies/{assembly_id}/documents/{document_id}/remove",
            Some(ManageAssemblies),
            assemblies::documents::remove,
        )
        .page(
            Method::GET,
            "/assemblies/{assembly_id}/documents/{document_id}",
            Some(ViewAssemblies),
            assemblies::documents::open,
        )
        .page(
            Method::POST,
            "/assemblies/{assembly_id}/proxies/{proxy_id}/revoke",
            Some(ManageAssemblies),
            assemblies::desk::revoke_proxy,
        )
        .page(
            Method::GET,
            "/assemblies/{assembly_id}/paper/{entry_id}/photo",
            Some(ManageAssemblies),
            assemblies::desk::paper_photo,
        )
        .page(
            Method::GET,
            "/assemblies/{assembly_id}/proxies/{proxy_id}/authorisation",
            Some(ManageAssemblies),
            assemblies::desk::authorisation,
        )
        .page(Method::GET, "/communities/{community_id}/grids/geojson", Some(ViewCommunity), grids::export)
        .page(Method::GET, "/communities/{community_id}/grids/import", Some(ManageGrids), grids::form)
        .upload("/communities/{community_id}/grids/import", Some(ManageGrids), grids::import, 8 * 1024 * 1024)
        .page(Method::GET, "/communities/{community_id}/buildings/import", Some(ManageGrids), building_import::form)
        .upload(
            "/communities/{community_id}/buildings/import",
            Some(ManageGrids),
            building_import::upload,
            8 * 1024 * 1024,
        )
        .page(Method::GET, "/communities/{community_id}/buildings/export", Some(ManageGrids), building_import::export)
        .page(Method::GET, "/communities/{community_id}/residents", Some(ViewResidents), residents::pages::list)
        .page(
            Method::POST,
            "/communities/{community_id}/residents/export",
            Some(ExportResidents),
            residents::pages::export,
        )
        .page(Method::GET, "/communities/{community_id}/residents/import", Some(ImportResidents), import::form)
        .upload("/communities/{community_id}/residents/import", Some(ImportResidents), import::check, 64 * 1024 * 1024)
        .page(
            Method::POST,
            "/communities/{community_id}/residents/import/{batch_id}",
            Some(ImportResidents),
            import::commit,
        )
        .page(Method::GET, "/residents/{resident_id}", Some(ViewResidents), residents::pages::show)
        .page(Method::POST, "/residents/{resident_id}/reveal", Some(RevealPersonalData), residents::pages::reveal)
        .page(Method::POST, "/residents/{resident_id}/tags", Some(ManageCare), residents::care::add_tag)
        .page(Method::POST, "/residents/{resident_id}/tags/{tag}/remove", Some(ManageCare), residents::care::remove_tag)
        .page(Method::POST, "/residents/{resident_id}/visits", Some(ManageCare), residents::care::record_visit)
        .page(Method::GET, "/communities/{community_id}/care/overdue", Some(ManageCare), residents::care::overdue)
        .page(Method::POST, "/residents/{resident_id}/move", Some(RecordMoves), residents::pages::record_move)
        .page(Method::GET, "/buildings/{building_id}", Some(ViewGrid), buildings::show)
        .page(Method::POST, "/buildings/{building_id}/grid", Some(ManageGrids), buildings::place)
        .page(Method::GET, "/households/{household_id}", Some(ViewResidents), buildings::household)
        .page(Method::POST, "/households/{household_id}/areas", Some(ManageOwnership), buildings::set_areas)
        .page(Method::POST, "/households/{household_id}/owners", Some(ManageOwnership), buildings::transfer)
        .page(Method::POST, "/grids/{grid_id}/workers", Some(ManageGrids), community::assign_duty)
        .page(Method::POST, "/grids/{grid_id}/workers/{account_id}/remove", Some(ManageGrids), community::remove_duty)
        .page(Method::GET, "/communities/{community_id}/cases", Some(ViewCases), cases::pages::list)
        .page(Method::GET, "/communities/{community_id}/cases/new", Some(ReportCase), cases::pages::new_form)
        .upload("/communities/{community_id}/cases", Some(ReportCase), cases::pages::create, photo::UPLOAD_LIMIT)
        .page(Method::GET, "/communities/{community_id}/indicators", Some(ViewIndicators), indicators::show)
        .page(Method::GET, "/communities/{community_id}/outcomes", Some(ViewIndicators), outcomes::community)
        .page(
            Method::GET,
            "/organisations/{organisation_id}/indicators",
            Some(ViewPartyFigures),
            indicators::show_party,
        )
        .page(Method::GET, "/organisations/{organisation_id}/scorecard", Some(ViewPartyFigures), scorecards::show)
        .page(Method::POST, "/organisations/{organisation_id}/records", Some(ViewPartyFigures), scorecards::add_record)
        .page(Method::POST, "/organisations/{organisation_id}/surveys", Some(ViewPartyFigures), scorecards::add_survey)
        .page(Method::GET, "/streets/{street_id}/assemblies", Some(ViewStreet), assemblies::street::show)
        .page(Method::GET, "/streets/{street_id}/scorecards", Some(ViewStreet), scorecards::street)
        .page(Method::GET, "/cases/{case_id}", Some(ViewCases), cases::pages::show)
        .upload("/cases/{case_id}/steps", Some(ActOnCases), cases::pages::step, photo::UPLOAD_LIMIT)
        .page(Method::GET, "/cases/{case_id}/photos/{photo_id}", Some(ViewCases), cases::pages::photo)
        .page(Method::POST, "/cases/{case_id}/merge", Some(ActOnCases), cases::pages::merge)
        .page(Method::POST, "/cases/{case_id}/mediation", Some(MediateDisputes), cases::disputes::record)
        .page(Method::GET, "/communities/{community_id}/disputes", Some(MediateDisputes), cases::disputes::list)
        .page(Method::POST, "/communities/{community_id}/sweeps", Some(ScreenDisputes), cases::disputes::record_sweep)
        .page(Method::GET, "/audit", Some(ViewAuditLog), residents::pages::audit)
        .page(Method::GET, "/account/data", Some(ViewOwnData), residents::pages::my_data)
        .page(Method::GET, "/account/data/export", Some(ViewOwnData), residents::pages::my_data_export)
        .page(Method::GET, "/admin/settings", Some(ManageSettings), settings::show)
        .page(Method::POST, "/admin/settings/calendar", Some(ManageSettings), settings::calendar)
        .page(Method::POST, "/admin/settings/limits", Some(ManageSettings), settings::limit)
        .page(Method::POST, "/admin/settings/rating", Some(ManageSettings), settings::rating)
        .page(Method::POST, "/admin/settings/self-governance", Some(ManageSettings), settings::self_governance)
        .page(Method::GET, "/admin/accounts", Some(ManageAccounts), accounts::admin::accounts)
        .page(Method::GET, "/admin/accounts/new", Some(ManageAccounts), accounts::admin::new_account)
        .page(Method::POST, "/admin/accounts", Some(ManageAccounts), accounts::admin::create_account)
        .page(
            Method::POST,
            "/admin/accounts/{account_id}/disable",
            Some(ManageAccounts),
            accounts::admin::disable_account,
        )
        .page(
            Method::POST,
            "/admin/accounts/{account_id}/enable",
            Some(ManageAccounts),
            accounts::admin::enable_account,
        )
        .page(
            Method::POST,
            "/communities/{community_id}/organisations",
            Some(ManageOrganisations),
            community::add_organisation,
        )
        // Open311 GeoReport v2 (posting needs an api_key, checked by the handler).
        .page(Method::GET, "/open311/v2/{resource}", None, open311::get)
        .upload("/open311/v2/{resource}", None, open311::post, photo::UPLOAD_LIMIT)
        .page(Method::GET, "/open311/v2/{kind}/{item}", None, open311::get_one)
        // Remote monitoring.
        .page(Method::GET, "/communities/{community_id}/alarms", Some(ViewMonitoring), monitoring::pages::board)
        .page(Method::GET, "/communities/{community_id}/alarms/events", Some(ViewMonitoring), monitoring::pages::events)
        .page(Method::POST, "/alarms/{alarm_id}/acknowledge", Some(HandleAlarms), monitoring::pages::acknowledge)
        .page(
            Method::POST,
            "/communities/{community_id}/alarms/acknowledge",
            Some(HandleAlarms),
            monitoring::pages::acknowledge_building,
        )
        .page(Method::POST, "/alarms/{alarm_id}/clear", Some(HandleAlarms), monitoring::pages::clear)
        .page(Method::GET, "/communities/{community_id}/devices", Some(ViewMonitoring), monitoring::pages::devices)
        .page(Method::POST, "/communities/{community_id}/devices", Some(ManageDevices), monitoring::pages::register)
        .page(Method::GET, "/devices/{device_id}", Some(ViewMonitoring), monitoring::pages::device)
        // Device messages over HTTP (the device's token is checked by the handler).
        // JSON API.
        .page(Method::GET, "/api/v1/openapi.json", None, ops::openapi)
        .api(Some(ViewHome), routes!(accounts::me::me))
        .api(Some(ViewCommunity), routes!(registry::api::list))
        .api(Some(ViewCommunity), routes!(registry::api::show))
        .api(Some(ViewGrid), routes!(registry::api::grid))
        .api(Some(ManageOwnAccount), routes!(accounts::tokens::list))
        .api(Some(ManageOwnAccount), routes!(accounts::tokens::create))
        .api(Some(ManageOwnAccount), routes!(accounts::tokens::revoke))
        .api(Some(ManageAccounts), routes!(accounts::api::list))
        .api(Some(ManageAccounts), routes!(accounts::api::create))
        .api(Some(ManageAccounts), routes!(accounts::api::update))
        .api(Some(ManageOrganisations), routes!(registry::api::add_organisation))
        .api(Some(ViewResidents), routes!(residents::api::list))
        .api(Some(ViewResidents), routes!(residents::api::show))
        .api(Some(RevealPersonalData), routes!(residents::api::reveal))
        .api(Some(ViewResidents), routes!(registry::property::units))
        .api(Some(ViewResidents), routes!(registry::property::stays))
        .api(Some(ViewElectorate), routes!(registry::property::electorate))
        .api(Some(ViewAssemblies), routes!(assemblies::api::list))
        .api(Some(ViewAssemblies), routes!(assemblies::api::show))
        .api(Some(ViewAssemblies), routes!(assemblies::api::vote))
        .api(Some(ViewCases), routes!(cases::api::list))
        .api(Some(ReportCase), routes!(cases::api::create))
        .api(Some(ViewCases), routes!(cases::api::show))
        .api(Some(ActOnCases), routes!(cases::api::step))
        .api(None, routes!(monitoring::telemetry::telemetry));
    let (api_router, openapi) = b.api.split_for_parts();
    let openapi = with_refusals(openapi, &b.catalog);
    Routes { router: b.router.merge(api_router), catalog: b.catalog, openapi }
}

/// Every API operation can also be refused before or beside its own answers, in the one
/// error shape; each operation that does not list these itself gets those that apply to it:
/// a path or query value that does not parse (400), no valid credential (401), a role
/// without the operation's permission or an object outside the caller's reach (403, where
/// some role lacks the permission), an id that names nothing (404, with a path parameter),
/// a body too large or not JSON (413, 415, with a body), a value that breaks a rule (422,
/// with a body or query parameters), no space to write (507).
fn with_refusals(mut doc: utoipa::openapi::OpenApi, catalog: &[RouteInfo]) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    struct Refusal {
        status: &'static str,
        description: &'static str,
        applies: fn(&Operation) -> bool,
    }
    struct Operation {
        has_body: bool,
        has_query: bool,
        has_path_id: bool,
        restricted: bool,
    }
    let refusals = [
        Refusal { status: "400", description: "A path or query value cannot be read", applies: |_| true },
        Refusal { status: "401", description: "No valid credential", applies: |_| true },
        Refusal {
            status: "403",
            description: "The caller's role may not do this, or the object is outside their reach",
            applies: |o| o.restricted,
        },
        Refusal {
            status: "404",
            description: "Nothing has this id (or it is not the caller's)",
            applies: |o| o.has_path_id,
        },
        Refusal { status: "413", description: "The body is too large", applies: |o| o.has_body },
        Refusal { status: "415", description: "The body is not JSON", applies: |o| o.has_body },
        Refusal {
            status: "422",
            description: "A value breaks a rule; `field` names it",
            applies: |o| o.has_body || o.has_query,
        },
        Refusal { status: "507", description: "The database has no space left; nothing was saved", applies: |_| true },
    ];
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, op) in operations {
            let Some(op) = op else { continue };
            let action = catalog.iter().find(|r| r.method == method && r.path == *path).and_then(|r| r.action);
            let params = op.parameters.as_deref().unwrap_or_default();
            let facts = Operation {
                has_body: op.request_body.is_some(),
                has_query: params.iter().any(|p| p.parameter_in == ParameterIn::Query),
                has_path_id: params.iter().any(|p| p.parameter_in == ParameterIn::Path),
                restricted: action.is_some_and(|a| !Role::ALL.iter().all(|r| linli_domain::permission::permits(*r, a))),
            };
            for refusal in refusals.iter().filter(|r| (r.applies)(&facts)) {
                op.responses.responses.entry(refusal.status.to_owned()).or_insert_with(|| {
                    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
                    RefOr::T(
                        ResponseBuilder::new()
                            .description(refusal.description)
                            .content("application/json", content)
                            .build(),
                    )
                });
            }
        }
    }
    doc
}
