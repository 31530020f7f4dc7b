//! Alias operations: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

use crate::error::KmsError;
use crate::key::id::alias_arn;
use crate::key::record::KeyRecord;
use crate::kms::{AliasEntry, Kms, ScopeState};
use crate::ops::{invalid_marker, page_limit};
use crate::persist::Change;
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::aliases::*;
use crate::wire::keys::Empty;

/// Aliases per key (AWS's default resource quota).
pub const MAX_ALIASES_PER_KEY: usize = 50;
const ALIAS_PATTERN: &str = "^[a-zA-Z0-9:/_-]+$";

/// The aliases AWS predefines in every account and Region for its services' AWS managed
/// keys. ListAliases shows each one, without `TargetKeyId`, until its key exists.
pub const PREDEFINED_AWS_ALIASES: [&str; 14] = [
    "alias/aws/acm",
    "alias/aws/dynamodb",
    "alias/aws/ebs",
    "alias/aws/elasticfilesystem",
    "alias/aws/es",
    "alias/aws/glue",
    "alias/aws/kinesisvideo",
    "alias/aws/lambda",
    "alias/aws/rds",
    "alias/aws/redshift",
    "alias/aws/s3",
    "alias/aws/secretsmanager",
    "alias/aws/ssm",
    "alias/aws/xray",
];

impl Kms {
    /// Creates an alias for a key in the same account and Region.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.CreateAlias
    /// {"AliasName":"alias/app","TargetKeyId":"1234abcd-..."}
    /// ```
    /// # Errors
    /// `ValidationException` (name rules), `NotAuthorizedException` (`alias/aws/`),
    /// `AlreadyExistsException`, `NotFoundException`, `KMSInvalidStateException`,
    /// `LimitExceededException` (50 aliases per key).
    pub fn create_alias(&self, scope: &Scope, req: AliasRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let name = alias_name_member(&mut v, &req.alias_name);
        let target = validate::key_id(&mut v, "targetKeyId", &req.target_key_id);
        v.finish()?;
        let name = checked_new_alias_name(name.unwrap_or_default())?;
        let key = self.alias_target(scope, target.unwrap_or_default())?;
        let _key = self.key_guard([key.id]);
        self.check_target_still_valid(&key)?;
        let state = self.scope_state_or_default(scope);
        let _aliases = state.alias_guard();
        if state.aliases.contains_key(name) {
            return Err(KmsError::AlreadyExists(format!(
                "An alias with the name {} already exists",
                alias_arn(scope, name)
            )));
        }
        check_alias_room(&state, &key)?;
        let now = self.now();
        let alias = AliasEntry {
            name: name.to_owned(),
            target: key.id,
            created_at: now,
            updated_at: now,
        };
        // Under the alias lock no other writer can add the name; no map guard is held
        // across the store commit.
        self.commit(&[Change::PutAlias(scope, &alias)])?;
        state.aliases.insert(name.to_owned(), alias);
        Ok(Empty {})
    }

    /// Points an existing alias at another key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.UpdateAlias
    /// {"AliasName":"alias/app","TargetKeyId":"5678efgh-..."}
    /// ```
    /// # Errors
    /// `NotFoundException`, `KMSInvalidStateException`, `ValidationException`,
    /// `LimitExceededException` (the new key already has 50 aliases).
    pub fn update_alias(&self, scope: &Scope, req: AliasRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let name = alias_name_member(&mut v, &req.alias_name);
        let target = validate::key_id(&mut v, "targetKeyId", &req.target_key_id);
        v.finish()?;
        let name = checked_new_alias_name(name.unwrap_or_default())?;
        let key = self.alias_target(scope, target.unwrap_or_default())?;
        let not_found =
            || KmsError::NotFound(format!("Alias {} is not found.", alias_arn(scope, name)));
        let _key = self.key_guard([key.id]);
        self.check_target_still_valid(&key)?;
        let state = self.scope_state(scope).ok_or_else(not_found)?;
        let _aliases = state.alias_guard();
        let mut next = state
            .aliases
            .get(name)
            .map(|a| a.clone())
            .ok_or_else(not_found)?;
        // AWS: the new key must be of the same type (symmetric, asymmetric or HMAC) and have
        // the same key usage as the current one.
        if let Ok(current) = self.find_key(scope, next.target) {
            let kind = |k: &KeyRecord| (k.key_spec.is_asymmetric(), k.key_usage);
            if kind(&current) != kind(&key) {
                return Err(KmsError::Validation(format!(
                    "Alias {} cannot point to {}: the new key must have the same key type and key usage ({} {}) as the current one.",
                    alias_arn(scope, name),
                    key.arn,
                    current.key_spec,
                    current.key_usage
                )));
            }
        }
        if next.target != key.id {
            check_alias_room(&state, &key)?;
        }
        next.target = key.id;
        next.updated_at = self.now();
        self.commit(&[Change::PutAlias(scope, &next)])?;
        state.aliases.insert(name.to_owned(), next);
        Ok(Empty {})
    }

    /// Deletes an alias; the key is not affected.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DeleteAlias
    /// {"AliasName":"alias/app"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `ValidationException`.
    pub fn delete_alias(&self, scope: &Scope, req: DeleteAliasRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let name = alias_name_member(&mut v, &req.alias_name);
        v.finish()?;
        let name = checked_alias_name(name.unwrap_or_default())?;
        let not_found =
            || KmsError::NotFound(format!("Alias {} is not found.", alias_arn(scope, name)));
        let _no_reset = self.no_reset_guard();
        let state = self.scope_state(scope).ok_or_else(not_found)?;
        let _aliases = state.alias_guard();
        if !state.aliases.contains_key(name) {
            return Err(not_found());
        }
        self.commit(&[Change::DeleteAlias(scope, name)])?;
        state.aliases.remove(name);
        Ok(Empty {})
    }

    /// Lists the aliases of the account and Region, or of one key, ordered by name.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListAliases
    /// {"KeyId":"1234abcd-...","Limit":10}
    /// ```
    /// # Errors
    /// `NotFoundException` (KeyId), `InvalidMarkerException`, `ValidationException`.
    pub fn list_aliases(
        &self,
        scope: &Scope,
        req: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, KmsError> {
        let mut v = Violations::new();
        v.str_len("keyId", req.key_id.as_deref(), 1, 2048);
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        let limit = page_limit(req.limit, 100);
        let only = match req.key_id.as_deref() {
            Some(k) => Some(self.resolve(scope, k, false)?.id),
            None => None,
        };
        let state = self.scope_state(scope);
        let now = self.now();
        let mut all: Vec<AliasListEntry> = state
            .iter()
            .flat_map(|state| state.aliases.iter())
            .filter(|a| only.is_none_or(|id| a.target == id))
            // Aliases of a key past its deletion date are gone with it (the scheduler removes
            // them for good within a second).
            .filter(|a| {
                state.as_ref().is_some_and(|state| {
                    state
                        .keys
                        .get(&a.target)
                        .is_some_and(|k| !k.is_due_for_deletion(now))
                })
            })
            .map(|a| AliasListEntry {
                alias_arn: alias_arn(scope, &a.name),
                alias_name: a.name.clone(),
                target_key_id: Some(a.target.to_string()),
                creation_date: Some(a.created_at),
                last_updated_date: Some(a.updated_at),
            })
            .collect();
        if only.is_none() {
            let has = |name: &str| state.as_ref().is_some_and(|s| s.aliases.contains_key(name));
            all.extend(
                PREDEFINED_AWS_ALIASES
                    .iter()
                    .filter(|name| !has(name))
                    .map(|name| AliasListEntry {
                        alias_arn: alias_arn(scope, name),
                        alias_name: (*name).to_owned(),
                        target_key_id: None,
                        creation_date: None,
                        last_updated_date: None,
                    }),
            );
        }
        all.sort_unstable_by(|a, b| a.alias_name.cmp(&b.alias_name));
        let start = match req.marker.as_deref() {
            Some(m) if m.starts_with("alias/") => {
                all.partition_point(|a| a.alias_name.as_str() <= m)
            }
            Some(_) => return Err(invalid_marker()),
            None => 0,
        };
        let truncated = all.len() - start > limit;
        let page: Vec<AliasListEntry> = all.drain(start..).take(limit).collect();
        Ok(ListAliasesResponse {
            next_marker: truncated
                .then(|| page.last().map(|a| a.alias_name.clone()))
                .flatten(),
            aliases: page,
            truncated,
        })
    }

    /// Under the target's key lock: the alias target still exists and is not pending deletion
    /// (it was checked before the lock was taken).
    fn check_target_still_valid(&self, key: &crate::KeyRecord) -> Result<(), KmsError> {
        let current = self.find_key(&key.scope, key.id)?;
        current.check_not_pending_deletion()
    }

    /// The key an alias may point to: named by key ID or ARN (not another alias), not pending
    /// deletion.
    fn alias_target(
        &self,
        scope: &Scope,
        target: &str,
    ) -> Result<std::sync::Arc<crate::KeyRecord>, KmsError> {
        if target.starts_with("alias/")
            || (target.starts_with("arn:") && target.contains(":alias/"))
        {
            return Err(KmsError::Validation(
                "Aliases must refer to keys. Not aliases".into(),
            ));
        }
        let key = self.resolve(scope, target, false)?;
        key.check_not_pending_deletion()?;
        Ok(key)
    }
}

/// AWS's quota of aliases per key, for CreateAlias and for UpdateAlias pointing an alias at
/// another key. The caller holds the scope's alias lock.
fn check_alias_room(state: &ScopeState, key: &KeyRecord) -> Result<(), KmsError> {
    if state.aliases.iter().filter(|a| a.target == key.id).count() >= MAX_ALIASES_PER_KEY {
        return Err(KmsError::LimitExceeded(format!(
            "Cannot create more than {MAX_ALIASES_PER_KEY} aliases for key {}.",
            key.arn
        )));
    }
    Ok(())
}

fn alias_name_member<'a>(v: &mut Violations, value: &'a Option<String>) -> Option<&'a str> {
    v.required("aliasName", value);
    v.str_len("aliasName", value.as_deref(), 1, 256);
    v.pattern("aliasName", value.as_deref(), ALIAS_PATTERN, |s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
    });
    value.as_deref()
}

/// The name of an alias being created or pointed somewhere: [`checked_alias_name`], and only
/// letters, digits, `/`, `_` and `-` after `alias/` (the model's pattern also allows `:`, which
/// AWS refuses here).
fn checked_new_alias_name(name: &str) -> Result<&str, KmsError> {
    let name = checked_alias_name(name)?;
    if name.contains(':') {
        return Err(KmsError::Validation(format!(
            "{name} contains invalid characters for an alias"
        )));
    }
    Ok(name)
}

/// AWS's rules beyond the pattern: the `alias/` prefix, a name after it, and the reserved
/// `alias/aws/` space.
fn checked_alias_name(name: &str) -> Result<&str, KmsError> {
    if !name.starts_with("alias/") {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html".into(),
        ));
    }
    if name.starts_with("alias/aws/") {
        return Err(KmsError::NotAuthorized(
            "Alias names that begin with alias/aws/ are reserved for AWS managed keys.".into(),
        ));
    }
    if name.len() == "alias/".len() {
        return Err(KmsError::Validation(
            "Alias name must not be empty after the prefix \"alias/\".".into(),
        ));
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_names_follow_aws_rules() {
        assert!(checked_alias_name("alias/app").is_ok());
        assert!(
            matches!(checked_alias_name("app"), Err(KmsError::Validation(m)) if m.starts_with("Alias must start with the prefix \"alias/\""))
        );
        assert!(matches!(
            checked_alias_name("alias/aws/s3"),
            Err(KmsError::NotAuthorized(_))
        ));
        assert!(checked_alias_name("alias/").is_err());
        assert_eq!(
            checked_new_alias_name("alias/my:alias"),
            Err(KmsError::Validation(
                "alias/my:alias contains invalid characters for an alias".into()
            ))
        );
        assert!(checked_new_alias_name("alias/my-alias_/").is_ok());
        let mut v = Violations::new();
        alias_name_member(&mut v, &Some("alias/bad name".into()));
        assert!(
            v.finish()
                .unwrap_err()
                .message()
                .contains("regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        );
    }

    #[test]
    fn update_alias_keeps_the_per_key_alias_quota() {
        let kms = Kms::new();
        let scope = Scope::new("111122223333", "us-east-1");
        let full = kms.create_key(&scope, Default::default()).unwrap();
        let other = kms.create_key(&scope, Default::default()).unwrap();
        let (full, other) = (full.key_metadata.key_id, other.key_metadata.key_id);
        let alias = |name: String, target: &str| AliasRequest {
            alias_name: Some(name),
            target_key_id: Some(target.to_owned()),
        };
        for i in 0..MAX_ALIASES_PER_KEY {
            kms.create_alias(&scope, alias(format!("alias/full-{i}"), &full))
                .unwrap();
        }
        kms.create_alias(&scope, alias("alias/mover".into(), &other))
            .unwrap();
        let err = kms
            .update_alias(&scope, alias("alias/mover".into(), &full))
            .unwrap_err();
        assert_eq!(err.aws_type(), "LimitExceededException");
        let listed = kms
            .list_aliases(
                &scope,
                ListAliasesRequest {
                    key_id: Some(full.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(listed.aliases.len(), MAX_ALIASES_PER_KEY);
        // An alias already on the full key may be pointed at it again, and moved away.
        kms.update_alias(&scope, alias("alias/full-0".into(), &full))
            .unwrap();
        kms.update_alias(&scope, alias("alias/full-0".into(), &other))
            .unwrap();
        kms.update_alias(&scope, alias("alias/mover".into(), &full))
            .unwrap();
    }
}
