//! The IAM policy language, for key policies and identity policies: a [`Policy`] is parsed
//! and compiled once (actions to a bit set, condition operators and keys to enums), then
//! evaluated per request against an [`Identity`] (the caller), an [`Action`], a resource ARN
//! and a [`ConditionContext`]. The KMS evaluation logic that combines a key policy, identity
//! policies and grants is in `crate::authorize`.
//!
//! ```
//! use kms_api::policy::{Action, Identity, NoConditions, Policy};
//! use kms_api::Operation;
//! let policy = Policy::parse_key_policy(r#"{
//!   "Version": "2012-10-17",
//!   "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
//!                  "Action": "kms:Decrypt", "Resource": "*"}]
//! }"#).unwrap();
//! let alice = Identity::new("arn:aws:iam::111122223333:user/alice", Vec::new());
//! let bob = Identity::new("arn:aws:iam::111122223333:user/bob", Vec::new());
//! let decrypt = Action::of(Operation::Decrypt);
//! let key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
//! assert!(policy.evaluate(Some(&alice), decrypt, key, &NoConditions).allows_directly());
//! assert!(!policy.evaluate(Some(&bob), decrypt, key, &NoConditions).allows_directly());
//! ```

mod action;
mod condition;
mod glob;
mod identity;
mod template;

use serde_json::Value;

pub use action::Action;
use action::ActionSet;
use condition::Condition;
pub use condition::{ConditionContext, ConditionKey, Values};
pub use identity::Identity;
use template::Template;

/// Why a policy document was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// `MalformedPolicyDocumentException` with this message.
    Malformed(String),
}

impl From<PolicyError> for crate::KmsError {
    fn from(e: PolicyError) -> Self {
        match e {
            PolicyError::Malformed(m) => crate::KmsError::MalformedPolicyDocument(m),
        }
    }
}

fn malformed(message: &str) -> PolicyError {
    PolicyError::Malformed(message.into())
}

/// A compiled policy document.
#[derive(Debug, Clone)]
pub struct Policy {
    statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone)]
struct Statement {
    effect: Effect,
    /// `Principal` (`negated: false`) or `NotPrincipal`; `None` in identity policies.
    principal: Option<(Principals, bool)>,
    actions: ActionSet,
    not_action: bool,
    /// Resource patterns, with any policy variables; `None` when `Resource` is `*`.
    resources: Option<Vec<Template>>,
    not_resource: bool,
    conditions: Vec<Condition>,
}

/// The principals of a `Principal`/`NotPrincipal` element.
#[derive(Debug, Clone, Default)]
struct Principals {
    anyone: bool,
    /// Accounts named by ID or by their root ARN.
    accounts: Vec<String>,
    /// User, role and assumed-role ARNs.
    arns: Vec<String>,
}

/// How a statement's principal matched the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PrincipalMatch {
    No,
    /// Named the caller's account: in a key policy, a delegation to the account's identity
    /// policies.
    Account,
    /// Named the caller (or `*`).
    Direct,
}

/// What one policy says about one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    deny: bool,
    direct: bool,
    account: bool,
}

impl Outcome {
    /// An applicable statement denies.
    pub fn denies(&self) -> bool {
        self.deny
    }
    /// An applicable statement allows the caller by name (or `*`), and none denies.
    pub fn allows_directly(&self) -> bool {
        !self.deny && self.direct
    }
    /// An applicable statement allows the caller's account (the account root), delegating to
    /// its identity policies.
    pub fn delegates_to_account(&self) -> bool {
        self.account
    }
    /// Some statement allows, by name or by account.
    pub fn allows_somehow(&self) -> bool {
        self.direct || self.account
    }
}

/// A context with no values: every condition key is absent.
#[derive(Debug, Clone, Copy)]
pub struct NoConditions;

impl ConditionContext for NoConditions {
    fn values(&self, _: &ConditionKey) -> Option<Values<'_>> {
        None
    }
}

impl Policy {
    /// A policy with no statements: it allows nothing.
    pub fn empty() -> Self {
        Self {
            statements: Vec::new(),
        }
    }

    /// Parses a key policy: every statement needs `Principal` or `NotPrincipal`.
    ///
    /// # Errors
    /// [`PolicyError::Malformed`] with AWS's text for the first problem found.
    pub fn parse_key_policy(text: &str) -> Result<Self, PolicyError> {
        Self::parse(text, true)
    }

    /// Parses an IAM identity policy: statements have no `Principal`.
    ///
    /// ```
    /// use kms_api::policy::Policy;
    /// assert!(Policy::parse_identity_policy(r#"{"Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#).is_ok());
    /// assert!(Policy::parse_identity_policy(r#"{"Statement":{"Effect":"Maybe","Action":"kms:*","Resource":"*"}}"#).is_err());
    /// ```
    /// # Errors
    /// [`PolicyError::Malformed`].
    pub fn parse_identity_policy(text: &str) -> Result<Self, PolicyError> {
        Self::parse(text, false)
    }

    fn parse(text: &str, key_policy: bool) -> Result<Self, PolicyError> {
        let doc: Value = serde_json::from_str(text)
            .map_err(|_| malformed("The policy document is not valid JSON."))?;
        let Value::Object(doc) = doc else {
            return Err(malformed("The policy document must be a JSON object."));
        };
        if let Some(version) = doc.get("Version") {
            if !matches!(version.as_str(), Some("2012-10-17" | "2008-10-17")) {
                return Err(malformed("The policy document has an unsupported Version."));
            }
        }
        // Policy variables came with version 2012-10-17; without it `${...}` is literal text.
        let variables = doc.get("Version").and_then(Value::as_str) == Some("2012-10-17");
        let statements = match doc.get("Statement") {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(one @ Value::Object(_)) => vec![one],
            _ => {
                return Err(malformed(
                    "The policy document must contain a Statement element.",
                ));
            }
        };
        let statements = statements
            .into_iter()
            .map(|s| Statement::parse(s, key_policy, variables))
            .collect::<Result<_, _>>()?;
        Ok(Self { statements })
    }

    /// What this policy says about `caller` doing `action` on `resource`. `caller` is needed
    /// for key policies (statements with a principal); a statement with a principal never
    /// applies without one.
    pub fn evaluate(
        &self,
        caller: Option<&Identity>,
        action: Action,
        resource: &str,
        ctx: &dyn ConditionContext,
    ) -> Outcome {
        let mut out = Outcome::default();
        for s in &self.statements {
            if s.actions.contains(action) == s.not_action {
                continue;
            }
            if let Some(patterns) = &s.resources {
                let hit = patterns.iter().any(|p| p.glob_matches(resource, ctx));
                if hit == s.not_resource {
                    continue;
                }
            }
            let matched = match (&s.principal, caller) {
                (None, _) => PrincipalMatch::Direct,
                (Some(_), None) => PrincipalMatch::No,
                (Some((principals, false)), Some(c)) => principals.matching(c),
                (Some((principals, true)), Some(c)) => {
                    if principals.matching(c) == PrincipalMatch::No {
                        PrincipalMatch::Direct
                    } else {
                        PrincipalMatch::No
                    }
                }
            };
            if matched == PrincipalMatch::No {
                continue;
            }
            if !s.conditions.iter().all(|c| c.holds(ctx)) {
                continue;
            }
            match (s.effect, matched) {
                (Effect::Deny, _) => out.deny = true,
                (Effect::Allow, PrincipalMatch::Direct) => out.direct = true,
                (Effect::Allow, _) => out.account = true,
            }
        }
        out
    }
}

const STATEMENT_FIELDS: [&str; 10] = [
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
    "Id",
];

impl Statement {
    fn parse(value: &Value, key_policy: bool, variables: bool) -> Result<Self, PolicyError> {
        let Value::Object(s) = value else {
            return Err(malformed("Each policy statement must be a JSON object."));
        };
        if let Some(field) = s.keys().find(|k| !STATEMENT_FIELDS.contains(&k.as_str())) {
            return Err(PolicyError::Malformed(format!(
                "Policy contains a statement with an unsupported element: {field}."
            )));
        }
        if s.get("Sid").is_some_and(|sid| !sid.is_string()) {
            return Err(malformed("A statement's Sid must be a string."));
        }
        let effect = match s.get("Effect").and_then(Value::as_str) {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            _ => {
                return Err(malformed(
                    "Policy contains a statement with an Effect that is not Allow or Deny.",
                ));
            }
        };
        let principal = match (s.get("Principal"), s.get("NotPrincipal")) {
            (Some(_), Some(_)) => {
                return Err(malformed(
                    "A statement cannot have both Principal and NotPrincipal.",
                ));
            }
            (Some(p), None) => Some((Principals::parse(p)?, false)),
            (None, Some(p)) => Some((Principals::parse(p)?, true)),
            (None, None) => None,
        };
        if key_policy && principal.is_none() {
            return Err(malformed("Policy contains a statement with no principal."));
        }
        if !key_policy && principal.is_some() {
            return Err(malformed(
                "An identity policy cannot have a Principal or NotPrincipal.",
            ));
        }
        let (actions, not_action) = match (s.get("Action"), s.get("NotAction")) {
            (Some(a), None) => (strings(a, "Action")?, false),
            (None, Some(a)) => (strings(a, "NotAction")?, true),
            _ => {
                return Err(malformed(
                    "Each statement needs exactly one of Action and NotAction.",
                ));
            }
        };
        let (resources, not_resource) = match (s.get("Resource"), s.get("NotResource")) {
            (Some(r), None) => (strings(r, "Resource")?, false),
            (None, Some(r)) => (strings(r, "NotResource")?, true),
            (None, None) if key_policy => (vec!["*".to_owned()], false),
            _ => {
                return Err(malformed(
                    "Each statement needs exactly one of Resource and NotResource.",
                ));
            }
        };
        let resources = if !not_resource && resources.iter().any(|r| r == "*") {
            None
        } else {
            Some(
                resources
                    .into_iter()
                    .map(|r| Template::compile_resource(r, variables))
                    .collect(),
            )
        };
        let conditions = match s.get("Condition") {
            None => Vec::new(),
            Some(c) => parse_conditions(c, variables)?,
        };
        if key_policy {
            // Read as a condition's key or as a policy variable, in a condition or a Resource.
            let resource_key = |k: &ConditionKey| {
                matches!(
                    k,
                    ConditionKey::ResourceTag(_) | ConditionKey::ResourceAliases
                )
            };
            let resource_keys = conditions
                .iter()
                .any(|c| resource_key(c.key()) || c.variable_keys().any(resource_key))
                || resources
                    .iter()
                    .flatten()
                    .any(|r: &Template| r.variable_keys().any(resource_key));
            if resource_keys {
                return Err(malformed(
                    "These condition keys are not permitted in a key policy: aws:ResourceTag, kms:ResourceTag, kms:ResourceAliases",
                ));
            }
        }
        Ok(Self {
            effect,
            principal,
            actions: ActionSet::of_patterns(actions.iter().map(String::as_str)),
            not_action,
            resources,
            not_resource,
            conditions,
        })
    }
}

/// A string or a non-empty array of strings.
fn strings(value: &Value, element: &str) -> Result<Vec<String>, PolicyError> {
    let bad = || {
        PolicyError::Malformed(format!(
            "The {element} element must be a string or a list of strings."
        ))
    };
    match value {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) if !list.is_empty() => list
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn parse_conditions(value: &Value, variables: bool) -> Result<Vec<Condition>, PolicyError> {
    let bad = || {
        malformed(
            "The Condition element must map operators to objects of condition keys and values.",
        )
    };
    let Value::Object(operators) = value else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else {
            return Err(bad());
        };
        for (key, values) in keys {
            let scalar = |v: &Value| match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            let values = match values {
                Value::Array(list) => list.iter().map(scalar).collect::<Option<Vec<_>>>(),
                one => scalar(one).map(|v| vec![v]),
            }
            .ok_or_else(bad)?;
            out.push(Condition::compile(operator, key, values, variables)?);
        }
    }
    Ok(out)
}

impl Principals {
    fn parse(value: &Value) -> Result<Self, PolicyError> {
        let invalid =
            || malformed("Policy contains a statement with one or more invalid principals.");
        let mut out = Self::default();
        match value {
            Value::String(s) if s == "*" => out.anyone = true,
            Value::Object(map) if !map.is_empty() => {
                for (kind, entries) in map {
                    let entries = strings(entries, "Principal").map_err(|_| invalid())?;
                    match kind.as_str() {
                        "AWS" => {
                            for e in entries {
                                out.add_aws(&e).ok_or_else(invalid)?;
                            }
                        }
                        // Service and federated principals never call a local emulator.
                        "Service" | "Federated" | "CanonicalUser" => {}
                        _ => return Err(invalid()),
                    }
                }
            }
            _ => return Err(invalid()),
        }
        Ok(out)
    }

    fn add_aws(&mut self, entry: &str) -> Option<()> {
        if entry == "*" {
            self.anyone = true;
        } else if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
            self.accounts.push(entry.to_owned());
        } else {
            let parts: Vec<&str> = entry.splitn(6, ':').collect();
            let [arn, _partition, service, region, account, resource] = parts[..] else {
                return None;
            };
            let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
            if arn != "arn"
                || !matches!(service, "iam" | "sts")
                || !region.is_empty()
                || !account_ok
            {
                return None;
            }
            if entry.contains('*') {
                return None;
            }
            if service == "iam" && resource == "root" {
                self.accounts.push(account.to_owned());
            } else {
                self.arns.push(entry.to_owned());
            }
        }
        Some(())
    }

    fn matching(&self, caller: &Identity) -> PrincipalMatch {
        if self.anyone || self.arns.iter().any(|a| caller.is(a)) {
            PrincipalMatch::Direct
        } else if self.accounts.iter().any(|a| a == caller.account()) {
            PrincipalMatch::Account
        } else {
            PrincipalMatch::No
        }
    }
}

#[cfg(test)]
mod tests;
