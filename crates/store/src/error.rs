//! The data layer's typed errors. Handlers map them to the one web error.

use thiserror::Error;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Error)]
pub enum StoreError {
    /// The thing asked for does not exist (or is outside the caller's reach).
    #[error("not found")]
    NotFound,
    /// A unique value is already taken; names the field.
    #[error("{field} is already taken")]
    Taken { field: &'static str },
    /// A value that contradicts what is stored (a move-out before the move-in, say);
    /// names the field like any bad input.
    #[error("{0}")]
    Invalid(linli_domain::FieldError),
    /// Start-up configuration is unusable; the message says why.
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A sealed value does not open: wrong key, wrong field, or damaged data.
    #[error("encrypted value cannot be opened with this key")]
    Crypto,
    #[error("password hashing failed: {0}")]
    Hash(String),
}

impl StoreError {
    /// Whether the database refused a write for lack of space: SQLite's `SQLITE_FULL`
    /// ("database or disk is full", which SQLite also reports for ENOSPC), PostgreSQL's
    /// `disk_full` (53100), or the operating system's ENOSPC.
    pub fn is_out_of_space(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("13" | "53100")) || db.message().contains("disk is full")
            }
            StoreError::Database(sqlx::Error::Io(io)) => {
                io.kind() == std::io::ErrorKind::StorageFull || io.raw_os_error() == Some(28)
            }
            _ => false,
        }
    }

    /// Turns a unique-key violation into [`StoreError::Taken`] naming `field`.
    pub fn on_unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Taken { field },
            _ => StoreError::Database(e),
        }
    }
}
