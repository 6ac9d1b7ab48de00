//! The frame around every page: [`Chrome`] (language, user, navigation, CSRF token),
//! [`render`] for a page, and the friendly error page. Templates autoescape; no HTML is
//! built with `format!`.

use crate::context::Ctx;
use crate::i18n::{Lang, Tr};
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use linli_domain::Action;

/// One entry of the navigation bar.
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// The frame around every page.
pub struct Chrome {
    pub t: Tr,
    pub lang: Lang,
    pub title: String,
    pub csrf: String,
    pub user_name: Option<String>,
    pub user_roles: Vec<&'static str>,
    pub nav: Vec<NavItem>,
    pub path: String,
    pub request_id: String,
}

impl Chrome {
    pub fn new(ctx: &Ctx, title: impl Into<String>) -> Chrome {
        let t = ctx.tr();
        let mut nav = Vec::new();
        let mut user_roles = Vec::new();
        if let Some(p) = ctx.principal() {
            let mut push = |href: String, key: &'static str| {
                nav.push(NavItem { href, label: t.get(key), current: false });
            };
            push("/".into(), "nav.home");
            if let Some(c) = p.community_ids(Action::ViewCommunity).first() {
                push(format!("/communities/{c}"), "nav.community");
            }
            if let Some(c) = p.community_ids(Action::ViewCases).first() {
                push(format!("/communities/{c}/cases"), "nav.cases");
            }
            if let Some(c) = p.community_ids(Action::ViewIndicators).first() {
                push(format!("/communities/{c}/indicators"), "nav.indicators");
            } else if let Some(o) = p.organisations().next() {
                // A party's staff see their own party's figures.
                push(format!("/organisations/{o}/indicators"), "nav.indicators");
            }
            if let Some(c) = p.community_ids(Action::ViewMonitoring).first() {
                push(format!("/communities/{c}/alarms"), "nav.alarms");
            }
            if let Some(c) = p.community_ids(Action::ViewResidents).first() {
                push(format!("/communities/{c}/residents"), "nav.residents");
            }
            if let Some(s) = p.assignments.iter().find_map(|a| a.street_id.filter(|_| p.can(Action::ViewStreet))) {
                push(format!("/streets/{s}"), "nav.street");
            } else if p.can(Action::ViewStreet) {
                push("/streets".into(), "nav.street");
            }
            if p.can(Action::ManageAccounts) {
                push("/admin/accounts".into(), "nav.accounts");
            }
            if p.can(Action::ManageSettings) {
                push("/admin/settings".into(), "nav.settings");
            }
            if p.can(Action::ViewAuditLog) {
                push("/audit".into(), "nav.audit");
            }
            if p.can(Action::ViewOwnData) {
                push("/account/data".into(), "nav.mydata");
            }
            push("/inbox".into(), "nav.inbox");
            push("/account".into(), "nav.account");
            // The current item is the one whose link is the longest prefix of the path.
            let best = nav
                .iter()
                .enumerate()
                .filter(|(_, i)| if i.href == "/" { ctx.path == "/" } else { ctx.path.starts_with(&i.href) })
                .max_by_key(|(_, i)| i.href.len())
                .map(|(n, _)| n);
            if let Some(n) = best {
                nav[n].current = true;
            }
            user_roles = p.roles().map(|r| t.role(r)).collect();
            user_roles.dedup();
        }
        Chrome {
            t,
            lang: ctx.lang,
            title: title.into(),
            csrf: ctx.csrf.clone(),
            user_name: ctx.principal().map(|p| p.display_name.clone()),
            user_roles,
            nav,
            path: ctx.path.clone(),
            request_id: ctx.request_id.clone(),
        }
    }

    /// Label of the language switch: the name of the other language, in itself.
    pub fn other_lang_label(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "English",
            Lang::En => "中文",
        }
    }

    pub fn other_lang_tag(&self) -> &'static str {
        self.lang.other().html_tag()
    }

    pub fn other_lang(&self) -> &'static str {
        self.lang.other().as_str()
    }
}

/// Renders a template with a status; pages are private and never cached.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => {
            let mut r = (status, Html(html)).into_response();
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => crate::error::AppError::from(e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    message: &'a str,
    signed_in: bool,
}

/// The friendly error page, quoting the request id that is in the log.
pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let t = ctx.tr();
    let heading = t.get(match status {
        StatusCode::NOT_FOUND => "error.title.404",
        StatusCode::FORBIDDEN => "error.title.403",
        StatusCode::TOO_MANY_REQUESTS => "error.title.429",
        s if s.is_client_error() => "error.title.400",
        _ => "error.title",
    });
    let page = ErrorPage {
        chrome: Chrome::new(ctx, heading),
        status: status.as_u16(),
        heading,
        message,
        signed_in: ctx.user.is_some(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            (status, message.to_owned()).into_response()
        }
    }
}

/// Formats epoch milliseconds in China Standard Time for display.
pub fn format_ms(ms: i64) -> String {
    linli_domain::worktime::china_time(ms).format("%Y-%m-%d %H:%M").to_string()
}
