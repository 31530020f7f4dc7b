//! Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant, and the
//! validation of the `GrantTokens` member every operation that takes one checks
//! (`Kms::check_grant_tokens`). What a grant lets its grantee do, and who may retire it, is
//! decided by authorization (`crate::authorize`) under `--auth enforce`.

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::grant::{self, Grant};
use crate::key::record::KeyRecord;
use crate::key::spec::{GrantOperation, KeySpec, KeyState};
use crate::kms::Kms;
use crate::ops::crypto::dry_run;
use crate::ops::{index_marker, page_limit};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::grants::*;
use crate::wire::keys::Empty;

/// AWS's resource quota of grants per key. (AWS's older "500 grants for a given principal
/// per key" is no longer in its quota tables, so it is not applied.)
pub const MAX_GRANTS_PER_KEY: usize = 50_000;
/// ListGrants and ListRetirableGrants return at most this many per page (50 by default).
const MAX_PAGE: usize = 100;

impl Kms {
    /// Adds a grant to a key: a grantee principal may then use the key for the listed
    /// operations (under the constraints), and a retiring principal may retire it. A repeated
    /// call with the same `Name` and parameters returns the same grant (and a new token).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.CreateGrant
    /// {"KeyId":"1234abcd-...","GranteePrincipal":"arn:aws:iam::111122223333:role/app",
    ///  "Operations":["Encrypt","Decrypt"],"Name":"app"}
    /// ```
    ///
    /// ```
    /// use kms_api::{Kms, Scope};
    /// use kms_api::wire::grants::CreateGrantRequest;
    /// let kms = Kms::new();
    /// let scope = Scope::new("111122223333", "us-east-1");
    /// let key = kms.create_key(&scope, Default::default()).unwrap().key_metadata;
    /// let grant = kms.create_grant(&scope, CreateGrantRequest {
    ///     key_id: Some(key.key_id),
    ///     grantee_principal: Some("arn:aws:iam::111122223333:role/app".into()),
    ///     operations: Some(vec!["Decrypt".into()]),
    ///     ..Default::default()
    /// }).unwrap();
    /// assert_eq!(grant.grant_id.len(), 64);
    /// ```
    ///
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidGrantTokenException`, `LimitExceededException`, `ValidationException`,
    /// `DryRunOperationException`.
    pub fn create_grant(
        &self,
        scope: &Scope,
        req: CreateGrantRequest,
    ) -> Result<CreateGrantResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        principal_member(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
        principal_member(
            &mut v,
            "retiringPrincipal",
            req.retiring_principal.as_deref(),
        );
        service_principal_member(
            &mut v,
            "granteeServicePrincipal",
            req.grantee_service_principal.as_deref(),
        );
        service_principal_member(
            &mut v,
            "retiringServicePrincipal",
            req.retiring_service_principal.as_deref(),
        );
        v.required("operations", &req.operations);
        let operations = operations_member(&mut v, req.operations.as_deref());
        v.str_len("name", req.name.as_deref(), 1, 256);
        v.pattern("name", req.name.as_deref(), "^[a-zA-Z0-9:/_-]+$", |s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
        });
        if let Some(c) = &req.constraints {
            let arn = c.source_arn.as_deref();
            v.str_len("constraints.sourceArn", arn, 20, 512);
            v.pattern(
                "constraints.sourceArn",
                arn,
                "^arn:aws[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]{12}:.+$",
                is_source_arn,
            );
        }
        grant_tokens_member(&mut v, req.grant_tokens.as_deref());
        v.finish()?;
        self.check_grant_tokens(scope, req.grant_tokens.as_deref())?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        check_grantable(&key)?;
        check_principals(&req)?;
        check_operations(&key, &operations, req.constraints.as_ref())?;
        let grant = Grant {
            id: grant::new_grant_id(self.random()),
            name: req.name,
            created_at: self.now(),
            grantee_principal: req.grantee_principal,
            grantee_service_principal: req.grantee_service_principal,
            retiring_principal: req.retiring_principal,
            retiring_service_principal: req.retiring_service_principal,
            issuing_account: format!("arn:{}:iam::{}:root", scope.partition(), scope.account()),
            operations,
            constraints: req
                .constraints
                .filter(|c| *c != GrantConstraints::default()),
            sequence: 0,
        };
        if let Some(existing) = key.grants.iter().find(|g| g.is_same_request(&grant)) {
            dry_run(req.dry_run)?;
            return Ok(self.grant_response(&key, &existing.id));
        }
        check_limits(&key)?;
        dry_run(req.dry_run)?;
        let (id, key) = self.update_key(&key, |k| {
            check_grantable(k)?;
            if let Some(existing) = k.grants.iter().find(|g| g.is_same_request(&grant)) {
                return Ok(existing.id.clone());
            }
            check_limits(k)?;
            let id = grant.id.clone();
            let grants = Arc::make_mut(&mut k.grants);
            let sequence = grants.next_sequence();
            grants.push(Arc::new(Grant { sequence, ..grant }));
            Ok(id)
        })?;
        Ok(self.grant_response(&key, &id))
    }

    /// Lists a key's grants, oldest first, optionally only one grant or one grantee's.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListGrants
    /// {"KeyId":"1234abcd-...","Limit":10}
    /// ```
    /// # Errors
    /// `NotFoundException`, `InvalidGrantIdException`, `InvalidMarkerException`,
    /// `ValidationException`.
    pub fn list_grants(
        &self,
        scope: &Scope,
        req: ListGrantsRequest,
    ) -> Result<ListGrantsResponse, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.str_len("grantId", req.grant_id.as_deref(), 1, 128);
        principal_member(&mut v, "granteePrincipal", req.grantee_principal.as_deref());
        service_principal_member(
            &mut v,
            "granteeServicePrincipal",
            req.grantee_service_principal.as_deref(),
        );
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        if let Some(id) = req.grant_id.as_deref().filter(|id| !grant::is_grant_id(id)) {
            return Err(invalid_grant_id(id));
        }
        let matching: Vec<&Arc<Grant>> = key
            .grants
            .iter()
            .filter(|g| req.grant_id.as_ref().is_none_or(|id| *id == g.id))
            .filter(|g| {
                req.grantee_principal
                    .as_ref()
                    .is_none_or(|p| g.grantee_principal.as_ref() == Some(p))
            })
            .filter(|g| {
                req.grantee_service_principal
                    .as_ref()
                    .is_none_or(|p| g.grantee_service_principal.as_ref() == Some(p))
            })
            .collect();
        page(
            matching.iter().map(|g| (&*key, &***g)),
            matching.len(),
            req.limit,
            req.marker.as_deref(),
        )
    }

    /// Lists the grants in the caller's Region, on keys of any account, that `RetiringPrincipal`
    /// (or `RetiringServicePrincipal`) may retire.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ListRetirableGrants
    /// {"RetiringPrincipal":"arn:aws:iam::111122223333:role/ops"}
    /// ```
    /// # Errors
    /// `InvalidMarkerException`, `ValidationException`, `AccessDeniedException` (a
    /// `RetiringPrincipal` of another account).
    pub fn list_retirable_grants(
        &self,
        scope: &Scope,
        req: ListRetirableGrantsRequest,
    ) -> Result<ListGrantsResponse, KmsError> {
        let mut v = Violations::new();
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        principal_member(
            &mut v,
            "retiringPrincipal",
            req.retiring_principal.as_deref(),
        );
        service_principal_member(
            &mut v,
            "retiringServicePrincipal",
            req.retiring_service_principal.as_deref(),
        );
        v.finish()?;
        match (&req.retiring_principal, &req.retiring_service_principal) {
            (None, None) => {
                return Err(KmsError::Validation(
                    "You must specify either RetiringPrincipal or RetiringServicePrincipal.".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(KmsError::Validation(
                    "You cannot specify both RetiringPrincipal and RetiringServicePrincipal."
                        .into(),
                ));
            }
            _ => {}
        }
        // AWS: "You must specify a principal in your AWS account." Another account's grants
        // are that account's to list. A principal of your account may be named in grants on
        // other accounts' keys, so those are listed; a service principal, or a principal whose
        // account cannot be read, belongs to no account: only your own keys are searched.
        let account = req
            .retiring_principal
            .as_deref()
            .and_then(principal_account);
        if let Some(account) = account.filter(|a| *a != scope.account()) {
            return Err(KmsError::AccessDenied(format!(
                "ListRetirableGrants lists the grants of a retiring principal in your own account ({}), not of one in account {account}.",
                scope.account()
            )));
        }
        let any_account = account.is_some();
        let now = self.now();
        let mut keys: Vec<Arc<KeyRecord>> = self
            .all_keys()
            .into_iter()
            .filter(|k| k.scope.region() == scope.region() && !k.is_due_for_deletion(now))
            .filter(|k| any_account || k.scope.account() == scope.account())
            .filter(|k| !k.grants.is_empty())
            .collect();
        keys.sort_by(|a, b| a.arn.cmp(&b.arn));
        let matching: Vec<(&KeyRecord, &Grant)> = keys
            .iter()
            .flat_map(|k| k.grants.iter().map(move |g| (&**k, &**g)))
            .filter(|(_, g)| {
                (req.retiring_principal.is_some() && g.retiring_principal == req.retiring_principal)
                    || (req.retiring_service_principal.is_some()
                        && g.retiring_service_principal == req.retiring_service_principal)
            })
            .collect();
        let len = matching.len();
        page(matching.into_iter(), len, req.limit, req.marker.as_deref())
    }

    /// Retires a grant, named by its token, or by the key ARN and the grant ID. Its tokens
    /// stop working at once.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.RetireGrant
    /// {"GrantToken":"..."}
    /// ```
    /// # Errors
    /// `InvalidGrantTokenException`, `InvalidGrantIdException`, `NotFoundException`,
    /// `ValidationException`, `DryRunOperationException`.
    pub fn retire_grant(&self, scope: &Scope, req: RetireGrantRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        v.str_len("grantToken", req.grant_token.as_deref(), 1, 8192);
        v.str_len("keyId", req.key_id.as_deref(), 1, 2048);
        v.str_len("grantId", req.grant_id.as_deref(), 1, 128);
        v.finish()?;
        let (key, grant_id) =
            match (&req.grant_token, &req.key_id, &req.grant_id) {
                (Some(token), _, _) => {
                    let (key, grant) = self.grant_of_token(scope, token)?;
                    (key, grant.id.clone())
                }
                (None, Some(key_id), Some(grant_id)) => {
                    let key = self.resolve(scope, key_id, false)?;
                    (key, grant_id.clone())
                }
                _ => return Err(KmsError::Validation(
                    "Either a grant token, or both the key ID and the grant ID, must be specified."
                        .into(),
                )),
            };
        self.remove_grant(&key, &grant_id, req.dry_run)
    }

    /// Revokes a grant of a key by its ID. Its tokens stop working at once.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.RevokeGrant
    /// {"KeyId":"1234abcd-...","GrantId":"0123...cdef"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `InvalidGrantIdException`, `ValidationException`,
    /// `DryRunOperationException`.
    pub fn revoke_grant(&self, scope: &Scope, req: RevokeGrantRequest) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", &req.key_id);
        v.required("grantId", &req.grant_id);
        v.str_len("grantId", req.grant_id.as_deref(), 1, 128);
        v.finish()?;
        let key = self.resolve(scope, key_id.unwrap_or_default(), false)?;
        self.remove_grant(
            &key,
            req.grant_id.as_deref().unwrap_or_default(),
            req.dry_run,
        )
    }

    /// Checks a request's `GrantTokens`: each must be a token this engine issued for a grant
    /// that still exists, on a key the caller can name (its Region). Returns those grants, for
    /// authorization to weigh once access control exists. Costs nothing without tokens.
    ///
    /// # Errors
    /// `InvalidGrantTokenException`.
    pub(crate) fn check_grant_tokens(
        &self,
        scope: &Scope,
        tokens: Option<&[String]>,
    ) -> Result<Vec<Arc<Grant>>, KmsError> {
        let Some(tokens) = tokens.filter(|t| !t.is_empty()) else {
            return Ok(Vec::new());
        };
        tokens
            .iter()
            .map(|t| self.grant_of_token(scope, t).map(|(_, g)| g))
            .collect()
    }

    /// The key and grant a token names; `InvalidGrantTokenException` when it is not a token
    /// of this engine or its grant is gone (retired, revoked, or deleted with its key).
    pub(crate) fn grant_of_token(
        &self,
        scope: &Scope,
        token: &str,
    ) -> Result<(Arc<KeyRecord>, Arc<Grant>), KmsError> {
        let invalid = || KmsError::InvalidGrantToken("The grant token is not valid.".into());
        let (arn, id) = grant::open_token(self.grant_token_key(), token).ok_or_else(invalid)?;
        let key = self.resolve(scope, &arn, false).map_err(|_| invalid())?;
        let grant = key.grants.get(&id).cloned().ok_or_else(invalid)?;
        Ok((key, grant))
    }

    fn remove_grant(
        &self,
        key: &KeyRecord,
        grant_id: &str,
        dry: Option<bool>,
    ) -> Result<Empty, KmsError> {
        if !grant::is_grant_id(grant_id) {
            return Err(invalid_grant_id(grant_id));
        }
        let not_found =
            || KmsError::NotFound(format!("Grant ID {grant_id} not found for key {}", key.arn));
        if key.grants.get(grant_id).is_none() {
            return Err(not_found());
        }
        dry_run(dry)?;
        self.update_key(key, |k| {
            if k.grants.get(grant_id).is_none() {
                return Err(not_found());
            }
            Arc::make_mut(&mut k.grants).remove(grant_id);
            Ok(())
        })?;
        Ok(Empty {})
    }

    fn grant_response(&self, key: &KeyRecord, grant_id: &str) -> CreateGrantResponse {
        CreateGrantResponse {
            grant_token: grant::token(self.grant_token_key(), &key.arn, grant_id, self.random()),
            grant_id: grant_id.to_owned(),
        }
    }
}

/// A page of grants (`Limit` default 50, at most 100; `Marker` an index).
fn page<'a>(
    grants: impl Iterator<Item = (&'a KeyRecord, &'a Grant)>,
    len: usize,
    limit: Option<i64>,
    marker: Option<&str>,
) -> Result<ListGrantsResponse, KmsError> {
    let start = index_marker(marker, len)?;
    let limit = page_limit(limit, 50).min(MAX_PAGE);
    let end = start.saturating_add(limit).min(len);
    let truncated = end < len;
    Ok(ListGrantsResponse {
        grants: grants
            .skip(start)
            .take(end - start)
            .map(|(k, g)| list_entry(k, g))
            .collect(),
        next_marker: truncated.then(|| end.to_string()),
        truncated,
    })
}

fn list_entry(key: &KeyRecord, g: &Grant) -> GrantListEntry {
    GrantListEntry {
        key_id: key.arn.to_string(),
        grant_id: g.id.clone(),
        name: g.name.clone(),
        creation_date: g.created_at,
        grantee_principal: g.grantee_principal.clone(),
        retiring_principal: g.retiring_principal.clone(),
        issuing_account: g.issuing_account.clone(),
        operations: g.operations.iter().map(|o| o.as_str().to_owned()).collect(),
        constraints: g.constraints.clone(),
        grantee_service_principal: g.grantee_service_principal.clone(),
        retiring_service_principal: g.retiring_service_principal.clone(),
    }
}

/// CreateGrant follows the key state table: only an enabled key takes new grants.
fn check_grantable(key: &KeyRecord) -> Result<(), KmsError> {
    match key.state {
        KeyState::Enabled | KeyState::Updating | KeyState::Unavailable => Ok(()),
        KeyState::Disabled => Err(KmsError::Disabled(format!("{} is disabled.", key.arn))),
        other => Err(key.invalid_state(other)),
    }
}

/// One grantee (a principal or a service principal), at most one retiring principal, and a
/// service grantee only with a SourceArn constraint and a retiring principal.
fn check_principals(req: &CreateGrantRequest) -> Result<(), KmsError> {
    let invalid = |m: &str| Err(KmsError::Validation(m.into()));
    match (&req.grantee_principal, &req.grantee_service_principal) {
        (None, None) => {
            return invalid("You must specify either GranteePrincipal or GranteeServicePrincipal.");
        }
        (Some(_), Some(_)) => {
            return invalid(
                "You cannot specify both GranteePrincipal and GranteeServicePrincipal.",
            );
        }
        _ => {}
    }
    if req.retiring_principal.is_some() && req.retiring_service_principal.is_some() {
        return invalid("You cannot specify both RetiringPrincipal and RetiringServicePrincipal.");
    }
    if req.grantee_service_principal.is_some() {
        let source_arn = req.constraints.as_ref().and_then(|c| c.source_arn.as_ref());
        if source_arn.is_none() {
            return invalid(
                "A SourceArn grant constraint is required when you specify a GranteeServicePrincipal.",
            );
        }
        if req.retiring_principal.is_none() && req.retiring_service_principal.is_none() {
            return invalid(
                "A RetiringPrincipal or RetiringServicePrincipal is required when you specify a GranteeServicePrincipal.",
            );
        }
    }
    Ok(())
}

/// The operations must be ones a grant on this key may allow; encryption context constraints
/// only on symmetric encryption keys, with operations that take an encryption context (and
/// DescribeKey, CreateGrant, RetireGrant, to which they do not apply).
fn check_operations(
    key: &KeyRecord,
    operations: &[GrantOperation],
    constraints: Option<&GrantConstraints>,
) -> Result<(), KmsError> {
    if operations.is_empty() {
        return Err(KmsError::Validation(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1".into(),
        ));
    }
    if operations
        .iter()
        .all(|op| *op == GrantOperation::CreateGrant)
    {
        // Recorded from AWS.
        return Err(KmsError::Validation(
            "Grants must not contain only the CreateGrant operation.".into(),
        ));
    }
    let allowed = key.key_spec.grant_operations(key.key_usage);
    let refused: Vec<&str> = operations
        .iter()
        .filter(|op| !allowed.contains(op))
        .map(|op| op.as_str())
        .collect();
    if !refused.is_empty() {
        return Err(KmsError::Validation(format!(
            "Grant operations {} are not supported for a KMS key with key spec {} and key usage {}.",
            refused.join(", "),
            key.key_spec,
            key.key_usage
        )));
    }
    let context_constraint = constraints.is_some_and(|c| {
        c.encryption_context_equals.is_some() || c.encryption_context_subset.is_some()
    });
    if context_constraint {
        let supported = key.key_spec == KeySpec::SymmetricDefault
            && operations.iter().all(|op| {
                op.takes_encryption_context()
                    || matches!(
                        op,
                        GrantOperation::DescribeKey
                            | GrantOperation::CreateGrant
                            | GrantOperation::RetireGrant
                    )
            });
        if !supported {
            return Err(KmsError::Validation(
                "Encryption context grant constraints are supported only on grant operations that include an EncryptionContext parameter, on symmetric encryption KMS keys.".into(),
            ));
        }
    }
    Ok(())
}

/// AWS's quota of grants per key.
fn check_limits(key: &KeyRecord) -> Result<(), KmsError> {
    if key.grants.len() >= MAX_GRANTS_PER_KEY {
        return Err(KmsError::LimitExceeded(format!(
            "The request was rejected because the KMS key {} has reached the limit of {MAX_GRANTS_PER_KEY} grants.",
            key.arn
        )));
    }
    Ok(())
}

fn invalid_grant_id(id: &str) -> KmsError {
    KmsError::InvalidGrantId(format!("Invalid grant ID '{id}'."))
}

/// A principal member (`^[\w+=,.@:/-]+$`, 1..=256).
fn principal_member(v: &mut Violations, field: &str, value: Option<&str>) {
    v.str_len(field, value, 1, 256);
    v.pattern(field, value, r"^[\w+=,.@:/-]+$", |s| {
        // Java's `\w` is ASCII letters, digits and `_` only.
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b))
    });
}

/// The account of a principal given as an ARN (`arn:aws:iam::<account>:...`) or as a bare
/// account ID; `None` for anything else (a service name).
pub(crate) fn principal_account(principal: &str) -> Option<&str> {
    let is_account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    if is_account(principal) {
        return Some(principal);
    }
    let mut parts = principal.strip_prefix("arn:")?.splitn(5, ':');
    let account = parts.nth(3)?;
    is_account(account).then_some(account)
}

/// A service principal member (`service.amazonaws.com`, 1..=128).
fn service_principal_member(v: &mut Violations, field: &str, value: Option<&str>) {
    v.str_len(field, value, 1, 128);
    v.pattern(
        field,
        value,
        r"^([A-Za-z0-9\-]+)\.([A-Za-z0-9\-]+)(\.[A-Za-z0-9\-]+)+$",
        |s| {
            let labels: Vec<&str> = s.split('.').collect();
            labels.len() >= 3
                && labels.iter().all(|l| {
                    !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                })
        },
    );
}

/// `GrantTokens`: at most 10, each 1..=8192 characters.
pub(crate) fn grant_tokens_member(v: &mut Violations, tokens: Option<&[String]>) {
    v.list_len("grantTokens", tokens, 10);
    for token in tokens.unwrap_or_default() {
        if token.is_empty() || token.len() > 8192 {
            v.push_raw(
                "Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]".into(),
            );
            break;
        }
    }
}

/// The `Operations` list, AWS's enum message for a name it does not know.
fn operations_member(v: &mut Violations, ops: Option<&[String]>) -> Vec<GrantOperation> {
    let ops = ops.unwrap_or_default();
    let parsed: Vec<Option<GrantOperation>> =
        ops.iter().map(|o| GrantOperation::parse(o)).collect();
    if parsed.iter().any(Option::is_none) {
        v.push_raw(format!(
            "Value '[{}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: {}]",
            ops.join(", "),
            GrantOperation::enum_set()
        ));
    }
    parsed.into_iter().flatten().collect()
}

/// `arn:aws...:<service>:<region>:<12 digits>:<resource>`.
fn is_source_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[1][3..]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !parts[2].is_empty()
        && parts[2]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts[3]
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && !parts[5].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_arns() {
        assert!(is_source_arn("arn:aws:s3::111122223333:bucket"));
        assert!(is_source_arn(
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        ));
        assert!(!is_source_arn("arn:aws:ec2:us-east-1:1111:instance/i-1"));
        assert!(!is_source_arn("arn:gcp:ec2:us-east-1:111122223333:x"));
    }

    #[test]
    fn principal_accounts() {
        assert_eq!(
            principal_account("arn:aws:iam::444455556666:role/ops"),
            Some("444455556666")
        );
        assert_eq!(
            principal_account("arn:aws:sts::444455556666:assumed-role/ops/s"),
            Some("444455556666")
        );
        assert_eq!(principal_account("444455556666"), Some("444455556666"));
        assert_eq!(principal_account("dynamodb.amazonaws.com"), None);
        assert_eq!(principal_account("arn:aws:iam::root"), None);
    }

    #[test]
    fn retirable_grants_are_listed_only_for_a_principal_of_ones_own_account() {
        let kms = Kms::new();
        let home = Scope::new("111122223333", "us-east-1");
        let key = kms.create_key(&home, Default::default()).unwrap();
        let retiring = "arn:aws:iam::111122223333:role/ops";
        kms.create_grant(
            &home,
            CreateGrantRequest {
                key_id: Some(key.key_metadata.key_id.clone()),
                grantee_principal: Some("arn:aws:iam::111122223333:role/app".into()),
                retiring_principal: Some(retiring.into()),
                operations: Some(vec!["Decrypt".into()]),
                ..Default::default()
            },
        )
        .unwrap();
        let list = |scope: &Scope| {
            kms.list_retirable_grants(
                scope,
                ListRetirableGrantsRequest {
                    retiring_principal: Some(retiring.into()),
                    ..Default::default()
                },
            )
        };
        assert_eq!(list(&home).unwrap().grants.len(), 1);
        let other = Scope::new("444455556666", "us-east-1");
        assert_eq!(
            list(&other).unwrap_err().aws_type(),
            "AccessDeniedException"
        );
        // A service principal belongs to no account: each account sees its own grants only.
        let service = "dynamodb.us-east-1.amazonaws.com";
        kms.create_grant(
            &home,
            CreateGrantRequest {
                key_id: Some(key.key_metadata.key_id),
                grantee_service_principal: Some(service.into()),
                retiring_service_principal: Some(service.into()),
                operations: Some(vec!["Decrypt".into()]),
                constraints: Some(GrantConstraints {
                    source_arn: Some("arn:aws:dynamodb:us-east-1:111122223333:table/t".into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .unwrap();
        let by_service = |scope: &Scope| {
            let req = ListRetirableGrantsRequest {
                retiring_service_principal: Some(service.into()),
                ..Default::default()
            };
            kms.list_retirable_grants(scope, req).unwrap().grants.len()
        };
        assert_eq!(by_service(&home), 1);
        assert_eq!(by_service(&other), 0);
    }
}
