//! Key policy operations: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. A policy is checked
//! and compiled when it is set (`crate::policy`); `crate::authorize` evaluates it.

use crate::error::KmsError;
use crate::key::policy::KeyPolicy;
use crate::kms::Kms;
use crate::policy::Policy;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::keys::Empty;
use crate::wire::policies::*;

/// AWS's key policy size quota in bytes.
pub const MAX_POLICY_BYTES: usize = 32_768;
const DEFAULT_POLICY_NAME: &str = "default";

impl Kms {
    /// Returns a key's policy.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GetKeyPolicy
    /// {"KeyId":"1234abcd-...","PolicyName":"default"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `ValidationException`.
    pub fn get_key_policy(
        &self,
        scope: &Scope,
        req: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        policy_name_member(&mut v, &req.policy_name);
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_policy_name(&req.policy_name)?;
        Ok(GetKeyPolicyResponse {
            policy: key.policy.text().to_owned(),
            policy_name: DEFAULT_POLICY_NAME.into(),
        })
    }

    /// Replaces a key's policy.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.PutKeyPolicy
    /// {"KeyId":"1234abcd-...","PolicyName":"default","Policy":"{...}"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `MalformedPolicyDocumentException`, `LimitExceededException`
    /// (over 32 KB), `KMSInvalidStateException`, `ValidationException`.
    pub fn put_key_policy(
        &self,
        scope: &Scope,
        req: PutKeyPolicyRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        policy_name_member(&mut v, &req.policy_name);
        v.required("policy", &req.policy);
        validate_policy_member(&mut v, req.policy.as_deref());
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_policy_name(&req.policy_name)?;
        let policy = checked_policy(req.policy.unwrap_or_default())?;
        self.update_key(&key, |k| {
            k.check_not_pending_deletion()?;
            k.policy = policy;
            Ok(())
        })?;
        Ok(Empty {})
    }

    /// Lists a key's policy names: always `["default"]`.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListKeyPolicies
    /// {"KeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `ValidationException`.
    pub fn list_key_policies(
        &self,
        scope: &Scope,
        req: ListKeyPoliciesRequest,
    ) -> Result<ListKeyPoliciesResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        self.resolve(scope, key_id.unwrap_or_default(), false)?;
        Ok(ListKeyPoliciesResponse {
            policy_names: vec![DEFAULT_POLICY_NAME.into()],
            truncated: false,
        })
    }
}

fn policy_name_member(v: &mut Violations, name: &Option<String>) {
    v.str_len("policyName", name.as_deref(), 1, 128);
    v.pattern("policyName", name.as_deref(), "[\\w]+", |s| {
        s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    });
}

fn check_policy_name(name: &Option<String>) -> Result<(), KmsError> {
    match name.as_deref() {
        None | Some(DEFAULT_POLICY_NAME) => Ok(()),
        Some(_) => Err(KmsError::NotFound("No such policy exists".into())),
    }
}

/// The model's length constraint on the `Policy` member.
pub(crate) fn validate_policy_member(v: &mut Violations, policy: Option<&str>) {
    if let Some(p) = policy {
        if p.is_empty() {
            v.str_len("policy", Some(p), 1, 131_072);
        }
    }
}

/// A key policy must be at most 32 KB and a valid IAM policy whose every statement names a
/// principal; it is compiled here, once.
pub(crate) fn checked_policy(policy: String) -> Result<KeyPolicy, KmsError> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(KmsError::LimitExceeded(format!(
            "The key policy exceeds the maximum size of {MAX_POLICY_BYTES} bytes."
        )));
    }
    let compiled = Policy::parse_key_policy(&policy)?;
    Ok(KeyPolicy::compiled_from(policy, compiled))
}

/// The policy AWS gives a key created without one, formatted as AWS returns it.
pub(crate) fn default_policy(scope: &Scope) -> String {
    format!(
        "{{\n  \"Version\" : \"2012-10-17\",\n  \"Id\" : \"key-default-1\",\n  \"Statement\" : [ {{\n    \"Sid\" : \"Enable IAM User Permissions\",\n    \"Effect\" : \"Allow\",\n    \"Principal\" : {{\n      \"AWS\" : \"arn:{}:iam::{}:root\"\n    }},\n    \"Action\" : \"kms:*\",\n    \"Resource\" : \"*\"\n  }} ]\n}}",
        scope.partition(),
        scope.account()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_aws_default() {
        let doc: serde_json::Value =
            serde_json::from_str(&default_policy(&Scope::new("111122223333", "us-east-1")))
                .unwrap();
        assert_eq!(
            doc,
            serde_json::json!({"Version":"2012-10-17","Id":"key-default-1","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]})
        );
    }

    #[test]
    fn policies_are_checked() {
        assert!(matches!(
            checked_policy("x".repeat(MAX_POLICY_BYTES + 1)),
            Err(KmsError::LimitExceeded(_))
        ));
        assert!(matches!(
            checked_policy("not json".into()),
            Err(KmsError::MalformedPolicyDocument(_))
        ));
        assert!(checked_policy("{\"Statement\":[]}".into()).is_ok());
        assert!(checked_policy(default_policy(&Scope::new("111122223333", "us-east-1"))).is_ok());
    }
}
