//! [`Principals`]: the credentials the emulator knows, by access key ID: each one's secret key,
//! account, principal ARN, optional session token and IAM identity policies. They come from
//! `--principal AKID:SECRET:ARN` (the short form) and from a `--principals` file, TOML or JSON:
//!
//! ```toml
//! [[principals]]
//! access_key_id = "AKIAALICE0000000000"
//! secret_access_key = "alice-secret"
//! arn = "arn:aws:iam::111122223333:user/alice"
//! # optional: session_token = "...", account = "111122223333" (must match the ARN),
//! # policies = ['{"Version": "2012-10-17", "Statement": [...]}'], policy_files = ["alice.json"]
//! # tags = { Project = "alpha" }   (aws:PrincipalTag/Project, for ABAC policies)
//! ```
//!
//! A principal given without identity policies gets [`default_identity_policy`]: `kms:*` on
//! every resource of its own account, as an administrator's would.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwapOption;

use aws_lc_rs::hmac;
use kms_api::Secret;
use serde::Deserialize;

use crate::config::is_account_id;

/// One known credential. Its `Debug` shows neither the secret key nor the session token.
pub struct Principal {
    /// The access key ID.
    pub access_key_id: String,
    secret_access_key: Secret,
    session_token: Option<Secret>,
    /// The account, from the ARN.
    pub account: String,
    /// The principal ARN (`arn:aws:iam::<account>:user/<name>`, `...:role/<name>`,
    /// `...:root`, or `arn:aws:sts::<account>:assumed-role/<role>/<session>`).
    pub arn: String,
    /// The IAM identity policies attached to it (JSON documents).
    pub identity_policies: Vec<serde_json::Value>,
    /// The principal as authorization sees it: its ARN and its compiled identity policies.
    pub identity: kms_api::policy::Identity,
    /// The last signing key derived, for its (date, Region, service): SDK requests reuse it
    /// all day, so most requests skip the four HMACs of the derivation.
    signing_key: ArcSwapOption<CachedSigningKey>,
}

struct CachedSigningKey {
    date: String,
    region: String,
    service: String,
    key: hmac::Key,
}

impl std::fmt::Debug for Principal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("account", &self.account)
            .field("arn", &self.arn)
            .field("identity_policies", &self.identity_policies.len())
            .finish()
    }
}

/// What kind of principal an ARN names (CloudTrail's `userIdentity.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// `arn:aws:iam::<account>:root`.
    Root,
    /// `arn:aws:iam::<account>:user/<name>`.
    IamUser,
    /// `arn:aws:iam::<account>:role/<name>` (used directly, as some tools configure it).
    Role,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    AssumedRole,
}

impl PrincipalKind {
    /// CloudTrail's name for it.
    pub fn cloudtrail_type(self) -> &'static str {
        match self {
            Self::Root => "Root",
            Self::IamUser => "IAMUser",
            Self::Role | Self::AssumedRole => "AssumedRole",
        }
    }
}

/// The account and kind of a principal ARN, or why it is not one.
pub fn parse_principal_arn(arn: &str) -> Result<(String, PrincipalKind), String> {
    let bad = || {
        format!(
            "{arn:?} is not a principal ARN (arn:aws:iam::<account>:user/<name>, ...:role/<name>, ...:root, or arn:aws:sts::<account>:assumed-role/<role>/<session>)"
        )
    };
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    if !matches!(
        partition,
        "aws"
            | "aws-cn"
            | "aws-us-gov"
            | "aws-iso"
            | "aws-iso-b"
            | "aws-iso-e"
            | "aws-iso-f"
            | "aws-eusc"
    ) || !is_account_id(account)
    {
        return Err(bad());
    }
    let named = |prefix: &str| {
        resource
            .strip_prefix(prefix)
            .is_some_and(|name| !name.is_empty() && !name.ends_with('/'))
    };
    let kind = match service {
        "iam" if resource == "root" => PrincipalKind::Root,
        "iam" if named("user/") => PrincipalKind::IamUser,
        "iam" if named("role/") => PrincipalKind::Role,
        "sts"
            if resource
                .strip_prefix("assumed-role/")
                .and_then(|r| r.split_once('/'))
                .is_some_and(|(role, session)| !role.is_empty() && !session.is_empty()) =>
        {
            PrincipalKind::AssumedRole
        }
        _ => return Err(bad()),
    };
    Ok((account.to_owned(), kind))
}

/// The identity policy of a principal given without one: `kms:*` on every KMS resource of
/// `account`, in any Region.
pub fn default_identity_policy(account: &str) -> serde_json::Value {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DefaultKmsAdministrator",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": format!("arn:*:kms:*:{account}:*"),
        }]
    })
}

impl Principal {
    /// A principal; the account is the ARN's. `identity_policies` empty means
    /// [`default_identity_policy`].
    pub fn new(
        access_key_id: &str,
        secret_access_key: Secret,
        arn: &str,
        session_token: Option<Secret>,
        identity_policies: Vec<serde_json::Value>,
    ) -> Result<Self, String> {
        if access_key_id.is_empty()
            || access_key_id.len() > 128
            || !access_key_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(format!(
                "access key ID {access_key_id:?} must be 1 to 128 letters and digits"
            ));
        }
        if secret_access_key.is_empty() {
            return Err(format!(
                "the secret access key of {access_key_id} must not be empty"
            ));
        }
        let (account, _) = parse_principal_arn(arn)?;
        for policy in &identity_policies {
            if !policy.is_object() {
                return Err(format!(
                    "an identity policy of {access_key_id} is not a JSON object"
                ));
            }
        }
        let identity_policies = if identity_policies.is_empty() {
            vec![default_identity_policy(&account)]
        } else {
            identity_policies
        };
        let compiled = identity_policies
            .iter()
            .map(|p| {
                kms_api::policy::Policy::parse_identity_policy(&p.to_string()).map_err(
                    |kms_api::policy::PolicyError::Malformed(m)| {
                        format!("an identity policy of {access_key_id} is malformed: {m}")
                    },
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            access_key_id: access_key_id.to_owned(),
            secret_access_key,
            session_token,
            account,
            arn: arn.to_owned(),
            identity_policies,
            identity: kms_api::policy::Identity::new(arn, compiled),
            signing_key: ArcSwapOption::empty(),
        })
    }

    /// The same principal with these tags (IAM's rules: at most 50, keys of 1 to 128
    /// characters, values of at most 256, letters, digits, spaces and `_ . : / = + - @` only,
    /// no key starting with `aws:`, no two keys differing only in case).
    ///
    /// ```
    /// use kms_emulator::auth::Principal;
    /// let p = Principal::parse_short("AKIAALICE:s3cret:arn:aws:iam::111122223333:user/alice")
    ///     .unwrap()
    ///     .with_tags(vec![("Project".into(), "alpha".into())])
    ///     .unwrap();
    /// assert_eq!(p.identity.tag("project"), Some("alpha"));
    /// ```
    pub fn with_tags(mut self, tags: Vec<(String, String)>) -> Result<Self, String> {
        let id = &self.access_key_id;
        if tags.len() > 50 {
            return Err(format!(
                "{id} has {} tags; at most 50 are allowed",
                tags.len()
            ));
        }
        let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
        for (i, (key, value)) in tags.iter().enumerate() {
            if let Some(c) = key.chars().chain(value.chars()).find(|&c| !allowed(c)) {
                return Err(format!(
                    "tag {key:?} of {id} holds {c:?}; tags may hold letters, digits, spaces and _ . : / = + - @"
                ));
            }
            if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
                return Err(format!(
                    "tag key {key:?} of {id} starts with aws:, which AWS keeps for itself"
                ));
            }
            let key_chars = key.chars().count();
            if !(1..=128).contains(&key_chars) {
                return Err(format!(
                    "a tag key of {id} must be 1 to 128 characters, not {key_chars}"
                ));
            }
            if value.chars().count() > 256 {
                return Err(format!(
                    "the value of tag {key:?} of {id} must be at most 256 characters"
                ));
            }
            if tags[..i].iter().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                return Err(format!(
                    "tag keys of {id} must differ in more than case: {key:?} is given twice"
                ));
            }
        }
        self.identity = self.identity.clone().with_tags(tags);
        Ok(self)
    }

    /// `AKID:SECRET:PRINCIPAL_ARN` (the ARN's own colons are kept).
    ///
    /// ```
    /// use kms_emulator::auth::Principal;
    /// let p = Principal::parse_short("AKIAALICE:s3cret:arn:aws:iam::111122223333:user/alice").unwrap();
    /// assert_eq!(p.account, "111122223333");
    /// assert!(Principal::parse_short("AKIAALICE:s3cret").is_err());
    /// ```
    pub fn parse_short(text: &str) -> Result<Self, String> {
        let mut parts = text.splitn(3, ':');
        let (Some(akid), Some(secret), Some(arn)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(
                "a principal is AKID:SECRET:PRINCIPAL_ARN, e.g. AKIAALICE:secret:arn:aws:iam::111122223333:user/alice"
                    .into(),
            );
        };
        Self::new(
            akid.trim(),
            Secret::from_slice(secret.as_bytes()),
            arn.trim(),
            None,
            Vec::new(),
        )
    }

    /// The kind of principal its ARN names.
    pub fn kind(&self) -> PrincipalKind {
        parse_principal_arn(&self.arn).map_or(PrincipalKind::IamUser, |(_, kind)| kind)
    }

    /// Whether `token` is this principal's session token (constant time). A principal without
    /// one accepts only requests without one.
    pub fn session_token_matches(&self, token: Option<&str>) -> bool {
        match (&self.session_token, token) {
            (None, None) => true,
            (Some(expected), Some(given)) => {
                let (expected, given) = (expected.expose(), given.as_bytes());
                expected.len() == given.len()
                    && bool::from(subtle::ConstantTimeEq::ct_eq(expected, given))
            }
            _ => false,
        }
    }

    /// Runs `f` with the SigV4 signing key for (date, Region, service), derived once per
    /// change of any of them.
    pub fn with_signing_key<R>(
        &self,
        date: &str,
        region: &str,
        service: &str,
        f: impl FnOnce(&hmac::Key) -> R,
    ) -> R {
        let matches =
            |c: &CachedSigningKey| c.date == date && c.region == region && c.service == service;
        if let Some(cached) = self.signing_key.load().as_deref().filter(|c| matches(c)) {
            return f(&cached.key);
        }
        let key = super::sigv4::signing_key(self.secret_access_key.expose(), date, region, service);
        let result = f(&key);
        self.signing_key.store(Some(Arc::new(CachedSigningKey {
            date: date.to_owned(),
            region: region.to_owned(),
            service: service.to_owned(),
            key,
        })));
        result
    }
}

/// The known principals, by access key ID.
#[derive(Debug, Default, Clone)]
pub struct Principals {
    by_access_key: HashMap<String, Arc<Principal>>,
}

/// One entry of a principals file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    access_key_id: String,
    secret_access_key: String,
    arn: String,
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    session_token: Option<String>,
    #[serde(default)]
    policies: Vec<PolicyText>,
    #[serde(default)]
    policy_files: Vec<std::path::PathBuf>,
    /// Principal tags: `aws:PrincipalTag/<key>` in conditions and policy variables.
    #[serde(default)]
    tags: std::collections::BTreeMap<String, String>,
}

/// An inline policy: a JSON string, or the document itself as a table or object.
#[derive(Deserialize)]
#[serde(untagged)]
enum PolicyText {
    Text(String),
    Document(serde_json::Value),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    principals: Vec<FileEntry>,
}

impl Principals {
    /// No principals.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `principal`; an access key ID may be given once.
    pub fn add(&mut self, principal: Principal) -> Result<(), String> {
        let id = principal.access_key_id.clone();
        if self.by_access_key.contains_key(&id) {
            return Err(format!("access key ID {id} is given twice"));
        }
        self.by_access_key.insert(id, Arc::new(principal));
        Ok(())
    }

    /// The principal of an access key ID.
    pub fn get(&self, access_key_id: &str) -> Option<&Arc<Principal>> {
        self.by_access_key.get(access_key_id)
    }

    /// How many there are.
    pub fn len(&self) -> usize {
        self.by_access_key.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.by_access_key.is_empty()
    }

    /// Adds every principal of a TOML or JSON principals file (JSON when the text starts with
    /// `{`). `policy_files` are read relative to the file's folder.
    ///
    /// ```
    /// let mut principals = kms_emulator::auth::Principals::new();
    /// let text = r#"
    /// [[principals]]
    /// access_key_id = "AKIABOB"
    /// secret_access_key = "bob-secret"
    /// arn = "arn:aws:sts::444455556666:assumed-role/Reader/bob"
    /// "#;
    /// principals.add_file_text(text, std::path::Path::new(".")).unwrap();
    /// assert_eq!(principals.get("AKIABOB").unwrap().account, "444455556666");
    /// ```
    pub fn add_file_text(&mut self, text: &str, base: &Path) -> Result<(), String> {
        let file: File = if text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        for entry in file.principals {
            let mut policies = Vec::new();
            for policy in entry.policies {
                policies.push(match policy {
                    PolicyText::Text(text) => serde_json::from_str(&text).map_err(|e| {
                        format!("a policy of {} is not JSON: {e}", entry.access_key_id)
                    })?,
                    PolicyText::Document(doc) => doc,
                });
            }
            for path in &entry.policy_files {
                let path = base.join(path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("policy file {}: {e}", path.display()))?;
                policies.push(
                    serde_json::from_str(&text)
                        .map_err(|e| format!("policy file {}: {e}", path.display()))?,
                );
            }
            let principal = Principal::new(
                &entry.access_key_id,
                Secret::from_slice(entry.secret_access_key.as_bytes()),
                &entry.arn,
                entry
                    .session_token
                    .map(|t| Secret::from_slice(t.as_bytes())),
                policies,
            )?
            .with_tags(entry.tags.into_iter().collect())?;
            if let Some(account) = entry.account {
                if account != principal.account {
                    return Err(format!(
                        "{}: account {account} is not the account of {}",
                        entry.access_key_id, principal.arn
                    ));
                }
            }
            self.add(principal)?;
        }
        Ok(())
    }

    /// [`Principals::add_file_text`] of the file at `path`.
    pub fn add_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        self.add_file_text(&text, path.parent().unwrap_or(Path::new(".")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_arns_name_their_account_and_kind() {
        let cases = [
            ("arn:aws:iam::111122223333:root", PrincipalKind::Root),
            (
                "arn:aws:iam::111122223333:user/alice",
                PrincipalKind::IamUser,
            ),
            (
                "arn:aws:iam::111122223333:user/team/alice",
                PrincipalKind::IamUser,
            ),
            (
                "arn:aws-cn:iam::111122223333:role/Admin",
                PrincipalKind::Role,
            ),
            (
                "arn:aws:sts::111122223333:assumed-role/Admin/session-1",
                PrincipalKind::AssumedRole,
            ),
        ];
        for (arn, kind) in cases {
            assert_eq!(
                parse_principal_arn(arn),
                Ok(("111122223333".to_owned(), kind)),
                "{arn}"
            );
        }
        for bad in [
            "arn:aws:iam::11112222333:user/alice",
            "arn:aws:iam::111122223333:user/",
            "arn:aws:iam::111122223333:group/devs",
            "arn:aws:s3:::bucket",
            "arn:aws:sts::111122223333:assumed-role/Admin",
            "arn:nope:iam::111122223333:root",
            "alice",
        ] {
            assert!(parse_principal_arn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_short_form_gets_the_default_identity_policy() {
        let p = Principal::parse_short("AKIAALICE:abc/def+g:arn:aws:iam::111122223333:user/alice")
            .unwrap();
        assert_eq!(p.access_key_id, "AKIAALICE");
        assert_eq!(p.arn, "arn:aws:iam::111122223333:user/alice");
        assert_eq!(p.account, "111122223333");
        assert_eq!(
            p.identity_policies,
            vec![default_identity_policy("111122223333")]
        );
        assert!(p.session_token_matches(None));
        assert!(!p.session_token_matches(Some("token")));
        for bad in [
            "AKIAALICE:secret",
            "AKIAALICE::arn:aws:iam::111122223333:user/alice",
            ":secret:arn:aws:iam::111122223333:user/alice",
            "AKIA ALICE:secret:arn:aws:iam::111122223333:user/alice",
            "AKIAALICE:secret:arn:aws:iam::1111:user/alice",
        ] {
            assert!(Principal::parse_short(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let mut principals = Principals::new();
        principals
            .add_file_text(
                r#"{"principals": [{"access_key_id": "AKIAX", "secret_access_key": "s3cr3t-key",
                    "session_token": "s3cr3t-token", "arn": "arn:aws:iam::111122223333:user/x"}]}"#,
                Path::new("."),
            )
            .unwrap();
        let printed = format!("{principals:?} {principals:#?}");
        assert!(!printed.contains("s3cr3t"), "{printed}");
        let p = principals.get("AKIAX").unwrap();
        assert!(p.session_token_matches(Some("s3cr3t-token")));
        assert!(!p.session_token_matches(Some("s3cr3t-toke")));
        assert!(!p.session_token_matches(None));
    }

    #[test]
    fn files_give_policies_inline_and_by_path_and_refuse_mistakes() {
        let dir = std::env::temp_dir().join(format!("kms-principals-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("reader.json"),
            r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}"#,
        )
        .unwrap();
        let text = r#"
            [[principals]]
            access_key_id = "AKIAREADER"
            secret_access_key = "reader-secret"
            arn = "arn:aws:iam::111122223333:user/reader"
            account = "111122223333"
            policy_files = ["reader.json"]
            policies = ['{"Version": "2012-10-17", "Statement": []}']

            [[principals]]
            access_key_id = "AKIAOTHER"
            secret_access_key = "other-secret"
            arn = "arn:aws:iam::444455556666:role/Other"
            policies = [{ Version = "2012-10-17", Statement = [] }]
            tags = { Project = "alpha", CostCenter = "" }
        "#;
        let mut principals = Principals::new();
        principals.add_file_text(text, &dir).unwrap();
        assert_eq!(principals.len(), 2);
        let reader = principals.get("AKIAREADER").unwrap();
        assert_eq!(reader.identity_policies.len(), 2);
        assert_eq!(
            reader.identity_policies[1]["Statement"][0]["Action"],
            "kms:Decrypt"
        );
        let other = principals.get("AKIAOTHER").unwrap();
        assert_eq!(other.account, "444455556666");
        assert_eq!(other.identity.tag("PROJECT"), Some("alpha"));
        assert_eq!(other.identity.tag("CostCenter"), Some(""));
        assert!(reader.identity.tags().is_empty());
        // The same key twice, an account that is not the ARN's, an unknown field, a missing file.
        assert!(
            principals
                .add_file_text(text, &dir)
                .unwrap_err()
                .contains("twice")
        );
        for bad in [
            "[[principals]]\naccess_key_id = \"A\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\naccount = \"444455556666\"",
            "[[principals]]\naccess_key_id = \"B\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\nsecret = \"typo\"",
            "[[principals]]\naccess_key_id = \"C\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\npolicy_files = [\"missing.json\"]",
            "[[principals]]\naccess_key_id = \"D\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\npolicies = ['not json']",
            "[[principals]]\naccess_key_id = \"E\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\ntags = { \"\" = \"empty key\" }",
            "[[principals]]\naccess_key_id = \"F\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\ntags = { a = \"1\", A = \"2\" }",
            "[[principals]]\naccess_key_id = \"G\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\ntags = { a = 1 }",
            "[[principals]]\naccess_key_id = \"H\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\ntags = { \"aws:x\" = \"1\" }",
            "[[principals]]\naccess_key_id = \"I\"\nsecret_access_key = \"s\"\narn = \"arn:aws:iam::111122223333:root\"\ntags = { a = \"*\" }",
        ] {
            assert!(Principals::new().add_file_text(bad, &dir).is_err(), "{bad}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_documented_principals_file_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/principals/principals.toml");
        let mut principals = Principals::new();
        principals.add_file(&path).unwrap();
        assert_eq!(principals.len(), 4);
        let admin = principals.get("AKIAADMIN0EXAMPLE").unwrap();
        assert_eq!(
            admin.identity_policies,
            vec![default_identity_policy("111122223333")]
        );
        let app = principals.get("ASIAAPP00EXAMPLE").unwrap();
        assert_eq!(app.kind(), PrincipalKind::AssumedRole);
        assert_eq!(app.identity.tag("Project"), Some("alpha"));
        assert!(app.session_token_matches(Some("app-session-token")));
        assert_eq!(app.identity_policies[0]["Statement"][1]["Effect"], "Deny");
        let partner = principals.get("AKIAPARTNEREXAMPLE").unwrap();
        assert_eq!(partner.account, "444455556666");
        assert_eq!(
            principals
                .get("AKIAAUDITOREXAMPLE")
                .unwrap()
                .identity_policies[0]["Statement"][0]["Action"][2],
            "kms:List*"
        );
    }

    #[test]
    fn the_signing_key_is_derived_once_per_scope() {
        let p = Principal::parse_short(
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY:arn:aws:iam::111122223333:user/x",
        )
        .unwrap();
        let sign = |date: &str, region: &str| {
            p.with_signing_key(date, region, "kms", |k| {
                hmac::sign(k, b"x").as_ref().to_vec()
            })
        };
        let first = sign("20150830", "us-east-1");
        assert_eq!(sign("20150830", "us-east-1"), first);
        let other = sign("20150830", "eu-west-1");
        assert_ne!(other, first);
        assert_eq!(sign("20150830", "us-east-1"), first);
        let direct = super::super::sigv4::signing_key(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "kms",
        );
        assert_eq!(hmac::sign(&direct, b"x").as_ref(), &first[..]);
    }
}
