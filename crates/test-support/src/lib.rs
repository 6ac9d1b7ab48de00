//! Test support: a database per test on either backend, the [`dual_backend_test!`]
//! macro that runs a test body on SQLite and on PostgreSQL, and [`TestApp`], which
//! drives the real router in-process with a small cookie jar, like a browser would.
//!
//! PostgreSQL runs when `LINLI_TEST_DATABASE_URL` names a server; each test gets its own
//! schema, dropped afterwards, so tests run in parallel without seeing each other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use linli_store::demo::{DemoReport, DemoSpec};
use linli_store::{PoolSettings, SecretKey, Store, Target};
use linli_web::WebSettings;
use rand::Rng;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// Runs `$body` twice: with `$db` on a fresh SQLite database and, when
/// `LINLI_TEST_DATABASE_URL` is set, on a fresh PostgreSQL schema.
#[macro_export]
macro_rules! dual_backend_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $db = $crate::TestDb::sqlite().await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($db) = $crate::TestDb::postgres().await else {
                    eprintln!("LINLI_TEST_DATABASE_URL is not set: PostgreSQL variant skipped");
                    return;
                };
                $body
            }
        }
    };
}

/// The fixed key of test databases.
pub fn test_key() -> SecretKey {
    SecretKey::from_bytes([7; 32])
}

/// A migrated, empty database that removes itself when dropped.
pub struct TestDb {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::SqliteDir(dir.path().join("data"));
        let store = Store::connect(&target, &PoolSettings::default(), test_key()).await.unwrap();
        store.migrate().await.unwrap();
        TestDb { store, _dir: Some(dir), pg_schema: None }
    }

    /// `None` when no PostgreSQL server is configured for tests.
    pub async fn postgres() -> Option<TestDb> {
        let url = std::env::var("LINLI_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())?;
        let schema = format!("t_{}", hex::encode(rand::thread_rng().r#gen::<[u8; 8]>()));
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&mut conn).await.unwrap();
        let settings = PoolSettings { max_connections: 4, pg_schema: Some(schema.clone()), ..PoolSettings::default() };
        let store = Store::connect(&Target::Postgres(url.clone()), &settings, test_key()).await.unwrap();
        store.migrate().await.unwrap();
        Some(TestDb { store, _dir: None, pg_schema: Some((url, schema)) })
    }
}

impl TestDb {
    /// A second store over the same database, as after a restart.
    pub async fn reopen(&self) -> Store {
        let (target, settings) = match (&self._dir, &self.pg_schema) {
            (Some(dir), _) => (Target::SqliteDir(dir.path().join("data")), PoolSettings::default()),
            (None, Some((url, schema))) => (
                Target::Postgres(url.clone()),
                PoolSettings { max_connections: 4, pg_schema: Some(schema.clone()), ..PoolSettings::default() },
            ),
            (None, None) => unreachable!("a test database is SQLite or PostgreSQL"),
        };
        Store::connect(&target, &settings, test_key()).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, schema)) = self.pg_schema.take() else { return };
        // Drop the schema from a separate thread: Drop cannot await.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await {
                    let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

/// A small demo: 和谐家园 with every role's account, 6 grids, 300 households, and two
/// weeks of cases (the last an open one of the demo resident's).
pub fn small_demo() -> DemoSpec {
    DemoSpec {
        households_per_community: 300,
        buildings_per_community: 12,
        case_days: 14,
        cases_per_day: 3,
        live_alarms: false,
        assemblies: false,
        ..DemoSpec::default()
    }
}

/// The router over a test database with the small demo loaded.
pub struct TestApp {
    pub router: Router,
    pub demo: DemoReport,
    /// The demo resident's building and household.
    pub demo_home: (i64, i64),
    pub db: TestDb,
    /// Where device messages go (the app's own).
    pub monitor: linli_monitor::Monitor,
}

impl TestApp {
    /// The first building (lowest id) of a grid.
    pub async fn building_in_grid(&self, grid_id: i64) -> i64 {
        self.db.store.buildings_in_grid(grid_id).await.unwrap().iter().map(|b| b.id).min().unwrap()
    }

    /// A case category's id by its code.
    pub async fn category_id(&self, code: &str) -> i64 {
        self.db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == code).unwrap().id
    }

    pub async fn new(db: TestDb) -> TestApp {
        Self::with_settings(db, WebSettings::default()).await
    }

    pub async fn with_settings(db: TestDb, settings: WebSettings) -> TestApp {
        let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
        let (router, state) = linli_web::app(db.store.clone(), settings);
        let household = db.store.resident(demo.resident_id).await.unwrap().household_id;
        let building = db.store.household(household).await.unwrap().building_id;
        TestApp { router, demo, demo_home: (building, household), db, monitor: state.monitor }
    }

    /// A browser with no cookies yet.
    pub fn browser(&self) -> Browser {
        Browser { router: self.router.clone(), cookies: BTreeMap::new(), csrf: String::new() }
    }

    /// A browser signed in as `login` with the demo password.
    pub async fn signed_in(&self, login: &str) -> Browser {
        let mut b = self.browser();
        let r = b.login(login, linli_store::demo::DEMO_PASSWORD).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "login as {login}: {}", r.text);
        b.refresh_csrf().await;
        b
    }

    /// The demo login of a role.
    pub fn login_of(&self, role: linli_domain::Role) -> String {
        self.demo.account(role).unwrap().login.clone()
    }
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    /// The raw body, for downloads that are not text.
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }
}

/// The China date `days` from today, as the store writes dates.
pub fn in_days(days: i64) -> String {
    (linli_store::today() + chrono::Duration::days(days)).to_string()
}

/// Moves an assembly's voting window to `opens` … `closes` days from today: how a test
/// lets the notice period or the window pass.
pub async fn set_voting_window(store: &Store, assembly_id: i64, opens: i64, closes: i64) {
    linli_store::transaction!(store, |tx| {
        linli_store::exec!(
            tx,
            sqlx::query("UPDATE assemblies SET opens_on = $1, closes_on = $2 WHERE id = $3")
                .bind(in_days(opens))
                .bind(in_days(closes))
                .bind(assembly_id)
        )?
    })
    .unwrap_or_else(|e| panic!("moving the voting window: {e}"));
}

/// A multipart form body (fields, then files as `(input name, file name, bytes)`) and its
/// content type.
pub fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "linliTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// An in-process browser: keeps cookies and the page's CSRF token.
#[derive(Clone)]
pub struct Browser {
    router: Router,
    pub cookies: BTreeMap<String, String>,
    pub csrf: String,
}

impl Browser {
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.header(header::COOKIE, cookie);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some((content_type, bytes)) => req.header(header::CONTENT_TYPE, content_type).body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let response = self.router.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let pair = set.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let removed = set.contains("Max-Age=0") || value.is_empty();
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        // An event stream never ends: the reply is its head, as a browser sees it open.
        if headers.get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream")) {
            return Reply { status, headers, text: String::new(), body: Vec::new() };
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, text: String::from_utf8_lossy(&bytes).into_owned(), body: bytes.to_vec() }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    /// Posts a form, adding the CSRF token the page carried.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(String, String)> = vec![("_csrf".into(), self.csrf.clone())];
        all.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let body = serde_urlencoded::to_string(&all).unwrap().into_bytes();
        self.send(Method::POST, path, Some(("application/x-www-form-urlencoded", body)), &[]).await
    }

    /// Sends JSON with the CSRF header, as the API expects from a browser session.
    /// Posts a multipart form (fields, then files as `(input name, file name, bytes)`),
    /// with the CSRF token in the query as a browser's form would carry it in its body.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Reply {
        let (content_type, body) = multipart(fields, files);
        let sep = if path.contains('?') { '&' } else { '?' };
        let csrf = self.csrf.clone();
        self.send(Method::POST, &format!("{path}{sep}_csrf={csrf}"), Some((&content_type, body)), &[]).await
    }

    pub async fn send_json(&mut self, method: Method, path: &str, json: &serde_json::Value) -> Reply {
        let csrf = self.csrf.clone();
        self.send(method, path, Some(("application/json", json.to_string().into_bytes())), &[("x-csrf-token", &csrf)])
            .await
    }

    /// Reads the CSRF token from a page, as the page's forms would carry it.
    pub async fn refresh_csrf(&mut self) {
        let page = self.get("/login").await;
        let page = if page.status == StatusCode::SEE_OTHER { self.get("/account").await } else { page };
        self.csrf = csrf_of(&page.text).unwrap_or_default();
    }

    pub async fn login(&mut self, login: &str, password: &str) -> Reply {
        self.refresh_csrf().await;
        self.post_form("/login", &[("login", login), ("password", password)]).await
    }
}

/// The CSRF token embedded in a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let start = html.find("name=\"csrf-token\" content=\"")? + "name=\"csrf-token\" content=\"".len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The Chinese text of a message key, for asserting that a page says what the catalog
/// says (a wording change in the catalog does not break the test; a missing key does).
pub fn zh(key: &'static str) -> &'static str {
    let t = linli_web::i18n::Tr::new(linli_web::i18n::Lang::Zh);
    assert!(t.has(key), "no message {key}");
    t.get(key)
}

/// The Chinese text of a message key with its placeholders filled, as a page shows it.
pub fn zh_fill(key: &'static str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let t = linli_web::i18n::Tr::new(linli_web::i18n::Lang::Zh);
    assert!(t.has(key), "no message {key}");
    t.fill(key, args)
}

/// A new resident account of `community_id` that signs in as `username` with the demo
/// password, linked to nobody yet.
pub async fn resident_account(store: &Store, community_id: i64, username: &str, name: &str) -> i64 {
    use linli_domain::identity::{DisplayName, NewPassword, Username};
    use linli_store::accounts::{NewAccount, NewAssignment};
    store
        .create_account(&NewAccount {
            username: Some(Username::parse("username", username).unwrap()),
            phone: None,
            display_name: DisplayName::parse("display_name", name).unwrap(),
            password: NewPassword::parse("password", linli_store::demo::DEMO_PASSWORD).unwrap(),
            assignments: vec![NewAssignment {
                role: linli_domain::Role::Resident,
                street_id: None,
                community_id: Some(community_id),
                organisation_id: None,
            }],
            grid_ids: Vec::new(),
        })
        .await
        .unwrap()
}

/// A new resident account of `community_id` verified as the registry's `resident` (as staff
/// confirming it would leave it).
pub async fn verified_account(store: &Store, community_id: i64, username: &str, resident: i64) -> i64 {
    let account = resident_account(store, community_id, username, "邻居").await;
    crate::sql(store, "UPDATE accounts SET resident_id = $1 WHERE id = $2", &[resident, account]).await;
    account
}

/// Runs one statement that changes rows, its `$n` bound to `args` in order.
pub async fn sql(store: &Store, statement: &str, args: &[i64]) -> u64 {
    linli_store::transaction!(store, |tx| {
        linli_store::on!(tx, |c| {
            let mut q = sqlx::query(statement);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?
    })
    .unwrap()
}

/// Sells the community's first unit to a person who lives elsewhere (on the property
/// register, not among the residents) with this name, ID number and phone; returns the new
/// owner of record.
pub async fn absentee_owner(store: &Store, community_id: i64, name: &str, id_number: &str, phone: &str) -> i64 {
    use linli_domain::identity::Phone;
    use linli_domain::person::IdNumber;
    use linli_store::ownership::NewHolder;
    let unit: i64 = linli_store::read!(store, |d| {
        sqlx::query_scalar(
            "SELECT household_id FROM ownerships WHERE community_id = $1 AND until IS NULL ORDER BY household_id LIMIT 1",
        )
        .bind(community_id)
        .fetch_one(d)
        .await
        .unwrap()
    });
    let buyer = NewHolder::Person {
        name: name.into(),
        id_number: IdNumber::parse("id_number", id_number, linli_store::today()).unwrap(),
        phone: Some(Phone::parse("phone", phone).unwrap()),
    };
    store.transfer_unit(unit, &[buyer], linli_store::today()).await.unwrap();
    store.unit_owners(unit).await.unwrap().into_iter().find(|o| o.until.is_none()).unwrap().owner_id
}
