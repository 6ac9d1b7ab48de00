//! The real `linli` binary: started on port 0, used with a real HTTP client and a real
//! browser, refused bad configuration, backed up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_linli");
const PASSWORD: &str = "linli2026";

/// A running server, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    base: String,
    banner: Vec<String>,
}

impl Drop for Server {
    /// A test that fails half-way still leaves no server behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Server {
    #[allow(clippy::zombie_processes, reason = "the child is reaped in Server's Drop")]
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(["--addr", "127.0.0.1:0", "--demo", "--households", "200"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        loop {
            let line = rx.recv_timeout(Duration::from_secs(120)).expect("the server printed its address in time");
            if let Some(addr) = line.strip_prefix("Linli listening on ") {
                return Server { child, base: addr.trim().to_owned(), banner };
            }
            banner.push(line);
        }
    }

    /// SIGTERM, then the exit status.
    fn stop(&mut self) -> std::process::ExitStatus {
        Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        self.child.kill().unwrap();
        panic!("the server did not stop on SIGTERM");
    }
}

/// The master key the PostgreSQL runs use.
const TEST_KEY: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// A schema of its own in the test database (`LINLI_TEST_DATABASE_URL`), dropped at the end.
struct PgSchema {
    admin: String,
    name: String,
    /// The database URL with this schema as the search path.
    url: String,
}

impl PgSchema {
    /// `None` (and a note) without `LINLI_TEST_DATABASE_URL`.
    fn new(prefix: &str) -> Option<PgSchema> {
        let Ok(admin) = std::env::var("LINLI_TEST_DATABASE_URL") else {
            eprintln!("LINLI_TEST_DATABASE_URL is not set: skipped");
            return None;
        };
        let name = format!("{prefix}_{}", std::process::id());
        let url = format!("{admin}{}options=-c%20search_path%3D{name}", if admin.contains('?') { '&' } else { '?' });
        let schema = PgSchema { admin, name, url };
        assert!(schema.psql(&format!("DROP SCHEMA IF EXISTS {0} CASCADE; CREATE SCHEMA {0}", schema.name)));
        Some(schema)
    }

    fn psql(&self, sql: &str) -> bool {
        let mut c = Command::new("psql");
        c.env("PGOPTIONS", "--client-min-messages=warning").args([self.admin.as_str(), "-qc", sql]);
        c.status().unwrap().success()
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        self.psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
    }
}

fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf-token\" content=\"";
    let start = html.find(marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

async fn log_in_over_http(base: &str, login: &str) -> String {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("演示账号"), "the demo login page lists the demo accounts");
    let form = [("_csrf", csrf_of(&page)), ("login", login.to_owned()), ("password", PASSWORD.to_owned())];
    let home = client.post(format!("{base}/login")).form(&form).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert_eq!(home.url().path(), "/");
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    home.text().await.unwrap()
}

#[tokio::test]
async fn the_binary_serves_the_demo_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&["--data", data.to_str().unwrap()]);
    assert!(server.banner.iter().any(|l| l.contains("和谐家园")), "{:?}", server.banner);
    assert!(server.banner.iter().any(|l| l.contains("grid_worker") && l.contains("wangge1")));
    let home = log_in_over_http(&server.base, "wangge1").await;
    assert!(home.contains("刘洋，您好") && home.contains("我负责的网格"));
    let status = server.stop();
    assert!(status.success(), "exit status {status}");
    assert!(data.join("linli.db").is_file() && data.join("secret.key").is_file());

    // A second start keeps the data and does not load the demo twice.
    let mut again = Server::start(&["--data", data.to_str().unwrap()]);
    assert!(again.banner.iter().any(|l| l.contains("already holds data")), "{:?}", again.banner);
    log_in_over_http(&again.base, "13800138000").await;
    assert!(again.stop().success());
}

/// SIGTERM with an alarm board open: its event stream ends (with an event asking the
/// board to come back), and the process exits well within the stop's 10 s.
#[tokio::test]
async fn a_stop_ends_the_alarm_boards_event_stream() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&["--data", data.to_str().unwrap()]);
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = client.get(format!("{}/login", server.base)).send().await.unwrap().text().await.unwrap();
    let form = [("_csrf", csrf_of(&page)), ("login", "shequ".to_owned()), ("password", PASSWORD.to_owned())];
    client.post(format!("{}/login", server.base)).form(&form).send().await.unwrap();
    let mut board = client.get(format!("{}/communities/1/alarms/events", server.base)).send().await.unwrap();
    assert_eq!(board.status(), 200);
    assert_eq!(board.headers()["content-type"], "text/event-stream");
    // The stream is open and holds the connection; read what it sends until it ends.
    let reader = tokio::spawn(async move {
        let mut seen = String::new();
        while let Ok(Some(chunk)) = board.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        seen
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(started.elapsed() < Duration::from_secs(5), "stopped in {:?}", started.elapsed());
    let seen = tokio::time::timeout(Duration::from_secs(5), reader).await.unwrap().unwrap();
    assert!(seen.contains("event: closing") && seen.contains("retry: 2000"), "the board is told to come back: {seen}");
}

#[tokio::test]
async fn the_binary_runs_on_postgresql() {
    let Some(db) = PgSchema::new("bin") else { return };
    let mut server = Server::start(&["--database-url", &db.url, "--secret-key", TEST_KEY]);
    let home = log_in_over_http(&server.base, "shuji").await;
    assert!(home.contains("社区网格"));
    assert!(server.stop().success());
}

/// Open311 client libraries someone else wrote (`three`, `georeport`, from PyPI) post and
/// read requests on the real server. `.ci/run` makes their venv and sets
/// `LINLI_OPEN311_PYTHON`; without it the test is skipped (CI requires it).
#[tokio::test]
async fn outside_open311_clients_post_and_read_requests() {
    let Ok(python) = std::env::var("LINLI_OPEN311_PYTHON") else {
        assert!(std::env::var("LINLI_REQUIRE_OPEN311_CLIENTS").is_err(), "LINLI_OPEN311_PYTHON is required");
        eprintln!("LINLI_OPEN311_PYTHON is not set: skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&["--data", data.to_str().unwrap()]);
    let key = server
        .banner
        .iter()
        .find_map(|l| l.split("api_key for this run: ").nth(1))
        .expect("serve --demo prints an Open311 key")
        .trim()
        .to_owned();
    // A point inside a grid: where a demo request is.
    let requests: serde_json::Value =
        reqwest::get(format!("{}/open311/v2/requests.json", server.base)).await.unwrap().json().await.unwrap();
    let first = requests.as_array().unwrap().iter().find(|r| r["lat"].is_number()).expect("a located request");
    let (lat, lon) = (first["lat"].to_string(), first["long"].to_string());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/open311/clients.py");
    let out = Command::new(python)
        .arg(script)
        .args([&format!("{}/open311/v2/", server.base), &key, "0101", &lat, &lon])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("all checks passed"), "{printed}");
    assert!(server.stop().success());
}

#[test]
fn an_open311_key_is_printed_alone_and_works_once_made() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out, err) = linli(&["open311-key", "--data", data.to_str().unwrap(), "create", "--name", "街道 App"]);
    assert!(ok, "{err}");
    let key = out.trim_end_matches('\n');
    assert!(key.starts_with("o311_") && key.len() > 40 && !key.contains(char::is_whitespace), "only the key: {out:?}");
    let (ok, listed, _) = linli(&["open311-key", "--data", data.to_str().unwrap(), "list"]);
    assert!(ok && listed.contains("街道 App") && listed.contains("active") && !listed.contains(key));
    let (ok, _, err) = linli(&["open311-key", "--data", data.to_str().unwrap(), "create", "--name", " "]);
    assert!(!ok && !err.is_empty(), "a key needs a name");
}

fn linli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN).args(args).env_remove("LINLI_SECRET_KEY").output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_database_settings_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.db");
    let (ok, _, err) = linli(&["migrate", "--database-url", missing.to_str().unwrap()]);
    assert!(!ok && err.contains("does not exist"), "{err}");
    assert!(!missing.exists(), "no empty database was created");

    let typo = dir.path().join("typo/data");
    let (ok, _, err) = linli(&["migrate", "--data", typo.to_str().unwrap()]);
    assert!(!ok && err.contains("does not exist"), "{err}");

    let (ok, _, err) =
        linli(&["migrate", "--database-url", "postgres://postgres@127.0.0.1:1/none", "--secret-key", TEST_KEY]);
    assert!(!ok && err.contains("cannot reach PostgreSQL"), "{err}");
    let (ok, _, err) = linli(&["migrate", "--database-url", "postgres://postgres@127.0.0.1:1/none"]);
    assert!(!ok && err.contains("LINLI_SECRET_KEY"), "{err}");
}

#[test]
fn backup_writes_a_copy_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, out, err) = linli(&["demo", "--data", data.to_str().unwrap(), "--households", "100"]);
    assert!(ok, "{err}");
    assert!(out.contains("100 households"), "{out}");
    let copy = dir.path().join("copy.db");
    let (ok, _, err) = linli(&["backup", copy.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(copy.metadata().unwrap().len() > 100_000);
    let (ok, _, err) = linli(&["backup", copy.to_str().unwrap(), "--data", data.to_str().unwrap()]);
    assert!(!ok && err.contains("already exists"), "{err}");
    // The copy is a working database.
    let (ok, _, err) = linli(&["migrate", "--database-url", copy.to_str().unwrap(), "--secret-key", TEST_KEY]);
    assert!(ok, "{err}");
}

#[test]
fn print_config_shows_the_defaults_and_hides_secrets() {
    let (ok, out, _) = linli(&["print-config", "--database-url", "postgres://u:hunter2@db/linli"]);
    assert!(ok);
    assert!(out.contains("addr = \"127.0.0.1:8080\"") && out.contains("session_hours = 12"), "{out}");
    assert!(!out.contains("hunter2") && out.contains("u:***@db"), "{out}");
}

/// Finds chromedriver, or says why the browser test cannot run.
fn chromedriver() -> Option<&'static str> {
    ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].into_iter().find(|p| Path::new(p).exists())
}

#[tokio::test]
async fn a_person_logs_in_with_a_real_browser_at_phone_and_desk_widths() {
    let Some(driver_bin) = chromedriver() else {
        assert!(std::env::var("LINLI_REQUIRE_BROWSER").is_err(), "chromedriver is required but missing");
        eprintln!("chromedriver not installed: browser test skipped");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(&["--data", dir.path().join("data").to_str().unwrap()]);
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new(driver_bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let result = drive_browser(&server.base, port).await;
    driver.kill().ok();
    driver.wait().ok();
    assert!(server.stop().success());
    result.unwrap();
}

async fn browser(port: u16, phone: bool) -> Result<fantoccini::Client, Box<dyn std::error::Error>> {
    let mut options = serde_json::json!({
        "binary": "/usr/bin/chromium",
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage", "--no-first-run", "--window-size=1280,900"]
    });
    if phone {
        options["mobileEmulation"] =
            serde_json::json!({"deviceMetrics": {"width": 360, "height": 780, "pixelRatio": 2}});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    for _ in 0..50 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match fantoccini::ClientBuilder::new(connector)
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Ok(c),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    Err("chromedriver did not accept a session".into())
}

async fn sign_in(c: &fantoccini::Client, login: &str) -> Result<(), Box<dyn std::error::Error>> {
    use fantoccini::Locator;
    c.find(Locator::Id("login")).await?.send_keys(login).await?;
    c.find(Locator::Id("password")).await?.send_keys(PASSWORD).await?;
    c.find(Locator::Css("form.form button[type=submit]")).await?.click().await?;
    Ok(())
}

/// The layout guard (see `layout.js`): what a person would notice on a phone or at a desk.
const LAYOUT: &str = include_str!("layout.js");

/// The page in the browser passes the layout guard.
async fn fits(c: &fantoccini::Client, what: &str) -> Result<(), Box<dyn std::error::Error>> {
    let faults: Vec<String> = serde_json::from_value(c.execute(LAYOUT, vec![]).await?)?;
    assert!(faults.is_empty(), "{what} at {} ({}):\n{}", c.current_url().await?, what, faults.join("\n"));
    Ok(())
}

/// The login form as a person sees it: the layout guard, and a sign-in button whose label
/// sits on one line (a stray class once squeezed the card to 80 px and the inputs to 53).
async fn login_layout(c: &fantoccini::Client, width: &str) -> Result<(), Box<dyn std::error::Error>> {
    fits(c, &format!("the login page at {width} width")).await?;
    let height = c
        .execute(
            "return document.querySelector('main form.form button[type=submit]').getBoundingClientRect().height",
            vec![],
        )
        .await?;
    assert!(height.as_f64().unwrap_or(100.0) <= 64.0, "the sign-in button's label wraps at {width} width");
    Ok(())
}

/// Every role signs in from `/login` and walks the pages of its task, at a phone's and a
/// desk's width; each page passes the layout guard and is kept as a screenshot.
async fn walk_every_role(base: &str, port: u16, shots: &Path) -> Result<(), Box<dyn std::error::Error>> {
    use fantoccini::Locator;
    let community = format!("{base}/communities/1");
    // A role's login and the pages of its task beyond its home; "first:/cases/" opens the
    // first link to a case that the page before it shows.
    let case = || "first:/cases/".to_owned();
    let party_figures = || "first:/organisations/".to_owned();
    let walks: [(&str, Vec<String>); 9] = [
        ("13800138000", vec![format!("{community}/cases/new"), format!("{base}/"), case()]),
        (
            "wangge1",
            vec![format!("{community}/cases/new"), format!("{community}/cases"), case(), format!("{base}/grids/1")],
        ),
        (
            "shequ",
            vec![format!("{community}/cases"), case(), format!("{community}/alarms"), format!("{community}/devices")],
        ),
        ("shuji", vec![community.clone(), format!("{community}/indicators"), format!("{base}/audit")]),
        ("jiedao", vec![]),
        ("yeweihui", vec![party_figures(), format!("{community}/cases"), case()]),
        ("wuye", vec![party_figures(), format!("{community}/cases")]),
        ("shegong", vec![party_figures()]),
        ("admin", vec![]),
    ];
    for phone in [true, false] {
        let width = if phone { "phone" } else { "desk" };
        let c = browser(port, phone).await?;
        for (login, pages) in &walks {
            c.delete_all_cookies().await?;
            c.goto(&format!("{base}/login")).await?;
            login_layout(&c, width).await?;
            sign_in(&c, login).await?;
            c.wait().for_element(Locator::Css("main h1")).await?;
            fits(&c, &format!("{login}'s home at {width} width")).await?;
            std::fs::write(shots.join(format!("walk-{login}-home-{width}.png")), c.screenshot().await?)?;
            for (i, page) in pages.iter().enumerate() {
                if let Some(prefix) = page.strip_prefix("first:") {
                    // The first such link a person can see (a list shows a table at a desk
                    // and cards on a phone).
                    let href = c
                        .execute(
                            "return Array.from(document.querySelectorAll(\"main a[href^='\" + arguments[0] + \"']\"))\
                             .find(a => a.offsetParent !== null).href",
                            vec![serde_json::json!(prefix)],
                        )
                        .await?;
                    c.goto(href.as_str().ok_or_else(|| format!("no link to {prefix} in sight for {login}"))?).await?;
                    c.wait().for_element(Locator::Css("main h1")).await?;
                } else {
                    c.goto(page).await?;
                }
                fits(&c, &format!("{login}'s page {i} at {width} width")).await?;
                std::fs::write(shots.join(format!("walk-{login}-{i}-{width}.png")), c.screenshot().await?)?;
            }
        }
        c.close().await?;
    }
    Ok(())
}

async fn drive_browser(base: &str, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    use fantoccini::Locator;
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&shots)?;

    // A grid worker on a phone (360 px wide).
    let c = browser(port, true).await?;
    c.goto(&format!("{base}/grids/1")).await?;
    // Not signed in: the browser lands on the login form, which remembers where to go.
    assert!(c.current_url().await?.as_str().contains("/login?next=%2Fgrids%2F1"));
    std::fs::write(shots.join("login-phone.png"), c.screenshot().await?)?;
    login_layout(&c, "phone").await?;
    sign_in(&c, "wangge1").await?;
    // The grid page's figures appear only once the browser has followed the redirect.
    c.wait().for_element(Locator::Css("section.stats")).await?;
    assert_eq!(c.current_url().await?.path(), "/grids/1");
    assert_eq!(c.find(Locator::Css("h1")).await?.text().await?, "第1网格");
    std::fs::write(shots.join("grid-phone.png"), c.screenshot().await?)?;
    // The grid worker's residents, searched by pinyin initials, then one resident revealed.
    c.goto(&format!("{base}/communities/1/residents?q=zw")).await?;
    let first = c.wait().for_element(Locator::Css("table.table tbody a")).await?;
    std::fs::write(shots.join("residents-phone.png"), c.screenshot().await?)?;
    first.click().await?;
    c.wait().for_element(Locator::Id("reason")).await?.send_keys("入户走访前电话联系").await?;
    c.find(Locator::Css("form[action$='/reveal'] button")).await?.click().await?;
    let revealed = c.wait().for_element(Locator::Id("revealed")).await?.text().await?;
    assert_eq!(revealed.len(), 11, "a full mobile number: {revealed}");
    std::fs::write(shots.join("resident-phone.png"), c.screenshot().await?)?;
    c.goto(base).await?;
    let greeting = c.wait().for_element(Locator::Css("h1")).await?.text().await?;
    assert_eq!(greeting, "刘洋，您好");
    let width = c.execute("return window.innerWidth", vec![]).await?;
    assert_eq!(width.as_i64(), Some(360));
    // At 360 px the page does not scroll sideways.
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await?;
    assert!(overflow.as_i64().unwrap_or(1) <= 0, "horizontal overflow at phone width: {overflow}");
    std::fs::write(shots.join("home-phone.png"), c.screenshot().await?)?;
    // The language switch in the header.
    c.find(Locator::Css("header form button")).await?.click().await?;
    let english = c.wait().for_element(Locator::XPath("//h1[starts-with(., 'Hello')]")).await?.text().await?;
    assert_eq!(english, "Hello, 刘洋");
    c.close().await?;

    // The community director at a desk.
    let c = browser(port, false).await?;
    c.goto(&format!("{base}/login")).await?;
    login_layout(&c, "desk").await?;
    sign_in(&c, "shuji").await?;
    c.wait().for_element(Locator::XPath("//h1[contains(., '王秀英')]")).await?;
    std::fs::write(shots.join("home-desk.png"), c.screenshot().await?)?;
    c.goto(&format!("{base}/communities/1")).await?;
    c.wait().for_element(Locator::Css("svg.map")).await?;
    std::fs::write(shots.join("community-desk.png"), c.screenshot().await?)?;
    // On the report form's map a building is a numbered block: clicking it chooses it.
    c.goto(&format!("{base}/communities/1/cases/new")).await?;
    let block = c.wait().for_element(Locator::Css("svg.picker g.bpick:nth-of-type(12)")).await?;
    let id = block.attr("data-building").await?.ok_or("a block names its building")?;
    block.click().await?;
    let chosen = c.execute("return document.getElementById('building_id').value", vec![]).await?;
    assert_eq!(chosen.as_str(), Some(id.as_str()), "clicking a building on the map chooses it");
    c.goto(&format!("{base}/account")).await?;
    std::fs::write(shots.join("account-desk.png"), c.screenshot().await?)?;
    c.goto(&format!("{base}/audit")).await?;
    let audit = c.wait().for_element(Locator::Css("main")).await?.text().await?;
    assert!(audit.contains("入户走访前电话联系"), "the director sees the grid worker's reveal");
    std::fs::write(shots.join("audit-desk.png"), c.screenshot().await?)?;
    c.close().await?;
    walk_every_role(base, port, &shots).await
}

/// An outside OpenAPI fuzzer (schemathesis, from PyPI) sends generated requests, valid and
/// not, to every operation of the real binary as four roles, with every check on: no server
/// error, every status and body as documented, every request outside the schema refused,
/// every request inside it accepted (but for the rules listed in `fuzz/schemathesis.toml`).
/// `.ci/run` installs it and sets `LINLI_SCHEMATHESIS`; without it the test is skipped.
#[tokio::test]
async fn the_api_keeps_its_openapi_promises_under_an_outside_fuzzer() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    fuzz_the_api(&["--data", data.to_str().unwrap()]).await;
}

/// The same on PostgreSQL (skipped without `LINLI_TEST_DATABASE_URL`).
#[tokio::test]
async fn the_api_keeps_its_openapi_promises_on_postgresql() {
    let Some(db) = PgSchema::new("fuzz") else { return };
    fuzz_the_api(&["--database-url", &db.url, "--secret-key", TEST_KEY]).await;
}

async fn fuzz_the_api(args: &[&str]) {
    let Ok(st) = std::env::var("LINLI_SCHEMATHESIS") else {
        assert!(std::env::var("LINLI_REQUIRE_FUZZER").is_err(), "LINLI_SCHEMATHESIS is required");
        eprintln!("LINLI_SCHEMATHESIS is not set: skipped");
        return;
    };
    let server = Server::start(args);
    // Schemathesis keeps a cache where it runs: not in the repository.
    let workdir = tempfile::tempdir().unwrap();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/schemathesis.toml");
    let run = |token: &str, scope: &[&str]| {
        let out = Command::new(&st)
            .current_dir(workdir.path())
            .arg("--config-file")
            .arg(&config)
            .args(["run", &format!("{}/api/v1/openapi.json", server.base), "--checks", "all"])
            .args(["--max-examples", "25", "--workers", "1", "--no-color", "--seed", "20261203"])
            .args(["-H", &format!("Authorization: Bearer {token}")])
            .args(scope)
            .output()
            .expect("schemathesis runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "schemathesis found failures:\n{report}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(report.contains(" passed"), "{report}");
    };
    // A token is revoked by id, so revoking is tried with a token of its own, after the
    // others; the administrator, who can disable any other account (and so sign it out),
    // goes last.
    for login in ["13800138000", "wangge1", "shequ"] {
        let (token, _) = api_token(&server.base, login).await;
        run(&token, &["--exclude-path", "/api/v1/tokens/{token_id}"]);
    }
    let (token, _) = api_token(&server.base, "shuji").await;
    run(&token, &["--include-path", "/api/v1/tokens/{token_id}"]);
    let (token, _) = api_token(&server.base, "admin").await;
    run(&token, &["--exclude-path", "/api/v1/tokens/{token_id}"]);
}

/// kill -9 during case intake and device telemetry, three times: every report the server
/// acknowledged is there after the restart, a retry with its key returns the first case,
/// no report is made twice, whether or not its first answer got through; and every message
/// acknowledged as stored is there (sent again, it is a duplicate).
#[tokio::test]
async fn reports_survive_kill_9_and_retries_return_the_first_case() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    intake_survives_kill_9(&["--data", data.to_str().unwrap()]).await;
}

/// The same on PostgreSQL (skipped without `LINLI_TEST_DATABASE_URL`).
#[tokio::test]
async fn reports_survive_kill_9_on_postgresql() {
    let Some(db) = PgSchema::new("crash") else { return };
    intake_survives_kill_9(&["--database-url", &db.url, "--secret-key", TEST_KEY]).await;
}

/// Signs `login` in over HTTP and makes it an API token; also returns its signed-in client.
async fn api_token(base: &str, login: &str) -> (String, reqwest::Client) {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let form = [("_csrf", csrf_of(&page)), ("login", login.to_owned()), ("password", PASSWORD.to_owned())];
    let home = client.post(format!("{base}/login")).form(&form).send().await.unwrap().text().await.unwrap();
    let created = client
        .post(format!("{base}/api/v1/tokens"))
        .header("x-csrf-token", csrf_of(&home))
        .json(&serde_json::json!({"name": "test client"}))
        .send()
        .await
        .unwrap();
    let token: serde_json::Value = created.json().await.unwrap();
    (token["token"].as_str().unwrap().to_owned(), client)
}

async fn intake_survives_kill_9(args: &[&str]) {
    let mut server = Server::start(args);
    // A resident's API token, and a category and building to report with.
    let (token, client) = api_token(&server.base, "13800138000").await;
    let report_form = client.get(format!("{}/communities/1/cases/new", server.base)).send().await.unwrap();
    let report_form = report_form.text().await.unwrap();
    let category: i64 = report_form
        .split("<option value=\"")
        .filter_map(|o| o.split_once("\" data-kind=\"").filter(|(_, rest)| !rest.starts_with("dispute")))
        .find_map(|(id, _)| id.parse().ok())
        .expect("a category that is not a dispute");
    let building: i64 = report_form
        .split("<select id=\"building_id\"")
        .nth(1)
        .and_then(|s| s.split("<option value=\"").filter_map(|o| o.split('"').next()?.parse().ok()).next())
        .expect("a building");

    // A device registered by staff, with its HTTP token.
    let staff = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let page = staff.get(format!("{}/login", server.base)).send().await.unwrap().text().await.unwrap();
    let form = [("_csrf", csrf_of(&page)), ("login", "shequ".to_owned()), ("password", PASSWORD.to_owned())];
    let home = staff.post(format!("{}/login", server.base)).form(&form).send().await.unwrap().text().await.unwrap();
    let device = [
        ("_csrf", csrf_of(&home)),
        ("code", "crash-level-1".to_owned()),
        ("name", "断电测试水位".to_owned()),
        ("profile", "water_level".to_owned()),
        ("building_id", building.to_string()),
    ];
    let registered = staff.post(format!("{}/communities/1/devices", server.base)).form(&device).send().await.unwrap();
    let registered = registered.text().await.unwrap();
    let device_token =
        registered.split("<code>").nth(1).and_then(|s| s.split("</code>").next()).expect("the token, shown once");
    let device_token = device_token.to_owned();
    let telemetry = |n: i64| format!(r#"{{"ts": {}, "values": {{"level": {}}}}}"#, 1_780_000_000_000 + n, n % 50);
    // Each message sent and whether it was acknowledged as stored.
    let sent_messages = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, bool)>::new()));

    // What each report got back: the case number, or nothing (the answer was lost).
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, Option<i64>)>::new()));
    // Staff register the reports as they come in, each step with its key: the case and
    // whether the step was acknowledged.
    let (staff_token, _) = api_token(&server.base, "shequ").await;
    let registered = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(i64, bool)>::new()));
    let register = |api: reqwest::Client, base: String, token: String, case: i64| async move {
        api.post(format!("{base}/api/v1/cases/{case}/steps"))
            .bearer_auth(&token)
            .header("idempotency-key", format!("register-{case}"))
            .json(&serde_json::json!({"step": "register"}))
            .timeout(Duration::from_secs(5))
            .send()
            .await
    };
    let api = reqwest::Client::new();
    for round in 0..3_u32 {
        let base = server.base.clone();
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let (api, base, token, answered) = (api.clone(), base.clone(), token.clone(), answered.clone());
                tokio::spawn(async move {
                    for n in 0.. {
                        let key = format!("crash-{round}-{w}-{n}");
                        let body = serde_json::json!({
                            "category_id": category, "building_id": building,
                            "description": format!("断电测试 {key}：楼道灯不亮"), "room": "101",
                        });
                        let sent = api
                            .post(format!("{base}/api/v1/communities/1/cases"))
                            .bearer_auth(&token)
                            .header("idempotency-key", &key)
                            .json(&body)
                            .timeout(Duration::from_secs(5))
                            .send()
                            .await;
                        let id = match sent {
                            Ok(r) if r.status() == 201 => {
                                r.json::<serde_json::Value>().await.ok().and_then(|v| v["id"].as_i64())
                            }
                            Ok(r) => panic!("report {key} answered {}", r.status()),
                            Err(_) => None,
                        };
                        answered.lock().unwrap().push((key, id));
                        if id.is_none() {
                            return; // the server is gone
                        }
                    }
                })
            })
            .collect();
        let device = {
            let (api, base, token, sent) = (api.clone(), base.clone(), device_token.clone(), sent_messages.clone());
            tokio::spawn(async move {
                for n in (i64::from(round) * 100_000)..(i64::from(round + 1) * 100_000) {
                    let posted = api
                        .post(format!("{base}/api/v1/telemetry"))
                        .bearer_auth(&token)
                        .header("content-type", "application/json")
                        .body(telemetry(n))
                        .timeout(Duration::from_secs(5))
                        .send()
                        .await;
                    let stored = match posted {
                        Ok(r) if r.status() == 202 => true,
                        Ok(r) => panic!("message {n} answered {}", r.status()),
                        Err(_) => false,
                    };
                    sent.lock().unwrap().push((n, stored));
                    if !stored {
                        return;
                    }
                }
            })
        };
        let stepper = {
            let (api, base, token) = (api.clone(), base.clone(), staff_token.clone());
            let (answered, registered) = (answered.clone(), registered.clone());
            tokio::spawn(async move {
                loop {
                    let done: std::collections::HashSet<i64> = registered.lock().unwrap().iter().map(|r| r.0).collect();
                    let next = answered.lock().unwrap().iter().filter_map(|a| a.1).find(|c| !done.contains(c));
                    let Some(case) = next else {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        continue;
                    };
                    let acknowledged = match register(api.clone(), base.clone(), token.clone(), case).await {
                        Ok(r) if r.status() == 200 => true,
                        Ok(r) => panic!("registering case {case} answered {}", r.status()),
                        Err(_) => false,
                    };
                    registered.lock().unwrap().push((case, acknowledged));
                    if !acknowledged {
                        return;
                    }
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(400 + 300 * u64::from(round))).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for w in writers {
            w.await.unwrap();
        }
        device.await.unwrap();
        stepper.await.unwrap();
        server = Server::start(args);
    }

    // After the last restart: every report again, with its key.
    let answered = answered.lock().unwrap().clone();
    let acknowledged = answered.iter().filter(|(_, id)| id.is_some()).count();
    assert!(acknowledged > 20, "reports went in between the kills: {acknowledged}");
    let mut cases = std::collections::HashSet::new();
    for (key, first) in &answered {
        let body = serde_json::json!({
            "category_id": category, "building_id": building,
            "description": format!("断电测试 {key}：楼道灯不亮"), "room": "101",
        });
        let again = api
            .post(format!("{}/api/v1/communities/1/cases", server.base))
            .bearer_auth(&token)
            .header("idempotency-key", key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = again.status();
        let id = again.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
        if let Some(first) = first {
            assert_eq!(status, 200, "report {key} was acknowledged, so it is there and replayed");
            assert_eq!(id, *first, "a retry of {key} returns the first case");
        }
        assert!(cases.insert(id), "one case per report ({key} made case {id} again)");
    }
    // The resident's own cases, page by page: as many test reports as keys.
    let mut made = 0;
    for offset in (0..).step_by(200) {
        let page: serde_json::Value = api
            .get(format!("{}/api/v1/communities/1/cases?state=all&limit=200&offset={offset}", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let cases = page["cases"].as_array().unwrap();
        made += cases.iter().filter(|c| c["description"].as_str().is_some_and(|d| d.starts_with("断电测试"))).count();
        if cases.len() < 200 {
            break;
        }
    }
    assert_eq!(made, answered.len(), "no report twice, none missing");
    // Every registration acknowledged is there; each, sent again with its key, is taken
    // once in all (a lost answer's step either stood or is taken now).
    let registered = registered.lock().unwrap().clone();
    assert!(registered.iter().filter(|(_, ok)| *ok).count() > 5, "steps went in between the kills");
    for (case, acknowledged) in registered {
        if acknowledged {
            let seen: serde_json::Value = api
                .get(format!("{}/api/v1/cases/{case}", server.base))
                .bearer_auth(&staff_token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_ne!(seen["case"]["state"], "reported", "case {case} was registered");
        }
        let again = register(api.clone(), server.base.clone(), staff_token.clone(), case).await.unwrap();
        assert_eq!(again.status(), 200, "registering case {case} again with its key");
        let seen: serde_json::Value = again.json().await.unwrap();
        assert_eq!(seen["state"], "registered", "case {case}");
        let detail: serde_json::Value = api
            .get(format!("{}/api/v1/cases/{case}", server.base))
            .bearer_auth(&staff_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let steps = detail["timeline"].as_array().unwrap().iter().filter(|e| e["kind"] == "register").count();
        assert_eq!(steps, 1, "case {case} registered once");
    }
    // Every message acknowledged as stored is there: sent again, it is a duplicate.
    let sent_messages = sent_messages.lock().unwrap().clone();
    assert!(sent_messages.iter().filter(|(_, stored)| *stored).count() > 20, "messages went in between the kills");
    for (n, stored) in sent_messages {
        let again = api
            .post(format!("{}/api/v1/telemetry", server.base))
            .bearer_auth(&device_token)
            .header("content-type", "application/json")
            .body(telemetry(n))
            .send()
            .await
            .unwrap();
        if stored {
            assert_eq!(again.status(), 200, "message {n} was acknowledged, so it is stored once");
        } else {
            assert!(matches!(again.status().as_u16(), 200 | 202), "message {n}: {}", again.status());
        }
    }
    assert!(server.stop().success());
}
