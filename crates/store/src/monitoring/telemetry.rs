//! Telemetry read back for charts, and its retention (raw rows kept for a while, then
//! hourly sums).

use super::*;

impl Store {
    /// A key's values between `from` and `to`, in at most `buckets` points (low, mean,
    /// high of each), from raw data and, where raw data has been pruned, hourly sums.
    pub async fn telemetry_series(
        &self,
        device_id: i64,
        key: &str,
        from: i64,
        to: i64,
        buckets: i64,
    ) -> StoreResult<Vec<SeriesPoint>> {
        let width = ((to - from) / buckets.max(1)).max(1);
        let raw: Vec<(i64, f64, f64, f64)> = read!(self, |db| sqlx::query_as(
            "SELECT $3 + ((ts - $3) / $5) * $5 AS b, MIN(value), AVG(value), MAX(value) FROM telemetry \
             WHERE device_id = $1 AND key = $2 AND ts >= $3 AND ts < $4 GROUP BY b ORDER BY b"
        )
        .bind(device_id)
        .bind(key)
        .bind(from)
        .bind(to)
        .bind(width)
        .fetch_all(db)
        .await?);
        let hourly: Vec<(i64, f64, f64, f64)> = read!(self, |db| {
            sqlx::query_as(
            "SELECT $3 + ((hour - $3) / $5) * $5 AS b, MIN(low), SUM(total) / SUM(n), MAX(high) FROM telemetry_hourly \
             WHERE device_id = $1 AND key = $2 AND hour >= $3 AND hour < $4 GROUP BY b ORDER BY b"
        )
        .bind(device_id)
        .bind(key)
        .bind(from)
        .bind(to)
        .bind(width)
        .fetch_all(db)
        .await?
        });
        let mut points: Vec<SeriesPoint> =
            hourly.into_iter().chain(raw).map(|(ts, low, mean, high)| SeriesPoint { ts, low, mean, high }).collect();
        points.sort_by_key(|p| p.ts);
        // A bucket with both pruned and raw data: one point.
        points.dedup_by(|later, earlier| {
            let same = later.ts == earlier.ts;
            if same {
                earlier.low = earlier.low.min(later.low);
                earlier.high = earlier.high.max(later.high);
                earlier.mean = (earlier.mean + later.mean) / 2.0;
            }
            same
        });
        Ok(points)
    }

    /// Retention: raw telemetry and stored messages older than `raw_days` are summed per
    /// hour into `telemetry_hourly` and deleted, in one transaction. Returns the raw rows
    /// removed.
    pub async fn prune_telemetry(&self, now: i64, raw_days: i64) -> StoreResult<u64> {
        const HOUR: i64 = 3_600_000;
        let cutoff = (now - raw_days * 24 * HOUR) / HOUR * HOUR;
        transaction!(self, |tx| {
            crate::on!(tx, |c| {
                sqlx::query(
                "INSERT INTO telemetry_hourly (device_id, key, hour, n, total, low, high) \
                 SELECT device_id, key, (ts / 3600000) * 3600000, COUNT(*), SUM(value), MIN(value), MAX(value) \
                 FROM telemetry WHERE ts < $1 GROUP BY device_id, key, (ts / 3600000) * 3600000 \
                 ON CONFLICT (device_id, key, hour) DO UPDATE SET n = telemetry_hourly.n + excluded.n, \
                 total = telemetry_hourly.total + excluded.total, \
                 low = CASE WHEN excluded.low < telemetry_hourly.low THEN excluded.low ELSE telemetry_hourly.low END, \
                 high = CASE WHEN excluded.high > telemetry_hourly.high THEN excluded.high ELSE telemetry_hourly.high END",
            )
            .bind(cutoff)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            let removed = crate::exec!(tx, sqlx::query("DELETE FROM telemetry WHERE ts < $1").bind(cutoff))?;
            crate::exec!(tx, sqlx::query("DELETE FROM device_messages WHERE received_at < $1").bind(cutoff))?;
            removed
        })
    }
}
