//! Photos through the pages and Open311, on both backends: a report and a feedback step
//! carry photos that come back re-encoded without their location metadata, with
//! thumbnails, only to people who reach the case; a bad photo refuses the whole
//! submission and leaves neither case nor photo behind.

use axum::http::{Method, StatusCode};
use linli_store::read;
use linli_test_support::{Browser, Reply, TestApp, dual_backend_test, multipart, zh};
use std::io::Cursor;

const GPS_MARK: &[u8] = b"SECRET-GPS-31.2304N-121.4737E";

/// A phone photo: a JPEG with an EXIF segment carrying a recognisable location string.
fn phone_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut plain = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img).write_to(&mut plain, image::ImageFormat::Jpeg).unwrap();
    let plain = plain.into_inner();
    // Minimal big-endian TIFF with an empty IFD, then the marker.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(GPS_MARK);
    let len = u16::try_from(exif.len() + 2).unwrap().to_be_bytes();
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1, len[0], len[1]]);
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn small_png() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(64, 64, image::Rgb([10, 120, 10])))
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

async fn post_multipart(
    b: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> Reply {
    b.post_multipart(path, fields, files).await
}

async fn counts(app: &TestApp) -> (i64, i64) {
    read!(app.db.store, |db| sqlx::query_as("SELECT (SELECT COUNT(*) FROM cases), (SELECT COUNT(*) FROM case_photos)")
        .fetch_one(db)
        .await
        .unwrap())
}

async fn report_fields(app: &TestApp) -> (String, String) {
    let cat = app.db.store.case_categories().await.unwrap().into_iter().find(|c| c.code == "0103").unwrap().id;
    let building: i64 = app.building_in_grid(app.demo.grid_ids[0]).await;
    (cat.to_string(), building.to_string())
}

fn photo_ids(page: &str, case: i64) -> Vec<i64> {
    let marker = format!("/cases/{case}/photos/");
    page.match_indices(&marker)
        .filter_map(|(i, _)| page[i + marker.len()..].split(['?', '"']).next()?.parse().ok())
        .collect::<std::collections::BTreeSet<i64>>()
        .into_iter()
        .collect()
}

dual_backend_test!(report_and_feedback_photos_are_stripped_thumbnailed_and_kept_within_reach, |db| {
    let app = TestApp::new(db).await;
    let (cat, building) = report_fields(&app).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    let path = format!("/communities/{}/cases", app.demo.community_id);
    let fields = [("category_id", cat.as_str()), ("description", "楼道堆满纸箱"), ("building_id", building.as_str())];
    let files = [("photos", "IMG_0001.jpg", phone_jpeg()), ("photos", "screenshot.png", small_png())];
    let r = post_multipart(&mut resident, &path, &fields, &files).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let case: i64 = r.location().unwrap().trim_start_matches("/cases/").split('?').next().unwrap().parse().unwrap();
    let page = resident.get(&format!("/cases/{case}")).await.text;
    let ids = photo_ids(&page, case);
    assert_eq!(ids.len(), 2, "both photos are on the report");

    let full = resident.get(&format!("/cases/{case}/photos/{}", ids[0])).await;
    assert_eq!(full.status, StatusCode::OK);
    assert_eq!(full.headers["content-type"], "image/jpeg");
    assert!(full.body.windows(GPS_MARK.len()).all(|w| w != GPS_MARK), "the location is gone");
    assert!(!full.body.windows(4).any(|w| w == b"Exif"), "no EXIF at all");
    let img = image::load_from_memory(&full.body).unwrap();
    assert_eq!((img.width(), img.height()), (640, 480));
    let thumb = resident.get(&format!("/cases/{case}/photos/{}?size=thumb", ids[0])).await;
    assert_eq!(image::load_from_memory(&thumb.body).unwrap().width(), 320);
    let jpeg = phone_jpeg();
    assert!(jpeg.windows(GPS_MARK.len()).any(|w| w == GPS_MARK), "the upload did carry it");

    let mut other_worker = app.signed_in("wangge3").await;
    let r = other_worker.get(&format!("/cases/{case}/photos/{}", ids[0])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another grid's worker does not see it");
    let r = resident.get(&format!("/cases/{}/photos/{}", app.demo.case_id, ids[0])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "a photo belongs to its own case");

    // The grid worker registers, dispatches to the property company, which reports back
    // with a photo of the cleared stairwell.
    let mut staff = app.signed_in("shequ").await;
    let mut property = app.signed_in(&app.login_of(linli_domain::Role::PropertyStaff)).await;
    for step in ["register", "dispatch"] {
        let r = staff.post_form(&format!("/cases/{case}/steps"), &[("step", step)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    property.post_form(&format!("/cases/{case}/steps"), &[("step", "accept")]).await;
    property.get(&format!("/cases/{case}")).await;
    let r = post_multipart(
        &mut property,
        &format!("/cases/{case}/steps"),
        &[("step", "feedback"), ("note", "纸箱已清走")],
        &[("photos", "after.png", small_png())],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text);
    let photos = app.db.store.case_photos(case).await.unwrap();
    let timeline = app.db.store.case_timeline(case).await.unwrap();
    let feedback = timeline.iter().find(|e| e.kind == "feedback").unwrap();
    assert_eq!(photos.iter().filter(|p| p.event_id == Some(feedback.id)).count(), 1);
    assert_eq!(photos.iter().filter(|p| p.event_id == Some(timeline[0].id)).count(), 2);
});

dual_backend_test!(a_bad_photo_refuses_the_whole_report_and_leaves_nothing, |db| {
    let app = TestApp::new(db).await;
    let (cat, building) = report_fields(&app).await;
    let mut resident = app.signed_in(&app.login_of(linli_domain::Role::Resident)).await;
    resident.get(&format!("/communities/{}/cases/new", app.demo.community_id)).await;
    let path = format!("/communities/{}/cases", app.demo.community_id);
    let fields = [("category_id", cat.as_str()), ("description", "楼道堆满纸箱"), ("building_id", building.as_str())];
    let before = counts(&app).await;
    let fake = b"this is a shell script named like a photo".to_vec();
    let r =
        post_multipart(&mut resident, &path, &fields, &[("photos", "ok.jpg", phone_jpeg()), ("photos", "x.jpg", fake)])
            .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("照片：只接受 JPEG、PNG 或 WebP 图片"), "the field is named");
    assert!(r.text.contains("楼道堆满纸箱"), "what was typed is kept");
    let seven: Vec<_> = (0..7).map(|i| ("photos", if i == 0 { "a.png" } else { "b.png" }, small_png())).collect();
    let r = post_multipart(&mut resident, &path, &fields, &seven).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("最多 6 张"));
    assert_eq!(counts(&app).await, before, "no case and no orphan photo");
});

dual_backend_test!(an_open311_request_can_carry_its_photo, |db| {
    let app = TestApp::new(db).await;
    let (key, _) = app.db.store.create_open311_key("app").await.unwrap();
    let building = app.demo_home.0.to_string();
    let mut b = app.browser();
    let fields = [
        ("api_key", key.as_str()),
        ("service_code", "0201"),
        ("address_id", building.as_str()),
        ("description", "路灯坏了"),
    ];
    let (ct, body) = multipart(&fields, &[("media", "lamp.jpg", phone_jpeg())]);
    let r = b.send(Method::POST, "/open311/v2/requests.json", Some((&ct, body)), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id: i64 = r.json()[0]["service_request_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(app.db.store.case_photos(id).await.unwrap().len(), 1);
    let before = counts(&app).await;
    let (ct, body) = multipart(&fields, &[("media", "lamp.jpg", b"not an image".to_vec())]);
    let r = b.send(Method::POST, "/open311/v2/requests.json", Some((&ct, body)), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()[0]["description"].as_str().unwrap().contains(zh("field.photos")));
    assert_eq!(counts(&app).await, before);
});
