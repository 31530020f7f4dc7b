//! The scheduler: once a second it asks the engine to perform automatic rotations and
//! complete deletions that came due on the engine's clock. The sweep runs on the blocking
//! pool, so request handling never waits for it.

use std::time::Duration;

use kms_api::Kms;
use tokio::task::JoinHandle;

/// How often the scheduler sweeps.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Starts the scheduler; abort the handle to stop it.
pub fn spawn(kms: Kms) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(SWEEP_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let engine = kms.clone();
            match tokio::task::spawn_blocking(move || engine.run_scheduled()).await {
                Ok(work) if work.rotations + work.deletions + work.settled > 0 => {
                    tracing::info!(
                        rotations = work.rotations,
                        deletions = work.deletions,
                        settled = work.settled,
                        "scheduled work done"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduler sweep failed"),
            }
        }
    })
}
