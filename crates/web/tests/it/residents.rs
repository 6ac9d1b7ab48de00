//! Residents' personal data through every route: scoping, masking, audited reveals and
//! exports, search. On both backends.

use axum::http::{Method, StatusCode};
use linli_store::read;
use linli_test_support::{TestApp, dual_backend_test, zh};

/// Every full ID number and phone in the registry, decrypted with the test key.
async fn full_values(app: &TestApp) -> Vec<String> {
    let rows: Vec<(Option<String>, Option<String>)> =
        read!(app.db.store, |db| sqlx::query_as("SELECT id_number_enc, phone_enc FROM residents")
            .fetch_all(db)
            .await
            .unwrap());
    let key = app.db.store.key();
    let mut out = Vec::new();
    for (id, phone) in rows {
        if let Some(id) = id {
            out.push(key.open(linli_store::registry::FIELD_ID_NUMBER, &id).unwrap());
        }
        if let Some(p) = phone {
            out.push(key.open(linli_store::registry::FIELD_PHONE, &p).unwrap());
        }
    }
    out
}

fn leaks<'a>(text: &str, values: &'a [String]) -> Option<&'a String> {
    values.iter().find(|v| text.contains(v.as_str()))
}

dual_backend_test!(a_grid_worker_reaches_only_own_grids_residents_by_every_route, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let own = &app.demo.grid_ids[..2];
    let other = app.demo.grid_ids[4];
    let mut w = app.signed_in("wangge1").await;

    // API list: only own grids, and asking for another grid is refused.
    let all = w.get(&format!("/api/v1/communities/{community}/residents?limit=500")).await.json();
    let rows = all["residents"].as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| own.contains(&r["grid_id"].as_i64().unwrap())));
    assert_eq!(all["total"].as_i64().unwrap() as usize, rows.len());
    let refused = w.get(&format!("/api/v1/communities/{community}/residents?grid_id={other}")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // A resident of another grid: not by page, API, reveal or search.
    let stranger: (i64, String) = read!(app.db.store, |db| sqlx::query_as(
        "SELECT r.id, r.name FROM residents r JOIN households h ON h.id = r.household_id \
         JOIN buildings b ON b.id = h.building_id WHERE b.grid_id = $1 ORDER BY r.id LIMIT 1"
    )
    .bind(other)
    .fetch_one(db)
    .await
    .unwrap());
    assert_eq!(w.get(&format!("/residents/{}", stranger.0)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(w.get(&format!("/api/v1/residents/{}", stranger.0)).await.status, StatusCode::NOT_FOUND);
    let r = w.post_form(&format!("/residents/{}/reveal", stranger.0), &[("field", "phone"), ("reason", "走访")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let page = w.get(&format!("/communities/{community}/residents?grid_id={other}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let q = linli_web::auth::urlencode(&stranger.1);
    let found = w.get(&format!("/api/v1/communities/{community}/residents?q={q}&limit=500")).await.json();
    assert!(found["residents"].as_array().unwrap().iter().all(|r| r["id"] != stranger.0));

    // Export: own grids only.
    let csv = w.post_form(&format!("/communities/{community}/residents/export"), &[("reason", "季度走访名单")]).await;
    assert_eq!(csv.status, StatusCode::OK);
    let exported: Vec<i64> = csv.text.lines().skip(1).map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    let mut listed: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    listed.sort_unstable();
    let mut exported_sorted = exported.clone();
    exported_sorted.sort_unstable();
    assert_eq!(exported_sorted, listed, "the export holds exactly the worker's own residents");
    assert!(!exported.contains(&stranger.0));

    // Staff see the whole community.
    let mut staff = app.signed_in("shequ").await;
    let all = staff.get(&format!("/api/v1/communities/{community}/residents?limit=1")).await.json();
    assert!(all["total"].as_i64().unwrap() > rows.len() as i64);
    assert_eq!(staff.get(&format!("/residents/{}", stranger.0)).await.status, StatusCode::OK);
});

dual_backend_test!(personal_data_is_masked_in_pages_api_and_exports, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let values = full_values(&app).await;
    assert!(values.len() > 500, "the demo carries ID numbers and phones");
    let mut staff = app.signed_in("shequ").await;
    let list = staff.get(&format!("/communities/{community}/residents")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.text.contains("3101************"), "masked ID numbers are shown");
    assert_eq!(leaks(&list.text, &values), None);
    let api = staff.get(&format!("/api/v1/communities/{community}/residents?limit=500")).await;
    assert_eq!(leaks(&api.text, &values), None);
    let one = staff.get(&format!("/residents/{}", app.demo.resident_id)).await;
    assert!(one.text.contains("138****8000"));
    assert_eq!(leaks(&one.text, &values), None);
    let csv = staff.post_form(&format!("/communities/{community}/residents/export"), &[("reason", "核对户籍")]).await;
    assert!(csv.text.starts_with("id,building,unit,room,name"));
    assert_eq!(leaks(&csv.text, &values), None);
    // The database holds no full value in the clear either.
    let raw: Vec<(String, Option<String>, Option<String>)> =
        read!(app.db.store, |db| sqlx::query_as("SELECT name, id_number_masked, phone_masked FROM residents")
            .fetch_all(db)
            .await
            .unwrap());
    let dump = format!("{raw:?}");
    assert_eq!(leaks(&dump, &values), None);
});

dual_backend_test!(every_reveal_needs_a_reason_and_leaves_a_record_the_resident_can_see, |db| {
    let app = TestApp::new(db).await;
    let rid = app.demo.resident_id;
    let mut w = app.signed_in("wangge1").await;
    let no_reason = w.post_form(&format!("/residents/{rid}/reveal"), &[("field", "phone"), ("reason", " ")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("请填写用途"));
    assert!(!no_reason.text.contains("13800138000"));
    let shown =
        w.post_form(&format!("/residents/{rid}/reveal"), &[("field", "phone"), ("reason", "入户走访前电话联系")]).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.text.contains("13800138000"));

    // The API reveal is recorded too.
    let mut staff = app.signed_in("shequ").await;
    let api = staff
        .send_json(
            Method::POST,
            &format!("/api/v1/residents/{rid}/reveal"),
            &serde_json::json!({"field": "phone", "reason": "核实联系方式"}),
        )
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert_eq!(api.json()["value"], "13800138000");
    let bad = staff
        .send_json(
            Method::POST,
            &format!("/api/v1/residents/{rid}/reveal"),
            &serde_json::json!({"field": "salary", "reason": "x y"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.json()["error"]["field"], "field");

    // Exactly the two reveals are on record, with who and why; the failed ones are not.
    let log = app.db.store.personal_data_accesses(None, Some(rid), 50).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[1].actor.as_deref(), Some("刘洋"));
    assert_eq!(log[1].reason.as_deref(), Some("入户走访前电话联系"));
    assert_eq!(log[0].field.as_deref(), Some("phone"));

    // The director's access log and the resident's own page show them.
    let mut director = app.signed_in("shuji").await;
    let audit = director.get("/audit").await.text;
    assert!(audit.contains("入户走访前电话联系") && audit.contains("核实联系方式") && audit.contains("张伟"));
    let mut resident = app.signed_in("13800138000").await;
    let mine = resident.get("/account/data").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert!(
        mine.text.contains("138****8000") && mine.text.contains("刘洋") && mine.text.contains("入户走访前电话联系")
    );
    // Street supervisors and administrators do not see residents at all.
    let mut street = app.signed_in("jiedao").await;
    assert_eq!(street.get(&format!("/residents/{rid}")).await.status, StatusCode::FORBIDDEN);
    let mut admin = app.signed_in("admin").await;
    assert_eq!(admin.get(&format!("/api/v1/residents/{rid}")).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(exports_need_a_reason_and_are_recorded, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let refused = staff.post_form(&format!("/communities/{community}/residents/export"), &[("reason", "")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.db.store.personal_data_accesses(Some(community), None, 10).await.unwrap().is_empty());
    let grid = app.demo.grid_ids[1].to_string();
    let csv = staff
        .post_form(&format!("/communities/{community}/residents/export"), &[("reason", "网格核查"), ("grid_id", &grid)])
        .await;
    assert_eq!(csv.headers.get("content-type").unwrap(), "text/csv; charset=utf-8");
    let log = app.db.store.personal_data_accesses(Some(community), None, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "personal.export");
    assert_eq!(log[0].reason.as_deref(), Some("网格核查"));
    // The director's log says what was taken, in words, and marks it a bulk export.
    let grid_name = app.db.store.grids(community).await.unwrap().into_iter().find(|g| g.id == app.demo.grid_ids[1]);
    let mut director = app.signed_in("shuji").await;
    let audit = director.get("/audit").await.text;
    let words = format!("居民名单 {} 行（网格：{}）· CSV", csv.text.lines().count() - 1, grid_name.unwrap().name);
    assert!(audit.contains(&words), "{words} in the log");
    assert!(audit.contains(zh("export.bulk")) && audit.contains("网格核查"));
});

dual_backend_test!(residents_are_found_by_name_initials_room_and_phone_tail, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let mut find = async |q: &str| {
        let q = linli_web::auth::urlencode(q);
        staff.get(&format!("/api/v1/communities/{community}/residents?q={q}&limit=500")).await.json()
    };
    let by_name = find("张伟").await;
    assert!(by_name["residents"].as_array().unwrap().iter().any(|r| r["id"] == app.demo.resident_id));
    let by_initials = find("zw").await;
    let names: Vec<&str> =
        by_initials["residents"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"张伟"));
    assert!(names.iter().all(|n| linli_store::registry::name_initials(n).starts_with("zw")), "{names:?}");
    let by_phone = find("8000").await;
    assert!(by_phone["residents"].as_array().unwrap().iter().any(|r| r["id"] == app.demo.resident_id));
    assert!(
        by_phone["residents"].as_array().unwrap().iter().all(|r| r["phone_masked"].as_str().unwrap().ends_with("8000"))
    );
    let me =
        &by_name["residents"].as_array().unwrap().iter().find(|r| r["id"] == app.demo.resident_id).unwrap().clone();
    let room = format!("{}{}", me["building"].as_str().unwrap(), me["room"].as_str().unwrap());
    let by_room = find(&room).await;
    let rows = by_room["residents"].as_array().unwrap();
    assert!(!rows.is_empty() && rows.iter().all(|r| r["room"] == me["room"] && r["building"] == me["building"]));
    let nobody = find("不存在的人").await;
    assert_eq!(nobody["total"], 0);
    // A search with LIKE wildcards matches literally.
    assert_eq!(find("%").await["total"], 0);
});

fn multipart(file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "linliboundary7MA4YWxk";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"residents\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(b: &mut linli_test_support::Browser, community: i64, csv: &str) -> linli_test_support::Reply {
    upload_bytes(b, community, csv.as_bytes()).await
}

async fn upload_bytes(b: &mut linli_test_support::Browser, community: i64, file: &[u8]) -> linli_test_support::Reply {
    let (content_type, body) = multipart(file);
    let path = format!("/communities/{community}/residents/import?_csrf={}", b.csrf);
    b.send(Method::POST, &path, Some((&content_type, body)), &[]).await
}

async fn resident_count(app: &TestApp) -> i64 {
    read!(app.db.store, |db| sqlx::query_scalar("SELECT COUNT(*) FROM residents").fetch_one(db).await.unwrap())
}

/// Removes every resident, household and owner (and what refers to them) from the database.
async fn empty_registry(app: &TestApp) {
    let wipe = async {
        linli_store::transaction!(app.db.store, |tx| {
            linli_store::exec!(tx, sqlx::query("UPDATE accounts SET resident_id = NULL"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM visits"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM care_tags"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM residence_history"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM ownerships"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM owners"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM residents"))?;
            linli_store::exec!(tx, sqlx::query("DELETE FROM households"))?;
        })
    };
    wipe.await.unwrap();
    assert_eq!(resident_count(app).await, 0);
}

/// The commit form's action on a checked-import page.
fn commit_link(checked: &linli_test_support::Reply, community: i64) -> String {
    let marker = format!("/communities/{community}/residents/import/");
    let start = checked.text.find(&marker).expect("a commit form") + marker.len();
    let batch: String = checked.text[start..].chars().take_while(char::is_ascii_digit).collect();
    format!("{marker}{batch}")
}

/// The export without its first column (database ids differ after a re-import).
fn without_ids(csv: &str) -> Vec<String> {
    let mut lines: Vec<String> = csv.lines().map(|l| l.split_once(',').unwrap().1.to_owned()).collect();
    lines.sort();
    lines
}

dual_backend_test!(a_full_export_imports_back_unchanged, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let path = format!("/communities/{community}/residents/export");
    let first = staff.post_form(&path, &[("reason", "迁移备份"), ("full", "1")]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.text.contains("13800138000"), "a full export carries full phones");
    let before = resident_count(&app).await;

    // Empty the registry of the community, then import the file back.
    empty_registry(&app).await;
    let checked = upload(&mut staff, community, &first.text).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    assert_eq!(resident_count(&app).await, 0, "checking writes nothing");
    let commit = commit_link(&checked, community);
    let done = staff.post_form(&commit, &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(resident_count(&app).await, before);
    let again = staff.post_form(&path, &[("reason", "核对"), ("full", "1")]).await;
    assert_eq!(without_ids(&again.text), without_ids(&first.text));
    // The same batch cannot be committed twice.
    assert_eq!(staff.post_form(&commit, &[]).await.status, StatusCode::NOT_FOUND);
});

dual_backend_test!(a_file_with_any_bad_row_changes_nothing_and_says_why, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let before = resident_count(&app).await;
    let good_id = linli_domain::person::IdNumber::with_check("31011719900101001").unwrap();
    let bad_check = format!("{}{}", &good_id[..17], if good_id.ends_with('0') { '1' } else { '0' });
    let csv = format!(
        "楼栋,单元,房号,姓名,性别,出生日期,与户主关系,居住类型,身份证号,手机号码\n\
         1号楼,1,9901,新居民,男,,户主,户籍,{good_id},13912345678\n\
         99号楼,1,9901,甲,男,1990-01-01,户主,户籍,,\n\
         1号楼,0,9901,乙,女,1990-01-01,户主,户籍,,\n\
         1号楼,1,9901,丙,女,1990-01-01,户主,户籍,{bad_check},\n\
         1号楼,1,9901,丁,女,1990-01-01,户主,户籍,{good_id},\n\
         1号楼,1,9901,戊,女,1990-01-01,户主,户籍,,1234\n\
         1号楼,1,9901,己,未知,1990-01-01,户主,户籍,,\n"
    );
    let r = upload(&mut staff, community, &csv).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    for expected in [
        "本社区没有这个楼栋",
        "单元应为 1–99 的数字",
        "身份证号校验位不正确",
        "该身份证号在文件中重复出现",
        "性别与身份证号不符",
        "手机号码格式不正确",
        "性别的取值无效",
        "没有写入任何数据",
    ] {
        assert!(r.text.contains(expected), "missing «{expected}»");
    }
    assert!(r.text.contains("<td class=\"num\">3</td>"), "errors name their line");
    assert_eq!(resident_count(&app).await, before);
    // A missing column is named too; a grid worker may not import; no token, no upload.
    let r = upload(&mut staff, community, "楼栋,单元,姓名\n1号楼,1,张三\n").await;
    assert!(r.text.contains("缺少“房号”列"), "{}", r.text);
    let mut worker = app.signed_in("wangge1").await;
    assert_eq!(upload(&mut worker, community, &csv).await.status, StatusCode::FORBIDDEN);
    staff.csrf = "forged".into();
    assert_eq!(upload(&mut staff, community, &csv).await.status, StatusCode::FORBIDDEN);
});

dual_backend_test!(a_visit_is_recorded_sealed_and_clears_the_overdue_reminder, |db| {
    let app = TestApp::new(db).await;
    let today = linli_store::today();
    let own = &app.demo.grid_ids[..2];
    let overdue = app.db.store.overdue_visits(app.demo.community_id, Some(own), today).await.unwrap();
    let target = overdue.first().expect("someone is overdue").clone();
    let mut w = app.signed_in("wangge1").await;
    let path = format!("/residents/{}/visits", target.resident_id);
    let r = w.post_form(&path, &[("visited_on", "2999-01-01"), ("kind", "home"), ("notes", "x")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = w
        .post_form(
            &path,
            &[
                ("visited_on", &today.to_string()),
                ("kind", "home"),
                ("notes", "血压正常，已送药上门"),
                ("follow_up", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // A visit that needs follow-up opens a case in the resident's grid, without the notes.
    let case_page = w.get(r.location().unwrap()).await;
    assert_eq!(case_page.status, StatusCode::OK);
    assert!(case_page.text.contains("关爱帮扶") && case_page.text.contains(&target.name));
    assert!(!case_page.text.contains("血压"), "the sealed notes stay with the visit");
    let page = w.get(&format!("/residents/{}", target.resident_id)).await.text;
    assert!(page.contains("血压正常，已送药上门") && page.contains(zh("visits.follow_up")) && page.contains("刘洋"));
    let after = app.db.store.overdue_visits(app.demo.community_id, Some(own), today).await.unwrap();
    assert!(after.iter().all(|o| o.resident_id != target.resident_id));
    assert_eq!(after.len(), overdue.len() - 1);
    let stored: Vec<Option<String>> =
        read!(app.db.store, |db| sqlx::query_scalar("SELECT notes_enc FROM visits").fetch_all(db).await.unwrap());
    assert!(stored.iter().flatten().all(|n| !n.contains("血压")), "notes are sealed at rest");

    // Tags: added and removed by the grid worker; another grid's residents are out of reach.
    let rid = app.demo.resident_id;
    assert_eq!(
        w.post_form(&format!("/residents/{rid}/tags"), &[("tag", "veteran")]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(app.db.store.care_tags(rid).await.unwrap().contains(&"veteran".to_owned()));
    assert!(w.get(&format!("/residents/{rid}")).await.text.contains(zh("care.veteran")));
    assert_eq!(w.post_form(&format!("/residents/{rid}/tags/veteran/remove"), &[]).await.status, StatusCode::SEE_OTHER);
    assert!(!app.db.store.care_tags(rid).await.unwrap().contains(&"veteran".to_owned()));
    assert_eq!(
        w.post_form(&format!("/residents/{rid}/tags"), &[("tag", "vip")]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let stranger: i64 =
        read!(app.db.store, |db| sqlx::query_scalar("SELECT MIN(id) FROM residents WHERE grid_id = $1")
            .bind(app.demo.grid_ids[4])
            .fetch_one(db)
            .await
            .unwrap());
    let r = w
        .post_form(&format!("/residents/{stranger}/visits"), &[("visited_on", &today.to_string()), ("kind", "home")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

dual_backend_test!(an_excel_export_imports_back_unchanged, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    let path = format!("/communities/{community}/residents/export");
    let csv = staff.post_form(&path, &[("reason", "迁移备份"), ("full", "1")]).await.text;
    let (content_type, body) = {
        let r = staff
            .send(
                Method::POST,
                &path,
                Some((
                    "application/x-www-form-urlencoded",
                    serde_urlencoded::to_string([
                        ("_csrf", staff.csrf.as_str()),
                        ("reason", "迁移备份"),
                        ("full", "1"),
                        ("format", "xlsx"),
                    ])
                    .unwrap()
                    .into_bytes(),
                )),
                &[],
            )
            .await;
        (r.headers.get("content-type").unwrap().to_str().unwrap().to_owned(), r.body)
    };
    assert!(content_type.starts_with("application/vnd.openxmlformats"));
    assert!(body.starts_with(b"PK"));
    empty_registry(&app).await;
    let checked = upload_bytes(&mut staff, community, &body).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
    let commit = commit_link(&checked, community);
    assert_eq!(staff.post_form(&commit, &[]).await.status, StatusCode::SEE_OTHER);
    let again = staff.post_form(&path, &[("reason", "核对"), ("full", "1")]).await.text;
    assert_eq!(without_ids(&again), without_ids(&csv));
});

dual_backend_test!(the_all_grids_choice_of_the_search_form_lists_residents, |db| {
    let app = TestApp::new(db).await;
    let community = app.demo.community_id;
    let mut staff = app.signed_in("shequ").await;
    // The form's default option sends an empty grid_id: it means every grid.
    let r = staff.get(&format!("/communities/{community}/residents?q=&grid_id=")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.contains("/residents/"));
});
