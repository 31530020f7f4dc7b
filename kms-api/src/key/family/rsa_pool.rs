//! Pre-generated RSA key pairs. Generating a 4096-bit key takes about a second (a 2048-bit
//! one about 0.1 s), so each RSA size keeps a few keys ready and one background thread
//! refills them off the request path; a request that finds its pool empty generates inline.
//!
//! Cost: at most [`POOL_SIZE`] PKCS#8 keys per size in memory (about 10 KB in all, zeroized
//! when taken or dropped) and one thread that sleeps until a key is taken. The pool starts
//! on the first RSA request, so an emulator that never makes an RSA key never pays for it.

use std::collections::HashMap;
use std::sync::{Condvar, Mutex, OnceLock};

use crate::error::KmsError;
use crate::key::spec::KeySpec;
use crate::secret::Secret;

/// Keys kept ready per RSA size.
pub const POOL_SIZE: usize = 2;

const SIZES: [KeySpec; 3] = [KeySpec::Rsa4096, KeySpec::Rsa3072, KeySpec::Rsa2048];

struct Pool {
    ready: Mutex<HashMap<KeySpec, Vec<Secret>>>,
    /// Signalled when a key is taken (the refill thread waits on it).
    taken: Condvar,
    /// Signalled when a key is added (`wait_until_full` waits on it).
    added: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            ready: Mutex::new(HashMap::new()),
            taken: Condvar::new(),
            added: Condvar::new(),
        }));
        let started = std::thread::Builder::new()
            .name("rsa-key-pool".into())
            .spawn(move || refill_forever(pool));
        if started.is_err() {
            tracing::warn!(
                "could not start the RSA key pool thread; RSA keys are generated inline"
            );
        }
        pool
    })
}

fn refill_forever(pool: &'static Pool) {
    loop {
        let missing = {
            let mut ready = pool.ready.lock().unwrap_or_else(|e| e.into_inner());
            loop {
                let missing = SIZES
                    .into_iter()
                    .find(|s| ready.get(s).map_or(0, Vec::len) < POOL_SIZE);
                match missing {
                    Some(spec) => break spec,
                    None => ready = pool.taken.wait(ready).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        match super::rsa::generate_now(missing) {
            Ok(key) => {
                pool.ready
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(missing)
                    .or_default()
                    .push(key);
                pool.added.notify_all();
            }
            Err(_) => return,
        }
    }
}

/// An RSA key of `spec` from the pool, or a freshly generated one when the pool is empty.
pub(crate) fn take(spec: KeySpec) -> Result<Secret, KmsError> {
    let pool = pool();
    let ready = pool
        .ready
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_mut(&spec)
        .and_then(Vec::pop);
    pool.taken.notify_one();
    match ready {
        Some(key) => Ok(key),
        None => super::rsa::generate_now(spec),
    }
}

/// Starts the pool if it has not started and blocks until every RSA size has [`POOL_SIZE`]
/// keys ready or `timeout` passes; true when full. Benchmarks and latency checks call it
/// first, so that they measure CreateKey, not key generation.
///
/// ```
/// // Filling takes a few seconds on a slow machine; don't wait in a doc test.
/// let _full: bool = kms_api::rsa_pool_ready(std::time::Duration::ZERO);
/// assert_eq!(kms_api::RSA_POOL_SIZE, 2);
/// ```
pub fn wait_until_full(timeout: std::time::Duration) -> bool {
    let pool = pool();
    let deadline = std::time::Instant::now() + timeout;
    let mut ready = pool.ready.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if SIZES
            .iter()
            .all(|s| ready.get(s).map_or(0, Vec::len) >= POOL_SIZE)
        {
            return true;
        }
        let now = std::time::Instant::now();
        if now >= deadline {
            return false;
        }
        ready = pool
            .added
            .wait_timeout(ready, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
}
