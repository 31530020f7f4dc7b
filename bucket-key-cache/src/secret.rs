//! [`Secret`]: the one type that holds key material in this crate (bucket keys, per-object keys,
//! plaintext data keys from KMS). It is wiped on drop and its `Debug` never shows the bytes, so a
//! `{:?}` in a log line or a `#[derive(Debug)]` on a struct that holds one cannot leak a key.
//!
//! Its own `Debug` is written here rather than borrowed from [`Zeroizing`]: `Zeroizing`'s `Debug`
//! printed the wrapped value before `zeroize` 1.9.1, and `zeroize = "1"` allows those versions.

use std::fmt;
use std::ops::{Deref, DerefMut};

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Secret bytes: zeroized when dropped, shown as `Secret(<redacted>)` by `Debug`, with no
/// `Display` and no `Serialize`. Read the value through `Deref` (`&*secret`, `secret[0]`, or
/// `&secret` where a `&[u8]` is expected), which is the one explicit way to get at it.
///
/// ```
/// use bucket_key_cache::Secret;
///
/// let key = Secret::new([0x42u8; 32]);
/// assert_eq!(key[0], 0x42);
/// assert_eq!(format!("{key:?}"), "Secret(<redacted>)");
/// ```
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Takes ownership of `value`; it is zeroized when the `Secret` is dropped.
    ///
    /// ```
    /// use bucket_key_cache::Secret;
    ///
    /// let mut key = Secret::new([0u8; 32]);
    /// key[..4].copy_from_slice(b"abcd"); // written in place, through DerefMut
    /// assert_eq!(&key[..4], b"abcd");
    /// ```
    pub fn new(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize> Deref for Secret<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> DerefMut for Secret<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> ZeroizeOnDrop for Secret<T> {}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: Zeroize + Default> Secret<T> {
    /// Moves the value out of a [`Zeroizing`] without copying a `Vec`'s heap buffer (the
    /// `Zeroizing` is left holding `T::default()`).
    ///
    /// ```
    /// use bucket_key_cache::Secret;
    /// use zeroize::Zeroizing;
    ///
    /// let secret = Secret::from_zeroizing(Zeroizing::new(vec![1u8, 2, 3]));
    /// assert_eq!(&secret[..], [1, 2, 3]);
    /// ```
    pub fn from_zeroizing(mut value: Zeroizing<T>) -> Self {
        Self(std::mem::take(&mut *value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_zeroize_on_drop<T: ZeroizeOnDrop>() {}

    #[test]
    fn debug_is_redacted_and_the_value_reads_through_deref() {
        let s = Secret::new(vec![0xabu8; 32]);
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{s:#?}"), "Secret(<redacted>)");
        assert_eq!(s.len(), 32);
        assert_zeroize_on_drop::<Secret<Vec<u8>>>();
        assert_zeroize_on_drop::<Secret<[u8; 32]>>();
    }
}
