//! Authorization (`--auth enforce`): [`Kms::dispatch_as`] runs an operation for a [`Caller`]
//! only when KMS's evaluation logic allows it, as the KMS developer guide gives it:
//!
//! - an explicit deny in the key policy or in the caller's identity policies wins;
//! - a key policy statement naming the caller (or `*`) allows it in the key's account;
//! - a statement naming the caller's account (its root) delegates to identity policies,
//!   which must then allow;
//! - a caller from another account needs both the key policy and its identity policies;
//! - a grant on the key allows its grantee the grant's operations under its constraints
//!   (effective at once, as through a grant token), with no identity policy needed;
//! - CreateKey, ListKeys, ListAliases, GenerateRandom, ListRetirableGrants and the custom key
//!   store operations have no key: identity policies alone decide;
//! - alias operations need the permission on the alias (identity policies) and on the key.
//!
//! Denials are `AccessDeniedException` with AWS's texts. CreateKey and PutKeyPolicy also run
//! AWS's policy lockout safety check here, because it needs the caller.

mod context;
mod facts;

use std::net::IpAddr;

use crate::authorize::context::RequestContext;
use crate::authorize::facts::Facts;
use crate::crypto::blob::BlobHeader;
use crate::error::KmsError;
use crate::key::grant::{Grant, GrantConstraints};
use crate::key::id::KeyRef;
use crate::key::record::KeyRecord;
use crate::key::spec::GrantOperation;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::ops::grants::principal_account;
use crate::policy::{Action, Identity, Policy};
use crate::scope::Scope;

/// Who is making a request, for authorization.
///
/// ```
/// use kms_api::policy::{Identity, Policy};
/// use kms_api::{authorize::Caller, Kms, Operation, Scope};
/// let kms = Kms::new();
/// let scope = Scope::new("111122223333", "us-east-1");
/// let admin = Identity::new(
///     "arn:aws:iam::111122223333:user/admin",
///     vec![Policy::parse_identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#).unwrap()],
/// );
/// let nobody = Identity::new("arn:aws:iam::111122223333:user/nobody", Vec::new());
/// let out = kms.dispatch_as(&scope, &Caller::new(&admin), Operation::CreateKey, b"{}").unwrap();
/// let key: serde_json::Value = serde_json::from_slice(&out).unwrap();
/// let body = format!(r#"{{"KeyId":"{}"}}"#, key["KeyMetadata"]["KeyId"].as_str().unwrap());
/// assert!(kms.dispatch_as(&scope, &Caller::new(&admin), Operation::DescribeKey, body.as_bytes()).is_ok());
/// let denied = kms.dispatch_as(&scope, &Caller::new(&nobody), Operation::DescribeKey, body.as_bytes()).unwrap_err();
/// assert_eq!(denied.aws_type(), "AccessDeniedException");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The principal and its identity policies.
    pub identity: &'a Identity,
    /// The address the request came from (`aws:SourceIp`).
    pub source_ip: Option<IpAddr>,
}

impl<'a> Caller<'a> {
    /// A caller with no known source address.
    pub fn new(identity: &'a Identity) -> Self {
        Self {
            identity,
            source_ip: None,
        }
    }
}

impl Kms {
    /// [`Kms::dispatch`], after authorizing `caller` for the request.
    ///
    /// # Errors
    /// `AccessDeniedException` when the policies and grants do not allow the request,
    /// `MalformedPolicyDocumentException` when a new key policy fails the lockout safety
    /// check, and every error of the operation itself.
    pub fn dispatch_as(
        &self,
        scope: &Scope,
        caller: &Caller<'_>,
        operation: Operation,
        body: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        self.authorize(scope, caller, operation, body)?;
        self.dispatch(scope, operation, body)
    }

    fn authorize(
        &self,
        scope: &Scope,
        caller: &Caller<'_>,
        operation: Operation,
        body: &[u8],
    ) -> Result<(), KmsError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"{}".as_slice()
        } else {
            body
        };
        let facts: Facts = serde_json::from_slice(body)
            .map_err(|e| KmsError::Serialization(crate::dispatch::serialization_message(&e)))?;
        let check = Check {
            kms: self,
            caller,
            facts: &facts,
            now: self.now(),
            region: scope.region(),
        };
        use Operation as Op;
        match operation {
            Op::CreateKey => {
                check.identity_only(Action::of(operation), scope)?;
                check.lockout(None)
            }
            Op::ListKeys
            | Op::ListAliases
            | Op::GenerateRandom
            | Op::ListRetirableGrants
            | Op::ConnectCustomKeyStore
            | Op::CreateCustomKeyStore
            | Op::DeleteCustomKeyStore
            | Op::DescribeCustomKeyStores
            | Op::DisconnectCustomKeyStore
            | Op::UpdateCustomKeyStore => check.identity_only(Action::of(operation), scope),
            Op::ReEncrypt => {
                if let Some(source) = check.key_of_blob(scope, facts.source_key_id.as_deref()) {
                    check.key(
                        Action::REENCRYPT_FROM,
                        &source,
                        facts.source_key_id.as_deref(),
                    )?;
                }
                if let Some((dest, alias)) =
                    check.named_key(scope, facts.destination_key_id.as_deref())
                {
                    check.key(Action::REENCRYPT_TO, &dest, alias)?;
                }
                Ok(())
            }
            Op::Decrypt => match check.key_of_blob(scope, facts.key_id.as_deref()) {
                Some(key) => check.key(Action::of(operation), &key, facts.key_id.as_deref()),
                None => Ok(()),
            },
            Op::CreateAlias | Op::UpdateAlias | Op::DeleteAlias => {
                let action = Action::of(operation);
                let Some(alias) = facts.alias_name.as_deref() else {
                    return Ok(());
                };
                let alias_arn = format!(
                    "arn:{}:kms:{}:{}:{}",
                    scope.partition(),
                    scope.region(),
                    scope.account(),
                    alias
                );
                check.identity_on(action, &alias_arn)?;
                if operation != Op::CreateAlias {
                    if let Some((old, _)) = check.named_key(scope, Some(alias)) {
                        check.key(action, &old, None)?;
                    }
                }
                if let Some((target, _)) = check.named_key(scope, facts.target_key_id.as_deref()) {
                    check.key(action, &target, None)?;
                }
                Ok(())
            }
            Op::RetireGrant => check.retire_grant(scope),
            Op::PutKeyPolicy => {
                if let Some((key, alias)) = check.named_key(scope, facts.key_id.as_deref()) {
                    check.key(Action::of(operation), &key, alias)?;
                    check.lockout(Some(&key))?;
                }
                Ok(())
            }
            _ => match check.named_key(scope, facts.key_id.as_deref()) {
                Some((key, alias)) => check.key(Action::of(operation), &key, alias),
                // No such key: the operation answers NotFoundException or ValidationException.
                None => Ok(()),
            },
        }
    }
}

/// One request's authorization.
struct Check<'a> {
    kms: &'a Kms,
    caller: &'a Caller<'a>,
    facts: &'a Facts,
    now: chrono::DateTime<chrono::Utc>,
    /// The Region the request was sent to (`aws:RequestedRegion`).
    region: &'a str,
}

/// What the identity policies say: (explicit deny, allow).
fn identity_outcome(
    identity: &Identity,
    action: Action,
    resource: &str,
    ctx: &RequestContext<'_>,
) -> (bool, bool) {
    let (mut deny, mut allow) = (false, false);
    for p in identity.policies() {
        let out = p.evaluate(None, action, resource, ctx);
        deny |= out.denies();
        allow |= out.allows_directly();
    }
    (deny, allow)
}

impl Check<'_> {
    fn context<'b>(
        &'b self,
        action: Action,
        key: Option<&'b KeyRecord>,
        request_alias: Option<&'b str>,
    ) -> RequestContext<'b> {
        RequestContext {
            kms: self.kms,
            identity: self.caller.identity,
            source_ip: self.caller.source_ip,
            now: self.now,
            requested_region: self.region,
            action,
            facts: self.facts,
            key,
            request_alias,
        }
    }

    fn denied(&self, action: Action, resource: &str, why: &str) -> KmsError {
        KmsError::AccessDenied(format!(
            "User: {} is not authorized to perform: {} on resource: {resource} {why}",
            self.caller.identity.arn(),
            action.name()
        ))
    }

    /// An operation without a key: identity policies alone decide, on resource `*`.
    fn identity_only(&self, action: Action, scope: &Scope) -> Result<(), KmsError> {
        let resource = format!(
            "arn:{}:kms:{}:{}:*",
            scope.partition(),
            scope.region(),
            scope.account()
        );
        self.identity_on(action, &resource)
    }

    fn identity_on(&self, action: Action, resource: &str) -> Result<(), KmsError> {
        let ctx = self.context(action, None, None);
        match identity_outcome(self.caller.identity, action, resource, &ctx) {
            (true, _) => Err(self.denied(
                action,
                resource,
                "with an explicit deny in an identity-based policy",
            )),
            (false, true) => Ok(()),
            (false, false) => Err(self.denied(
                action,
                resource,
                &format!(
                    "because no identity-based policy allows the {} action",
                    action.name()
                ),
            )),
        }
    }

    /// The key a `KeyId`-like member names, with the alias it was named by.
    fn named_key<'f>(
        &self,
        scope: &Scope,
        key_id: Option<&'f str>,
    ) -> Option<(std::sync::Arc<KeyRecord>, Option<&'f str>)> {
        let key_id = key_id?;
        let key = self.kms.resolve(scope, key_id, true).ok()?;
        let alias = match KeyRef::parse(key_id).ok()? {
            KeyRef::AliasName(name) | KeyRef::AliasArn { name, .. } => Some(name),
            _ => None,
        };
        Some((key, alias))
    }

    /// The key of a Decrypt or ReEncrypt: the one named, else the one in the blob's header.
    fn key_of_blob(
        &self,
        scope: &Scope,
        key_id: Option<&str>,
    ) -> Option<std::sync::Arc<KeyRecord>> {
        if key_id.is_some() {
            return self.named_key(scope, key_id).map(|(k, _)| k);
        }
        let header = BlobHeader::parse(self.facts.ciphertext_blob.as_deref()?).ok()?;
        self.kms
            .resolve(scope, &header.key_id.to_string(), false)
            .ok()
    }

    /// The evaluation logic for an action on a key.
    fn key(
        &self,
        action: Action,
        key: &KeyRecord,
        request_alias: Option<&str>,
    ) -> Result<(), KmsError> {
        let identity = self.caller.identity;
        let ctx = self.context(action, Some(key), request_alias);
        let resource = &*key.arn;
        let by_key = key
            .policy
            .compiled()
            .evaluate(Some(identity), action, resource, &ctx);
        if by_key.denies() {
            return Err(self.denied(
                action,
                resource,
                "with an explicit deny in a resource-based policy",
            ));
        }
        let (identity_denies, identity_allows) = identity_outcome(identity, action, resource, &ctx);
        if identity_denies {
            return Err(self.denied(
                action,
                resource,
                "with an explicit deny in an identity-based policy",
            ));
        }
        if self.granted(action, key) {
            return Ok(());
        }
        let same_account = identity.account() == key.scope.account();
        if by_key.allows_directly() && (same_account || identity_allows) {
            return Ok(());
        }
        if by_key.delegates_to_account() && identity_allows {
            return Ok(());
        }
        let why = if by_key.allows_somehow() {
            format!(
                "because no identity-based policy allows the {} action",
                action.name()
            )
        } else {
            format!(
                "because no resource-based policy allows the {} action",
                action.name()
            )
        };
        Err(self.denied(action, resource, &why))
    }

    /// Whether a grant on the key allows the caller this action.
    fn granted(&self, action: Action, key: &KeyRecord) -> bool {
        let Some(op) = action
            .name()
            .strip_prefix("kms:")
            .and_then(GrantOperation::parse)
        else {
            return false;
        };
        let side = if action == Action::REENCRYPT_FROM {
            Some(false)
        } else if action == Action::REENCRYPT_TO {
            Some(true)
        } else {
            None
        };
        key.grants.iter().any(|g| {
            g.grantee_principal
                .as_deref()
                .is_some_and(|p| self.caller.identity.is(p))
                && g.operations.contains(&op)
                && self.meets_constraints(g, op, side)
                && (op != GrantOperation::CreateGrant || self.grant_within(g))
        })
    }

    fn meets_constraints(&self, grant: &Grant, op: GrantOperation, side: Option<bool>) -> bool {
        let Some(c) = &grant.constraints else {
            return true;
        };
        if !op.takes_encryption_context() {
            return true;
        }
        let empty = Default::default();
        c.allows_context(self.facts.context_for(side).unwrap_or(&empty))
    }

    /// A grant that allows CreateGrant allows only child grants for a subset of its
    /// operations, with constraints at least as strict as its own (AWS: "Granting CreateGrant
    /// permission"); a policy that allows CreateGrant has no such limit.
    fn grant_within(&self, grant: &Grant) -> bool {
        let operations = self.facts.operations.as_ref().is_some_and(|ops| {
            ops.iter()
                .all(|o| GrantOperation::parse(o).is_some_and(|op| grant.operations.contains(&op)))
        });
        operations
            && GrantConstraints::at_least_as_strict(
                self.facts.constraints.as_ref(),
                grant.constraints.as_ref(),
            )
    }

    /// RetireGrant, as AWS allows it: the grant's retiring principal; its grantee when the
    /// grant itself allows RetireGrant; and, as a backup, the account that made the grant (or
    /// the account named as retiring principal): its root, or a principal of it whose
    /// identity policies allow `kms:RetireGrant`. The key policy and other grants take no part
    /// ("The kms:RetireGrant permission is not effective in a key policy"), so a grant with
    /// CreateGrant or RetireGrant never lets its grantee retire someone else's grant. An
    /// explicit deny of `kms:RetireGrant` in an identity policy refuses every route.
    fn retire_grant(&self, scope: &Scope) -> Result<(), KmsError> {
        let found = if let Some(token) = self.facts.grant_token.as_deref() {
            self.kms.grant_of_token(scope, token).ok()
        } else {
            let key = self
                .named_key(scope, self.facts.key_id.as_deref())
                .map(|(k, _)| k);
            key.and_then(|k| {
                let g = k.grants.get(self.facts.grant_id.as_deref()?)?.clone();
                Some((k, g))
            })
        };
        let Some((key, grant)) = found else {
            return Ok(());
        };
        let me = self.caller.identity;
        let action = Action::of(Operation::RetireGrant);
        let resource = &*key.arn;
        let ctx = self.context(action, Some(&key), None);
        let (identity_denies, identity_allows) = identity_outcome(me, action, resource, &ctx);
        if identity_denies {
            return Err(self.denied(
                action,
                resource,
                "with an explicit deny in an identity-based policy",
            ));
        }
        let retiring = grant
            .retiring_principal
            .as_deref()
            .is_some_and(|p| me.is(p));
        let grantee = grant.grantee_principal.as_deref().is_some_and(|p| me.is(p))
            && grant.operations.contains(&GrantOperation::RetireGrant);
        if retiring || grantee {
            return Ok(());
        }
        let retiring_account = grant
            .retiring_principal
            .as_deref()
            .filter(|p| p.ends_with(":root") || !p.contains(':'))
            .and_then(principal_account);
        let backup = principal_account(&grant.issuing_account) == Some(me.account())
            || retiring_account == Some(me.account());
        if backup && (me.principal_type() == "Account" || identity_allows) {
            return Ok(());
        }
        Err(self.denied(
            action,
            resource,
            "because the grant does not name the caller as its retiring principal, and no identity-based policy of the grant's account allows the kms:RetireGrant action",
        ))
    }

    /// AWS's policy lockout safety check: unless `BypassPolicyLockoutSafetyCheck` is set, the
    /// new policy must let the caller (by name or through its account) call PutKeyPolicy.
    fn lockout(&self, key: Option<&KeyRecord>) -> Result<(), KmsError> {
        if self.facts.bypass_policy_lockout_safety_check == Some(true) {
            return Ok(());
        }
        let Some(text) = self.facts.policy.as_deref() else {
            return Ok(());
        };
        // A malformed policy gets the operation's own error.
        let Ok(policy) = Policy::parse_key_policy(text) else {
            return Ok(());
        };
        let action = Action::of(Operation::PutKeyPolicy);
        let resource = key.map_or("*", |k| &k.arn);
        let ctx = self.context(action, key, None);
        let out = policy.evaluate(Some(self.caller.identity), action, resource, &ctx);
        if out.denies() || !out.allows_somehow() {
            return Err(KmsError::MalformedPolicyDocument(
                "The new key policy will not allow you to update the key policy in the future."
                    .into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
