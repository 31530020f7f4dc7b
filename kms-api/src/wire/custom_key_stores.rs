//! Wire types of the custom key store operations: CreateCustomKeyStore,
//! DescribeCustomKeyStores, UpdateCustomKeyStore, ConnectCustomKeyStore,
//! DisconnectCustomKeyStore, DeleteCustomKeyStore.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `XksProxyAuthenticationCredential`: the proxy's SigV4 credential. Its secret is checked
/// for shape and then dropped: no proxy is ever called, so nothing keeps it.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct XksProxyAuthenticationCredential {
    /// 20..=30 characters of `[A-Z2-7]`.
    pub access_key_id: Option<String>,
    /// 43..=64 characters of `[a-zA-Z0-9/+=]`.
    #[serde(default, deserialize_with = "super::secret_text_opt::deserialize")]
    pub raw_secret_access_key: Option<crate::Secret>,
}

redacted_debug!(XksProxyAuthenticationCredential { access_key_id } secret { raw_secret_access_key });

/// CreateCustomKeyStore input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateCustomKeyStoreRequest {
    /// A name unique in the account and Region.
    pub custom_key_store_name: Option<String>,
    /// The CloudHSM cluster (`AWS_CLOUDHSM`).
    pub cloud_hsm_cluster_id: Option<String>,
    /// The cluster's trust anchor certificate, PEM (`AWS_CLOUDHSM`).
    pub trust_anchor_certificate: Option<String>,
    /// The `kmsuser` password (`AWS_CLOUDHSM`); checked for length, never kept.
    #[serde(default, deserialize_with = "super::secret_text_opt::deserialize")]
    pub key_store_password: Option<crate::Secret>,
    /// `AWS_CLOUDHSM` (default) or `EXTERNAL_KEY_STORE`.
    pub custom_key_store_type: Option<String>,
    /// `https://...` (`EXTERNAL_KEY_STORE`).
    pub xks_proxy_uri_endpoint: Option<String>,
    /// `/.../kms/xks/v1` (`EXTERNAL_KEY_STORE`).
    pub xks_proxy_uri_path: Option<String>,
    /// For `VPC_ENDPOINT_SERVICE` connectivity.
    pub xks_proxy_vpc_endpoint_service_name: Option<String>,
    /// The endpoint service's account.
    pub xks_proxy_vpc_endpoint_service_owner: Option<String>,
    /// The proxy's credential.
    pub xks_proxy_authentication_credential: Option<XksProxyAuthenticationCredential>,
    /// `PUBLIC_ENDPOINT` or `VPC_ENDPOINT_SERVICE`.
    pub xks_proxy_connectivity: Option<String>,
}

/// CreateCustomKeyStore output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateCustomKeyStoreResponse {
    /// `cks-` and 17 hex digits.
    pub custom_key_store_id: String,
}

/// The input of the operations that name one store (Connect, Disconnect, Delete).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CustomKeyStoreIdRequest {
    /// The store.
    pub custom_key_store_id: Option<String>,
}

/// DescribeCustomKeyStores input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeCustomKeyStoresRequest {
    /// Only this store.
    pub custom_key_store_id: Option<String>,
    /// Only the store of this name.
    pub custom_key_store_name: Option<String>,
    /// Page size, 1..=1000.
    pub limit: Option<i64>,
    /// `NextMarker` of the previous page.
    pub marker: Option<String>,
}

/// `XksProxyConfiguration` of an external key store (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct XksProxyConfiguration {
    pub connectivity: String,
    pub access_key_id: String,
    pub uri_endpoint: String,
    pub uri_path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_service_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_service_owner: Option<String>,
}

/// One custom key store as DescribeCustomKeyStores lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct CustomKeyStoresListEntry {
    pub custom_key_store_id: String,
    pub custom_key_store_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_hsm_cluster_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_anchor_certificate: Option<String>,
    pub connection_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_error_code: Option<String>,
    #[serde(serialize_with = "super::epoch::serialize")]
    pub creation_date: DateTime<Utc>,
    pub custom_key_store_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xks_proxy_configuration: Option<XksProxyConfiguration>,
}

/// DescribeCustomKeyStores output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeCustomKeyStoresResponse {
    /// This page.
    pub custom_key_stores: Vec<CustomKeyStoresListEntry>,
    /// Where the next page starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// Whether there is a next page.
    pub truncated: bool,
}

/// UpdateCustomKeyStore input.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(missing_docs)]
pub struct UpdateCustomKeyStoreRequest {
    pub custom_key_store_id: Option<String>,
    pub new_custom_key_store_name: Option<String>,
    /// Checked for length, never kept.
    #[serde(default, deserialize_with = "super::secret_text_opt::deserialize")]
    pub key_store_password: Option<crate::Secret>,
    pub cloud_hsm_cluster_id: Option<String>,
    pub xks_proxy_uri_endpoint: Option<String>,
    pub xks_proxy_uri_path: Option<String>,
    pub xks_proxy_vpc_endpoint_service_name: Option<String>,
    pub xks_proxy_vpc_endpoint_service_owner: Option<String>,
    pub xks_proxy_authentication_credential: Option<XksProxyAuthenticationCredential>,
    pub xks_proxy_connectivity: Option<String>,
}

redacted_debug!(CreateCustomKeyStoreRequest {
    custom_key_store_name, cloud_hsm_cluster_id, trust_anchor_certificate, custom_key_store_type,
    xks_proxy_uri_endpoint, xks_proxy_uri_path, xks_proxy_vpc_endpoint_service_name,
    xks_proxy_vpc_endpoint_service_owner, xks_proxy_authentication_credential,
    xks_proxy_connectivity
} secret { key_store_password });
redacted_debug!(UpdateCustomKeyStoreRequest {
    custom_key_store_id, new_custom_key_store_name, cloud_hsm_cluster_id, xks_proxy_uri_endpoint,
    xks_proxy_uri_path, xks_proxy_vpc_endpoint_service_name, xks_proxy_vpc_endpoint_service_owner,
    xks_proxy_authentication_credential, xks_proxy_connectivity
} secret { key_store_password });
