//! Static assets, embedded in the binary: no CDN, no web font, one small script. Pages link
//! them by a URL that carries a hash of their content ([`url`]), so a new build is fetched at
//! once and an unchanged file is cached for a year.

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

const CSS: &str = include_str!("../static/app.css");
const FAVICON: &str = include_str!("../static/favicon.svg");
const JS: &str = include_str!("../static/app.js");

/// Each asset: its name, body and content type.
const ASSETS: [(&str, &str, &str); 3] = [
    ("app.css", CSS, "text/css; charset=utf-8"),
    ("favicon.svg", FAVICON, "image/svg+xml"),
    ("app.js", JS, "text/javascript; charset=utf-8"),
];

/// The first 12 hex digits of each asset's SHA-256, computed once.
static VERSIONS: LazyLock<Vec<(&'static str, String)>> = LazyLock::new(|| {
    ASSETS.iter().map(|(name, body, _)| (*name, hex::encode(&Sha256::digest(body.as_bytes())[..6]))).collect()
});

fn version(name: &str) -> &'static str {
    VERSIONS.iter().find(|(n, _)| *n == name).map_or("", |(_, v)| v.as_str())
}

/// The URL a page links an asset by: `/static/app.css?v=<content hash>`.
pub fn url(name: &str) -> String {
    format!("/static/{name}?v={}", version(name))
}

#[derive(serde::Deserialize)]
pub struct Versioned {
    v: Option<String>,
}

fn asset(name: &str, body: &'static str, content_type: &'static str, asked: Option<&str>) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // The URL names this very content: it never changes, so it may be kept for a year.
    let cache =
        if asked == Some(version(name)) { "public, max-age=31536000, immutable" } else { "public, max-age=3600" };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r
}

pub async fn serve(Path(file): Path<String>, Query(q): Query<Versioned>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((name, body, content_type)) => asset(name, body, content_type, q.v.as_deref()),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn favicon() -> Response {
    asset("favicon.svg", FAVICON, "image/svg+xml", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_asset_url_changes_with_its_content() {
        let css = url("app.css");
        assert!(css.starts_with("/static/app.css?v=") && css.len() == "/static/app.css?v=".len() + 12, "{css}");
        assert_ne!(version("app.css"), version("app.js"), "each file its own hash");
        let digest = hex::encode(&Sha256::digest(CSS.as_bytes())[..6]);
        assert_eq!(version("app.css"), digest);
    }
}
