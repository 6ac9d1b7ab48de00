//! Values derived from a community's registry (grid counts, overdue visits), cached in
//! this process and valid for one `communities.registry_version` and one day. Every
//! registry write bumps the version in its own transaction, so a cached value is never
//! stale, on one instance or many: a request pays one primary-key read to validate it.

use crate::{Store, StoreResult, read};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Mutex, PoisonError};

#[derive(Debug)]
pub struct VersionedCache<T> {
    entries: Mutex<HashMap<i64, (i64, NaiveDate, T)>>,
    /// One computation at a time: requests that miss together wait for the first one
    /// instead of all running the same queries (after start or a registry write).
    computing: tokio::sync::Mutex<()>,
}

impl<T> Default for VersionedCache<T> {
    fn default() -> Self {
        VersionedCache { entries: Mutex::new(HashMap::new()), computing: tokio::sync::Mutex::new(()) }
    }
}

impl<T: Clone> VersionedCache<T> {
    fn get(&self, community_id: i64, version: i64, day: NaiveDate) -> Option<T> {
        let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&community_id).filter(|(v, d, _)| *v == version && *d == day).map(|(_, _, t)| t.clone())
    }

    fn put(&self, community_id: i64, version: i64, day: NaiveDate, value: T) {
        let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert(community_id, (version, day, value));
    }
}

impl Store {
    /// The cached value for the community's current version and `day`, computing it on a
    /// miss. `None` if the community does not exist.
    pub(crate) async fn cached<T, F, Fut>(
        &self,
        cache: &VersionedCache<T>,
        community_id: i64,
        day: NaiveDate,
        compute: F,
    ) -> StoreResult<Option<T>>
    where
        T: Clone,
        F: FnOnce() -> Fut,
        Fut: Future<Output = StoreResult<T>>,
    {
        let version: Option<i64> =
            read!(self, |db| sqlx::query_scalar("SELECT registry_version FROM communities WHERE id = $1")
                .bind(community_id)
                .fetch_optional(db)
                .await?);
        let Some(version) = version else { return Ok(None) };
        if let Some(hit) = cache.get(community_id, version, day) {
            return Ok(Some(hit));
        }
        let _computing = cache.computing.lock().await;
        if let Some(hit) = cache.get(community_id, version, day) {
            return Ok(Some(hit));
        }
        let value = compute().await?;
        cache.put(community_id, version, day, value.clone());
        Ok(Some(value))
    }
}
