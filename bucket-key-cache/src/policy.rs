//! [`OpenPolicy`]: which KMS keys a reader accepts as the protector of an envelope's bucket key,
//! checked before any KMS call. After the AWS Encryption SDK's strict and discovery modes.

/// Which KMS keys a reader accepts, stated on every [`open`](crate::BucketKeyCache::open).
///
/// An envelope names the KMS key that encrypted its bucket key, and whoever wrote the object
/// chose that key. A reader that trusts the name (the Encryption SDK's *discovery mode*) lets
/// anyone who can write objects get data of their choosing accepted: they seal it under a bucket
/// key from their own KMS key, grant the reader Decrypt on it, and the envelope authenticates.
/// So a reader lists the key ARNs it expects ([`OpenPolicy::key`], [`OpenPolicy::keys`]: *strict
/// mode*), and an envelope naming any other key fails with
/// [`Error::UnexpectedKey`](crate::Error::UnexpectedKey) before KMS is called.
///
/// Entries are compared exactly with the key ARN in the envelope, which is the ARN KMS returned
/// when the bucket key was made (`arn:aws:kms:<region>:<account>:key/<key-id>`): list key ARNs,
/// not key IDs, aliases or alias ARNs, which never match.
///
/// ```
/// use bucket_key_cache::OpenPolicy;
///
/// const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
/// let strict = OpenPolicy::key(KEY);
/// assert!(strict.allows(KEY));
/// assert!(!strict.allows("arn:aws:kms:us-east-1:444455556666:key/attacker"));
/// assert!(!strict.allows("alias/s3"));
/// assert!(OpenPolicy::AnyKey.allows("arn:aws:kms:us-east-1:444455556666:key/attacker"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenPolicy {
    /// Strict mode: only bucket keys encrypted under one of these KMS key ARNs. An empty list
    /// accepts nothing.
    Keys(Vec<String>),
    /// Discovery mode, **dangerous**: any KMS key the envelope names, so any writer of objects
    /// chooses the key (see the type's docs). Only for readers that authenticate objects some
    /// other way, or tools that must read whatever they find (and then check
    /// [`BucketKey::kms_key_arn`](crate::BucketKey::kms_key_arn) themselves).
    AnyKey,
}

impl OpenPolicy {
    /// Strict mode with one KMS key ARN.
    ///
    /// ```
    /// use bucket_key_cache::OpenPolicy;
    ///
    /// let p = OpenPolicy::key("arn:aws:kms:us-east-1:111122223333:key/k");
    /// assert_eq!(p, OpenPolicy::Keys(vec!["arn:aws:kms:us-east-1:111122223333:key/k".into()]));
    /// ```
    pub fn key(kms_key_arn: impl Into<String>) -> Self {
        Self::Keys(vec![kms_key_arn.into()])
    }

    /// Strict mode with several KMS key ARNs (e.g. the old and the new key during a migration).
    ///
    /// ```
    /// use bucket_key_cache::OpenPolicy;
    ///
    /// let p = OpenPolicy::keys(["arn:aws:kms:us-east-1:111122223333:key/old",
    ///                           "arn:aws:kms:us-east-1:111122223333:key/new"]);
    /// assert!(p.allows("arn:aws:kms:us-east-1:111122223333:key/old"));
    /// ```
    pub fn keys<I, S>(kms_key_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::Keys(kms_key_arns.into_iter().map(Into::into).collect())
    }

    /// True when a bucket key encrypted under `kms_key_arn` may be opened.
    ///
    /// ```
    /// use bucket_key_cache::OpenPolicy;
    ///
    /// assert!(!OpenPolicy::keys(Vec::<String>::new()).allows("arn:aws:kms:us-east-1:1:key/k"));
    /// ```
    pub fn allows(&self, kms_key_arn: &str) -> bool {
        match self {
            Self::Keys(arns) => arns.iter().any(|a| a == kms_key_arn),
            Self::AnyKey => true,
        }
    }
}
