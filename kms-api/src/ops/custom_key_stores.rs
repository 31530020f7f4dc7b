//! The custom key store operations: CreateCustomKeyStore, DescribeCustomKeyStores,
//! UpdateCustomKeyStore, ConnectCustomKeyStore, DisconnectCustomKeyStore,
//! DeleteCustomKeyStore; the end of `CONNECTING` in the scheduler's sweep; and the admin hook
//! that drops or fails a connection ([`Kms::set_key_store_connection`]). The store itself is
//! `key_store`; CreateKey puts keys in a store (`ops::keys`).

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::spec::{KeySpec, KeyUsage, Origin};
use crate::key_store::*;
use crate::kms::{Kms, ScopeState};
use crate::ops::{index_marker, page_limit};
use crate::persist::Change;
use crate::scope::Scope;
use crate::validate::Violations;
use crate::wire::custom_key_stores::*;
use crate::wire::keys::Empty;

/// The `ConnectionErrorCode` values a test may fail a connection with.
pub const CONNECTION_ERROR_CODES: &[&str] = &[
    "INVALID_CREDENTIALS",
    "CLUSTER_NOT_FOUND",
    "NETWORK_ERRORS",
    "INTERNAL_ERROR",
    "INSUFFICIENT_CLOUDHSM_HSMS",
    "USER_LOCKED_OUT",
    "USER_NOT_FOUND",
    "USER_LOGGED_IN",
    "SUBNET_NOT_FOUND",
    "INSUFFICIENT_FREE_ADDRESSES_IN_SUBNET",
    "XKS_PROXY_ACCESS_DENIED",
    "XKS_PROXY_NOT_REACHABLE",
    "XKS_VPC_ENDPOINT_SERVICE_NOT_FOUND",
    "XKS_PROXY_INVALID_RESPONSE",
    "XKS_PROXY_INVALID_CONFIGURATION",
    "XKS_VPC_ENDPOINT_SERVICE_INVALID_CONFIGURATION",
    "XKS_PROXY_TIMED_OUT",
    "XKS_PROXY_INVALID_TLS_CONFIGURATION",
];

impl Kms {
    /// Creates a CloudHSM key store (`AWS_CLOUDHSM`, the default) or an external key store
    /// (`EXTERNAL_KEY_STORE`), `DISCONNECTED`. No cluster or proxy is reached; the password or
    /// proxy secret is checked for shape and not kept.
    ///
    /// ```
    /// use kms_api::wire::custom_key_stores::*;
    /// let kms = kms_api::Kms::new();
    /// let scope = kms_api::Scope::new("111122223333", "us-east-1");
    /// let id = kms.create_custom_key_store(&scope, CreateCustomKeyStoreRequest {
    ///     custom_key_store_name: Some("hsm".into()),
    ///     cloud_hsm_cluster_id: Some("cluster-234567abcdefg".into()),
    ///     trust_anchor_certificate: Some("-----BEGIN CERTIFICATE-----...".into()),
    ///     key_store_password: Some(kms_api::Secret::from_slice(b"kmsuser-pw")),
    ///     ..Default::default()
    /// }).unwrap().custom_key_store_id;
    /// assert!(id.starts_with("cks-"));
    /// ```
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.CreateCustomKeyStore
    /// {"CustomKeyStoreName":"hsm","CloudHsmClusterId":"cluster-...","TrustAnchorCertificate":"...","KeyStorePassword":"..."}
    /// ```
    /// # Errors
    /// `ValidationException`, `CustomKeyStoreNameInUseException`,
    /// `CloudHsmClusterInUseException`, `XksProxyUriInUseException`,
    /// `XksProxyUriEndpointInUseException`, `XksProxyVpcEndpointServiceInUseException`,
    /// `LimitExceededException`.
    pub fn create_custom_key_store(
        &self,
        scope: &Scope,
        req: CreateCustomKeyStoreRequest,
    ) -> Result<CreateCustomKeyStoreResponse, KmsError> {
        let mut v = Violations::new();
        v.required("customKeyStoreName", &req.custom_key_store_name);
        v.str_len(
            "customKeyStoreName",
            req.custom_key_store_name.as_deref(),
            1,
            256,
        );
        let store_type = v.enumeration(
            "customKeyStoreType",
            req.custom_key_store_type.as_deref(),
            |s| match s {
                "AWS_CLOUDHSM" => Some(KeyStoreType::CloudHsm),
                "EXTERNAL_KEY_STORE" => Some(KeyStoreType::External),
                _ => None,
            },
            || "[AWS_CLOUDHSM, EXTERNAL_KEY_STORE]".into(),
        );
        cloud_hsm_members(
            &mut v,
            req.cloud_hsm_cluster_id.as_deref(),
            req.key_store_password.as_ref(),
        );
        v.str_len(
            "trustAnchorCertificate",
            req.trust_anchor_certificate.as_deref(),
            1,
            5000,
        );
        let xks = XksMembers {
            endpoint: req.xks_proxy_uri_endpoint.as_deref(),
            path: req.xks_proxy_uri_path.as_deref(),
            vpc_service: req.xks_proxy_vpc_endpoint_service_name.as_deref(),
            vpc_owner: req.xks_proxy_vpc_endpoint_service_owner.as_deref(),
            credential: req.xks_proxy_authentication_credential.as_ref(),
            connectivity: req.xks_proxy_connectivity.as_deref(),
        };
        xks.validate(&mut v);
        v.finish()?;
        let store_type = store_type.unwrap_or(KeyStoreType::CloudHsm);
        let name = req.custom_key_store_name.unwrap_or_default();
        let (cluster, trust_anchor, proxy) = match store_type {
            KeyStoreType::CloudHsm => {
                if xks.any() {
                    return Err(KmsError::Validation(
                        "XksProxy parameters are valid only for a custom key store of type EXTERNAL_KEY_STORE.".into(),
                    ));
                }
                let (Some(cluster), Some(anchor), Some(_password)) = (
                    req.cloud_hsm_cluster_id,
                    req.trust_anchor_certificate,
                    req.key_store_password,
                ) else {
                    return Err(KmsError::Validation(
                        "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are required for a custom key store of type AWS_CLOUDHSM.".into(),
                    ));
                };
                (Some(cluster), Some(anchor), None)
            }
            KeyStoreType::External => {
                if req.cloud_hsm_cluster_id.is_some()
                    || req.trust_anchor_certificate.is_some()
                    || req.key_store_password.is_some()
                {
                    return Err(KmsError::Validation(
                        "CloudHsmClusterId, TrustAnchorCertificate and KeyStorePassword are valid only for a custom key store of type AWS_CLOUDHSM.".into(),
                    ));
                }
                (None, None, Some(xks.proxy()?))
            }
        };
        let now = self.now();
        let mut id_bytes = [0u8; 9];
        self.random().fill(&mut id_bytes);
        let hex = crate::key::material::hex(&id_bytes);
        let mut store = CustomKeyStore {
            id: format!("cks-{}", &hex[..17]),
            name,
            store_type,
            created_at: now,
            state: ConnectionState::Disconnected,
            state_since: now,
            error_code: None,
            cloud_hsm_cluster_id: cluster,
            trust_anchor_certificate: trust_anchor,
            xks_proxy: proxy,
            link: StoreLink::detached(""),
        };
        store.relink();
        let _no_reset = self.no_reset_guard();
        let state = self.scope_state_or_default(scope);
        let _stores = state.key_store_guard();
        if state.key_stores.len() >= MAX_KEY_STORES_PER_SCOPE {
            return Err(KmsError::LimitExceeded(format!(
                "The request was rejected because the account has reached the limit of {MAX_KEY_STORES_PER_SCOPE} custom key stores in this Region."
            )));
        }
        check_unique(&state, &store)?;
        self.commit(&[Change::PutKeyStore(scope, &store)])?;
        let id = store.id.clone();
        state.key_stores.insert(id.clone(), Arc::new(store));
        Ok(CreateCustomKeyStoreResponse {
            custom_key_store_id: id,
        })
    }

    /// Lists the account's custom key stores in the Region (oldest first), or the one a
    /// `CustomKeyStoreId` or `CustomKeyStoreName` names.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DescribeCustomKeyStores
    /// {"CustomKeyStoreName":"hsm"}
    /// ```
    /// # Errors
    /// `CustomKeyStoreNotFoundException`, `InvalidMarkerException`, `ValidationException`.
    pub fn describe_custom_key_stores(
        &self,
        scope: &Scope,
        req: DescribeCustomKeyStoresRequest,
    ) -> Result<DescribeCustomKeyStoresResponse, KmsError> {
        let mut v = Violations::new();
        v.str_len(
            "customKeyStoreId",
            req.custom_key_store_id.as_deref(),
            1,
            64,
        );
        v.str_len(
            "customKeyStoreName",
            req.custom_key_store_name.as_deref(),
            1,
            256,
        );
        v.range("limit", req.limit, 1, 1000);
        v.str_len("marker", req.marker.as_deref(), 1, 1024);
        v.finish()?;
        let mut stores: Vec<Arc<CustomKeyStore>> = self
            .scope_state(scope)
            .map(|s| s.key_stores.iter().map(|e| Arc::clone(&e)).collect())
            .unwrap_or_default();
        stores.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        if let Some(id) = req.custom_key_store_id.as_deref() {
            stores.retain(|s| s.id == id);
            if stores.is_empty() {
                return Err(store_not_found(id));
            }
        }
        if let Some(name) = req.custom_key_store_name.as_deref() {
            stores.retain(|s| s.name == name);
            if stores.is_empty() {
                return Err(KmsError::CustomKeyStoreNotFound(format!(
                    "Custom key store with name '{name}' does not exist."
                )));
            }
        }
        let start = index_marker(req.marker.as_deref(), stores.len())?;
        let end = (start + page_limit(req.limit, 100)).min(stores.len());
        let truncated = end < stores.len();
        Ok(DescribeCustomKeyStoresResponse {
            custom_key_stores: stores[start..end].iter().map(|s| entry(s)).collect(),
            next_marker: truncated.then(|| end.to_string()),
            truncated,
        })
    }

    /// Changes a store's name (in any state; also an external store's proxy credential and
    /// URI path) or, while it is `DISCONNECTED`, its other settings.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.UpdateCustomKeyStore
    /// {"CustomKeyStoreId":"cks-...","NewCustomKeyStoreName":"renamed"}
    /// ```
    /// # Errors
    /// `CustomKeyStoreNotFoundException`, `CustomKeyStoreNameInUseException`,
    /// `CustomKeyStoreInvalidStateException`, the `...InUseException`s of
    /// CreateCustomKeyStore, `ValidationException`.
    pub fn update_custom_key_store(
        &self,
        scope: &Scope,
        req: UpdateCustomKeyStoreRequest,
    ) -> Result<Empty, KmsError> {
        let mut v = Violations::new();
        v.required("customKeyStoreId", &req.custom_key_store_id);
        v.str_len(
            "customKeyStoreId",
            req.custom_key_store_id.as_deref(),
            1,
            64,
        );
        v.str_len(
            "newCustomKeyStoreName",
            req.new_custom_key_store_name.as_deref(),
            1,
            256,
        );
        cloud_hsm_members(
            &mut v,
            req.cloud_hsm_cluster_id.as_deref(),
            req.key_store_password.as_ref(),
        );
        let xks = XksMembers {
            endpoint: req.xks_proxy_uri_endpoint.as_deref(),
            path: req.xks_proxy_uri_path.as_deref(),
            vpc_service: req.xks_proxy_vpc_endpoint_service_name.as_deref(),
            vpc_owner: req.xks_proxy_vpc_endpoint_service_owner.as_deref(),
            credential: req.xks_proxy_authentication_credential.as_ref(),
            connectivity: req.xks_proxy_connectivity.as_deref(),
        };
        xks.validate(&mut v);
        v.finish()?;
        let id = req.custom_key_store_id.as_deref().unwrap_or_default();
        self.update_key_store(scope, id, |store, state| {
            let hsm_change = req.cloud_hsm_cluster_id.is_some() || req.key_store_password.is_some();
            // What only a disconnected store may change.
            let needs_disconnected = hsm_change
                || xks.endpoint.is_some()
                || xks.vpc_service.is_some()
                || xks.vpc_owner.is_some()
                || xks.connectivity.is_some();
            match store.store_type {
                KeyStoreType::CloudHsm if xks.any() => {
                    return Err(KmsError::Validation(
                        "XksProxy parameters are valid only for a custom key store of type EXTERNAL_KEY_STORE.".into(),
                    ))
                }
                KeyStoreType::External if hsm_change => {
                    return Err(KmsError::Validation(
                        "CloudHsmClusterId and KeyStorePassword are valid only for a custom key store of type AWS_CLOUDHSM.".into(),
                    ))
                }
                _ => {}
            }
            if needs_disconnected && store.state != ConnectionState::Disconnected {
                return Err(KmsError::CustomKeyStoreInvalidState(format!(
                    "Custom key store {} must be DISCONNECTED to update these properties; its ConnectionState is {}.",
                    store.id,
                    store.state.as_str()
                )));
            }
            if let Some(name) = &req.new_custom_key_store_name {
                store.name = name.clone();
            }
            if let Some(cluster) = &req.cloud_hsm_cluster_id {
                store.cloud_hsm_cluster_id = Some(cluster.clone());
            }
            if let Some(proxy) = store.xks_proxy.as_mut() {
                xks.update(proxy)?;
            }
            check_unique(state, store)
        })?;
        Ok(Empty {})
    }

    /// Starts connecting a store: `CONNECTING`, then `CONNECTED` at the first scheduler sweep
    /// [`CONNECT_SECONDS`] later. A store already connected or connecting stays so.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.ConnectCustomKeyStore
    /// {"CustomKeyStoreId":"cks-..."}
    /// ```
    /// # Errors
    /// `CustomKeyStoreNotFoundException`, `CustomKeyStoreInvalidStateException` (`FAILED` or
    /// `DISCONNECTING`: disconnect it first), `ValidationException`.
    pub fn connect_custom_key_store(
        &self,
        scope: &Scope,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        let id = store_id_member(&req)?;
        let now = self.now();
        self.update_key_store(scope, id, |store, _| match store.state {
            ConnectionState::Connected | ConnectionState::Connecting => Ok(()),
            ConnectionState::Disconnected => {
                store.state = ConnectionState::Connecting;
                store.state_since = now;
                Ok(())
            }
            ConnectionState::Failed | ConnectionState::Disconnecting => {
                Err(KmsError::CustomKeyStoreInvalidState(format!(
                    "Custom key store {} is {}: disconnect it before you connect it again.",
                    store.id,
                    store.state.as_str()
                )))
            }
        })?;
        Ok(Empty {})
    }

    /// Disconnects a store: its keys are `Unavailable` until it is connected again.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DisconnectCustomKeyStore
    /// {"CustomKeyStoreId":"cks-..."}
    /// ```
    /// # Errors
    /// `CustomKeyStoreNotFoundException`, `CustomKeyStoreInvalidStateException` (already
    /// disconnected), `ValidationException`.
    pub fn disconnect_custom_key_store(
        &self,
        scope: &Scope,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        let id = store_id_member(&req)?;
        let now = self.now();
        self.update_key_store(scope, id, |store, _| match store.state {
            ConnectionState::Disconnected | ConnectionState::Disconnecting => {
                Err(KmsError::CustomKeyStoreInvalidState(format!(
                    "Custom key store {} is already {}.",
                    store.id,
                    store.state.as_str()
                )))
            }
            _ => {
                store.state = ConnectionState::Disconnected;
                store.state_since = now;
                store.error_code = None;
                Ok(())
            }
        })?;
        Ok(Empty {})
    }

    /// Deletes a `DISCONNECTED` store that holds no keys (not even keys pending deletion).
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.DeleteCustomKeyStore
    /// {"CustomKeyStoreId":"cks-..."}
    /// ```
    /// # Errors
    /// `CustomKeyStoreNotFoundException`, `CustomKeyStoreInvalidStateException`,
    /// `CustomKeyStoreHasCMKsException`, `ValidationException`.
    pub fn delete_custom_key_store(
        &self,
        scope: &Scope,
        req: CustomKeyStoreIdRequest,
    ) -> Result<Empty, KmsError> {
        let id = store_id_member(&req)?;
        let _no_reset = self.no_reset_guard();
        let state = self.scope_state(scope).ok_or_else(|| store_not_found(id))?;
        let _stores = state.key_store_guard();
        let store = state
            .key_stores
            .get(id)
            .map(|s| Arc::clone(&s))
            .ok_or_else(|| store_not_found(id))?;
        if store.state != ConnectionState::Disconnected {
            return Err(KmsError::CustomKeyStoreInvalidState(format!(
                "Custom key store {id} must be DISCONNECTED to be deleted; its ConnectionState is {}.",
                store.state.as_str()
            )));
        }
        if keys_in(&state, id) > 0 {
            return Err(KmsError::CustomKeyStoreHasCmks(format!(
                "Custom key store {id} contains KMS keys. Schedule their deletion and wait until they are deleted before you delete the custom key store."
            )));
        }
        self.commit(&[Change::DeleteKeyStore(scope, id)])?;
        state.key_stores.remove(id);
        Ok(Empty {})
    }

    /// Drops or fails a store's connection, as a network fault, an expired credential or a
    /// lost HSM would (a test's fault injection; the emulator's admin API calls it): with
    /// `error_code` (one of [`CONNECTION_ERROR_CODES`]) the store is `FAILED` with that
    /// `ConnectionErrorCode`, without one `DISCONNECTED`. Its keys are `Unavailable` either way.
    ///
    /// ```
    /// use kms_api::wire::custom_key_stores::*;
    /// let kms = kms_api::Kms::new();
    /// let scope = kms_api::Scope::new("111122223333", "us-east-1");
    /// let id = kms.create_custom_key_store(&scope, CreateCustomKeyStoreRequest {
    ///     custom_key_store_name: Some("hsm".into()),
    ///     cloud_hsm_cluster_id: Some("cluster-234567abcdefg".into()),
    ///     trust_anchor_certificate: Some("cert".into()),
    ///     key_store_password: Some(kms_api::Secret::from_slice(b"kmsuser-pw")),
    ///     ..Default::default()
    /// }).unwrap().custom_key_store_id;
    /// kms.set_key_store_connection(&scope, &id, Some("NETWORK_ERRORS")).unwrap();
    /// let listed = kms.describe_custom_key_stores(&scope, Default::default()).unwrap();
    /// assert_eq!(listed.custom_key_stores[0].connection_state, "FAILED");
    /// ```
    ///
    /// # Errors
    /// `CustomKeyStoreNotFoundException`; `ValidationException` for an unknown error code.
    pub fn set_key_store_connection(
        &self,
        scope: &Scope,
        id: &str,
        error_code: Option<&str>,
    ) -> Result<(), KmsError> {
        if let Some(code) = error_code.filter(|c| !CONNECTION_ERROR_CODES.contains(c)) {
            return Err(KmsError::Validation(format!(
                "{code} is not a ConnectionErrorCode; use one of {CONNECTION_ERROR_CODES:?}."
            )));
        }
        let now = self.now();
        self.update_key_store(scope, id, |store, _| {
            store.state = if error_code.is_some() {
                ConnectionState::Failed
            } else {
                ConnectionState::Disconnected
            };
            store.error_code = error_code.map(str::to_owned);
            store.state_since = now;
            Ok(())
        })
    }

    /// Completes the connections that have taken [`CONNECT_SECONDS`] (each sweep of the
    /// scheduler does this); returns how many stores connected.
    pub fn settle_key_store_connections(&self) -> usize {
        let due =
            crate::clock::saturating_add(self.now(), chrono::Duration::seconds(-CONNECT_SECONDS));
        let mut connected = 0;
        for (scope, state) in self.scopes_with_state() {
            let connecting: Vec<String> = state
                .key_stores
                .iter()
                .filter(|s| s.state == ConnectionState::Connecting && s.state_since <= due)
                .map(|s| s.id.clone())
                .collect();
            for id in connecting {
                let result = self.update_key_store(&scope, &id, |store, _| {
                    if store.state == ConnectionState::Connecting {
                        store.state = ConnectionState::Connected;
                        store.state_since = due;
                    }
                    Ok(())
                });
                match result {
                    Ok(()) => connected += 1,
                    Err(e) => {
                        tracing::warn!(store = %id, error = %e, "could not complete a custom key store connection; retrying next sweep")
                    }
                }
            }
        }
        connected
    }

    /// Changes a store: `f` edits a copy (and may refuse); the copy replaces the store once
    /// the persistence hook accepted it, and its keys see its new connection state then.
    fn update_key_store(
        &self,
        scope: &Scope,
        id: &str,
        f: impl FnOnce(&mut CustomKeyStore, &ScopeState) -> Result<(), KmsError>,
    ) -> Result<(), KmsError> {
        let _no_reset = self.no_reset_guard();
        let state = self.scope_state(scope).ok_or_else(|| store_not_found(id))?;
        let _stores = state.key_store_guard();
        let current = state
            .key_stores
            .get(id)
            .map(|s| Arc::clone(&s))
            .ok_or_else(|| store_not_found(id))?;
        let mut next = CustomKeyStore::clone(&current);
        f(&mut next, &state)?;
        self.commit(&[Change::PutKeyStore(scope, &next)])?;
        next.relink();
        state.key_stores.insert(next.id.clone(), Arc::new(next));
        Ok(())
    }
}

/// CreateKey's rules for a key in a custom key store, before anything is generated: origin
/// `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE` with a `CustomKeyStoreId` (and an `XksKeyId` for an
/// external store), a symmetric encryption key, single-Region. Returns the store's ID.
pub(crate) fn check_new_key_in_store<'a>(
    origin: Origin,
    spec: KeySpec,
    usage: KeyUsage,
    store_id: Option<&'a str>,
    xks_key_id: Option<&str>,
    multi_region: bool,
) -> Result<Option<&'a str>, KmsError> {
    let mut v = Violations::new();
    v.str_len("customKeyStoreId", store_id, 1, 64);
    v.str_len("xksKeyId", xks_key_id, 1, 128);
    v.pattern("xksKeyId", xks_key_id, "^[a-zA-Z0-9-_.]+$", |x| {
        x.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    v.finish()?;
    let in_store = matches!(origin, Origin::AwsCloudhsm | Origin::ExternalKeyStore);
    if !in_store {
        if store_id.is_some() || xks_key_id.is_some() {
            return Err(KmsError::Validation(format!(
                "CustomKeyStoreId and XksKeyId are valid only for a KMS key with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE, not {origin}."
            )));
        }
        return Ok(None);
    }
    let Some(store_id) = store_id else {
        return Err(KmsError::Validation(format!(
            "A KMS key with Origin {origin} needs a CustomKeyStoreId."
        )));
    };
    if xks_key_id.is_some() != (origin == Origin::ExternalKeyStore) {
        return Err(KmsError::Validation(
            "XksKeyId is required for, and valid only for, a KMS key with Origin EXTERNAL_KEY_STORE.".into(),
        ));
    }
    if spec != KeySpec::SymmetricDefault || usage != KeyUsage::EncryptDecrypt {
        return Err(KmsError::UnsupportedOperation(format!(
            "KeySpec {spec} is not supported for KMS keys with {origin} origin: a custom key store holds only symmetric encryption keys."
        )));
    }
    if multi_region {
        return Err(KmsError::UnsupportedOperation(
            "You cannot create a multi-Region key in a custom key store.".into(),
        ));
    }
    Ok(Some(store_id))
}

/// A new key's place in the store `id` of `state`: the store must exist, match the key's
/// origin and be `CONNECTED`, and an external key may back one KMS key only. Call with the
/// scope's key store lock held.
pub(crate) fn membership(
    state: &ScopeState,
    id: &str,
    origin: Origin,
    xks_key_id: Option<&str>,
) -> Result<StoreMembership, KmsError> {
    let store = state
        .key_stores
        .get(id)
        .map(|s| Arc::clone(&s))
        .ok_or_else(|| store_not_found(id))?;
    let wanted = match store.store_type {
        KeyStoreType::CloudHsm => Origin::AwsCloudhsm,
        KeyStoreType::External => Origin::ExternalKeyStore,
    };
    if origin != wanted {
        return Err(KmsError::UnsupportedOperation(format!(
            "Custom key store {id} is of type {}: its KMS keys have Origin {wanted}, not {origin}.",
            store.store_type.as_str()
        )));
    }
    if store.state != ConnectionState::Connected {
        return Err(KmsError::CustomKeyStoreInvalidState(format!(
            "Custom key store {id} is not connected (its ConnectionState is {}): connect it before you create KMS keys in it.",
            store.state.as_str()
        )));
    }
    if let Some(xks) = xks_key_id {
        let taken = state.keys.iter().find(|k| {
            k.custom_key_store
                .as_ref()
                .is_some_and(|m| m.link.id() == id && m.xks_key_id.as_deref() == Some(xks))
        });
        if let Some(other) = taken {
            return Err(KmsError::XksKeyAlreadyInUse(format!(
                "External key {xks} is already associated with KMS key {} in custom key store {id}.",
                other.arn()
            )));
        }
    }
    Ok(StoreMembership {
        link: Arc::clone(store.link()),
        xks_key_id: xks_key_id.map(str::to_owned),
    })
}

/// GenerateRandom's `CustomKeyStoreId`: a connected CloudHSM key store of the scope.
pub(crate) fn check_random_source(kms: &Kms, scope: &Scope, id: &str) -> Result<(), KmsError> {
    let store = kms
        .scope_state(scope)
        .and_then(|s| s.key_stores.get(id).map(|s| Arc::clone(&s)))
        .ok_or_else(|| store_not_found(id))?;
    if store.store_type != KeyStoreType::CloudHsm {
        return Err(KmsError::UnsupportedOperation(format!(
            "GenerateRandom takes a CloudHSM key store; {id} is an external key store."
        )));
    }
    if store.state != ConnectionState::Connected {
        return Err(KmsError::CustomKeyStoreInvalidState(format!(
            "Custom key store {id} is not connected (its ConnectionState is {}).",
            store.state.as_str()
        )));
    }
    Ok(())
}

/// `CustomKeyStoreNotFoundException` for the store `id`.
pub(crate) fn store_not_found(id: &str) -> KmsError {
    KmsError::CustomKeyStoreNotFound(format!("Custom key store '{id}' does not exist."))
}

/// How many keys of `state` are in the store `id` (in any key state).
pub(crate) fn keys_in(state: &ScopeState, id: &str) -> usize {
    state
        .keys
        .iter()
        .filter(|k| {
            k.custom_key_store
                .as_ref()
                .is_some_and(|m| m.link.id() == id)
        })
        .count()
}

/// The one `CustomKeyStoreId` member of Connect, Disconnect and Delete.
fn store_id_member(req: &CustomKeyStoreIdRequest) -> Result<&str, KmsError> {
    let mut v = Violations::new();
    v.required("customKeyStoreId", &req.custom_key_store_id);
    v.str_len(
        "customKeyStoreId",
        req.custom_key_store_id.as_deref(),
        1,
        64,
    );
    v.finish()?;
    Ok(req.custom_key_store_id.as_deref().unwrap_or_default())
}

/// The model's constraints on the CloudHSM members.
fn cloud_hsm_members(v: &mut Violations, cluster: Option<&str>, password: Option<&crate::Secret>) {
    v.str_len("cloudHsmClusterId", cluster, 19, 24);
    v.pattern(
        "cloudHsmClusterId",
        cluster,
        "cluster-[2-7a-zA-Z]{11,16}",
        |c| {
            c.strip_prefix("cluster-").is_some_and(|rest| {
                (11..=16).contains(&rest.len())
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphabetic() || (b'2'..=b'7').contains(&b))
            })
        },
    );
    if let Some(p) = password {
        // Never quoted: AWS's message would show the value.
        if !(7..=32).contains(&p.len()) {
            v.push_raw(format!(
                "Value at 'keyStorePassword' failed to satisfy constraint: Member must have length {}",
                if p.len() < 7 {
                    "greater than or equal to 7"
                } else {
                    "less than or equal to 32"
                }
            ));
        }
    }
}

/// The XKS proxy members of CreateCustomKeyStore and UpdateCustomKeyStore.
struct XksMembers<'a> {
    endpoint: Option<&'a str>,
    path: Option<&'a str>,
    vpc_service: Option<&'a str>,
    vpc_owner: Option<&'a str>,
    credential: Option<&'a XksProxyAuthenticationCredential>,
    connectivity: Option<&'a str>,
}

impl XksMembers<'_> {
    fn any(&self) -> bool {
        self.endpoint.is_some()
            || self.path.is_some()
            || self.vpc_service.is_some()
            || self.vpc_owner.is_some()
            || self.credential.is_some()
            || self.connectivity.is_some()
    }

    fn validate(&self, v: &mut Violations) {
        v.str_len("xksProxyUriEndpoint", self.endpoint, 10, 128);
        v.pattern(
            "xksProxyUriEndpoint",
            self.endpoint,
            "^https://[a-zA-Z0-9.-]+$",
            |e| {
                e.strip_prefix("https://").is_some_and(|host| {
                    !host.is_empty()
                        && host
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
                })
            },
        );
        v.str_len("xksProxyUriPath", self.path, 10, 128);
        v.pattern(
            "xksProxyUriPath",
            self.path,
            "^(/[a-zA-Z0-9\\/_-]+/kms/xks/v\\d{1,2})$|^(/kms/xks/v\\d{1,2})$",
            is_xks_path,
        );
        v.str_len("xksProxyVpcEndpointServiceName", self.vpc_service, 20, 64);
        v.str_len("xksProxyVpcEndpointServiceOwner", self.vpc_owner, 12, 12);
        v.pattern(
            "xksProxyVpcEndpointServiceOwner",
            self.vpc_owner,
            "[0-9]{12}",
            |o| o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()),
        );
        if self
            .connectivity
            .is_some_and(|c| !matches!(c, "PUBLIC_ENDPOINT" | "VPC_ENDPOINT_SERVICE"))
        {
            v.push_raw(format!(
                "Value '{}' at 'xksProxyConnectivity' failed to satisfy constraint: Member must satisfy enum value set: [PUBLIC_ENDPOINT, VPC_ENDPOINT_SERVICE]",
                self.connectivity.unwrap_or_default()
            ));
        }
        if let Some(c) = self.credential {
            v.required(
                "xksProxyAuthenticationCredential.accessKeyId",
                &c.access_key_id,
            );
            v.str_len(
                "xksProxyAuthenticationCredential.accessKeyId",
                c.access_key_id.as_deref(),
                20,
                30,
            );
            v.pattern(
                "xksProxyAuthenticationCredential.accessKeyId",
                c.access_key_id.as_deref(),
                "^[A-Z2-7]+$",
                |k| {
                    k.bytes()
                        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                },
            );
            match &c.raw_secret_access_key {
                None => {
                    v.required::<()>("xksProxyAuthenticationCredential.rawSecretAccessKey", &None)
                }
                Some(secret) => {
                    let ok_chars = secret
                        .expose()
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || b"/+=".contains(b));
                    if !(43..=64).contains(&secret.len()) || !ok_chars {
                        v.push_raw("Value at 'xksProxyAuthenticationCredential.rawSecretAccessKey' failed to satisfy constraint: Member must have length between 43 and 64 and satisfy regular expression pattern: ^[a-zA-Z0-9\\/+=]+$".into());
                    }
                }
            }
        }
    }

    /// A new store's proxy: every member the connectivity needs.
    fn proxy(&self) -> Result<XksProxy, KmsError> {
        let (Some(endpoint), Some(path), Some(credential), Some(connectivity)) =
            (self.endpoint, self.path, self.credential, self.connectivity)
        else {
            return Err(KmsError::Validation(
                "XksProxyUriEndpoint, XksProxyUriPath, XksProxyAuthenticationCredential and XksProxyConnectivity are required for a custom key store of type EXTERNAL_KEY_STORE.".into(),
            ));
        };
        let mut proxy = XksProxy {
            connectivity: connectivity.to_owned(),
            access_key_id: credential.access_key_id.clone().unwrap_or_default(),
            uri_endpoint: endpoint.to_owned(),
            uri_path: path.to_owned(),
            vpc_endpoint_service_name: self.vpc_service.map(str::to_owned),
            vpc_endpoint_service_owner: self.vpc_owner.map(str::to_owned),
        };
        check_connectivity(&mut proxy)?;
        Ok(proxy)
    }

    /// Applies the members given to an existing proxy.
    fn update(&self, proxy: &mut XksProxy) -> Result<(), KmsError> {
        if let Some(e) = self.endpoint {
            proxy.uri_endpoint = e.to_owned();
        }
        if let Some(p) = self.path {
            proxy.uri_path = p.to_owned();
        }
        if let Some(c) = self.credential {
            proxy.access_key_id = c.access_key_id.clone().unwrap_or_default();
        }
        if let Some(c) = self.connectivity {
            proxy.connectivity = c.to_owned();
        }
        if let Some(s) = self.vpc_service {
            proxy.vpc_endpoint_service_name = Some(s.to_owned());
        }
        if let Some(o) = self.vpc_owner {
            proxy.vpc_endpoint_service_owner = Some(o.to_owned());
        }
        check_connectivity(proxy)
    }
}

/// `VPC_ENDPOINT_SERVICE` needs an endpoint service; `PUBLIC_ENDPOINT` takes none.
fn check_connectivity(proxy: &mut XksProxy) -> Result<(), KmsError> {
    match proxy.connectivity.as_str() {
        "VPC_ENDPOINT_SERVICE" if proxy.vpc_endpoint_service_name.is_none() => {
            Err(KmsError::Validation(
                "XksProxyVpcEndpointServiceName is required when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.".into(),
            ))
        }
        "PUBLIC_ENDPOINT" if proxy.vpc_endpoint_service_name.is_some() => {
            Err(KmsError::Validation(
                "XksProxyVpcEndpointServiceName is valid only when XksProxyConnectivity is VPC_ENDPOINT_SERVICE.".into(),
            ))
        }
        _ => Ok(()),
    }
}

/// `^(/[a-zA-Z0-9\/_-]+/kms/xks/v\d{1,2})$|^(/kms/xks/v\d{1,2})$`.
fn is_xks_path(p: &str) -> bool {
    let Some((prefix, version)) = p.rsplit_once("/kms/xks/v") else {
        return false;
    };
    let version_ok =
        (1..=2).contains(&version.len()) && version.bytes().all(|b| b.is_ascii_digit());
    let prefix_ok = prefix.is_empty()
        || (prefix.starts_with('/')
            && prefix.len() > 1
            && prefix[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b)));
    version_ok && prefix_ok
}

/// AWS's uniqueness rules within an account and Region: store names, CloudHSM clusters,
/// proxy URIs (endpoint and path), public proxy endpoints and VPC endpoint services.
fn check_unique(state: &ScopeState, store: &CustomKeyStore) -> Result<(), KmsError> {
    for other in state.key_stores.iter().filter(|o| o.id != store.id) {
        if other.name == store.name {
            return Err(KmsError::CustomKeyStoreNameInUse(format!(
                "Custom key store name '{}' is already in use in this account and Region.",
                store.name
            )));
        }
        if store.cloud_hsm_cluster_id.is_some()
            && other.cloud_hsm_cluster_id == store.cloud_hsm_cluster_id
        {
            return Err(KmsError::CloudHsmClusterInUse(format!(
                "CloudHSM cluster {} is already associated with custom key store {}.",
                store.cloud_hsm_cluster_id.as_deref().unwrap_or_default(),
                other.id
            )));
        }
        let (Some(mine), Some(theirs)) = (&store.xks_proxy, &other.xks_proxy) else {
            continue;
        };
        if mine.uri_endpoint == theirs.uri_endpoint && mine.uri_path == theirs.uri_path {
            return Err(KmsError::XksProxyUriInUse(format!(
                "The proxy URI {}{} is already associated with custom key store {}.",
                mine.uri_endpoint, mine.uri_path, other.id
            )));
        }
        if mine.connectivity == "PUBLIC_ENDPOINT"
            && theirs.connectivity == "PUBLIC_ENDPOINT"
            && mine.uri_endpoint == theirs.uri_endpoint
        {
            return Err(KmsError::XksProxyUriEndpointInUse(format!(
                "The proxy endpoint {} is already associated with custom key store {}.",
                mine.uri_endpoint, other.id
            )));
        }
        if mine.vpc_endpoint_service_name.is_some()
            && mine.vpc_endpoint_service_name == theirs.vpc_endpoint_service_name
        {
            return Err(KmsError::XksProxyVpcEndpointServiceInUse(format!(
                "The VPC endpoint service {} is already associated with custom key store {}.",
                mine.vpc_endpoint_service_name
                    .as_deref()
                    .unwrap_or_default(),
                other.id
            )));
        }
    }
    Ok(())
}

/// A store as DescribeCustomKeyStores lists it.
fn entry(store: &CustomKeyStore) -> CustomKeyStoresListEntry {
    CustomKeyStoresListEntry {
        custom_key_store_id: store.id.clone(),
        custom_key_store_name: store.name.clone(),
        cloud_hsm_cluster_id: store.cloud_hsm_cluster_id.clone(),
        trust_anchor_certificate: store.trust_anchor_certificate.clone(),
        connection_state: store.state.as_str().into(),
        connection_error_code: store.error_code.clone(),
        creation_date: store.created_at,
        custom_key_store_type: store.store_type.as_str().into(),
        xks_proxy_configuration: store.xks_proxy.as_ref().map(|p| XksProxyConfiguration {
            connectivity: p.connectivity.clone(),
            access_key_id: p.access_key_id.clone(),
            uri_endpoint: p.uri_endpoint.clone(),
            uri_path: p.uri_path.clone(),
            vpc_endpoint_service_name: p.vpc_endpoint_service_name.clone(),
            vpc_endpoint_service_owner: p.vpc_endpoint_service_owner.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xks_paths_follow_the_model_pattern() {
        for ok in [
            "/kms/xks/v1",
            "/example/prefix/kms/xks/v1",
            "/a_b-c/kms/xks/v12",
        ] {
            assert!(is_xks_path(ok), "{ok}");
        }
        for bad in [
            "kms/xks/v1",
            "/kms/xks/v",
            "/kms/xks/v123",
            "//kms/xks/v1x",
            "/a b/kms/xks/v1",
            "/kms/xks/v1/",
        ] {
            assert!(!is_xks_path(bad), "{bad}");
        }
    }
}
