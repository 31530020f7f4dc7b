//! Randomness as the engine sees it: an injected [`RandomSource`], the OS CSPRNG by default.

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::{RngCore, SeedableRng};
use std::sync::Mutex;

/// A source of cryptographically secure random bytes.
///
/// ```
/// use kms_api::{OsRandom, RandomSource};
/// let mut buf = [0u8; 16];
/// OsRandom.fill(&mut buf);
/// ```
pub trait RandomSource: Send + Sync + 'static {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]);
}

/// The operating system's CSPRNG (`getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill(&self, buf: &mut [u8]) {
        OsRng.fill_bytes(buf);
    }
}

/// A deterministic generator seeded by the caller, for reproducible tests only.
///
/// ```
/// use kms_api::{RandomSource, SeededRandom};
/// let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
/// let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
/// a.fill(&mut x);
/// b.fill(&mut y);
/// assert_eq!(x, y);
/// ```
#[derive(Debug)]
pub struct SeededRandom {
    state: Mutex<rand_chacha::ChaCha20Rng>,
}

impl SeededRandom {
    /// A generator whose output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            state: Mutex::new(rand_chacha::ChaCha20Rng::seed_from_u64(seed)),
        }
    }
}

impl RandomSource for SeededRandom {
    fn fill(&self, buf: &mut [u8]) {
        let mut rng = match self.state.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        rng.fill_bytes(buf);
    }
}
