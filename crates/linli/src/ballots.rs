//! `linli bench-ballots`: the owners' assembly figures (issue 15), each beside a baseline
//! measured in the same run on the same database.
//!
//! 1. Every owner of the first community casts a ballot at once through
//!    [`Store::cast_ballot`] (what the ballot page calls), `concurrency` at a time: ballots/s
//!    and p50/p99, beside the same number of one-row transactions into a plain table with the
//!    same concurrency. Then the tally is checked against an independent SQL count.
//! 2. `rounds` times, 64 submissions of one owner's ballot at once: exactly one is stored
//!    every time.
//! 3. The tally's latency beside a plain `SELECT count(*)` over the same ballots.

use anyhow::{Result, bail};
use linli_domain::assembly::{Channel, Choice, Form, Marks, MatterKind};
use linli_store::assemblies::{Cast, CastOutcome, NewAssembly, NewMatter};
use linli_store::{Store, exec, read, transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

async fn open_assembly(store: &Store, community_id: i64, title: &str) -> Result<i64> {
    let today = linli_store::today();
    let new = NewAssembly {
        convener: linli_domain::assembly::Convener::OwnersCommittee,
        petition_id: None,
        seats: None,
        community_id,
        title: title.into(),
        form: Form::Written,
        opens_on: today.to_string(),
        closes_on: (today + chrono::Duration::days(14)).to_string(),
        allow_changes: false,
        show_running: false,
        matters: vec![NewMatter {
            kind: MatterKind::PropertyCompany,
            title: "续聘物业服务企业".into(),
            body: String::new(),
        }],
    };
    let id = store.create_assembly(&new, None).await?;
    store.publish_assembly(id, false).await?;
    Ok(id)
}

fn choice(i: usize) -> Choice {
    match i % 10 {
        0..=6 => Choice::Agree,
        7 | 8 => Choice::Oppose,
        _ => Choice::Abstain,
    }
}

fn cast(assembly_id: i64, elector_id: i64, choice: Choice) -> Cast {
    Cast {
        assembly_id,
        elector_id,
        channel: Channel::Online,
        marks: Marks::Choices(vec![Some(choice)]),
        cast_by: None,
        on_paper: false,
        today: linli_store::today().to_string(),
        at: linli_store::now_ms(),
    }
}

/// Runs `jobs` with `concurrency` workers; returns the wall time and each job's latency (ms).
pub(crate) async fn run<F, Fut>(jobs: usize, concurrency: usize, job: F) -> Result<(f64, Vec<f64>)>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let job = Arc::new(job);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (job, next) = (job.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= jobs {
                    return Ok::<_, anyhow::Error>(times);
                }
                let t = Instant::now();
                job(i).await?;
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }));
    }
    let mut all = Vec::with_capacity(jobs);
    for w in workers {
        all.extend(w.await??);
    }
    let wall = start.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    Ok((wall, all))
}

/// The baseline every write figure stands beside: `n` one-row transactions into a plain
/// table, `concurrency` at a time, on the same database; prints them with the ratio of
/// `rate` (the figure's own, per second) to theirs.
pub(crate) async fn one_row_baseline(store: &Store, n: usize, concurrency: usize, rate: f64) -> Result<()> {
    transaction!(store, |tx| {
        exec!(tx, sqlx::query("CREATE TABLE bench_one_row (id BIGINT PRIMARY KEY, v TEXT NOT NULL)"))?;
    })?;
    let s = store.clone();
    let (raw_wall, raw_times) = run(n, concurrency, move |i| {
        let s = s.clone();
        async move {
            transaction!(s, |tx| {
                exec!(tx, sqlx::query("INSERT INTO bench_one_row (id, v) VALUES ($1, 'agree')").bind(i as i64))?;
            })?;
            Ok(())
        }
    })
    .await?;
    transaction!(store, |tx| {
        exec!(tx, sqlx::query("DROP TABLE bench_one_row"))?;
    })?;
    let raw_rate = n as f64 / raw_wall;
    println!(
        "baseline, one-row transactions: {raw_rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms; ratio Linli/baseline {:.2}",
        pct(&raw_times, 0.5),
        pct(&raw_times, 0.99),
        rate / raw_rate
    );
    Ok(())
}

pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn median_ms(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

pub async fn bench(store: Store, concurrency: usize, rounds: usize) -> Result<()> {
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let id = open_assembly(&store, community_id, "基准：全体业主同时投票").await?;
    let electors = store.assembly_electors(id).await?;
    let n = electors.len();
    println!("== {n} owners on the roll, {concurrency} at a time ({} cores)", std::thread::available_parallelism()?);

    // 1. Every owner casts a ballot at once.
    let ids: Arc<Vec<i64>> = Arc::new(electors.iter().map(|e| e.id).collect());
    let (s, ids2) = (store.clone(), ids.clone());
    let (wall, times) = run(n, concurrency, move |i| {
        let (s, ids) = (s.clone(), ids2.clone());
        async move {
            match s.cast_ballot(&cast(id, ids[i], choice(i))).await? {
                CastOutcome::Counted { .. } => Ok(()),
                CastOutcome::Superseded => bail!("ballot {i} not counted"),
            }
        }
    })
    .await?;
    let linli_rate = n as f64 / wall;
    println!("ballots: {linli_rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms", pct(&times, 0.5), pct(&times, 0.99));

    one_row_baseline(&store, n, concurrency, linli_rate).await?;

    // The tally against an independent count, straight from the rows.
    let tally = store.assembly_tally(id).await?;
    let independent: Vec<(String, i64, i64)> = read!(store, |db| {
        sqlx::query_as(
        "SELECT b.marks, COUNT(*), CAST(SUM(e.area_dm2) AS BIGINT) FROM assembly_ballots b JOIN assembly_electors e ON e.id = b.elector_id \
         WHERE b.assembly_id = $1 GROUP BY b.marks ORDER BY b.marks"
    )
    .bind(id)
    .fetch_all(db)
    .await?
    });
    let side = |code: &str| independent.iter().find(|r| r.0 == code).map_or((0, 0), |r| (r.1, r.2));
    let m = &tally.matters[0];
    let agrees = [
        (side("agree"), (m.agree.owners, m.agree.area_dm2)),
        (side("oppose"), (m.oppose.owners, m.oppose.area_dm2)),
        (side("abstain"), (m.abstain.owners, m.abstain.area_dm2)),
    ];
    let total = independent.iter().map(|r| r.1).sum::<i64>();
    if agrees.iter().any(|(a, b)| a != b) || total != tally.participation.owners || total != n as i64 {
        bail!("the tally {agrees:?} disagrees with the independent count");
    }
    println!("tally equals the independent count: {total} ballots, agree {:?}, oppose {:?}", agrees[0].0, agrees[1].0);

    // 2. 64 submissions of one owner's ballot at once, `rounds` times.
    let second = open_assembly(&store, community_id, "基准：同一业主并发提交").await?;
    let voters = store.assembly_electors(second).await?;
    let start = Instant::now();
    for (round, voter) in voters.iter().take(rounds).enumerate() {
        let elector = voter.id;
        let tries: Vec<_> = (0..64)
            .map(|i| {
                let s = store.clone();
                tokio::spawn(async move { s.cast_ballot(&cast(second, elector, choice(i))).await })
            })
            .collect();
        let mut counted = 0;
        for t in tries {
            if let Ok(CastOutcome::Counted { .. }) = t.await? {
                counted += 1;
            }
        }
        let stored: i64 = read!(store, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM assembly_ballots WHERE assembly_id = $1 AND elector_id = $2"
        )
        .bind(second)
        .bind(elector)
        .fetch_one(db)
        .await?);
        if counted != 1 || stored != 1 {
            bail!("round {round}: {counted} accepted, {stored} stored");
        }
    }
    println!(
        "64 concurrent submissions of one ballot: exactly one stored in each of {} rounds ({:.1} s)",
        rounds.min(voters.len()),
        start.elapsed().as_secs_f64()
    );
    if store.verify_ballot_chain(id).await?.is_err() || store.verify_ballot_chain(second).await?.is_err() {
        bail!("a ballot chain does not verify");
    }

    // 3. The tally beside a plain count over the same ballots.
    let mut tally_ms = Vec::new();
    let mut count_ms = Vec::new();
    for _ in 0..7 {
        let t = Instant::now();
        store.assembly_tally(id).await?;
        tally_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        let _: i64 =
            read!(store, |db| sqlx::query_scalar("SELECT count(*) FROM assembly_ballots WHERE assembly_id = $1")
                .bind(id)
                .fetch_one(db)
                .await?);
        count_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (tally, count) = (median_ms(tally_ms), median_ms(count_ms));
    println!(
        "tally of {n} ballots: {tally:.1} ms (median of 7); SELECT count(*): {count:.2} ms; ratio {:.0}",
        tally / count
    );
    store.close().await;
    Ok(())
}
