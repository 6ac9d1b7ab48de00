//! Small helpers for reading HTML forms and query strings as browsers send them.

use serde::{Deserialize, Deserializer};

/// An optional id from a `<select>` whose "all" option sends an empty value: empty (or
/// not a number) is `None`, so the default choice never fails the request.
pub fn optional_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let raw: Option<String> = Option::deserialize(d)?;
    Ok(raw.and_then(|s| s.trim().parse().ok()))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "super::optional_id")]
        grid_id: Option<i64>,
    }

    #[test]
    fn empty_and_missing_ids_are_none() {
        let q: Q = serde_urlencoded::from_str("grid_id=").unwrap();
        assert_eq!(q.grid_id, None);
        let q: Q = serde_urlencoded::from_str("").unwrap();
        assert_eq!(q.grid_id, None);
        let q: Q = serde_urlencoded::from_str("grid_id=7").unwrap();
        assert_eq!(q.grid_id, Some(7));
    }
}
