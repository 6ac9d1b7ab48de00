//! Localization in the web layer: the catalogs and their translator ([`Tr`], from
//! `linli-i18n`), and the language an API client asks for.

pub use linli_i18n::{Lang, Tr};

/// The first language of an `Accept-Language` header, if Linli speaks it (API clients
/// and devices have no language cookie).
pub fn accept_language(headers: &axum::http::HeaderMap) -> Option<Lang> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .and_then(|v| Lang::parse(v.split(';').next().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every message key the code or a template names as a literal is in the catalogs: a
    /// template's `t.get`/`t.label`, a `FieldError`'s or an `AppError`'s key, a text rule's
    /// keys, any `"error.…"` string. (Keys built at run time, `field.{name}`, are checked
    /// where they are built.)
    #[test]
    fn every_key_named_in_code_or_templates_is_in_the_catalogs() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [root.join("src"), root.join("templates"), root.join("../domain/src"), root.join("../store/src")];
        let patterns = [
            r#"\bt\.(?:get|label)\("([a-z0-9_.]+)"\)"#,
            r#"FieldError::new\(\s*"[^"]*",\s*"([a-z0-9_.]+)"\)"#,
            r#"AppError::invalid\(\s*"[^"]*",\s*"([a-z0-9_.]+)"\)"#,
            r#"TextRule::line\(\s*\d+,\s*\d+,\s*"([a-z0-9_.]+)",\s*"([a-z0-9_.]+)"\)"#,
            r#"(?:short|long): "([a-z0-9_.]+)""#,
            r#""(error\.[a-z0-9_.]+)""#,
        ]
        .map(|p| regex::Regex::new(p).unwrap());
        let mut files = Vec::new();
        let mut stack: Vec<std::path::PathBuf> = dirs.to_vec();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                    files.push(path);
                }
            }
        }
        let mut named = 0;
        let mut missing = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            // Unit tests name made-up keys; a template's file name is not a key.
            let text = text.split("#[cfg(test)]").next().unwrap_or_default();
            for pattern in &patterns {
                for captures in pattern.captures_iter(text) {
                    for key in captures.iter().skip(1).flatten().map(|m| m.as_str()).filter(|k| !k.ends_with(".html")) {
                        named += 1;
                        if !Tr::new(Lang::Zh).has(key) || !Tr::new(Lang::En).has(key) {
                            missing.push(format!("{key} ({})", file.display()));
                        }
                    }
                }
            }
        }
        assert!(named > 500, "the scan finds the keys: {named}");
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "keys named but in no catalog: {missing:#?}");
    }
}
