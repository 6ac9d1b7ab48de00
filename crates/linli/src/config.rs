//! Configuration: command-line flags, then `LINLI_*` environment variables (clap reads
//! both), then an optional TOML file (`--config` / `LINLI_CONFIG`), then the defaults
//! below. The result is a plain [`Settings`] value handed to the app; nothing global.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the data lives; shared by every subcommand that opens the database.
#[derive(Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// Data folder for the embedded SQLite database (and its generated key).
    #[arg(long, env = "LINLI_DATA")]
    pub data: Option<PathBuf>,
    /// postgres://user@host/db to run on PostgreSQL, or the path of an existing SQLite file.
    #[arg(long, env = "LINLI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// 32-byte master key, base64 (`linli generate-key` makes one). Required on PostgreSQL.
    #[arg(long, env = "LINLI_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Largest number of database connections.
    #[arg(long, env = "LINLI_MAX_CONNECTIONS")]
    pub max_connections: Option<u32>,
    /// TOML file with any of the settings (lowest precedence before the defaults).
    #[arg(long, env = "LINLI_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port and prints it).
    #[arg(long, env = "LINLI_ADDR")]
    pub addr: Option<SocketAddr>,
    /// Mark cookies Secure: set this when Linli is served over HTTPS.
    #[arg(long, env = "LINLI_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Hours a session stays valid without use.
    #[arg(long, env = "LINLI_SESSION_HOURS")]
    pub session_hours: Option<u32>,
    /// Where to POST notifications as JSON (an SMS or WeChat gateway); none by default.
    #[arg(long, env = "LINLI_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// Signs each webhook request (`X-Linli-Signature: sha256=…`, HMAC-SHA256 of the body).
    #[arg(long, env = "LINLI_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// MQTT broker to take device messages from (mqtt://host:1883); none by default.
    #[arg(long, env = "LINLI_MQTT_URL")]
    pub mqtt_url: Option<String>,
    /// The broker session's client id: stable across restarts, distinct per instance.
    #[arg(long, env = "LINLI_MQTT_CLIENT_ID")]
    pub mqtt_client_id: Option<String>,
    /// Split the device stream between instances (MQTT shared subscription group).
    #[arg(long, env = "LINLI_MQTT_SHARE_GROUP")]
    pub mqtt_share_group: Option<String>,
    /// Days raw telemetry is kept before only hourly sums remain.
    #[arg(long, env = "LINLI_TELEMETRY_DAYS")]
    pub telemetry_days: Option<u32>,
}

/// The optional TOML file: the same settings, all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data: Option<PathBuf>,
    database_url: Option<String>,
    secret_key: Option<String>,
    max_connections: Option<u32>,
    secure_cookies: Option<bool>,
    session_hours: Option<u32>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    mqtt_url: Option<String>,
    mqtt_client_id: Option<String>,
    mqtt_share_group: Option<String>,
    telemetry_days: Option<u32>,
}

/// Resolved settings.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub addr: SocketAddr,
    pub data: PathBuf,
    pub database_url: Option<String>,
    #[serde(skip)]
    pub secret_key: Option<String>,
    pub max_connections: u32,
    pub secure_cookies: bool,
    pub session_hours: u32,
    pub webhook_url: Option<String>,
    #[serde(skip)]
    pub webhook_secret: Option<String>,
    pub mqtt_url: Option<String>,
    pub mqtt_client_id: String,
    pub mqtt_share_group: Option<String>,
    pub telemetry_days: u32,
}

impl Settings {
    pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
    pub const DEFAULT_DATA: &str = "./linli-data";

    pub fn resolve(db: &DbArgs, serve: &ServeArgs) -> Result<Settings> {
        let file = match &db.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read config file {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .with_context(|| format!("config file {} is not valid", path.display()))?
            }
            None => FileConfig::default(),
        };
        let addr = match serve.addr.or(file.addr) {
            Some(a) => a,
            None => Self::DEFAULT_ADDR.parse().context("default address")?,
        };
        let max_connections = db.max_connections.or(file.max_connections).unwrap_or(16);
        if max_connections == 0 {
            bail!("max_connections must be at least 1");
        }
        let session_hours = serve.session_hours.or(file.session_hours).unwrap_or(12);
        if session_hours == 0 {
            bail!("session_hours must be at least 1");
        }
        Ok(Settings {
            addr,
            data: db.data.clone().or(file.data).unwrap_or_else(|| PathBuf::from(Self::DEFAULT_DATA)),
            database_url: db.database_url.clone().or(file.database_url).filter(|u| !u.trim().is_empty()),
            secret_key: db.secret_key.clone().or(file.secret_key).filter(|k| !k.trim().is_empty()),
            max_connections,
            secure_cookies: serve.secure_cookies.or(file.secure_cookies).unwrap_or(false),
            session_hours,
            webhook_url: match serve.webhook_url.clone().or(file.webhook_url).filter(|u| !u.trim().is_empty()) {
                Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    bail!("webhook_url must be an http:// or https:// address, not {u}")
                }
                other => other,
            },
            webhook_secret: serve.webhook_secret.clone().or(file.webhook_secret).filter(|s| !s.trim().is_empty()),
            mqtt_url: match serve.mqtt_url.clone().or(file.mqtt_url).filter(|u| !u.trim().is_empty()) {
                Some(u) => {
                    linli_monitor::mqtt::parse_url(&u).map_err(anyhow::Error::msg)?;
                    Some(u)
                }
                None => None,
            },
            mqtt_client_id: serve
                .mqtt_client_id
                .clone()
                .or(file.mqtt_client_id)
                .filter(|c| !c.trim().is_empty())
                .unwrap_or_else(|| "linli".to_owned()),
            mqtt_share_group: serve.mqtt_share_group.clone().or(file.mqtt_share_group).filter(|g| !g.trim().is_empty()),
            telemetry_days: match serve.telemetry_days.or(file.telemetry_days).unwrap_or(30) {
                0 => bail!("telemetry_days must be at least 1"),
                d => d,
            },
        })
    }

    /// The settings as TOML, with the secret key and database password hidden.
    pub fn to_toml(&self) -> Result<String> {
        let mut shown = self.clone();
        shown.database_url = shown.database_url.as_deref().map(linli_store::redact_url);
        let mut out = toml::to_string(&shown)?;
        out.push_str(if self.secret_key.is_some() {
            "secret_key = \"***\"\n"
        } else {
            "# secret_key: generated into the data folder on SQLite; required on PostgreSQL\n"
        });
        Ok(out)
    }
}

/// The master key: configured, or on SQLite generated once into `DATA/secret.key`.
pub fn secret_key(settings: &Settings, target: &linli_store::Target) -> Result<linli_store::SecretKey> {
    if let Some(k) = &settings.secret_key {
        return linli_store::SecretKey::from_base64(k).context("LINLI_SECRET_KEY");
    }
    match target {
        linli_store::Target::SqliteDir(dir) => key_file(&dir.join("secret.key")),
        _ => bail!(
            "a secret key is required outside the embedded data folder: set LINLI_SECRET_KEY (make one with `linli generate-key`)"
        ),
    }
}

fn key_file(path: &Path) -> Result<linli_store::SecretKey> {
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
        return linli_store::SecretKey::from_base64(&text)
            .with_context(|| format!("{} is not a valid key", path.display()));
    }
    let key = linli_store::SecretKey::generate();
    write_private(path, &key.to_base64()).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("linli.toml");
        std::fs::write(&file, "addr = \"0.0.0.0:9000\"\nsession_hours = 3\nmax_connections = 4\n").unwrap();
        let db = DbArgs { config: Some(file.clone()), max_connections: Some(8), ..DbArgs::default() };
        let s = Settings::resolve(&db, &ServeArgs::default()).unwrap();
        assert_eq!(s.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(s.session_hours, 3);
        assert_eq!(s.max_connections, 8);
        assert_eq!(s.data, PathBuf::from("./linli-data"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("linli.toml");
        std::fs::write(&file, "adress = \"0.0.0.0:9000\"\n").unwrap();
        let db = DbArgs { config: Some(file), ..DbArgs::default() };
        let err = Settings::resolve(&db, &ServeArgs::default()).unwrap_err();
        assert!(format!("{err:#}").contains("adress"), "{err:#}");
    }

    #[test]
    fn the_generated_key_is_kept_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = key_file(&dir.path().join("secret.key")).unwrap();
        let b = key_file(&dir.path().join("secret.key")).unwrap();
        assert_eq!(a.blind_index("t", "v"), b.blind_index("t", "v"));
    }

    #[test]
    fn postgres_without_a_key_is_refused() {
        let s = Settings::resolve(&DbArgs::default(), &ServeArgs::default()).unwrap();
        let err = secret_key(&s, &linli_store::Target::Postgres("postgres://x/y".into())).unwrap_err();
        assert!(err.to_string().contains("LINLI_SECRET_KEY"));
    }
}
