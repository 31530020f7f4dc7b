//! Policy conditions: the operators AWS supports for KMS (`String*`, `Arn*`, `Bool`, `Null`,
//! `Numeric*`, `Date*`, `IpAddress`, `BinaryEquals`), the `ForAnyValue:`/`ForAllValues:` set
//! qualifiers and the `IfExists` suffix, compiled once; and [`ConditionKey`], the keys a
//! request can supply, looked up through [`ConditionContext`] only when a policy asks.
//!
//! Semantics, as the IAM user guide gives them: every operator of a `Condition` block must
//! hold, every key of an operator must hold, and a key holds when the request's value matches
//! any of the policy's values. A negated operator (`StringNotEquals`, `ArnNotLike`, ...) holds
//! when the value matches none of them, and also when the key is absent. A key absent from the
//! request fails every other operator unless `IfExists` is given. `ForAllValues` holds when
//! every request value matches (and when there are none); `ForAnyValue` when at least one
//! does (never when there are none). `Null: true` holds when the key is absent.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::policy::PolicyError;
use crate::policy::glob::{self, Token};
use crate::policy::template::{Pattern, Template};

/// A condition key, parsed once from its (case-insensitive) name.
///
/// ```
/// use kms_api::policy::ConditionKey;
/// assert_eq!(ConditionKey::parse("KMS:CallerAccount"), ConditionKey::CallerAccount);
/// assert_eq!(
///     ConditionKey::parse("kms:EncryptionContext:Department"),
///     ConditionKey::EncryptionContext("department".into())
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is the condition key of the same name
pub enum ConditionKey {
    /// `kms:EncryptionContext:<key>`: the value of one pair of the encryption context; the
    /// context key is held lowercased.
    EncryptionContext(String),
    /// `kms:EncryptionContextKeys`: the keys of the encryption context (multivalued).
    EncryptionContextKeys,
    CallerAccount,
    /// `kms:GrantOperations` (multivalued).
    GrantOperations,
    GrantIsForAwsResource,
    GrantConstraintType,
    GranteePrincipal,
    RetiringPrincipal,
    KeySpec,
    KeyUsage,
    KeyOrigin,
    KeyManager,
    MultiRegion,
    MultiRegionKeyType,
    RequestAlias,
    /// `kms:ResourceAliases` (multivalued).
    ResourceAliases,
    EncryptionAlgorithm,
    SigningAlgorithm,
    MacAlgorithm,
    KeyAgreementAlgorithm,
    WrappingAlgorithm,
    DataKeyPairSpec,
    MessageType,
    ViaService,
    BypassPolicyLockoutSafetyCheck,
    ReEncryptOnSameKey,
    ExpirationModel,
    ValidTo,
    RotationPeriodInDays,
    ScheduleKeyDeletionPendingWindowInDays,
    ReplicaRegion,
    PrimaryRegion,
    PrincipalArn,
    PrincipalAccount,
    PrincipalType,
    Username,
    UserId,
    SourceIp,
    CurrentTime,
    EpochTime,
    SecureTransport,
    /// `aws:RequestedRegion`: the Region the request was sent to.
    RequestedRegion,
    PrincipalIsAwsService,
    ViaAwsService,
    /// `aws:RequestTag/<key>`: a tag the request sets.
    RequestTag(String),
    /// `aws:ResourceTag/<key>`: a tag of the key.
    ResourceTag(String),
    /// `aws:PrincipalTag/<key>`: a tag of the calling principal (its key matched without
    /// regard to case, as IAM tag keys are unique that way).
    PrincipalTag(String),
    /// `aws:TagKeys` (multivalued): the tag keys the request names.
    TagKeys,
    /// Any other key: never present in a local request.
    Other(String),
}

impl ConditionKey {
    /// The key named `name`. Names are case-insensitive, including the context key of
    /// `kms:EncryptionContext:<key>` (as AWS documents; the context passes its own keys
    /// lowercased to compare); the tag key after `aws:RequestTag/`, `aws:ResourceTag/` and
    /// `aws:PrincipalTag/` is kept as written (a principal's tags are then matched without
    /// regard to case, the others exactly).
    pub fn parse(name: &str) -> Self {
        fn strip<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
            let head = s.get(..prefix.len())?;
            head.eq_ignore_ascii_case(prefix)
                .then(|| &s[prefix.len()..])
        }
        if let Some(k) = strip(name, "kms:EncryptionContext:") {
            return Self::EncryptionContext(k.to_lowercase());
        }
        if let Some(k) = strip(name, "aws:RequestTag/") {
            return Self::RequestTag(k.into());
        }
        if let Some(k) = strip(name, "aws:ResourceTag/") {
            return Self::ResourceTag(k.into());
        }
        if let Some(k) = strip(name, "aws:PrincipalTag/") {
            return Self::PrincipalTag(k.into());
        }
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "kms:encryptioncontextkeys" => Self::EncryptionContextKeys,
            "kms:calleraccount" => Self::CallerAccount,
            "kms:grantoperations" => Self::GrantOperations,
            "kms:grantisforawsresource" => Self::GrantIsForAwsResource,
            "kms:grantconstrainttype" => Self::GrantConstraintType,
            "kms:granteeprincipal" => Self::GranteePrincipal,
            "kms:retiringprincipal" => Self::RetiringPrincipal,
            "kms:keyspec" | "kms:customermasterkeyspec" => Self::KeySpec,
            "kms:keyusage" | "kms:customermasterkeyusage" => Self::KeyUsage,
            "kms:keyorigin" => Self::KeyOrigin,
            "kms:keymanager" => Self::KeyManager,
            "kms:multiregion" => Self::MultiRegion,
            "kms:multiregionkeytype" => Self::MultiRegionKeyType,
            "kms:requestalias" => Self::RequestAlias,
            "kms:resourcealiases" => Self::ResourceAliases,
            "kms:encryptionalgorithm" => Self::EncryptionAlgorithm,
            "kms:signingalgorithm" => Self::SigningAlgorithm,
            "kms:macalgorithm" => Self::MacAlgorithm,
            "kms:keyagreementalgorithm" => Self::KeyAgreementAlgorithm,
            "kms:wrappingalgorithm" => Self::WrappingAlgorithm,
            "kms:datakeypairspec" => Self::DataKeyPairSpec,
            "kms:messagetype" => Self::MessageType,
            "kms:viaservice" => Self::ViaService,
            "kms:bypasspolicylockoutsafetycheck" => Self::BypassPolicyLockoutSafetyCheck,
            "kms:reencryptonsamekey" => Self::ReEncryptOnSameKey,
            "kms:expirationmodel" => Self::ExpirationModel,
            "kms:validto" => Self::ValidTo,
            "kms:rotationperiodindays" => Self::RotationPeriodInDays,
            "kms:schedulekeydeletionpendingwindowindays" => {
                Self::ScheduleKeyDeletionPendingWindowInDays
            }
            "kms:replicaregion" => Self::ReplicaRegion,
            "kms:primaryregion" => Self::PrimaryRegion,
            "aws:principalarn" => Self::PrincipalArn,
            "aws:principalaccount" => Self::PrincipalAccount,
            "aws:principaltype" => Self::PrincipalType,
            "aws:username" => Self::Username,
            "aws:userid" => Self::UserId,
            "aws:sourceip" => Self::SourceIp,
            "aws:currenttime" => Self::CurrentTime,
            "aws:epochtime" => Self::EpochTime,
            "aws:securetransport" => Self::SecureTransport,
            "aws:requestedregion" => Self::RequestedRegion,
            "aws:principalisawsservice" => Self::PrincipalIsAwsService,
            "aws:viaawsservice" => Self::ViaAwsService,
            "aws:tagkeys" => Self::TagKeys,
            _ => Self::Other(name.into()),
        }
    }
}

/// A request's values for one condition key: one or several (multivalued keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Values<'a> {
    /// A single value.
    One(Cow<'a, str>),
    /// Several values (possibly none).
    Many(Vec<Cow<'a, str>>),
}

impl Values<'_> {
    fn as_slice(&self) -> &[Cow<'_, str>] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }
}

/// Where a condition finds the request's values.
pub trait ConditionContext {
    /// The values of `key` in this request, or `None` when the request has none.
    fn values(&self, key: &ConditionKey) -> Option<Values<'_>>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Test {
    StringEquals,
    StringEqualsIgnoreCase,
    StringLike,
    Numeric(Ordering),
    Date(Ordering),
    Bool,
    Binary,
    Ip,
    Arn,
    Null,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    Single,
    ForAnyValue,
    ForAllValues,
}

/// One compiled `"Operator": {"key": values}` entry (one key of one operator).
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    test: Test,
    negated: bool,
    qualifier: Qualifier,
    if_exists: bool,
    key: ConditionKey,
    /// The policy's values; policy variables are filled in only for string and ARN tests.
    values: Vec<Template>,
}

impl Condition {
    /// Compiles one key of an operator; unknown operators are a malformed policy.
    /// `variables`: the policy's version has policy variables (`2012-10-17`); they are
    /// recognised in the values of string and ARN operators, as IAM does.
    pub(crate) fn compile(
        operator: &str,
        key: &str,
        values: Vec<String>,
        variables: bool,
    ) -> Result<Self, PolicyError> {
        let (qualifier, rest) = if let Some(r) = strip_ci(operator, "ForAnyValue:") {
            (Qualifier::ForAnyValue, r)
        } else if let Some(r) = strip_ci(operator, "ForAllValues:") {
            (Qualifier::ForAllValues, r)
        } else {
            (Qualifier::Single, operator)
        };
        let (base, if_exists) = match rest.len().checked_sub("IfExists".len()) {
            Some(at) if rest.is_char_boundary(at) && rest[at..] == *"IfExists" => {
                (&rest[..at], true)
            }
            _ => (rest, false),
        };
        use Ordering as O;
        let (test, negated) = match base {
            "StringEquals" => (Test::StringEquals, false),
            "StringNotEquals" => (Test::StringEquals, true),
            "StringEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, false),
            "StringNotEqualsIgnoreCase" => (Test::StringEqualsIgnoreCase, true),
            "StringLike" => (Test::StringLike, false),
            "StringNotLike" => (Test::StringLike, true),
            "NumericEquals" => (Test::Numeric(O::Equals), false),
            "NumericNotEquals" => (Test::Numeric(O::Equals), true),
            "NumericLessThan" => (Test::Numeric(O::LessThan), false),
            "NumericLessThanEquals" => (Test::Numeric(O::LessThanEquals), false),
            "NumericGreaterThan" => (Test::Numeric(O::GreaterThan), false),
            "NumericGreaterThanEquals" => (Test::Numeric(O::GreaterThanEquals), false),
            "DateEquals" => (Test::Date(O::Equals), false),
            "DateNotEquals" => (Test::Date(O::Equals), true),
            "DateLessThan" => (Test::Date(O::LessThan), false),
            "DateLessThanEquals" => (Test::Date(O::LessThanEquals), false),
            "DateGreaterThan" => (Test::Date(O::GreaterThan), false),
            "DateGreaterThanEquals" => (Test::Date(O::GreaterThanEquals), false),
            "Bool" => (Test::Bool, false),
            "BinaryEquals" => (Test::Binary, false),
            "IpAddress" => (Test::Ip, false),
            "NotIpAddress" => (Test::Ip, true),
            "ArnEquals" | "ArnLike" => (Test::Arn, false),
            "ArnNotEquals" | "ArnNotLike" => (Test::Arn, true),
            "Null" if qualifier == Qualifier::Single && !if_exists => (Test::Null, false),
            _ => {
                return Err(PolicyError::Malformed(format!(
                    "Policy contains an unsupported condition operator: {operator}."
                )));
            }
        };
        let variables = variables
            && matches!(
                test,
                Test::StringEquals | Test::StringEqualsIgnoreCase | Test::StringLike | Test::Arn
            );
        Ok(Self {
            test,
            negated,
            qualifier,
            if_exists,
            key: ConditionKey::parse(key),
            values: values
                .into_iter()
                .map(|v| Template::compile(v, variables))
                .collect(),
        })
    }

    /// The condition key tested.
    pub(crate) fn key(&self) -> &ConditionKey {
        &self.key
    }

    /// The condition keys the policy's values read as variables.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &ConditionKey> {
        self.values.iter().flat_map(Template::variable_keys)
    }

    /// Whether the condition holds for the request.
    pub(crate) fn holds(&self, ctx: &dyn ConditionContext) -> bool {
        let found = ctx.values(&self.key);
        let request = found.as_ref().map_or(&[][..], Values::as_slice);
        if self.test == Test::Null {
            let absent = request.is_empty();
            return self.values.iter().any(|v| {
                parse_bool(v.as_written()).is_some_and(|want_absent| want_absent == absent)
            });
        }
        if request.is_empty() {
            return match self.qualifier {
                Qualifier::ForAllValues => true,
                Qualifier::ForAnyValue => self.if_exists,
                Qualifier::Single => self.if_exists || self.negated,
            };
        }
        let matches_any_policy_value =
            |v: &str| self.values.iter().any(|p| self.test_one(p, v, ctx));
        match self.qualifier {
            Qualifier::ForAllValues => request
                .iter()
                .all(|v| matches_any_policy_value(v) != self.negated),
            Qualifier::ForAnyValue => request
                .iter()
                .any(|v| matches_any_policy_value(v) != self.negated),
            Qualifier::Single => {
                let any = request.iter().any(|v| matches_any_policy_value(v));
                any != self.negated
            }
        }
    }

    /// Whether one request value matches one policy value (before negation). A policy value
    /// whose variable has no value in the request matches nothing.
    fn test_one(&self, template: &Template, request: &str, ctx: &dyn ConditionContext) -> bool {
        let filled;
        let policy = if template.has_variables() {
            match self.test {
                Test::StringLike => return template.glob_matches(request, ctx),
                Test::Arn => {
                    return match template.pattern(ctx) {
                        Some(Pattern::Text(p)) => arn_matches(p.as_bytes(), request),
                        Some(Pattern::Tokens(p)) => arn_matches(&p, request),
                        None => false,
                    };
                }
                _ => match template.text(ctx) {
                    Some(text) => {
                        filled = text;
                        filled.as_ref()
                    }
                    None => return false,
                },
            }
        } else {
            template.as_written()
        };
        match self.test {
            Test::StringEquals | Test::Binary => policy == request,
            Test::StringEqualsIgnoreCase => {
                policy.eq_ignore_ascii_case(request)
                    || policy.to_lowercase() == request.to_lowercase()
            }
            Test::StringLike => glob::matches(policy, request),
            Test::Numeric(order) => match (parse_number(policy), parse_number(request)) {
                (Some(p), Some(r)) => compare(order, r.partial_cmp(&p)),
                _ => false,
            },
            Test::Date(order) => match (parse_date(policy), parse_date(request)) {
                (Some(p), Some(r)) => compare(order, Some(r.cmp(&p))),
                _ => false,
            },
            Test::Bool => match (parse_bool(policy), parse_bool(request)) {
                (Some(p), Some(r)) => p == r,
                _ => false,
            },
            Test::Ip => ip_in_block(policy, request),
            Test::Arn => arn_matches(policy.as_bytes(), request),
            Test::Null => false,
        }
    }
}

fn strip_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn compare(order: Ordering, actual: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering as C;
    let Some(actual) = actual else { return false };
    match order {
        Ordering::Equals => actual == C::Equal,
        Ordering::LessThan => actual == C::Less,
        Ordering::LessThanEquals => actual != C::Greater,
        Ordering::GreaterThan => actual == C::Greater,
        Ordering::GreaterThanEquals => actual != C::Less,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A date as milliseconds since the epoch: ISO 8601 (`2026-12-03T12:00:00Z`, or a bare date)
/// or epoch seconds, as IAM accepts them.
fn parse_date(s: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate};
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    let seconds = parse_number(s)?;
    Some((seconds * 1000.0) as i64)
}

/// Whether `request` (an IP address) is in `policy` (an address or a CIDR block).
fn ip_in_block(policy: &str, request: &str) -> bool {
    let Ok(ip) = request.parse::<IpAddr>() else {
        return false;
    };
    let (net, bits) = match policy.split_once('/') {
        Some((net, bits)) => match bits.parse::<u32>() {
            Ok(b) => (net, b),
            Err(_) => return false,
        },
        None => (policy, u32::MAX),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u32::from(a) as u128, u32::from(b) as u128, 32),
            None => return false,
        },
        _ => return false,
    };
    let bits = bits.min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    (a >> shift) == (b >> shift)
}

/// `ArnEquals`/`ArnLike`: each of the six colon-separated parts is matched on its own, with
/// wildcards; the resource part keeps any further colons. The pattern is text bytes or the
/// tokens of a filled-in policy variable.
fn arn_matches<T>(policy: &[T], request: &str) -> bool
where
    for<'t> &'t T: Into<Token>,
{
    let token = |t: &T| -> Token { t.into() };
    if policy.len() == 1 && token(&policy[0]) == Token::AnyRun {
        return true;
    }
    let p: Vec<&[T]> = policy
        .splitn(6, |t| token(t) == Token::Byte(b':'))
        .collect();
    let r: Vec<&str> = request.splitn(6, ':').collect();
    p.len() == 6 && r.len() == 6 && p.iter().zip(&r).all(|(p, r)| glob::matches_tokens(p, r))
}

#[cfg(test)]
mod tests;
