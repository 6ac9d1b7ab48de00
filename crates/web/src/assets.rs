//! Static assets, embedded in the binary: no CDN, no web font, one small script.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../static/app.css");
const FAVICON: &str = include_str!("../static/favicon.svg");
const JS: &str = include_str!("../static/app.js");

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

pub async fn serve(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.css" => asset(CSS, "text/css; charset=utf-8"),
        "favicon.svg" => asset(FAVICON, "image/svg+xml"),
        "app.js" => asset(JS, "text/javascript; charset=utf-8"),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn favicon() -> Response {
    asset(FAVICON, "image/svg+xml")
}
