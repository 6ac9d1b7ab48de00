//! Services and community culture figures (issue 17), each beside a baseline measured in
//! the same run: registrations for an activity, and redemptions of points.
//!
//! `linli bench-registrations`: `residents` residents of the first community register for
//! one activity of `capacity` places at once, `concurrency` at a time, through
//! [`Store::register`] (what the register button calls: the activity's row lock, the
//! places counted, the line numbered, a check-in code drawn, one transaction). The run fails
//! unless exactly `capacity` hold a place, the lines run 1..=residents without gap or
//! repeat, the places went to the first `capacity` lines, every one in line was told the
//! number ahead of it that its line gives, and the codes are distinct. Beside it, the same
//! number of one-row transactions into a plain table with the same concurrency.

use crate::ballots::{one_row_baseline, pct, run};
use anyhow::{Result, bail};
use linli_domain::activity::{Kind, Organiser, Status};
use linli_domain::service::{BookingStatus, Eligibility};
use linli_store::activities::NewActivity;
use linli_store::points::NewItem;
use linli_store::{Store, StoreError, read};
use std::sync::{Arc, Mutex};

pub async fn registrations(store: Store, residents: i64, capacity: i64, concurrency: usize) -> Result<()> {
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let people: Vec<i64> =
        read!(store, |db| sqlx::query_scalar("SELECT id FROM residents WHERE community_id = $1 ORDER BY id LIMIT $2")
            .bind(community_id)
            .bind(residents)
            .fetch_all(db)
            .await?);
    let account: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(db).await?);
    let day = linli_store::today() + chrono::Days::new(7);
    let activity = store
        .create_activity(&NewActivity {
            community_id,
            kind: Kind::Festival,
            title: "基准：中秋游园会报名".into(),
            description: String::new(),
            venue: "中心广场".into(),
            starts_at: format!("{day} 18:30"),
            ends_at: format!("{day} 21:00"),
            capacity,
            eligibility: Eligibility::default(),
            grids: Vec::new(),
            organiser: Organiser::Community,
            organisation_id: None,
            status: Status::Approved,
            by: account,
        })
        .await?;
    let n = people.len();
    println!(
        "== {n} residents register for {capacity} places at once, {concurrency} at a time ({} cores)",
        std::thread::available_parallelism()?
    );
    let ids = Arc::new(people);
    let told: Arc<Mutex<Vec<(i64, BookingStatus, i64)>>> = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let (s, ids2, told2) = (store.clone(), ids.clone(), told.clone());
    let (wall, times) = run(n, concurrency, move |i| {
        let (s, ids, told) = (s.clone(), ids2.clone(), told2.clone());
        async move {
            let placed = s.register(activity, ids[i], account, true).await?;
            told.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push((placed.id, placed.status, placed.ahead));
            Ok(())
        }
    })
    .await?;
    let rate = n as f64 / wall;
    println!(
        "registrations: {rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms, all {n} in {wall:.2} s",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );

    let rows: Vec<(i64, i64, String, String)> = read!(store, |db| sqlx::query_as(
        "SELECT id, line, status, code FROM registrations WHERE activity_id = $1 ORDER BY line"
    )
    .bind(activity)
    .fetch_all(db)
    .await?);
    let lines: Vec<i64> = rows.iter().map(|r| r.1).collect();
    if lines != (1..=n as i64).collect::<Vec<_>>() {
        bail!("the lines are not 1..={n}");
    }
    let held: Vec<i64> = rows.iter().filter(|r| r.2 == "booked").map(|r| r.1).collect();
    if held != (1..=capacity.min(n as i64)).collect::<Vec<_>>() {
        bail!("{} places held, by lines {:?}…", held.len(), held.iter().take(5).collect::<Vec<_>>());
    }
    let mut codes: Vec<&str> = rows.iter().map(|r| r.3.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    if codes.len() != n {
        bail!("{} distinct codes for {n} registrations", codes.len());
    }
    let line_of: std::collections::HashMap<i64, i64> = rows.iter().map(|r| (r.0, r.1)).collect();
    let told: Vec<(i64, BookingStatus, i64)> = told.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone();
    for (id, status, ahead) in told.iter() {
        let line = line_of.get(id).copied().unwrap_or_default();
        let expected = if line <= capacity { BookingStatus::Booked } else { BookingStatus::Waiting };
        if *status != expected || (*status == BookingStatus::Waiting && *ahead != line - capacity - 1) {
            bail!("registration {id} at line {line} was told {} with {ahead} ahead", status.as_str());
        }
    }
    println!(
        "exactly {capacity} places held, by the first {capacity} arrivals; {} in line in arrival order, each told its place; {n} distinct codes",
        n as i64 - capacity
    );
    one_row_baseline(&store, n, concurrency, rate).await
}

/// `linli bench-redemptions`: `residents` residents of the first community, each given by
/// a staff correction exactly what `allowed` redemptions cost, try `tries` redemptions
/// each, all at once, `concurrency` at a time, through [`Store::redeem`] (the balance's
/// guarded update, the stock's, the redemption and its ledger entry, one transaction). The
/// run fails unless exactly `residents × allowed` succeed and the rest are refused for the
/// balance, every balance ends at zero (never below), the ledger's sums equal the balances,
/// and the stock fell by the redemptions. Beside it, the same number of one-row
/// transactions with the same concurrency.
pub async fn redemptions(store: Store, residents: i64, allowed: i64, tries: i64, concurrency: usize) -> Result<()> {
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let people: Vec<i64> = read!(store, |db| sqlx::query_scalar(
        "SELECT id FROM residents WHERE community_id = $1 AND moved_out_on IS NULL \
         AND id NOT IN (SELECT resident_id FROM points_balances) ORDER BY id LIMIT $2"
    )
    .bind(community_id)
    .bind(residents)
    .fetch_all(db)
    .await?);
    let account: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(db).await?);
    let cost = 10;
    for &r in &people {
        store.correct_points(community_id, r, cost * allowed, "基准：补录积分", account).await?;
    }
    let stock = people.len() as i64 * tries;
    let item = store
        .create_item(&NewItem {
            community_id,
            organisation_id: None,
            title: "基准：餐券".into(),
            description: String::new(),
            cost,
            stock,
            by: account,
        })
        .await?;
    let n = people.len() * tries as usize;
    println!(
        "== {n} redemptions at once ({} residents × {tries}, balances allow {allowed} each), {concurrency} at a time ({} cores)",
        people.len(),
        std::thread::available_parallelism()?
    );
    let ids = Arc::new(people.clone());
    let outcomes: Arc<Mutex<(usize, usize)>> = Arc::new(Mutex::new((0, 0)));
    let (s, ids2, out2) = (store.clone(), ids.clone(), outcomes.clone());
    let (wall, times) = run(n, concurrency, move |i| {
        let (s, ids, out) = (s.clone(), ids2.clone(), out2.clone());
        async move {
            let resident = ids[i % ids.len()];
            let result = s.redeem(item, resident, account).await;
            let mut o = out.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
            match result {
                Ok(_) => o.0 += 1,
                Err(StoreError::Invalid(f)) if f.key == "error.points.balance" => o.1 += 1,
                Err(e) => return Err(e.into()),
            }
            Ok(())
        }
    })
    .await?;
    let rate = n as f64 / wall;
    println!(
        "redemptions: {rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms, all {n} in {wall:.2} s",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );
    let (ok, refused) = *outcomes.lock().map_err(|_| anyhow::anyhow!("poisoned"))?;
    let expected = people.len() * allowed as usize;
    if ok != expected || refused != n - expected {
        bail!("{ok} redeemed and {refused} refused; expected {expected} and {}", n - expected);
    }
    for &r in &people {
        let b = store.points_balance(r).await?;
        if b != 0 {
            bail!("resident {r} ends with {b} points");
        }
    }
    let mismatches = store.points_mismatches(community_id).await?;
    if mismatches != 0 {
        bail!("{mismatches} balances differ from their ledger's sum");
    }
    let left = store.item(item).await?.stock;
    if left != stock - ok as i64 {
        bail!("stock {left}, expected {}", stock - ok as i64);
    }
    println!(
        "exactly {ok} redeemed, {refused} refused for the balance; every balance 0, none below; ledger sums equal balances; stock {stock} → {left}"
    );
    one_row_baseline(&store, n, concurrency, rate).await
}
