//! Store behaviour on both backends.

use linli_domain::Role;
use linli_domain::identity::{DisplayName, LoginName, NewPassword, Phone, Username};
use linli_store::accounts::{NewAccount, NewAssignment};
use linli_store::throttle::{ThrottleKey, ThrottlePolicy};
use linli_store::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS, StoreError, read};
use linli_test_support::{dual_backend_test, small_demo};

#[test]
fn both_migration_trees_have_the_same_versions() {
    let versions =
        |m: &sqlx::migrate::Migrator| m.iter().map(|x| (x.version, x.description.to_string())).collect::<Vec<_>>();
    assert!(!versions(&SQLITE_MIGRATIONS).is_empty());
    assert_eq!(versions(&SQLITE_MIGRATIONS), versions(&POSTGRES_MIGRATIONS));
}

/// What a migration makes, read off its SQL whatever the dialect: each table with its
/// columns, each index, each trigger (by name), and columns added later.
fn schema_of(sql: &str) -> std::collections::BTreeSet<String> {
    let mut made = std::collections::BTreeSet::new();
    let words = |line: &str| {
        line.split_whitespace()
            .map(|w| w.trim_matches(|c| c == '(' || c == ',' || c == ';').to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    let mut table: Option<String> = None;
    for line in sql.lines().map(|l| l.split("--").next().unwrap_or_default().trim()) {
        let w = words(line);
        let w: Vec<&str> = w.iter().map(String::as_str).collect();
        match w.as_slice() {
            ["create", "table", "if", "not", "exists", name, ..] | ["create", "table", name, ..] => {
                table = Some((*name).to_owned());
                made.insert(format!("table {name}"));
            }
            ["create", "unique", "index", "if", "not", "exists", name, ..]
            | ["create", "index", "if", "not", "exists", name, ..]
            | ["create", "unique", "index", name, ..]
            | ["create", "index", name, ..] => {
                made.insert(format!("index {name}"));
            }
            ["create", "trigger", name, ..] | ["create", "or", "replace", "trigger", name, ..] => {
                made.insert(format!("trigger {name}"));
            }
            ["alter", "table", name, "add", "column", column, ..] => {
                made.insert(format!("column {name}.{column}"));
            }
            [first, ..] if line.starts_with(')') || *first == ")" => table = None,
            [column, ..] if table.is_some() => {
                let constraint = ["primary", "unique", "foreign", "check", "constraint"].contains(column);
                if !constraint && !column.is_empty() {
                    made.insert(format!("column {}.{column}", table.as_deref().unwrap_or_default()));
                }
                if line.ends_with(");") {
                    table = None;
                }
            }
            _ => {}
        }
    }
    made
}

#[test]
fn both_migration_trees_make_the_same_tables_columns_indexes_and_triggers() {
    let sqlite: Vec<_> = SQLITE_MIGRATIONS.iter().collect();
    let postgres: Vec<_> = POSTGRES_MIGRATIONS.iter().collect();
    // The real differences: SQLite has no trigger functions, so an append-only rule (the
    // timeline's, the ballot chain's, the points ledger's) is two triggers there
    // (re-created when a migration rebuilds the table) and one function-backed trigger on
    // PostgreSQL.
    let dialect_only = [
        "trigger case_events_no_delete",
        "trigger case_events_no_update",
        "trigger case_events_no_change",
        "trigger assembly_ballot_links_no_delete",
        "trigger assembly_ballot_links_no_update",
        "trigger assembly_ballot_links_no_change",
        "trigger points_entries_no_delete",
        "trigger points_entries_no_update",
        "trigger points_entries_no_change",
    ];
    let read = |sql: &str| {
        let mut made = schema_of(sql);
        made.retain(|m| !dialect_only.contains(&m.as_str()));
        made
    };
    let mut columns = 0;
    for (s, p) in sqlite.iter().zip(&postgres) {
        let (s_made, p_made) = (read(&s.sql), read(&p.sql));
        columns += s_made.iter().filter(|m| m.starts_with("column ")).count();
        let only_sqlite: Vec<_> = s_made.difference(&p_made).collect();
        let only_postgres: Vec<_> = p_made.difference(&s_made).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "migration {} differs: SQLite only {only_sqlite:?}, PostgreSQL only {only_postgres:?}",
            s.version
        );
    }
    assert!(columns > 200, "the reading finds the columns: {columns}");
}

fn account(username: Option<&str>, phone: Option<&str>) -> NewAccount {
    NewAccount {
        username: username.map(|u| Username::parse("username", u).unwrap()),
        phone: phone.map(|p| Phone::parse("phone", p).unwrap()),
        display_name: DisplayName::parse("display_name", "测试用户").unwrap(),
        password: NewPassword::parse("password", "secret123").unwrap(),
        assignments: vec![NewAssignment {
            role: Role::Resident,
            street_id: None,
            community_id: None,
            organisation_id: None,
        }],
        grid_ids: Vec::new(),
    }
}

dual_backend_test!(demo_community_has_the_promised_size_and_every_role, |db| {
    let report = linli_store::demo::load(&db.store, &linli_store::demo::DemoSpec::default()).await.unwrap();
    assert_eq!(report.grids, 6);
    assert_eq!(report.buildings, 40);
    assert_eq!(report.households, 2000);
    assert!((4700..=5300).contains(&report.residents), "{} residents", report.residents);
    for role in Role::ALL {
        assert!(report.account(role).is_some(), "no demo account for {role:?}");
    }
    // Every building sits in exactly one grid of the community, and the counts agree.
    let summaries = db.store.grid_summaries(report.community_id, linli_store::today()).await.unwrap();
    assert_eq!(summaries.len(), 6);
    assert_eq!(summaries.iter().map(|s| s.buildings).sum::<i64>(), 40);
    assert_eq!(summaries.iter().map(|s| s.households).sum::<i64>(), 2000);
    assert_eq!(summaries.iter().map(|s| s.residents).sum::<i64>() as u64, report.residents);
    assert!(summaries.iter().all(|s| s.aged_80_plus > 0 && s.elderly_living_alone > 0));
    let grids = db.store.grids(report.community_id).await.unwrap();
    assert!(grids.iter().all(|g| g.code.len() == 15 && g.code.starts_with("310117004001")));
});

dual_backend_test!(the_demo_is_the_same_for_the_same_seed, |db| {
    let other = linli_test_support::TestDb::sqlite().await;
    linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    linli_store::demo::load(&other.store, &small_demo()).await.unwrap();
    let names = |store: &linli_store::Store| {
        let store = store.clone();
        async move {
            let rows: Vec<(String, String, String)> =
                read!(store, |db| sqlx::query_as("SELECT name, gender, relation FROM residents ORDER BY id")
                    .fetch_all(db)
                    .await
                    .unwrap());
            rows
        }
    };
    let a = names(&db.store).await;
    assert!(a.len() > 200);
    assert_eq!(a, names(&other.store).await);
});

dual_backend_test!(accounts_are_unique_by_username_and_phone_and_phones_are_not_stored_in_clear, |db| {
    let store = &db.store;
    store.create_account(&account(Some("zhangsan"), Some("13812345678"))).await.unwrap();
    let dup_name = store.create_account(&account(Some("zhangsan"), None)).await.unwrap_err();
    assert!(matches!(dup_name, StoreError::Taken { field: "username" }), "{dup_name:?}");
    let dup_phone = store.create_account(&account(Some("lisi"), Some("138-1234-5678"))).await.unwrap_err();
    assert!(matches!(dup_phone, StoreError::Taken { field: "phone" }), "{dup_phone:?}");

    let by_phone = store.login_record(&LoginName::parse("login", "13812345678").unwrap()).await.unwrap().unwrap();
    let by_name = store.login_record(&LoginName::parse("login", "ZhangSan").unwrap()).await.unwrap().unwrap();
    assert_eq!(by_phone.id, by_name.id);
    assert!(linli_store::crypto::verify_password("secret123", &by_phone.password_hash));

    let rows: Vec<(Option<String>, Option<String>)> =
        read!(store, |db| sqlx::query_as("SELECT phone_index, phone_masked FROM accounts")
            .fetch_all(db)
            .await
            .unwrap());
    assert_eq!(rows[0].1.as_deref(), Some("138****5678"));
    assert!(!rows[0].0.as_deref().unwrap().contains("12345678"));
});

dual_backend_test!(sessions_live_until_ended, |db| {
    let store = &db.store;
    let id = store.create_account(&account(Some("wangwu"), None)).await.unwrap();
    let (token, csrf) = store.create_session(id, 60_000, "test").await.unwrap();
    let s = store.session(&token, 60_000).await.unwrap().unwrap();
    assert_eq!((s.account_id, s.csrf_token.as_str()), (id, csrf.as_str()));
    assert!(store.session("not-a-token", 60_000).await.unwrap().is_none());
    let (expired, _) = store.create_session(id, -1, "test").await.unwrap();
    assert!(store.session(&expired, 60_000).await.unwrap().is_none());
    store.end_session(&token).await.unwrap();
    assert!(store.session(&token, 60_000).await.unwrap().is_none());
});

dual_backend_test!(attempts_lock_a_key_at_the_limit_and_are_counted_before_the_check, |db| {
    let store = &db.store;
    let policy = ThrottlePolicy { max_failures: 3, window_ms: 60_000, lockout_ms: 60_000 };
    let a = [ThrottleKey::new("login:a", policy)];
    for _ in 0..2 {
        assert_eq!(store.begin_attempt(&a).await.unwrap(), None);
        assert_eq!(store.attempt_failed(&a).await.unwrap(), None);
    }
    assert!(store.locked_until("login:a").await.unwrap().is_none());
    // The third attempt goes ahead; failing, it locks.
    assert_eq!(store.begin_attempt(&a).await.unwrap(), None);
    assert!(store.attempt_failed(&a).await.unwrap().is_some());
    assert!(store.locked_until("login:a").await.unwrap().is_some());
    assert!(store.begin_attempt(&a).await.unwrap().is_some(), "a locked key refuses the attempt");
    assert!(store.locked_until("login:b").await.unwrap().is_none());
    // Attempts begun at once: only as many as the limit go ahead, the rest lock the key.
    let c = [ThrottleKey::new("login:c", policy)];
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let (store, c) = (store.clone(), c.clone());
            tokio::spawn(async move { store.begin_attempt(&c).await.unwrap() })
        })
        .collect();
    let mut begun = Vec::new();
    for t in tasks {
        begun.push(t.await.unwrap());
    }
    assert_eq!(begun.iter().filter(|r| r.is_none()).count(), 3, "{begun:?}");
    assert!(store.locked_until("login:c").await.unwrap().is_some());
    // A success forgets a person's failures; an address only gets its attempt back.
    let ip = ThrottleKey::shared("ip:d", policy);
    let d = [ThrottleKey::new("login:d", policy), ip.clone()];
    store.begin_attempt(&d).await.unwrap();
    store.attempt_failed(&d).await.unwrap();
    store.begin_attempt(&d).await.unwrap();
    store.attempt_succeeded(&d).await.unwrap();
    let counts: Vec<(String, i64)> =
        read!(store, |db| sqlx::query_as("SELECT key, failures FROM login_throttle WHERE key IN ('login:d', 'ip:d')")
            .fetch_all(db)
            .await
            .unwrap());
    assert_eq!(counts, vec![("ip:d".to_owned(), 1)]);
    // Attempts outside the window start a new count.
    let short = [ThrottleKey::new("login:e", ThrottlePolicy { max_failures: 2, window_ms: 0, lockout_ms: 60_000 })];
    store.begin_attempt(&short).await.unwrap();
    store.attempt_failed(&short).await.unwrap();
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert_eq!(store.begin_attempt(&short).await.unwrap(), None);
    assert_eq!(store.attempt_failed(&short).await.unwrap(), None);
});

dual_backend_test!(api_tokens_authenticate_until_revoked_and_only_by_their_owner, |db| {
    let store = &db.store;
    let alice = store.create_account(&account(Some("alice"), None)).await.unwrap();
    let bob = store.create_account(&account(Some("bob"), None)).await.unwrap();
    let (secret, record) = store.create_api_token(alice, "大屏").await.unwrap();
    assert!(secret.starts_with("lnl_") && secret.starts_with(&record.prefix));
    assert_eq!(store.authenticate_api_token(&secret).await.unwrap(), Some(alice));
    assert!(store.api_tokens(alice).await.unwrap()[0].last_used_at.is_some());
    assert!(matches!(store.revoke_api_token(bob, record.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.authenticate_api_token(&secret).await.unwrap(), Some(alice));
    store.revoke_api_token(alice, record.id).await.unwrap();
    assert_eq!(store.authenticate_api_token(&secret).await.unwrap(), None);
});

dual_backend_test!(concurrent_writers_never_fail_with_busy, |db| {
    let mut tasks = Vec::new();
    for i in 0..64 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..10 {
                store.audit(None, None, "test.write", &format!("{i}-{j}")).await?;
                let policy = ThrottlePolicy { max_failures: 1000, window_ms: 60_000, lockout_ms: 1 };
                store.begin_attempt(&[ThrottleKey::new(format!("k{}", j % 3), policy)]).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let n: i64 =
        read!(db.store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM audit_events").fetch_one(db).await.unwrap());
    assert_eq!(n, 640);
});

dual_backend_test!(a_grid_worker_principal_carries_own_grids_only, |db| {
    let report = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let worker = report.account(Role::GridWorker).unwrap();
    let (p, locale) = db.store.principal(worker.account_id).await.unwrap().unwrap();
    assert_eq!(locale, "zh");
    assert_eq!(p.assignments.len(), 1);
    assert_eq!(p.assignments[0].grid_ids, report.grid_ids[..2].to_vec());
    let director = report.account(Role::CommunityDirector).unwrap();
    let (p, _) = db.store.principal(director.account_id).await.unwrap().unwrap();
    assert!(p.assignments[0].grid_ids.is_empty());
    assert_eq!(p.assignments[0].community_id, Some(report.community_id));
});

#[tokio::test]
async fn a_sqlite_backup_is_a_complete_copy_taken_while_open() {
    let db = linli_test_support::TestDb::sqlite().await;
    let report = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("copy.db");
    db.store.backup(&dest).await.unwrap();
    assert!(db.store.backup(&dest).await.is_err(), "an existing file is never overwritten");
    let copy = linli_store::Store::connect(
        &linli_store::Target::SqliteFile(dest),
        &linli_store::PoolSettings::default(),
        linli_test_support::test_key(),
    )
    .await
    .unwrap();
    let n: i64 = read!(copy, |db| sqlx::query_scalar("SELECT COUNT(*) FROM residents").fetch_one(db).await.unwrap());
    assert_eq!(n as u64, report.residents);
}

dual_backend_test!(grid_counts_match_a_row_by_row_count_and_follow_registry_writes, |db| {
    let report = linli_store::demo::load(&db.store, &small_demo()).await.unwrap();
    let today = linli_store::today();
    let rows: Vec<(i64, i64, String)> = read!(db.store, |db| sqlx::query_as(
        "SELECT b.grid_id, r.household_id, r.birth_date FROM residents r \
         JOIN households h ON h.id = r.household_id JOIN buildings b ON b.id = h.building_id"
    )
    .fetch_all(db)
    .await
    .unwrap());
    let misplaced: i64 = read!(db.store, |db| sqlx::query_scalar(
        "SELECT COUNT(*) FROM residents r JOIN households h ON h.id = r.household_id \
         JOIN buildings b ON b.id = h.building_id WHERE r.grid_id IS NULL OR r.grid_id <> b.grid_id"
    )
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(misplaced, 0, "every resident row carries its building's grid");
    let aged_80 = linli_store::registry::born_on_or_before(today, 80);
    let aged_70 = linli_store::registry::born_on_or_before(today, 70);
    let summaries = db.store.grid_summaries(report.community_id, today).await.unwrap();
    for s in &summaries {
        let in_grid: Vec<_> = rows.iter().filter(|r| r.0 == s.grid_id).collect();
        let size = |h: i64| rows.iter().filter(|r| r.1 == h).count();
        assert_eq!(s.residents as usize, in_grid.len());
        assert_eq!(s.aged_80_plus as usize, in_grid.iter().filter(|r| r.2 <= aged_80).count());
        assert_eq!(
            s.elderly_living_alone as usize,
            in_grid.iter().filter(|r| r.2 <= aged_70 && size(r.1) == 1).count()
        );
    }

    // A registry write (with its version bump) shows at once, cache or not.
    let grid = report.grid_ids[0];
    let before = summaries.iter().find(|s| s.grid_id == grid).unwrap().clone();
    let write = async {
        linli_store::transaction!(db.store, |tx| {
            let building: i64 = linli_store::on!(tx, |c| sqlx::query_scalar(
                "SELECT id FROM buildings WHERE grid_id = $1 ORDER BY id LIMIT 1"
            )
            .bind(grid)
            .fetch_one(c)
            .await)?;
            let household: i64 = linli_store::on!(tx, |c| {
                sqlx::query_scalar(
            "INSERT INTO households (community_id, building_id, unit, room) VALUES ($1, $2, 9, '9901') RETURNING id",
        )
        .bind(report.community_id)
        .bind(building)
        .fetch_one(c)
        .await
            })?;
            linli_store::on!(tx, |c| {
                sqlx::query(
            "INSERT INTO residents (community_id, grid_id, household_id, name, gender, birth_date, relation, residence_type) \
             VALUES ($1, $2, $3, '独居老人', 'F', '1940-01-01', 'head', 'registered')",
        )
        .bind(report.community_id)
        .bind(grid)
        .bind(household)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
            })?;
            linli_store::exec!(
                tx,
                sqlx::query(linli_store::registry::BUMP_REGISTRY_VERSION).bind(report.community_id)
            )?;
        })
    };
    write.await.unwrap();
    let after = db.store.grid_summaries(report.community_id, today).await.unwrap();
    let after = after.iter().find(|s| s.grid_id == grid).unwrap();
    assert_eq!(after.households, before.households + 1);
    assert_eq!(after.residents, before.residents + 1);
    assert_eq!(after.aged_80_plus, before.aged_80_plus + 1);
    assert_eq!(after.elderly_living_alone, before.elderly_living_alone + 1);
});

dual_backend_test!(an_account_with_a_grid_outside_the_database_is_not_half_created, |db| {
    let mut new = account(Some("halfway"), None);
    new.assignments[0].role = Role::GridWorker;
    new.grid_ids = vec![424242];
    assert!(matches!(db.store.create_account(&new).await, Err(StoreError::NotFound)));
    let login = LoginName::parse("login", "halfway").unwrap();
    assert!(db.store.login_record(&login).await.unwrap().is_none(), "the account was rolled back");
    assert_eq!(db.store.account_count().await.unwrap(), 0);
});
