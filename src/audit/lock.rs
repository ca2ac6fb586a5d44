//! The workspace lock: `.levers/lock`, held with the operating system's advisory file lock
//! (`flock`), so the kernel releases it when its holder ends however it ends (`kill -9`
//! included): no stale lock file, no process id to trust. `levers run` and `levers import`
//! serialise through it; a second one waits a while, then says who it waited for.

use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a command waits for another to finish (`LEVERS_LOCK_WAIT_MS` shortens it, for
/// tests).
fn wait() -> Duration {
    std::env::var("LEVERS_LOCK_WAIT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// Held for as long as it lives.
pub struct WorkspaceLock {
    _file: File,
}

impl WorkspaceLock {
    /// Takes the lock of the workspace at `root`, waiting up to ten seconds for a holder.
    pub fn acquire(root: &Path) -> Result<WorkspaceLock> {
        let dir = crate::audit::write::private_dir(root).context("cannot create .levers")?;
        let path = dir.join("lock");
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(WorkspaceLock { _file: file }),
                Err(TryLockError::WouldBlock) if started.elapsed() < wait() => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(crate::error::Busy(format!(
                        "another levers command (run or import) is at work in this workspace (it holds {}); nothing was done. Try again when it has finished",
                        path.display()
                    ))
                    .into())
                }
                Err(TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()))
                }
            }
        }
    }
}
