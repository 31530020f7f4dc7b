//! [`Identity`]: who is calling, as authorization sees it: the principal's ARN, its account,
//! its unique ID (`aws:userid`), the role an assumed-role session belongs to, its tags
//! (`aws:PrincipalTag/<key>`) and its compiled identity policies.

use crate::policy::Policy;

/// A caller: an IAM user, role, assumed-role session or account root, with its identity
/// policies.
///
/// ```
/// use kms_api::policy::Identity;
/// let session = Identity::new("arn:aws:sts::111122223333:assumed-role/Reader/ci", Vec::new());
/// assert_eq!(session.account(), "111122223333");
/// assert!(session.is("arn:aws:iam::111122223333:role/Reader"));
/// assert!(session.is("arn:aws:sts::111122223333:assumed-role/Reader/ci"));
/// assert!(!session.is("arn:aws:iam::111122223333:role/Writer"));
/// ```
#[derive(Debug, Clone)]
pub struct Identity {
    arn: String,
    account: String,
    user_id: String,
    role_arn: Option<String>,
    policies: Vec<Policy>,
    tags: Vec<(String, String)>,
}

impl Identity {
    /// The caller with this principal ARN (`arn:<partition>:iam::<account>:user/...`,
    /// `...:role/...`, `...:root`, or `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`)
    /// and these identity policies. The account is read from the ARN.
    pub fn new(arn: impl Into<String>, policies: Vec<Policy>) -> Self {
        let arn = arn.into();
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let account = parts.get(4).copied().unwrap_or_default().to_owned();
        let role_arn = match parts[..] {
            [_, partition, "sts", _, account, resource] => resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split_once('/'))
                .map(|(role, _)| format!("arn:{partition}:iam::{account}:role/{role}")),
            _ => None,
        };
        let user_id = unique_id(&arn, &account, role_arn.as_deref());
        Self {
            arn,
            account,
            user_id,
            role_arn,
            policies,
            tags: Vec::new(),
        }
    }

    /// The same caller with these principal tags, the values of `aws:PrincipalTag/<key>`.
    ///
    /// ```
    /// use kms_api::policy::Identity;
    /// let alice = Identity::new("arn:aws:iam::111122223333:user/alice", Vec::new())
    ///     .with_tags(vec![("Project".into(), "alpha".into())]);
    /// assert_eq!(alice.tag("project"), Some("alpha"));
    /// assert_eq!(alice.tag("Team"), None);
    /// ```
    pub fn with_tags(mut self, tags: Vec<(String, String)>) -> Self {
        self.tags = tags;
        self
    }

    /// The value of the principal tag `key`; keys match without regard to case, as IAM
    /// keeps a principal's tag keys unique that way.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The principal tags, as given.
    pub fn tags(&self) -> &[(String, String)] {
        &self.tags
    }

    /// The principal ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The 12-digit account of the principal.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The principal's unique ID, as `aws:userid` and CloudTrail's `principalId` give it:
    /// `AIDA…` for a user, `AROA…` for a role, `AROA…:<session>` for an assumed-role session,
    /// the account ID for the root. IAM assigns these at random; here they are derived from
    /// the user's or role's ARN, so they stay the same across restarts.
    ///
    /// ```
    /// use kms_api::policy::Identity;
    /// let bob = Identity::new("arn:aws:iam::111122223333:user/bob", Vec::new());
    /// assert!(bob.user_id().starts_with("AIDA") && bob.user_id().len() == 21);
    /// let ci = Identity::new("arn:aws:sts::111122223333:assumed-role/Deployer/ci", Vec::new());
    /// let role = Identity::new("arn:aws:iam::111122223333:role/Deployer", Vec::new());
    /// assert_eq!(ci.user_id(), format!("{}:ci", role.user_id()));
    /// let root = Identity::new("arn:aws:iam::111122223333:root", Vec::new());
    /// assert_eq!(root.user_id(), "111122223333");
    /// ```
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The identity policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Whether `arn` names this caller: its own ARN or, for an assumed-role session, its
    /// role's ARN.
    pub fn is(&self, arn: &str) -> bool {
        self.arn == arn || self.role_arn.as_deref() == Some(arn)
    }

    /// The principal type AWS puts in `aws:PrincipalType`: `Account`, `AssumedRole` or `User`.
    pub fn principal_type(&self) -> &'static str {
        if self.arn.ends_with(":root") {
            "Account"
        } else if self.role_arn.is_some() {
            "AssumedRole"
        } else {
            "User"
        }
    }
}

/// IAM's unique ID of a principal (see [`Identity::user_id`]).
fn unique_id(arn: &str, account: &str, role_arn: Option<&str>) -> String {
    if arn.ends_with(":root") {
        return account.to_owned();
    }
    let resource = arn.rsplit_once(':').map_or("", |(_, r)| r);
    match role_arn {
        Some(role) => {
            let session = resource.rsplit('/').next().unwrap_or_default();
            format!("AROA{}:{session}", id_chars(role))
        }
        None if resource.starts_with("role/") => format!("AROA{}", id_chars(arn)),
        None => format!("AIDA{}", id_chars(arn)),
    }
}

/// 17 characters of IAM's unique-ID alphabet (A-Z, 2-7), from a SHA-256 of `arn`.
fn id_chars(arn: &str) -> String {
    use sha2::Digest;
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let bits = u128::from_be_bytes(digest[..16].try_into().expect("16 bytes"));
    (0..17)
        .map(|i| char::from(ALPHABET[((bits >> (123 - 5 * i)) & 31) as usize]))
        .collect()
}
