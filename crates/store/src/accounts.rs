//! Accounts, their role assignments and what a login needs. Phones are kept as a keyed
//! blind index (for login lookup) and a masked form (for display), never in the clear.

use crate::crypto::hash_password;
use crate::{Store, StoreError, StoreResult, now_ms, read, transaction};
use linli_domain::identity::{DisplayName, LoginName, NewPassword, Phone, Username};
use linli_domain::permission::permits;
use linli_domain::{Action, Assignment, Principal, Role};
use serde::Serialize;

/// Purpose label of the phone blind index.
pub const PHONE_INDEX: &str = "account.phone";

/// A grant of access to residents' data (`$3`: who and what) by `$2` in community `$1`
/// at `$4`, in the log of personal-data access its director reads.
const GRANT_AUDIT: &str = "INSERT INTO audit_events (community_id, account_id, action, detail, at) \
     VALUES ($1, $2, 'personal.access_granted', $3, $4)";
/// The notice of a grant to every director of community `$1` at `$2`, but the grantee `$3`.
const GRANT_NOTICE: &str = "INSERT INTO notifications (account_id, case_id, kind, created_at) \
     SELECT DISTINCT account_id, CAST(NULL AS BIGINT), 'access_granted', $2 FROM role_assignments \
     WHERE community_id = $1 AND role = 'community_director' AND account_id <> $3";
/// The webhook's copy of the grant notices made at `$1`.
const GRANT_OUTBOX: &str = "INSERT INTO outbox (account_id, kind, notification_id, created_at, next_attempt_at) \
     SELECT n.account_id, 'notice', n.id, $1, $1 FROM notifications n \
     WHERE n.kind = 'access_granted' AND n.created_at = $1 \
     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.notification_id = n.id)";

/// The roles among `roles` that read residents, each with its community and the line
/// the access log shows (`name (role)`).
fn resident_grants<'a>(
    name: &'a str,
    roles: impl Iterator<Item = (Role, Option<i64>)> + 'a,
) -> impl Iterator<Item = (i64, String)> + 'a {
    roles
        .filter(|(role, _)| permits(*role, Action::ViewResidents))
        .filter_map(move |(role, community)| community.map(|c| (c, format!("{name} ({})", role.as_str()))))
}

/// Revokes (`$1`: now) every live API token of an account (`$2`).
const REVOKE_TOKENS: &str = "UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL";

/// What is needed to create an account.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: Option<Username>,
    pub phone: Option<Phone>,
    pub display_name: DisplayName,
    pub password: NewPassword,
    pub assignments: Vec<NewAssignment>,
    /// Grids the account works in as their grid worker (must belong to the assignment's community).
    pub grid_ids: Vec<i64>,
}

/// A role to grant, with its anchor (street, community or organisation).
#[derive(Debug, Clone)]
pub struct NewAssignment {
    pub role: Role,
    pub street_id: Option<i64>,
    pub community_id: Option<i64>,
    pub organisation_id: Option<i64>,
}

/// What the login form needs to check a password.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginRecord {
    pub id: i64,
    pub password_hash: String,
    pub disabled: bool,
    pub locale: String,
}

/// An account as listed to administrators.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AccountSummary {
    pub id: i64,
    pub username: Option<String>,
    /// Masked, e.g. `138****5678`.
    pub phone_masked: Option<String>,
    pub display_name: String,
    pub locale: String,
    pub disabled: bool,
    /// Comma-separated role names.
    pub roles: String,
}

#[derive(sqlx::FromRow)]
struct PrincipalRow {
    display_name: String,
    disabled: bool,
    locale: String,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    username: Option<String>,
    phone_masked: Option<String>,
    display_name: String,
    locale: String,
    disabled: bool,
}

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    role: String,
    street_id: Option<i64>,
    community_id: Option<i64>,
    organisation_id: Option<i64>,
}

/// Writes a grant of access to a community's residents into its access log and tells
/// its directors (inbox and delivery), inside a transaction.
async fn grant_access(
    tx: &mut crate::Tx,
    actor: Option<i64>,
    community_id: i64,
    account: i64,
    detail: &str,
    now: i64,
) -> StoreResult<()> {
    crate::exec!(tx, sqlx::query(GRANT_AUDIT).bind(community_id).bind(actor).bind(detail).bind(now))?;
    crate::exec!(tx, sqlx::query(GRANT_NOTICE).bind(community_id).bind(now).bind(account))?;
    crate::exec!(tx, sqlx::query(GRANT_OUTBOX).bind(now))?;
    Ok(())
}

impl Store {
    /// Creates an account with its roles in one transaction.
    pub async fn create_account(&self, new: &NewAccount) -> StoreResult<i64> {
        self.create_account_by(None, new).await
    }

    /// Creates an account as `actor` (an administrator). A role that reads residents' data
    /// (a grid worker, the community's staff or director) is never granted silently: in
    /// the same transaction the grant goes into the community's log of personal-data
    /// access, which its director reads, and every director of the community is told.
    pub async fn create_account_by(&self, actor: Option<i64>, new: &NewAccount) -> StoreResult<i64> {
        let hash = hash_password(new.password.expose())?;
        let phone_index = new.phone.as_ref().map(|p| self.key().blind_index(PHONE_INDEX, p.as_str()));
        let phone_masked = new.phone.as_ref().map(Phone::masked);
        let now = now_ms();
        transaction!(self, |tx| {
            let id: i64 = crate::on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO accounts (username, phone_index, phone_masked, display_name, password_hash, password_changed_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(new.username.as_ref().map(Username::as_str))
            .bind(&phone_index)
            .bind(&phone_masked)
            .bind(new.display_name.as_str())
            .bind(&hash)
            .bind(now)
            .fetch_one(c)
            .await)
            .map_err(|e| {
                let field = if e.to_string().contains("phone") { "phone" } else { "username" };
                StoreError::on_unique(field)(e)
            })?;
            for a in &new.assignments {
                crate::on!(tx, |c| {
                    sqlx::query(
                    "INSERT INTO role_assignments (account_id, role, street_id, community_id, organisation_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(a.role.as_str())
                .bind(a.street_id)
                .bind(a.community_id)
                .bind(a.organisation_id)
                .bind(now)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                })?;
            }
            for grid_id in &new.grid_ids {
                let placed = crate::exec!(
                    tx,
                    sqlx::query(
                        "INSERT INTO grid_workers (community_id, grid_id, account_id, duty) \
                     SELECT community_id, id, $2, 'worker' FROM grids WHERE id = $1",
                    )
                    .bind(grid_id)
                    .bind(id)
                )?;
                if placed != 1 {
                    return Err(StoreError::NotFound);
                }
            }
            let roles = new.assignments.iter().map(|a| (a.role, a.community_id));
            for (community, detail) in resident_grants(new.display_name.as_str(), roles).filter(|_| actor.is_some()) {
                grant_access(tx, actor, community, id, &detail, now).await?;
            }
            id
        })
    }

    /// Finds the account a login name refers to.
    pub async fn login_record(&self, login: &LoginName) -> StoreResult<Option<LoginRecord>> {
        let (sql, value) = match login {
            LoginName::Username(u) => {
                ("SELECT id, password_hash, disabled, locale FROM accounts WHERE username = $1", u.as_str().to_owned())
            }
            LoginName::Phone(p) => (
                "SELECT id, password_hash, disabled, locale FROM accounts WHERE phone_index = $1",
                self.key().blind_index(PHONE_INDEX, p.as_str()),
            ),
        };
        Ok(read!(self, |db| sqlx::query_as(sql).bind(&value).fetch_optional(db).await?))
    }

    /// Announces every role of `account` that reads residents, as when an administrator
    /// opens such an account (for an account enabled again).
    pub async fn announce_account_grants(&self, actor: i64, account: i64) -> StoreResult<()> {
        let Some((p, _)) = self.principal(account).await? else { return Ok(()) };
        let roles = p.assignments.iter().map(|a| (a.role, a.community_id));
        for (community, detail) in resident_grants(&p.display_name, roles) {
            self.announce_access_grant(actor, community, account, &detail).await?;
        }
        Ok(())
    }

    /// Announces that `account` can now read residents of `community_id` (put on duty in
    /// a grid, enabled again): the grant goes into the community's access log and every
    /// director is told, as when an administrator opens such an account.
    pub async fn announce_access_grant(
        &self,
        actor: i64,
        community_id: i64,
        account: i64,
        detail: &str,
    ) -> StoreResult<()> {
        let now = now_ms();
        transaction!(self, |tx| {
            grant_access(tx, Some(actor), community_id, account, detail, now).await?;
        })
    }

    pub async fn password_hash(&self, account_id: i64) -> StoreResult<String> {
        read!(self, |db| sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(db)
            .await?)
        .ok_or(StoreError::NotFound)
    }

    /// Sets a new password, ends every other session of the account and revokes its API
    /// tokens (a token made by someone who knew the old password must not outlive it).
    pub async fn change_password(
        &self,
        account_id: i64,
        new: &NewPassword,
        keep_session: Option<&str>,
    ) -> StoreResult<()> {
        let hash = hash_password(new.expose())?;
        let keep = keep_session.map(crate::crypto::token_hash).unwrap_or_default();
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                    .bind(&hash)
                    .bind(now_ms())
                    .bind(account_id)
            )?;
            crate::exec!(
                tx,
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id <> $2").bind(account_id).bind(&keep)
            )?;
            crate::exec!(tx, sqlx::query(REVOKE_TOKENS).bind(now_ms()).bind(account_id))?;
        })
    }

    pub async fn set_locale(&self, account_id: i64, locale: &str) -> StoreResult<()> {
        transaction!(self, |tx| {
            crate::exec!(
                tx,
                sqlx::query("UPDATE accounts SET locale = $1 WHERE id = $2").bind(locale).bind(account_id)
            )?;
        })
    }

    /// Loads the signed-in person with every role and its scope; `None` if the account
    /// is gone or disabled.
    pub async fn principal(&self, account_id: i64) -> StoreResult<Option<(Principal, String)>> {
        let (account, rows, grids): (Option<PrincipalRow>, Vec<AssignmentRow>, Vec<i64>) = read!(self, |db| {
            let account = sqlx::query_as("SELECT display_name, disabled, locale FROM accounts WHERE id = $1")
                .bind(account_id)
                .fetch_optional(db)
                .await?;
            let rows = sqlx::query_as(
                "SELECT role, street_id, community_id, organisation_id FROM role_assignments WHERE account_id = $1 ORDER BY id",
            )
            .bind(account_id)
            .fetch_all(db)
            .await?;
            let grids = sqlx::query_scalar("SELECT grid_id FROM grid_workers WHERE account_id = $1 ORDER BY grid_id")
                .bind(account_id)
                .fetch_all(db)
                .await?;
            (account, rows, grids)
        });
        let Some(PrincipalRow { display_name, disabled, locale }) = account else { return Ok(None) };
        if disabled {
            return Ok(None);
        }
        let grid_ids = grids;
        let assignments = rows
            .into_iter()
            .filter_map(|r| {
                let role = Role::parse(&r.role)?;
                Some(Assignment {
                    role,
                    street_id: r.street_id,
                    community_id: r.community_id,
                    organisation_id: r.organisation_id,
                    grid_ids: if role == Role::GridWorker { grid_ids.clone() } else { Vec::new() },
                })
            })
            .collect();
        Ok(Some((Principal { account_id, display_name, assignments }, locale)))
    }

    /// Accounts for the administrators' list, newest last, paged.
    pub async fn accounts(&self, offset: i64, limit: i64) -> StoreResult<Vec<AccountSummary>> {
        let rows: Vec<AccountRow> = read!(self, |db| {
            sqlx::query_as(
            "SELECT id, username, phone_masked, display_name, locale, disabled FROM accounts ORDER BY id LIMIT $1 OFFSET $2"
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(db)
        .await?
        });
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let roles: Vec<(i64, String)> = if ids.is_empty() {
            Vec::new()
        } else {
            let (lo, hi) = (ids[0], ids[ids.len() - 1]);
            read!(self, |db| sqlx::query_as(
                "SELECT account_id, role FROM role_assignments WHERE account_id BETWEEN $1 AND $2 ORDER BY id"
            )
            .bind(lo)
            .bind(hi)
            .fetch_all(db)
            .await?)
        };
        Ok(rows
            .into_iter()
            .map(|AccountRow { id, username, phone_masked, display_name, locale, disabled }| AccountSummary {
                id,
                username,
                phone_masked,
                display_name,
                locale,
                disabled,
                roles: roles.iter().filter(|(a, _)| *a == id).map(|(_, r)| r.as_str()).collect::<Vec<_>>().join(","),
            })
            .collect())
    }

    /// Disables or re-enables an account; disabling ends its sessions and revokes its
    /// tokens, so that enabling it again does not bring them back.
    pub async fn set_account_disabled(&self, account_id: i64, disabled: bool) -> StoreResult<()> {
        let changed = transaction!(self, |tx| {
            let n = crate::exec!(
                tx,
                sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2").bind(disabled).bind(account_id)
            )?;
            if disabled {
                crate::exec!(tx, sqlx::query("DELETE FROM sessions WHERE account_id = $1").bind(account_id))?;
                crate::exec!(tx, sqlx::query(REVOKE_TOKENS).bind(now_ms()).bind(account_id))?;
            }
            n
        })?;
        if changed == 1 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    pub async fn account_count(&self) -> StoreResult<i64> {
        Ok(read!(self, |db| sqlx::query_scalar("SELECT COUNT(*) FROM accounts").fetch_one(db).await?))
    }

    /// Display names of some accounts, for tables that name people by id.
    pub async fn display_names(&self, ids: &[i64]) -> StoreResult<std::collections::HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, display_name FROM accounts WHERE id IN ({})", marks.join(", "));
        let rows: Vec<(i64, String)> = read!(self, |db| {
            let mut q = sqlx::query_as(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(db).await?
        });
        Ok(rows.into_iter().collect())
    }
}
