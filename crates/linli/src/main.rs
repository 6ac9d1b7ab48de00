//! `linli`: the one binary. `serve` runs the platform; `migrate`, `backup`, `demo`,
//! `generate-key` and `print-config` are the operator's tools.

mod ballots;
mod cogovernance;
mod config;
mod culture;
mod server;
mod simulate;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use config::{DbArgs, ServeArgs, Settings};
use linli_store::demo::{self, DemoSpec};
use linli_store::{PoolSettings, Store, Target};
use linli_web::WebSettings;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "linli", version, about = "邻里 Linli: community governance platform")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
        /// Load the demo community 和谐家园 if the database is empty, and print its accounts.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        size: DemoSize,
        /// Benchmark aid: do not run the notification worker (bulk data carries an
        /// artificial backlog of overdue cases that it would start working off).
        #[arg(long, hide = true)]
        no_worker: bool,
    },
    /// Publish telemetry for the registered devices over MQTT (demos, benchmarks).
    SimulateDevices {
        #[command(flatten)]
        db: DbArgs,
        /// The broker (mqtt://host:1883).
        #[arg(long, env = "LINLI_MQTT_URL", default_value = "mqtt://127.0.0.1:1883")]
        mqtt_url: String,
        /// How many of the registered devices to simulate.
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Messages per second, all devices together.
        #[arg(long, default_value_t = 10)]
        rate: u32,
        /// Stop after this many seconds (0: run until stopped).
        #[arg(long, default_value_t = 0)]
        seconds: u64,
        /// Stop after this many telemetry messages (0: no limit).
        #[arg(long, default_value_t = 0)]
        total: u64,
        /// Chance that a message reports a fault (smoke, leak, lift fault…).
        #[arg(long, default_value_t = 0.001)]
        faults: f64,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Write a consistent copy of the SQLite database to PATH while Linli runs.
    Backup {
        path: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Generate demo data into an empty database (scales up for benchmarks).
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        size: DemoSize,
    },
    /// Check a residents CSV for a community and, with --commit, import it (all or nothing).
    ImportResidents {
        /// 12-digit code of the community.
        #[arg(long)]
        community: String,
        /// The CSV file (the columns of the export).
        file: PathBuf,
        /// Write the residents; without it the file is only checked.
        #[arg(long)]
        commit: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print a new random secret key for LINLI_SECRET_KEY.
    GenerateKey,
    /// Keys for Open311 client applications (posting requests to /open311/v2/).
    #[command(name = "open311-key")]
    Open311Key {
        #[command(subcommand)]
        action: KeyAction,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: add N cases to every community over the last DAYS days (no timelines).
    #[command(hide = true)]
    BulkCases {
        #[arg(long)]
        per_community: u32,
        #[arg(long, default_value_t = 365)]
        days: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: time the indicator query over every community (grouped by community)
    /// for the last 30 and 365 days, REPEAT times each; prints p50 and max in ms.
    #[command(hide = true)]
    TimeIndicators {
        #[arg(long, default_value_t = 5)]
        repeat: u32,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: every owner of the first community votes at once, 64 submissions of
    /// one ballot ROUNDS times, and the tally's latency (see bench/assembly.sh).
    #[command(hide = true)]
    BenchBallots {
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        #[arg(long, default_value_t = 100)]
        rounds: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: RESIDENTS residents of the first community support one proposal at
    /// once, then again (see bench/cogovernance.sh).
    #[command(hide = true)]
    BenchSupports {
        #[arg(long, default_value_t = 2000)]
        residents: i64,
        #[arg(long, default_value_t = 2000)]
        concurrency: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: an announcement to about FIRST adult residents, then to the whole first
    /// community, and the receipts page's queries ROUNDS times (see bench/cogovernance.sh).
    #[command(hide = true)]
    BenchAnnouncement {
        #[arg(long, default_value_t = 5000)]
        first: i64,
        #[arg(long, default_value_t = 200)]
        rounds: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: a 20-question survey to the first community answered ANSWERS times,
    /// then its results ROUNDS times (see bench/cogovernance.sh).
    #[command(hide = true)]
    BenchSurvey {
        #[arg(long, default_value_t = 10_000)]
        answers: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 50)]
        rounds: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: RESIDENTS residents register for one activity of CAPACITY places at
    /// once (see bench/culture.sh).
    #[command(hide = true)]
    BenchRegistrations {
        #[arg(long, default_value_t = 2000)]
        residents: i64,
        #[arg(long, default_value_t = 100)]
        capacity: i64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Benchmark aid: RESIDENTS residents, each with points for ALLOWED redemptions, try
    /// TRIES each at once (see bench/culture.sh).
    #[command(hide = true)]
    BenchRedemptions {
        #[arg(long, default_value_t = 100)]
        residents: i64,
        #[arg(long, default_value_t = 5)]
        allowed: i64,
        #[arg(long, default_value_t = 10)]
        tries: i64,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the effective configuration (defaults, file, environment and flags).
    PrintConfig {
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        serve: ServeArgs,
    },
}

#[derive(Subcommand)]
enum KeyAction {
    /// Make a key and print it on standard output (only the key; it is not shown again).
    Create {
        /// Who the key is for, e.g. the app or gateway that will use it.
        #[arg(long)]
        name: String,
    },
    /// List the keys (names and dates, never the keys).
    List,
    /// Revoke a key by its id.
    Revoke { id: i64 },
}

#[derive(clap::Args, Debug, Clone)]
struct DemoSize {
    /// Number of communities to generate (the first is 和谐家园).
    #[arg(long, default_value_t = 1)]
    communities: u32,
    /// Households per community.
    #[arg(long, default_value_t = 2000)]
    households: u32,
    /// Seed of the generator: the same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

impl DemoSize {
    fn spec(&self) -> DemoSpec {
        DemoSpec {
            seed: self.seed,
            communities: self.communities,
            households_per_community: self.households,
            ..DemoSpec::default()
        }
    }
}

fn main() -> std::process::ExitCode {
    init_logging();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("linli: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("linli: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

async fn open(settings: &Settings) -> Result<Store> {
    let target = Target::resolve(settings.database_url.as_deref(), &settings.data)?;
    target.prepare()?;
    let key = config::secret_key(settings, &target)?;
    let pool = PoolSettings { max_connections: settings.max_connections, ..PoolSettings::default() };
    let store = Store::connect(&target, &pool, key).await?;
    store.migrate().await.context("database migration failed")?;
    tracing::info!(database = %target.describe(), "database ready");
    Ok(store)
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve { db, serve, demo, size, no_worker } => {
            let settings = Settings::resolve(&db, &serve)?;
            serve_forever(settings, demo.then(|| size.spec()), !no_worker).await
        }
        Command::Migrate { db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            store.close().await;
            println!("migrations applied");
            Ok(())
        }
        Command::Backup { path, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            store.backup(&path).await?;
            store.close().await;
            println!("backup written to {}", path.display());
            Ok(())
        }
        Command::SimulateDevices { db, mqtt_url, count, rate, seconds, total, faults } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            let plan = simulate::Plan { url: mqtt_url, count, rate, seconds, total, faults };
            simulate::run(&store, &plan).await?;
            store.close().await;
            Ok(())
        }
        Command::Demo { db, size } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            if !demo::is_empty(&store).await? {
                bail!("the database already holds communities; the demo loads only into an empty database");
            }
            let started = Instant::now();
            let report = demo::load(&store, &size.spec()).await?;
            println!(
                "generated {} communities, {} grids, {} buildings, {} households, {} residents in {:.1} s",
                report.communities,
                report.grids,
                report.buildings,
                report.households,
                report.residents,
                started.elapsed().as_secs_f64()
            );
            store.close().await;
            Ok(())
        }
        Command::BulkCases { per_community, days, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            let started = Instant::now();
            let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(7);
            let n = demo::bulk_cases(&store, per_community, days, &mut rng).await?;
            store.analyze().await?;
            println!("wrote {n} cases in {:.1} s", started.elapsed().as_secs_f64());
            store.close().await;
            Ok(())
        }
        Command::BenchBallots { concurrency, rounds, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            ballots::bench(open(&settings).await?, concurrency, rounds).await
        }
        Command::BenchSupports { residents, concurrency, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            cogovernance::supports(open(&settings).await?, residents, concurrency).await
        }
        Command::BenchAnnouncement { first, rounds, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            cogovernance::announcement(open(&settings).await?, first, rounds).await
        }
        Command::BenchSurvey { answers, concurrency, rounds, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            cogovernance::survey(open(&settings).await?, answers, concurrency, rounds).await
        }
        Command::BenchRegistrations { residents, capacity, concurrency, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            culture::registrations(open(&settings).await?, residents, capacity, concurrency).await
        }
        Command::BenchRedemptions { residents, allowed, tries, concurrency, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            culture::redemptions(open(&settings).await?, residents, allowed, tries, concurrency).await
        }
        Command::TimeIndicators { repeat, db } => {
            use linli_store::cases::{Dimension, IndicatorScope};
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            let communities: Vec<i64> = store.communities(None).await?.into_iter().map(|c| c.id).collect();
            let scope = IndicatorScope { community_ids: communities.clone(), grid_ids: None, organisation_ids: None };
            let now = linli_store::now_ms();
            for days in [30i64, 365] {
                let mut times = Vec::new();
                let mut accepted = 0;
                for _ in 0..repeat.max(1) {
                    let t = Instant::now();
                    let rows = store
                        .case_indicators(&scope, now - days * 86_400_000, now, Default::default(), Dimension::Community)
                        .await?;
                    times.push(t.elapsed().as_secs_f64() * 1000.0);
                    accepted = rows.iter().map(|r| r.1.accepted).sum::<u64>();
                }
                times.sort_by(f64::total_cmp);
                println!(
                    "{} communities, last {days} days ({accepted} reports): p50 {:.0} ms, max {:.0} ms",
                    communities.len(),
                    times[times.len() / 2],
                    times[times.len() - 1]
                );
            }
            store.close().await;
            Ok(())
        }
        Command::ImportResidents { community, file, commit, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            let community = store.community_by_code(community.trim()).await.context("no community with that code")?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let started = Instant::now();
            let checked = linli_web::residents::import_file::check(&store, community.id, &bytes)
                .await
                .map_err(|e| anyhow::anyhow!("{:?}", e.info()))?;
            let checked_in = started.elapsed().as_secs_f64();
            if !checked.errors.is_empty() {
                for e in checked.errors.iter().take(50) {
                    eprintln!("line {}: {}: {}", e.line, e.column, e.key);
                }
                bail!("{} bad cells; nothing was written", checked.errors.len());
            }
            println!("checked {} rows in {checked_in:.2} s", checked.rows.len());
            if commit {
                let written = Instant::now();
                let n = store.import_residents(community.id, &checked.rows).await?;
                let secs = written.elapsed().as_secs_f64();
                println!("imported {n} residents in {secs:.2} s ({:.0} rows/s)", n as f64 / secs);
            }
            store.close().await;
            Ok(())
        }
        Command::GenerateKey => {
            println!("{}", linli_store::SecretKey::generate().to_base64());
            Ok(())
        }
        Command::Open311Key { action, db } => {
            let settings = Settings::resolve(&db, &ServeArgs::default())?;
            let store = open(&settings).await?;
            match action {
                KeyAction::Create { name } => {
                    let (key, _) = store.create_open311_key(&name).await.context("cannot make the key")?;
                    println!("{key}");
                }
                KeyAction::List => {
                    for k in store.open311_keys().await? {
                        let state = if k.revoked_at.is_some() { "revoked" } else { "active" };
                        println!("{:>4}  {state:<8} {}", k.id, k.name);
                    }
                }
                KeyAction::Revoke { id } => {
                    store.revoke_open311_key(id).await.context("no active key has this id")?;
                    println!("key {id} revoked");
                }
            }
            store.close().await;
            Ok(())
        }
        Command::PrintConfig { db, serve } => {
            print!("{}", Settings::resolve(&db, &serve)?.to_toml()?);
            Ok(())
        }
    }
}

async fn serve_forever(settings: Settings, demo: Option<DemoSpec>, worker: bool) -> Result<()> {
    let store = open(&settings).await?;
    let mut web = WebSettings {
        session_ttl_ms: i64::from(settings.session_hours) * 3600 * 1000,
        secure_cookies: settings.secure_cookies,
        ..WebSettings::default()
    };
    if let Some(spec) = demo {
        if demo::is_empty(&store).await? {
            let started = Instant::now();
            let report = demo::load(&store, &spec).await?;
            println!(
                "Loaded the demo community 和谐家园: {} grids, {} buildings, {} households, {} residents ({:.1} s)",
                report.grids,
                report.buildings,
                report.households,
                report.residents,
                started.elapsed().as_secs_f64()
            );
        } else {
            println!("The database already holds data; the demo was not loaded again.");
        }
        println!("Demo accounts (password {}):", demo::DEMO_PASSWORD);
        for (role, login) in demo::logins() {
            println!("  {:<26} {login}", role.as_str());
        }
        web.demo_logins = demo::logins().map(|(r, l)| (r, l.to_owned())).collect();
        let (key, _) = store.create_open311_key("demo").await?;
        println!("Open311 GeoReport v2 at /open311/v2/discovery.json; a new api_key for this run: {key}");
    }
    let webhook =
        settings.webhook_url.clone().map(|url| linli_web::notify::Webhook::new(url, settings.webhook_secret.clone()));
    web.webhook = webhook.clone();
    let worker = worker.then(|| linli_web::notify::spawn(store.clone(), webhook));
    let (router, state) = linli_web::app(store.clone(), web);
    let clock = worker.is_some().then(|| {
        linli_monitor::spawn_clock(state.monitor.clone(), Duration::from_secs(30), i64::from(settings.telemetry_days))
    });
    let mqtt = match &settings.mqtt_url {
        Some(url) => {
            let mut config = linli_monitor::mqtt::MqttConfig::new(url.clone(), settings.mqtt_client_id.clone());
            config.share_group = settings.mqtt_share_group.clone();
            println!("Taking device messages from {url} ({})", config.filter());
            Some(linli_monitor::mqtt::spawn(state.monitor.clone(), config).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    let local = listener.local_addr()?;
    println!("Linli listening on http://{local}");
    tracing::info!(addr = %local, "listening");
    // On the signal, long-lived responses end first (the alarm board's event stream), then
    // the listener closes and the requests in flight finish.
    let stopping = state.stopping.clone();
    server::serve(listener, router, async move {
        shutdown_signal().await;
        stopping.cancel();
    })
    .await;
    tracing::info!("shut down; requests in flight finished");
    if let Some(w) = worker {
        w.abort();
    }
    if let Some(c) = clock {
        c.abort();
    }
    if let Some(m) = mqtt {
        m.abort();
    }
    store.close().await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C; axum then stops accepting and finishes requests in flight.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
