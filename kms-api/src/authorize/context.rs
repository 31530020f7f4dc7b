//! [`RequestContext`]: the condition keys of one request to one key, computed only when a
//! policy asks for them (a policy without conditions costs none of this).

use std::borrow::Cow;
use std::net::IpAddr;

use chrono::{DateTime, Utc};

use crate::authorize::facts::Facts;
use crate::key::record::KeyRecord;
use crate::key::spec::GrantOperation;
use crate::kms::Kms;
use crate::policy::{Action, ConditionContext, ConditionKey, Identity, Values};
use crate::wire::aliases::ListAliasesRequest;

/// One request as the policy language sees it.
pub(crate) struct RequestContext<'a> {
    pub kms: &'a Kms,
    pub identity: &'a Identity,
    pub source_ip: Option<IpAddr>,
    pub now: DateTime<Utc>,
    /// The Region the request was sent to.
    pub requested_region: &'a str,
    pub action: Action,
    pub facts: &'a Facts,
    /// The key the request acts on (`None` for CreateKey, ListKeys, ...).
    pub key: Option<&'a KeyRecord>,
    /// The alias the request named its key by, if it did.
    pub request_alias: Option<&'a str>,
}

fn one<'a>(s: impl Into<Cow<'a, str>>) -> Option<Values<'a>> {
    Some(Values::One(s.into()))
}

fn opt<'a>(s: Option<&'a String>) -> Option<Values<'a>> {
    s.map(|s| Values::One(Cow::Borrowed(s.as_str())))
}

impl RequestContext<'_> {
    /// `Some(false)` for ReEncryptFrom, `Some(true)` for ReEncryptTo, else `None`.
    fn reencrypt_side(&self) -> Option<bool> {
        if self.action == Action::REENCRYPT_FROM {
            Some(false)
        } else if self.action == Action::REENCRYPT_TO {
            Some(true)
        } else {
            None
        }
    }

    fn encryption_algorithm(&self) -> Option<Values<'_>> {
        let given = match self.reencrypt_side() {
            Some(false) => self.facts.source_encryption_algorithm.as_ref(),
            Some(true) => self.facts.destination_encryption_algorithm.as_ref(),
            None => self.facts.encryption_algorithm.as_ref(),
        };
        if let Some(given) = given {
            return opt(Some(given));
        }
        // Symmetric cryptographic operations use SYMMETRIC_DEFAULT without naming it.
        let takes = self
            .action
            .name()
            .strip_prefix("kms:")
            .and_then(GrantOperation::parse)
            .is_some_and(GrantOperation::takes_encryption_context);
        let symmetric = self
            .key
            .is_some_and(|k| k.key_spec.as_str() == "SYMMETRIC_DEFAULT");
        (takes && symmetric).then_some(Values::One(Cow::Borrowed("SYMMETRIC_DEFAULT")))
    }
}

impl ConditionContext for RequestContext<'_> {
    fn values(&self, key: &ConditionKey) -> Option<Values<'_>> {
        use ConditionKey as K;
        let f = self.facts;
        let creating = self.key.is_none();
        match key {
            K::EncryptionContext(wanted) => {
                let ctx = f.context_for(self.reencrypt_side())?;
                ctx.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(wanted) || k.to_lowercase() == *wanted)
                    .map(|(_, v)| Values::One(Cow::Borrowed(v.as_str())))
            }
            K::EncryptionContextKeys => {
                let ctx = f.context_for(self.reencrypt_side())?;
                Some(Values::Many(
                    ctx.keys().map(|k| Cow::Borrowed(k.as_str())).collect(),
                ))
            }
            K::CallerAccount => one(self.identity.account()),
            K::GrantOperations => f
                .operations
                .as_ref()
                .map(|ops| Values::Many(ops.iter().map(|o| Cow::Borrowed(o.as_str())).collect())),
            K::GrantIsForAwsResource => f.operations.as_ref().map(|_| Values::One("false".into())),
            K::GrantConstraintType => {
                let c = f.constraints.as_ref()?;
                let mut types = Vec::new();
                if c.encryption_context_subset.is_some() {
                    types.push(Cow::Borrowed("EncryptionContextSubset"));
                }
                if c.encryption_context_equals.is_some() {
                    types.push(Cow::Borrowed("EncryptionContextEquals"));
                }
                Some(Values::Many(types))
            }
            K::GranteePrincipal => opt(f.grantee_principal.as_ref()),
            K::RetiringPrincipal => opt(f.retiring_principal.as_ref()),
            K::KeySpec => match self.key {
                Some(k) => one(k.key_spec.as_str()),
                None => one(f
                    .key_spec
                    .as_deref()
                    .or(f.customer_master_key_spec.as_deref())
                    .unwrap_or("SYMMETRIC_DEFAULT")),
            },
            K::KeyUsage => match self.key {
                Some(k) => one(k.key_usage.as_str()),
                None => one(f.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT")),
            },
            K::KeyOrigin => match self.key {
                Some(k) => one(k.origin.as_str()),
                None => one(f.origin.as_deref().unwrap_or("AWS_KMS")),
            },
            K::KeyManager => self
                .key
                .map(|k| Values::One(if k.aws_managed { "AWS" } else { "CUSTOMER" }.into())),
            K::MultiRegion => {
                let multi = match self.key {
                    Some(k) => k.multi_region.is_some(),
                    None => f.multi_region == Some(true),
                };
                one(if multi { "true" } else { "false" })
            }
            K::MultiRegionKeyType => {
                let k = self.key?;
                k.multi_region.as_ref()?;
                one(if k.is_primary() { "PRIMARY" } else { "REPLICA" })
            }
            K::RequestAlias => self.request_alias.and_then(one),
            K::ResourceAliases => {
                let k = self.key?;
                let page = self
                    .kms
                    .list_aliases(
                        &k.scope,
                        ListAliasesRequest {
                            key_id: Some(k.id.to_string()),
                            limit: Some(1000),
                            marker: None,
                        },
                    )
                    .ok()?;
                Some(Values::Many(
                    page.aliases
                        .into_iter()
                        .map(|a| Cow::Owned(a.alias_name))
                        .collect(),
                ))
            }
            K::EncryptionAlgorithm => self.encryption_algorithm(),
            K::SigningAlgorithm => opt(f.signing_algorithm.as_ref()),
            K::MacAlgorithm => opt(f.mac_algorithm.as_ref()),
            K::KeyAgreementAlgorithm => opt(f.key_agreement_algorithm.as_ref()),
            K::WrappingAlgorithm => opt(f.wrapping_algorithm.as_ref()),
            K::DataKeyPairSpec => opt(f.key_pair_spec.as_ref()),
            K::MessageType => opt(f.message_type.as_ref()),
            K::ViaService => None,
            K::BypassPolicyLockoutSafetyCheck => f
                .bypass_policy_lockout_safety_check
                .map(|b| Values::One(if b { "true" } else { "false" }.into())),
            K::ReEncryptOnSameKey => {
                let (src, dst) = (f.source_key_id.as_ref(), f.destination_key_id.as_ref());
                self.reencrypt_side()?;
                let same = match (src, dst, self.key) {
                    (Some(a), Some(b), _) => a == b,
                    _ => false,
                };
                one(if same { "true" } else { "false" })
            }
            K::ExpirationModel => opt(f.expiration_model.as_ref()),
            K::ValidTo => None,
            K::RotationPeriodInDays => f
                .rotation_period_in_days
                .map(|d| Values::One(d.to_string().into())),
            K::ScheduleKeyDeletionPendingWindowInDays => f
                .pending_window_in_days
                .map(|d| Values::One(d.to_string().into())),
            K::ReplicaRegion => opt(f.replica_region.as_ref()),
            K::PrimaryRegion => opt(f.primary_region.as_ref()),
            K::PrincipalArn => one(self.identity.arn()),
            K::PrincipalAccount => one(self.identity.account()),
            K::PrincipalType => one(self.identity.principal_type()),
            K::UserId => one(self.identity.user_id()),
            K::Username => {
                let arn = self.identity.arn();
                let (_, resource) = arn.rsplit_once(':')?;
                resource
                    .strip_prefix("user/")
                    .map(|u| Values::One(u.rsplit('/').next().unwrap_or(u).into()))
            }
            K::SourceIp => self.source_ip.map(|ip| Values::One(ip.to_string().into())),
            K::CurrentTime => one(self.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            K::EpochTime => one(self.now.timestamp().to_string()),
            K::SecureTransport => one("false"),
            K::RequestedRegion => one(self.requested_region),
            // Callers here are principals with credentials, never AWS services.
            K::PrincipalIsAwsService | K::ViaAwsService => one("false"),
            K::RequestTag(tag) => f
                .tags
                .as_ref()?
                .iter()
                .find(|t| t.tag_key.as_deref() == Some(tag.as_str()))
                .and_then(|t| t.tag_value.as_deref())
                .and_then(one),
            K::PrincipalTag(tag) => self.identity.tag(tag).and_then(one),
            K::ResourceTag(tag) => {
                if creating {
                    return None;
                }
                self.key?
                    .tags
                    .iter()
                    .find(|(k, _)| k == tag)
                    .map(|(_, v)| Values::One(Cow::Borrowed(v.as_str())))
            }
            K::TagKeys => {
                if let Some(tags) = &f.tags {
                    Some(Values::Many(
                        tags.iter()
                            .filter_map(|t| t.tag_key.as_deref().map(Cow::Borrowed))
                            .collect(),
                    ))
                } else {
                    f.tag_keys.as_ref().map(|keys| {
                        Values::Many(keys.iter().map(|k| Cow::Borrowed(k.as_str())).collect())
                    })
                }
            }
            K::Other(_) => None,
        }
    }
}
