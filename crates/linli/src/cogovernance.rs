//! Co-governance figures (issue 16), each beside a baseline measured in the same run.
//!
//! `linli bench-supports`: residents' proposals. Every resident of the first
//! community (up to `residents`) supports one proposal at once through
//! [`Store::support_proposal`] (what the support button calls: the open check, the
//! one-per-resident row, the count and the move to triage in one transaction), then each
//! sends the same support again, all at once. The proposal's threshold is the number of
//! supporters, so the last support sends it to triage. The run fails unless the count
//! equals the rows, equals the supporters, and triage was reached once. Beside it, the same
//! number of one-row transactions into a plain table with the same concurrency.

use crate::ballots::{one_row_baseline, pct, run};
use anyhow::{Result, bail};
use linli_domain::announcement::Audience;
use linli_store::announcements::NewAnnouncement;
use linli_store::proposals::NewProposal;
use linli_store::{Store, exec, read, transaction};
use std::sync::Arc;
use std::time::Instant;

pub async fn supports(store: Store, residents: i64, concurrency: usize) -> Result<()> {
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let people: Vec<i64> =
        read!(store, |db| sqlx::query_scalar("SELECT id FROM residents WHERE community_id = $1 ORDER BY id LIMIT $2")
            .bind(community_id)
            .bind(residents + 1)
            .fetch_all(db)
            .await?);
    let account: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(db).await?);
    let (author, supporters) = people.split_first().ok_or_else(|| anyhow::anyhow!("no residents"))?;
    let n = supporters.len();
    let id = store
        .propose(&NewProposal {
            community_id,
            account_id: account,
            resident_id: *author,
            title: "基准：全体居民同时附议".into(),
            body: "每位居民同时附议同一议题，附议数须与记录一致。".into(),
            photos: Vec::new(),
        })
        .await?;
    // Bench aid: the threshold is exactly the supporters, so the last one sends it to triage.
    transaction!(store, |tx| {
        exec!(tx, sqlx::query("UPDATE proposals SET threshold = $1 WHERE id = $2").bind(n as i64).bind(id))?;
    })?;
    let proposal = store.proposal(id).await?;
    // Any account other than the author's: who supports is the resident row.
    let other = account + 1;
    println!(
        "== {n} residents support one proposal, {concurrency} at a time ({} cores)",
        std::thread::available_parallelism()?
    );

    let ids: Arc<Vec<i64>> = Arc::new(supporters.to_vec());
    let (s, p, ids2) = (store.clone(), proposal.clone(), ids.clone());
    let (wall, times) = run(n, concurrency, move |i| {
        let (s, p, ids) = (s.clone(), p.clone(), ids2.clone());
        async move {
            s.support_proposal(&p, ids[i], other).await?;
            Ok(())
        }
    })
    .await?;
    let rate = n as f64 / wall;
    println!(
        "supports: {rate:.0}/s, p50 {:.1} ms, p99 {:.1} ms, all {n} in {wall:.2} s",
        pct(&times, 0.5),
        pct(&times, 0.99)
    );

    // Every one of them again, at once: none may count.
    let (s, p, ids2) = (store.clone(), proposal.clone(), ids.clone());
    let (_, _) = run(n, concurrency, move |i| {
        let (s, p, ids) = (s.clone(), p.clone(), ids2.clone());
        async move {
            if s.support_proposal(&p, ids[i], other).await.is_ok() {
                bail!("a second support of resident {} counted", ids[i]);
            }
            Ok(())
        }
    })
    .await?;
    let after = store.proposal(id).await?;
    let rows = store.counted_supports(id).await?;
    let reached: i64 = read!(store, |db| sqlx::query_scalar(
        "SELECT COUNT(DISTINCT created_at) FROM notifications WHERE proposal_id = $1 AND kind = 'proposal_reached'"
    )
    .bind(id)
    .fetch_one(db)
    .await?);
    if after.supports != rows || rows != n as i64 || after.status.as_str() != "triage" || reached != 1 {
        bail!(
            "count {} rows {rows} supporters {n} status {} triage notices {reached}",
            after.supports,
            after.status.as_str()
        );
    }
    println!(
        "counted exactly: {rows} supports = {rows} rows = {n} supporters; triage reached once; {n} repeats refused"
    );

    one_row_baseline(&store, n, concurrency, rate).await
}

/// `linli bench-announcement`: an announcement to the buildings holding about `first`
/// adult residents (each building whole; every one of them given a verified account first,
/// so each gets an inbox row and an outbox row), then one to the whole first community (where
/// only those have accounts). For each:
/// the time until every receipt, inbox row and outbox row is written, beside a plain
/// `INSERT … SELECT` of the same number of rows into three bare tables in one transaction.
/// Then the read-receipt page's queries (receipts by grid and the first page of one grid's
/// unread people) for the whole community's announcement, `rounds` times: p50 and p99,
/// beside a plain `COUNT(*)` of its receipts.
pub async fn announcement(store: Store, first: i64, rounds: usize) -> Result<()> {
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let by: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(db).await?);
    let born_by = (linli_store::today() - chrono::Months::new(18 * 12)).to_string();
    let per_building: Vec<(i64, i64)> = read!(store, |db| sqlx::query_as(
        "SELECT h.building_id, COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
         WHERE r.community_id = $1 AND r.birth_date <= $2 GROUP BY h.building_id ORDER BY h.building_id"
    )
    .bind(community_id)
    .bind(&born_by)
    .fetch_all(db)
    .await?);
    let mut buildings = Vec::new();
    let mut adults = 0;
    for (b, n) in per_building {
        if adults >= first {
            break;
        }
        buildings.push(b);
        adults += n;
    }
    // Bench aid: every adult of those buildings has a verified account (the demo's password).
    let list = buildings.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    let now = linli_store::now_ms();
    transaction!(store, |tx| {
        exec!(
            tx,
            sqlx::query(&format!(
                "INSERT INTO accounts (username, display_name, password_hash, password_changed_at, created_at, resident_id) \
                 SELECT 'bench' || CAST(r.id AS TEXT), r.name, (SELECT password_hash FROM accounts WHERE id = $1), $2, $2, r.id \
                 FROM residents r JOIN households h ON h.id = r.household_id \
                 WHERE r.community_id = $3 AND r.birth_date <= $4 AND h.building_id IN ({list}) \
                 AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.resident_id = r.id)"
            ))
            .bind(by)
            .bind(now)
            .bind(community_id)
            .bind(&born_by)
        )?;
    })?;
    let notice = |audience: Audience, places: Vec<i64>, title: &str| NewAnnouncement {
        community_id,
        title: title.into(),
        body: "因管道维修，12 月 9 日 9:00–15:00 停水，请提前储水。".into(),
        important: true,
        pinned: false,
        expires_on: None,
        audience,
        places,
        roles: Vec::new(),
        by,
    };
    println!("== announcements in a community ({} cores)", std::thread::available_parallelism()?);
    transaction!(store, |tx| {
        for t in ["bench_receipts", "bench_inbox", "bench_outbox"] {
            exec!(
                tx,
                sqlx::query(&format!("CREATE TABLE {t} (id BIGINT NOT NULL, resident_id BIGINT, at BIGINT NOT NULL)"))
            )?;
        }
    })?;
    let mut whole = 0;
    for (audience, places, title) in [
        (Audience::Buildings, buildings, "基准：部分楼栋停水"),
        (Audience::Community, Vec::new(), "基准：全体居民通知"),
    ] {
        let start = Instant::now();
        let (id, reached) = store.publish_announcement(&notice(audience, places, title)).await?;
        let linli = start.elapsed().as_secs_f64() * 1000.0;
        let inbox: i64 = read!(store, |db| {
            sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications n JOIN outbox o ON o.notification_id = n.id WHERE n.announcement_id = $1"
        )
        .bind(id)
        .fetch_one(db)
        .await?
        });
        let start = Instant::now();
        transaction!(store, |tx| {
            for t in ["bench_receipts", "bench_inbox", "bench_outbox"] {
                exec!(
                    tx,
                    sqlx::query(&format!(
                        "INSERT INTO {t} (id, resident_id, at) SELECT $1, resident_id, 0 FROM announcement_receipts WHERE announcement_id = $1"
                    ))
                    .bind(id)
                )?;
            }
        })?;
        let raw = start.elapsed().as_secs_f64() * 1000.0;
        println!(
            "{reached} receipts, {inbox} inbox and outbox rows written in {linli:.0} ms; baseline, 3 × {reached} bare rows: {raw:.0} ms; ratio {:.2}",
            linli / raw
        );
        whole = id;
    }
    transaction!(store, |tx| {
        for t in ["bench_receipts", "bench_inbox", "bench_outbox"] {
            exec!(tx, sqlx::query(&format!("DROP TABLE {t}")))?;
        }
    })?;

    // The receipts page of the whole community's announcement.
    let grid = store.receipts_by_grid(whole, None).await?.iter().find_map(|g| g.grid_id).unwrap_or_default();
    let (mut page, mut plain) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        let grids = store.receipts_by_grid(whole, None).await?;
        let unread = store.unread_in_grid(whole, grid, 101, 0).await?;
        page.push(start.elapsed().as_secs_f64() * 1000.0);
        if grids.is_empty() || unread.is_empty() {
            bail!("the receipts page came back empty");
        }
        let start = Instant::now();
        let _: i64 = read!(store, |db| sqlx::query_scalar(
            "SELECT COUNT(*) FROM announcement_receipts WHERE announcement_id = $1"
        )
        .bind(whole)
        .fetch_one(db)
        .await?);
        plain.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    page.sort_by(f64::total_cmp);
    plain.sort_by(f64::total_cmp);
    let total = store.announcement(whole).await?.recipients;
    println!(
        "receipts page at {total} receipts: p50 {:.1} ms, p99 {:.1} ms; baseline COUNT(*) of its receipts: p50 {:.1} ms, p99 {:.1} ms; ratio p99 {:.2}",
        pct(&page, 0.5),
        pct(&page, 0.99),
        pct(&plain, 0.5),
        pct(&plain, 0.99),
        pct(&page, 0.99) / pct(&plain, 0.99)
    );
    Ok(())
}

/// `linli bench-survey`: a 20-question anonymous survey (eight single choices, four
/// multiple choices of up to three, six ratings, two optional texts) sent to the whole first
/// community, answered by `answers` of its residents through [`Store::answer_survey`] with
/// `concurrency` at once (the rate is printed). Then the results page's queries (the counts
/// of every option and rating, the rate by grid, the shown texts) `rounds` times over, for
/// the whole community and for one grid: p50 and p99, beside a plain scan that reads every
/// stored answer of the survey once.
pub async fn survey(store: Store, answers: usize, concurrency: usize, rounds: usize) -> Result<()> {
    use linli_domain::survey::{Draft, Given, Kind};
    use linli_store::surveys::NewSurvey;
    let community_id = store.communities(None).await?.first().map(|c| c.id).unwrap_or_default();
    let by: i64 = read!(store, |db| sqlx::query_scalar("SELECT MIN(id) FROM accounts").fetch_one(db).await?);
    let today = linli_store::today();
    let draft = |i: usize| {
        let kind = match i {
            0..8 => Kind::Single,
            8..12 => Kind::Multiple,
            12..18 => Kind::Rating,
            _ => Kind::Text,
        };
        let options = match kind {
            Kind::Single => (1..=4).map(|o| format!("选项{o}")).collect(),
            Kind::Multiple => (1..=5).map(|o| format!("选项{o}")).collect(),
            _ => Vec::new(),
        };
        Draft {
            kind,
            prompt: format!("第{}题", i + 1),
            required: kind != Kind::Text,
            options,
            min_choices: i64::from(kind == Kind::Multiple),
            max_choices: if kind == Kind::Multiple { 3 } else { 0 },
            scale: if kind == Kind::Rating { 5 } else { 0 },
            show_if: None,
        }
    };
    let questions: Vec<Draft> = (0..20).map(draft).collect();
    let new = NewSurvey {
        community_id,
        title: "基准：20 题问卷".into(),
        intro: String::new(),
        anonymous: true,
        audience: Audience::Community,
        places: Vec::new(),
        roles: Vec::new(),
        opens_on: today.to_string(),
        closes_on: today.to_string(),
        scorecard: None,
        by,
    };
    let id = store.create_survey(&new, &questions).await?;
    let start = Instant::now();
    let invited = store.send_survey(id, by).await?;
    println!(
        "== a 20-question survey in a community ({} cores): sent to {invited} residents in {:.0} ms",
        std::thread::available_parallelism()?,
        start.elapsed().as_secs_f64() * 1000.0
    );
    let s = Arc::new(store.survey(id).await?);
    let qs = Arc::new(store.questions(id).await?);
    let people: Arc<Vec<i64>> = Arc::new(read!(store, |db| sqlx::query_scalar(
        "SELECT resident_id FROM survey_invitations WHERE survey_id = $1 ORDER BY resident_id LIMIT $2"
    )
    .bind(id)
    .bind(answers as i64)
    .fetch_all(db)
    .await?));
    if people.len() < answers {
        bail!("only {} residents to answer", people.len());
    }
    let text_questions: Vec<i64> = qs.iter().filter(|q| q.kind == Kind::Text).map(|q| q.id).collect();
    let writer = store.clone();
    let (wall, times) = run(answers, concurrency, move |i| {
        let (store, s, qs, resident) = (writer.clone(), s.clone(), qs.clone(), people[i]);
        async move {
            let given: Vec<(i64, Given)> = qs
                .iter()
                .enumerate()
                .filter_map(|(k, q)| {
                    let pick = (i * 7 + k * 3) % 5;
                    let g = match q.kind {
                        Kind::Single => Given::Choices(vec![q.options[pick % 4].0]),
                        Kind::Multiple => {
                            Given::Choices(q.options.iter().skip(pick % 3).take(1 + pick % 3).map(|o| o.0).collect())
                        }
                        Kind::Rating => Given::Rating(1 + (pick as i64 + k as i64) % 5),
                        Kind::Text if i % 5 == 0 => Given::Text(format!("意见{i}")),
                        Kind::Text => return None,
                    };
                    Some((q.id, g))
                })
                .collect();
            store.answer_survey(&s, None, Some(resident), &given).await?;
            Ok(())
        }
    })
    .await?;
    let rows: i64 = read!(store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM survey_answers WHERE survey_id = $1")
        .bind(id)
        .fetch_one(db)
        .await?);
    println!(
        "{answers} answers ({rows} answer rows) at {concurrency} at once: {:.0} answers/s, p50 {:.1} ms, p99 {:.1} ms",
        answers as f64 / wall,
        pct(&times, 0.5),
        pct(&times, 0.99)
    );
    store.analyze().await?;
    let rates = store.survey_rates(id).await?;
    let grid = rates.iter().filter_map(|r| r.grid_id.map(|g| (g, r.answered))).max_by_key(|r| r.1);
    for (label, grid) in [("the whole community", None), ("one grid", grid.map(|g| g.0))] {
        let (mut page, mut plain) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let start = Instant::now();
            let results = store.survey_results(id, grid).await?;
            let _ = store.survey_rates(id).await?;
            for q in &text_questions {
                let _ = store.text_answers(*q, grid, 50).await?;
            }
            page.push(start.elapsed().as_secs_f64() * 1000.0);
            if results.responses == 0 {
                bail!("no responses counted");
            }
            let start = Instant::now();
            let _: (i64, Option<i64>) = read!(store, |db| {
                sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(COALESCE(option_id, 0) + COALESCE(value, 0)) AS BIGINT) FROM survey_answers WHERE survey_id = $1"
            )
            .bind(id)
            .fetch_one(db)
            .await?
            });
            plain.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        page.sort_by(f64::total_cmp);
        plain.sort_by(f64::total_cmp);
        println!(
            "results of {label} at {answers} answers: p50 {:.1} ms, p99 {:.1} ms; baseline plain scan of the {rows} answer rows: p50 {:.1} ms, p99 {:.1} ms; ratio p99 {:.2}",
            pct(&page, 0.5),
            pct(&page, 0.99),
            pct(&plain, 0.5),
            pct(&plain, 0.99),
            pct(&page, 0.99) / pct(&plain, 0.99)
        );
    }
    Ok(())
}
