//! [`Error`]: everything that can go wrong getting a bucket key or sealing and opening an
//! object, and [`ProviderError`]: what a [`KeyProvider`](crate::KeyProvider) reports when KMS
//! (or the way to it) fails.

use std::fmt;

/// The exception name KMS sends when a request exceeds a quota.
pub const THROTTLING_EXCEPTION: &str = "ThrottlingException";

/// A failed bucket-key, seal or open operation. Never carries key material.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The envelope did not authenticate: its bytes were changed, or it is opened under another
    /// object name or bucket than it was sealed for. Nothing of the plaintext is returned.
    Authentication,
    /// KMS returned a data key that is not 32 bytes long.
    InvalidDataKey {
        /// The length KMS returned.
        len: usize,
    },
    /// An input is out of range (e.g. an object name longer than `u32::MAX` bytes, a KMS key ARN
    /// or bucket-key ciphertext longer than `u16::MAX` bytes).
    InvalidInput(&'static str),
    /// The envelope could not be parsed (truncated, wrong magic, bad lengths).
    Malformed(&'static str),
    /// The KMS call failed, after the provider's retries.
    Provider(ProviderError),
    /// The envelope's bucket key is under a KMS key the reader's
    /// [`OpenPolicy`](crate::OpenPolicy) does not list (found before any KMS call), or KMS
    /// reported decrypting with another key than the one requested.
    UnexpectedKey {
        /// The KMS key ARN the envelope (or KMS) named.
        kms_key_arn: String,
    },
    /// The envelope has a format version this library does not know.
    UnsupportedVersion(u8),
    /// [`BucketKey::open`](crate::BucketKey::open) was given an envelope sealed under another
    /// bucket key.
    WrongBucketKey,
}

impl Error {
    /// True when KMS refused the request for exceeding a quota (after retries).
    pub fn is_throttling(&self) -> bool {
        matches!(self, Self::Provider(p) if p.is_throttling())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authentication => f.write_str(
                "the envelope did not authenticate (tampered, or wrong object name or bucket)",
            ),
            Self::InvalidDataKey { len } => {
                write!(f, "KMS returned a {len}-byte data key; 32 bytes expected")
            }
            Self::InvalidInput(what) => write!(f, "invalid input: {what}"),
            Self::Malformed(what) => write!(f, "malformed envelope: {what}"),
            Self::Provider(e) => write!(f, "KMS call failed: {e}"),
            Self::UnexpectedKey { kms_key_arn } => write!(
                f,
                "the bucket key is under KMS key {kms_key_arn}, which the reader does not expect"
            ),
            Self::UnsupportedVersion(v) => write!(f, "unsupported envelope format version {v}"),
            Self::WrongBucketKey => f.write_str("the envelope was sealed under another bucket key"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Provider(e) => Some(e),
            _ => None,
        }
    }
}

impl From<ProviderError> for Error {
    fn from(e: ProviderError) -> Self {
        Self::Provider(e)
    }
}

/// A KMS call that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderError {
    /// KMS answered with an error: `code` is AWS's exception name (`ThrottlingException`,
    /// `NotFoundException`, `DisabledException`, ...).
    Kms {
        /// The exception name (`__type`).
        code: String,
        /// The message KMS sent.
        message: String,
    },
    /// No answer from KMS: connection, timeout, or an unexpected response.
    Transport(String),
}

impl ProviderError {
    /// An error answer from KMS.
    pub fn kms(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Kms {
            code: code.into(),
            message: message.into(),
        }
    }

    /// AWS's exception name, when KMS answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Kms { code, .. } => Some(code),
            Self::Transport(_) => None,
        }
    }

    /// True for `ThrottlingException`.
    pub fn is_throttling(&self) -> bool {
        self.code() == Some(THROTTLING_EXCEPTION)
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Kms { code, message } => write!(f, "{code}: {message}"),
            Self::Transport(e) => write!(f, "transport: {e}"),
        }
    }
}

impl std::error::Error for ProviderError {}
