//! Service points (服务积分): an append-only ledger per resident, the balance kept beside it
//! as the sum of its entries, and the community's points shop.
//!
//! Every change of points is one [`post`]: inside the caller's transaction it moves the
//! balance with a guarded `UPDATE … WHERE balance + delta >= 0` (on PostgreSQL the row lock
//! orders concurrent posts and the guard is checked again on the locked row; on SQLite the
//! single writer orders them) and appends the entry with the balance after it. A post that
//! would go below zero changes nothing. An entry is never changed or deleted (triggers
//! refuse it); a redemption reversed, or a mistake corrected, is a new entry.

use crate::services::invalid;
use crate::{Store, StoreError, StoreResult, exec, on, read, transaction};
use linli_domain::volunteer::{Action, Reason, RedemptionStatus};

/// One ledger entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Entry {
    pub id: i64,
    pub resident_id: i64,
    pub resident: String,
    pub delta: i64,
    pub balance_after: i64,
    #[sqlx(try_from = "String")]
    pub reason: Reason,
    pub note: String,
    pub source: String,
    pub reverses_id: Option<i64>,
    pub by_name: Option<String>,
    pub created_at: i64,
}

const ENTRY: &str = "e.id, e.resident_id, p.name AS resident, e.delta, e.balance_after, e.reason, e.note, e.source, \
     e.reverses_id, a.display_name AS by_name, e.created_at \
     FROM points_entries e JOIN residents p ON p.id = e.resident_id LEFT JOIN accounts a ON a.id = e.by_account";

/// A thing or a service of the points shop.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub community_id: i64,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub title: String,
    pub description: String,
    pub cost: i64,
    pub stock: i64,
    pub active: bool,
    /// Redemptions not reversed.
    pub redeemed: i64,
}

const ITEM: &str = "i.id, i.community_id, i.organisation_id, o.name AS organisation, i.title, i.description, i.cost, \
     i.stock, i.active, \
     (SELECT COUNT(*) FROM redemptions r WHERE r.item_id = i.id AND r.status <> 'reversed') AS redeemed \
     FROM shop_items i LEFT JOIN organisations o ON o.id = i.organisation_id";

/// A checked shop item to write.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub community_id: i64,
    pub organisation_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub cost: i64,
    pub stock: i64,
    pub by: i64,
}

/// One redemption.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Redemption {
    pub id: i64,
    pub item_id: i64,
    pub title: String,
    pub community_id: i64,
    pub resident_id: i64,
    pub resident: String,
    pub cost: i64,
    #[sqlx(try_from = "String")]
    pub status: RedemptionStatus,
    pub created_at: i64,
    pub handed_at: Option<i64>,
}

const REDEMPTION: &str = "r.id, r.item_id, i.title, r.community_id, r.resident_id, p.name AS resident, r.cost, \
     r.status, r.created_at, r.handed_at \
     FROM redemptions r JOIN shop_items i ON i.id = r.item_id JOIN residents p ON p.id = r.resident_id";

/// One entry to append.
pub(crate) struct Post<'a> {
    pub community_id: i64,
    pub resident_id: i64,
    pub delta: i64,
    pub reason: Reason,
    pub note: &'a str,
    /// What earned or spent it, written once (`''`: nothing to repeat).
    pub source: String,
    pub reverses_id: Option<i64>,
    pub by: Option<i64>,
}

/// Appends an entry and moves the balance with it, in the caller's transaction. `None`
/// when the balance would go below zero: nothing is written.
pub(crate) async fn post(tx: &mut crate::Tx, p: &Post<'_>, now: i64) -> StoreResult<Option<i64>> {
    exec!(
        tx,
        sqlx::query(
            "INSERT INTO points_balances (resident_id, community_id, balance, updated_at) VALUES ($1, $2, 0, $3) \
             ON CONFLICT (resident_id) DO NOTHING"
        )
        .bind(p.resident_id)
        .bind(p.community_id)
        .bind(now)
    )?;
    let after: Option<i64> = on!(tx, |c| sqlx::query_scalar(
        "UPDATE points_balances SET balance = balance + $2, updated_at = $3 \
         WHERE resident_id = $1 AND balance + $2 >= 0 RETURNING balance"
    )
    .bind(p.resident_id)
    .bind(p.delta)
    .bind(now)
    .fetch_optional(c)
    .await)?;
    let Some(after) = after else { return Ok(None) };
    let id: i64 = on!(tx, |c| sqlx::query_scalar(
        "INSERT INTO points_entries (community_id, resident_id, delta, balance_after, reason, note, source, \
         reverses_id, by_account, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(p.community_id)
    .bind(p.resident_id)
    .bind(p.delta)
    .bind(after)
    .bind(p.reason.as_str())
    .bind(p.note)
    .bind(&p.source)
    .bind(p.reverses_id)
    .bind(p.by)
    .bind(now)
    .fetch_one(c)
    .await)?;
    Ok(Some(id))
}

/// The points `action` earns in a community: its rule, or the action's default.
pub(crate) async fn rule(tx: &mut crate::Tx, community_id: i64, action: Action) -> StoreResult<i64> {
    let set: Option<i64> =
        on!(tx, |c| sqlx::query_scalar("SELECT points FROM points_rules WHERE community_id = $1 AND action = $2")
            .bind(community_id)
            .bind(action.as_str())
            .fetch_optional(c)
            .await)?;
    Ok(set.unwrap_or(action.default_points()))
}

/// Credits what an action earned ([`Post::earned`]): nothing when it earns no points.
pub(crate) async fn earn(tx: &mut crate::Tx, p: &Post<'_>, now: i64) -> StoreResult<()> {
    if p.delta > 0 {
        post(tx, p, now).await?;
    }
    Ok(())
}

impl<'a> Post<'a> {
    /// What `action` earned a resident, written once per `source`.
    pub fn earned(resident: (i64, i64), action: Action, points: i64, note: &'a str, source: String, by: i64) -> Self {
        let (community_id, resident_id) = resident;
        Post {
            community_id,
            resident_id,
            delta: points,
            reason: action.reason(),
            note,
            source,
            reverses_id: None,
            by: Some(by),
        }
    }
}

impl Store {
    /// The community's earning rules, every action with its points (its default if unset).
    pub async fn points_rules(&self, community_id: i64) -> StoreResult<Vec<(Action, i64)>> {
        let set: Vec<(String, i64)> =
            read!(self, |db| sqlx::query_as("SELECT action, points FROM points_rules WHERE community_id = $1")
                .bind(community_id)
                .fetch_all(db)
                .await?);
        Ok(Action::ALL
            .iter()
            .map(|a| {
                let points = set.iter().find(|(s, _)| s == a.as_str()).map_or(a.default_points(), |(_, p)| *p);
                (*a, points)
            })
            .collect())
    }

    pub async fn set_points_rule(&self, community_id: i64, action: Action, points: i64) -> StoreResult<()> {
        if !(0..=linli_domain::volunteer::MAX_POINTS).contains(&points) {
            return Err(invalid("points", "error.points.points"));
        }
        transaction!(self, |tx| {
            exec!(
                tx,
                sqlx::query(
                    "INSERT INTO points_rules (community_id, action, points) VALUES ($1, $2, $3) \
                     ON CONFLICT (community_id, action) DO UPDATE SET points = excluded.points"
                )
                .bind(community_id)
                .bind(action.as_str())
                .bind(points)
            )?;
        })
    }

    /// A resident's balance (0 before any entry).
    pub async fn points_balance(&self, resident_id: i64) -> StoreResult<i64> {
        let b: Option<i64> =
            read!(self, |db| sqlx::query_scalar("SELECT balance FROM points_balances WHERE resident_id = $1")
                .bind(resident_id)
                .fetch_optional(db)
                .await?);
        Ok(b.unwrap_or(0))
    }

    /// A resident's ledger, the latest entry first.
    pub async fn points_ledger(&self, resident_id: i64, limit: i64) -> StoreResult<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY} WHERE e.resident_id = $1 ORDER BY e.id DESC LIMIT $2");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).bind(limit).fetch_all(db).await?))
    }

    /// The community's ledger, the latest entry first.
    pub async fn community_points_ledger(&self, community_id: i64, limit: i64) -> StoreResult<Vec<Entry>> {
        let sql = format!("SELECT {ENTRY} WHERE e.community_id = $1 ORDER BY e.id DESC LIMIT $2");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).bind(limit).fetch_all(db).await?))
    }

    /// The residents of a community whose balance is not the sum of their entries, or is
    /// below zero: none, unless something wrote past [`post`].
    pub async fn points_mismatches(&self, community_id: i64) -> StoreResult<i64> {
        Ok(read!(self, |db| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM points_balances b WHERE b.community_id = $1 AND (b.balance < 0 OR b.balance <> \
             (SELECT CAST(COALESCE(SUM(e.delta), 0) AS BIGINT) FROM points_entries e WHERE e.resident_id = b.resident_id))"
        )
        .bind(community_id)
        .fetch_one(db)
        .await?
        }))
    }

    /// Staff correct a resident's points by an entry with a reason; a correction never
    /// takes the balance below zero.
    pub async fn correct_points(
        &self,
        community_id: i64,
        resident_id: i64,
        delta: i64,
        note: &str,
        by: i64,
    ) -> StoreResult<i64> {
        if delta == 0 || delta.abs() > linli_domain::volunteer::MAX_POINTS {
            return Err(invalid("delta", "error.points.delta"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let here: Option<i64> =
                on!(tx, |c| sqlx::query_scalar("SELECT id FROM residents WHERE id = $1 AND community_id = $2")
                    .bind(resident_id)
                    .bind(community_id)
                    .fetch_optional(c)
                    .await)?;
            here.ok_or(StoreError::NotFound)?;
            let p = Post {
                community_id,
                resident_id,
                delta,
                reason: Reason::Correction,
                note,
                source: String::new(),
                reverses_id: None,
                by: Some(by),
            };
            post(tx, &p, now).await?.ok_or_else(|| invalid("delta", "error.points.below_zero"))?
        })
    }

    pub async fn create_item(&self, new: &NewItem) -> StoreResult<i64> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO shop_items (community_id, organisation_id, title, description, cost, stock, created_by, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
            )
            .bind(new.community_id)
            .bind(new.organisation_id)
            .bind(&new.title)
            .bind(&new.description)
            .bind(new.cost)
            .bind(new.stock)
            .bind(new.by)
            .bind(now)
            .fetch_one(c)
            .await)?
        })
    }

    /// Adds to an item's stock (restocking) and shows or withdraws it.
    pub async fn restock_item(&self, id: i64, add: i64, active: bool) -> StoreResult<()> {
        if !(0..=100_000).contains(&add) {
            return Err(invalid("stock", "error.points.stock"));
        }
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query("UPDATE shop_items SET stock = stock + $2, active = $3 WHERE id = $1")
                    .bind(id)
                    .bind(add)
                    .bind(active)
            )?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        })
    }

    pub async fn item(&self, id: i64) -> StoreResult<Item> {
        let sql = format!("SELECT {ITEM} WHERE i.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// The community's shop, cheapest first; withdrawn items too for `all` (staff).
    pub async fn items(&self, community_id: i64, all: bool) -> StoreResult<Vec<Item>> {
        let sql = format!("SELECT {ITEM} WHERE i.community_id = $1 AND (i.active OR $2) ORDER BY i.cost, i.id");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).bind(all).fetch_all(db).await?))
    }

    /// Redeems one of an item for a resident of its community: one of the stock and the
    /// item's cost in points, in one transaction; neither moves unless both can. The
    /// resident's balance is taken before the item's stock (and so in a reversal), so two
    /// writers never wait on each other in opposite orders.
    pub async fn redeem(&self, item_id: i64, resident_id: i64, by: i64) -> StoreResult<i64> {
        // What the balance or the stock refuses already is answered by reads: a write
        // transaction that ends in a refusal costs SQLite its writer connection (see
        // [`crate::Tx`]). The transaction below decides; this only spares it the hopeless.
        let item = self.item(item_id).await?;
        if item.stock == 0 {
            return Err(invalid("item", "error.points.out_of_stock"));
        }
        if item.active && self.points_balance(resident_id).await? < item.cost {
            return Err(invalid("item", "error.points.balance"));
        }
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let found: Option<(i64, i64, String, bool)> = on!(tx, |c| sqlx::query_as(
                "SELECT i.community_id, i.cost, i.title, i.active FROM shop_items i \
                 JOIN residents r ON r.id = $2 AND r.community_id = i.community_id AND r.moved_out_on IS NULL \
                 WHERE i.id = $1"
            )
            .bind(item_id)
            .bind(resident_id)
            .fetch_optional(c)
            .await)?;
            let (community_id, cost, title, active) = found.ok_or(StoreError::NotFound)?;
            if !active {
                return Err(invalid("item", "error.points.withdrawn"));
            }
            let id: i64 = on!(tx, |c| sqlx::query_scalar(
                "INSERT INTO redemptions (item_id, community_id, resident_id, cost, status, created_at) \
                 VALUES ($1, $2, $3, $4, 'redeemed', $5) RETURNING id"
            )
            .bind(item_id)
            .bind(community_id)
            .bind(resident_id)
            .bind(cost)
            .bind(now)
            .fetch_one(c)
            .await)?;
            let p = Post {
                community_id,
                resident_id,
                delta: -cost,
                reason: Reason::Redemption,
                note: &title,
                source: format!("redemption:{id}"),
                reverses_id: None,
                by: Some(by),
            };
            post(tx, &p, now).await?.ok_or_else(|| invalid("item", "error.points.balance"))?;
            let n = exec!(
                tx,
                sqlx::query("UPDATE shop_items SET stock = stock - 1 WHERE id = $1 AND stock > 0").bind(item_id)
            )?;
            if n == 0 {
                return Err(invalid("item", "error.points.out_of_stock"));
            }
            id
        })
    }

    /// Staff hand a redeemed item over.
    pub async fn hand_over(&self, redemption_id: i64, by: i64) -> StoreResult<()> {
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query(
                    "UPDATE redemptions SET status = 'handed', handed_by = $2, handed_at = $3 \
                     WHERE id = $1 AND status = 'redeemed'"
                )
                .bind(redemption_id)
                .bind(by)
                .bind(now)
            )?;
            if n == 0 {
                return Err(invalid("redemption", "error.points.not_redeemed"));
            }
        })
    }

    /// Reverses a redemption not yet handed over: its points come back by a new entry
    /// naming the one reversed, the item back into stock.
    pub async fn reverse_redemption(&self, redemption_id: i64, note: &str, by: i64) -> StoreResult<()> {
        let r = self.redemption(redemption_id).await?;
        let now = crate::now_ms();
        transaction!(self, |tx| {
            let n = exec!(
                tx,
                sqlx::query("UPDATE redemptions SET status = 'reversed' WHERE id = $1 AND status = 'redeemed'")
                    .bind(redemption_id)
            )?;
            if n == 0 {
                return Err(invalid("redemption", "error.points.not_redeemed"));
            }
            let spent: i64 = on!(tx, |c| sqlx::query_scalar("SELECT id FROM points_entries WHERE source = $1")
                .bind(format!("redemption:{redemption_id}"))
                .fetch_one(c)
                .await)?;
            let p = Post {
                community_id: r.community_id,
                resident_id: r.resident_id,
                delta: r.cost,
                reason: Reason::Reversal,
                note,
                source: format!("reversal:{redemption_id}"),
                reverses_id: Some(spent),
                by: Some(by),
            };
            post(tx, &p, now).await?;
            exec!(tx, sqlx::query("UPDATE shop_items SET stock = stock + 1 WHERE id = $1").bind(r.item_id))?;
        })
    }

    pub async fn redemption(&self, id: i64) -> StoreResult<Redemption> {
        let sql = format!("SELECT {REDEMPTION} WHERE r.id = $1");
        read!(self, |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await?).ok_or(StoreError::NotFound)
    }

    /// A resident's redemptions, the latest first.
    pub async fn redemptions_of(&self, resident_id: i64) -> StoreResult<Vec<Redemption>> {
        let sql = format!("SELECT {REDEMPTION} WHERE r.resident_id = $1 ORDER BY r.id DESC LIMIT 50");
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(resident_id).fetch_all(db).await?))
    }

    /// The community's redemptions waiting to be handed over first, then the latest.
    pub async fn redemptions(&self, community_id: i64) -> StoreResult<Vec<Redemption>> {
        let sql = format!(
            "SELECT {REDEMPTION} WHERE r.community_id = $1 \
             ORDER BY CASE WHEN r.status = 'redeemed' THEN 0 ELSE 1 END, r.id DESC LIMIT 200"
        );
        Ok(read!(self, |db| sqlx::query_as(&sql).bind(community_id).fetch_all(db).await?))
    }
}
