//! What the system wrote on timelines and in notices before migration 0017 were Chinese or
//! bilingual sentences. The migration turns each into a remark (a kind and its
//! particulars) that pages put in the reader's language; a person's words stay as written.

use linli_domain::case::Remark;
use linli_store::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, exec, read};
use linli_test_support::{dual_backend_test, small_demo};

dual_backend_test!(the_sentences_written_before_become_remarks, |db| {
    let demo = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let ids: Vec<i64> = read!(db.store, |p| sqlx::query_scalar(
        "SELECT id FROM cases WHERE community_id = $1 AND reporter_account_id IS NOT NULL ORDER BY id LIMIT 2"
    )
    .bind(demo.community_id)
    .fetch_all(p)
    .await
    .unwrap());
    let (kept, merged) = (ids[0], ids[1]);
    let mut tx = db.store.begin().await.unwrap();
    exec!(tx, sqlx::query("UPDATE cases SET merged_into = $1 WHERE id = $2").bind(kept).bind(merged)).unwrap();
    let legacy: Vec<(i64, &str, String)> = vec![
        (kept, "remind", "已超期，系统自动催办".into()),
        (kept, "escalate", "超期一天仍未办结，系统自动上报社区".into()),
        (kept, "escalate", "risk: violence".into()),
        (kept, "accept", "确认报警 / alarm acknowledged".into()),
        (kept, "rate", "★★★★★ 7 日内未评价，默认满意 / no answer in 7 days: counted as satisfied".into()),
        (kept, "merged", format!("#{merged}")),
        (kept, "alarm", "3号楼烟感 · smoke".into()),
        (kept, "mediation", "2026-11-03 settled · 张三、李四".into()),
        (kept, "settlement", "agreement".into()),
        (kept, "comment", "路灯修好了吗？已合并 · 谢谢".into()),
        (merged, "refuse", format!("与 #{kept} 重复，已合并 / duplicate of #{kept}")),
    ];
    for (case, kind, note) in &legacy {
        const INSERT: &str = "INSERT INTO case_events (case_id, at, account_id, kind, from_state, to_state, note) \
             VALUES ($1, 1, NULL, $2, 'registered', 'registered', $3)";
        exec!(tx, sqlx::query(INSERT).bind(case).bind(kind).bind(note)).unwrap();
    }
    let reporter: i64 = read!(db.store, |p| sqlx::query_scalar("SELECT reporter_account_id FROM cases WHERE id = $1")
        .bind(merged)
        .fetch_one(p)
        .await
        .unwrap());
    const NOTICE: &str = "INSERT INTO notifications (account_id, case_id, kind, created_at, detail) VALUES ($1, $2, 'yours_refused', 1, $3)";
    let legacy_detail = format!("与 #{kept} 重复，已合并 / duplicate of #{kept}");
    exec!(tx, sqlx::query(NOTICE).bind(reporter).bind(merged).bind(&legacy_detail)).unwrap();

    // The migration's rewrite, run over these rows (its columns are there already).
    let tree = if db.store.backend_name() == "postgres" { &POSTGRES_MIGRATIONS } else { &SQLITE_MIGRATIONS };
    let migration = tree.iter().find(|m| m.version == 17).unwrap();
    let rewrite: String =
        migration.sql.lines().filter(|l| !l.contains("ADD COLUMN remark")).collect::<Vec<_>>().join("\n");
    exec!(tx, sqlx::raw_sql(&rewrite)).unwrap();
    tx.commit().await.unwrap();
    drop(tx);

    let store = &db.store;
    let old = |case| async move {
        let events = store.case_timeline(case).await.unwrap();
        events.into_iter().filter(|e| e.at == 1).map(|e| (e.note.clone(), e.remark())).collect::<Vec<_>>()
    };
    let s = |t: &str| t.to_owned();
    assert_eq!(
        old(kept).await,
        vec![
            (s(""), Some(Remark::OverdueReminder)),
            (s(""), Some(Remark::OverdueEscalation)),
            (s(""), Some(Remark::ViolenceEscalation)),
            (s(""), Some(Remark::AlarmAcknowledged)),
            (s("★★★★★"), Some(Remark::UnansweredRating { days: 7 })),
            (s(""), Some(Remark::Merged { case: merged })),
            (s(""), Some(Remark::AlarmJoined { device: s("3号楼烟感"), alarm: s("smoke") })),
            (
                s(""),
                Some(Remark::Mediation {
                    held_on: s("2026-11-03"), outcome: s("settled"), mediators: s("张三、李四")
                })
            ),
            (s(""), Some(Remark::Code { code: s("agreement") })),
            (s("路灯修好了吗？已合并 · 谢谢"), None),
        ]
    );
    assert_eq!(old(merged).await, vec![(s(""), Some(Remark::DuplicateOf { case: kept }))]);
    let inbox = db.store.inbox(reporter, 50).await.unwrap();
    let notice = inbox.iter().find(|n| n.case_id == Some(merged) && n.kind == "yours_refused").unwrap();
    assert_eq!(
        (notice.detail.as_str(), Remark::from_json(notice.remark.as_deref())),
        ("", Some(Remark::DuplicateOf { case: kept }))
    );
    // The timeline is append-only again afterwards.
    let mut tx = db.store.begin().await.unwrap();
    let changed = exec!(tx, sqlx::query("UPDATE case_events SET note = 'x' WHERE case_id = $1").bind(kept));
    assert!(changed.is_err(), "the append-only rule is back");
});
