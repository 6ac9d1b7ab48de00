//! A full disk on SQLite, for real: the data folder on a small tmpfs, filled to the last
//! byte. Every write that says it committed is there, seen by other connections and after
//! a restart; every other write says it failed, for lack of space; nothing is left half
//! done on the writer; the store says it cannot write; and writes resume by themselves
//! once space is freed.
//!
//! Mounting needs root (CI runs as root). Elsewhere the test is skipped, unless
//! `LINLI_REQUIRE_TMPFS=1`.

use linli_store::crypto::SecretKey;
use linli_store::{PoolSettings, Store, StoreError, Target, read};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs of `size` mounted on a fresh folder, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs", dir.path().to_str().unwrap()])
            .output()
            .is_ok_and(|o| o.status.success());
        if mounted {
            return Some(SmallDisk { dir });
        }
        assert!(
            std::env::var("LINLI_REQUIRE_TMPFS").is_err(),
            "LINLI_REQUIRE_TMPFS is set but tmpfs cannot be mounted"
        );
        eprintln!("cannot mount a tmpfs (not root?): skipped");
        None
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills what is left of the disk with a file; deleting it frees the space again.
fn fill(path: &Path) -> PathBuf {
    let ballast = path.join("ballast");
    let mut f = std::fs::File::create(&ballast).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    while f.write_all(&chunk).is_ok() {}
    // The last bytes, one at a time.
    while f.write_all(&[0]).is_ok() {}
    let _ = f.sync_all();
    ballast
}

async fn open(data: &Path, key: &SecretKey) -> Store {
    let store =
        Store::connect(&Target::SqliteDir(data.to_path_buf()), &PoolSettings::default(), key.clone()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

async fn rows_seen(store: &Store) -> i64 {
    read!(store, |db| sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE action = 'disk.test'")
        .fetch_one(db)
        .await
        .unwrap())
}

/// One write of a few kilobytes (so that the disk fills in few of them).
async fn write(store: &Store, n: usize) -> Result<(), StoreError> {
    store.audit(None, None, "disk.test", &format!("{n}:{}", "记录".repeat(1500))).await
}

#[tokio::test]
async fn a_full_disk_loses_no_acknowledged_write_and_writing_resumes_when_space_returns() {
    let Some(disk) = SmallDisk::mount("6m") else { return };
    let data = disk.path().join("data");
    let key = SecretKey::generate();
    let store = open(&data, &key).await;
    let ballast = fill(disk.path());

    let mut acknowledged = 0;
    let mut refusals = 0;
    for n in 0..400 {
        match write(&store, n).await {
            Ok(()) => {
                acknowledged += 1;
                // What was acknowledged is what everyone else sees.
                assert_eq!(rows_seen(&store).await, acknowledged, "write {n} said it committed");
            }
            Err(e) => {
                assert!(e.is_out_of_space(), "a write refused for lack of space says so: {e}");
                assert!(store.cannot_write(), "the store knows it cannot write");
                refusals += 1;
                if refusals >= 20 {
                    break;
                }
            }
        }
    }
    assert!(refusals >= 20, "the disk filled up ({acknowledged} writes went in first)");
    assert_eq!(rows_seen(&store).await, acknowledged, "nothing refused was stored");
    assert!(store.probe_write().await.is_err(), "the readiness probe cannot write either");

    // Space returns: writes resume without a restart.
    std::fs::remove_file(&ballast).unwrap();
    store.probe_write().await.unwrap();
    assert!(!store.cannot_write());
    write(&store, 1000).await.unwrap();
    acknowledged += 1;
    assert_eq!(rows_seen(&store).await, acknowledged);

    // And after a restart, every acknowledged write is there, once.
    store.close().await;
    let again = open(&data, &key).await;
    assert_eq!(rows_seen(&again).await, acknowledged);
    again.close().await;
}
