//! [`Secret`]: the one type for secret bytes (key material, root keys, plaintexts, data keys,
//! seeded material). It has no `Debug`, `Display` or `Serialize`, so a secret cannot reach a
//! log line, an error text or a stored value by accident: a type holding one cannot derive
//! `Debug`, and code that must write one (the wire encoding, a store's key wrapping) has to ask
//! for the bytes with [`Secret::expose`]. The bytes are wiped when the secret is dropped.

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::random::RandomSource;

/// Secret bytes, wiped on drop, never printed.
///
/// ```
/// use kms_api::Secret;
/// let key = Secret::from_slice(&[7u8; 32]);
/// assert_eq!(key.len(), 32);
/// assert_eq!(key.expose(), &[7u8; 32]);
/// ```
///
/// A type that holds a secret cannot derive `Debug`:
///
/// ```compile_fail,E0277
/// #[derive(Debug)]
/// struct Leaky {
///     key: kms_api::Secret,
/// }
/// ```
///
/// Nor can a secret be formatted or serialized:
///
/// ```compile_fail,E0277
/// let key = kms_api::Secret::from_slice(b"k");
/// println!("{}", key);
/// ```
///
/// ```compile_fail,E0277
/// let key = kms_api::Secret::from_slice(b"k");
/// let _ = serde_json::to_string(&key);
/// ```
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Takes ownership of `bytes` (no copy is left behind).
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A copy of `bytes`; the caller wipes its own copy.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self::new(bytes.to_vec())
    }

    /// `len` random bytes from `random`.
    ///
    /// ```
    /// let key = kms_api::Secret::random(32, &kms_api::OsRandom);
    /// assert_eq!(key.len(), 32);
    /// ```
    pub fn random(len: usize, random: &dyn RandomSource) -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; len]);
        random.fill(&mut bytes);
        Self(bytes)
    }

    /// The secret bytes. Every call is a place where a secret leaves this type: use them for
    /// cryptography, the wire encoding or wrapping, never for a log or an error.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret bytes, to fill in place.
    pub fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }

    /// The bytes as a zeroizing vector, for code outside this crate that keeps its own secrets
    /// (the buffer is moved, not copied).
    pub fn into_zeroizing(self) -> Zeroizing<Vec<u8>> {
        let mut this = self;
        Zeroizing::new(std::mem::take(&mut *this.0))
    }

    /// How many bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A 32-byte key for `purpose`, derived from this secret with HMAC-SHA-256 (AWS-LC): the
    /// same secret and purpose give the same key, different purposes unrelated keys, and
    /// nothing derived reveals the secret.
    ///
    /// ```
    /// let root = kms_api::Secret::from_slice(&[1; 32]);
    /// let a = root.derive_key(b"tokens");
    /// assert_eq!(a.len(), 32);
    /// assert_eq!(a.expose(), root.derive_key(b"tokens").expose());
    /// assert_ne!(a.expose(), root.derive_key(b"other").expose());
    /// ```
    pub fn derive_key(&self, purpose: &[u8]) -> Secret {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0);
        Secret::from_slice(aws_lc_rs::hmac::sign(&key, purpose).as_ref())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<Zeroizing<Vec<u8>>> for Secret {
    fn from(bytes: Zeroizing<Vec<u8>>) -> Self {
        Self(bytes)
    }
}

impl Zeroize for Secret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl ZeroizeOnDrop for Secret {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_zeroizing_moves_the_buffer() {
        let secret = Secret::from_slice(b"abc");
        let ptr = secret.expose().as_ptr();
        let moved = secret.into_zeroizing();
        assert_eq!(moved.as_ptr(), ptr);
        assert_eq!(&moved[..], b"abc");
    }

    #[test]
    fn zeroize_wipes_the_bytes() {
        let mut secret = Secret::from_slice(&[9u8; 16]);
        secret.zeroize();
        assert!(secret.expose().iter().all(|b| *b == 0));
    }
}
