//! [`Scope`]: the (account, Region) every key and alias belongs to, as AWS scopes them.

/// The account and Region a request acts in.
///
/// ```
/// use kms_api::Scope;
/// let scope = Scope::new("111122223333", "us-east-1");
/// assert_eq!(scope.partition(), "aws");
/// assert_eq!(Scope::new("111122223333", "cn-north-1").partition(), "aws-cn");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Scope {
    account: Box<str>,
    region: Box<str>,
}

impl Scope {
    /// The scope of `account` in `region`.
    pub fn new(account: impl Into<Box<str>>, region: impl Into<Box<str>>) -> Self {
        Self {
            account: account.into(),
            region: region.into(),
        }
    }

    /// The 12-digit account ID.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The Region name, e.g. `us-east-1`.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The ARN partition of the Region: `aws`, `aws-cn`, `aws-us-gov`, ...
    /// ([`crate::regions::partition_of`]).
    pub fn partition(&self) -> &'static str {
        crate::regions::partition_of(&self.region)
    }

    /// The same account in another Region.
    pub fn with_region(&self, region: &str) -> Self {
        Self::new(self.account.clone(), region)
    }

    /// Another account in the same Region.
    pub fn with_account(&self, account: &str) -> Self {
        Self::new(account, self.region.clone())
    }
}
