//! Custom key stores, emulated: [`CustomKeyStore`] is one CloudHSM or external key store of
//! an account and Region, with its settings and its connection state. No HSM or proxy is ever
//! reached: connecting takes [`CONNECT_SECONDS`] of the engine's clock and always succeeds
//! (a test can make it fail or drop through [`crate::Kms::set_key_store_connection`]).
//!
//! The keys of a store share its [`StoreLink`], whose `connected` flag the store sets: a
//! cryptographic operation with such a key reads one atomic, no lock, and finds the key
//! `Unavailable` while the store is not connected, as AWS does. Secrets given with a store
//! (the CloudHSM `kmsuser` password, the proxy's secret access key) are checked and dropped:
//! nothing here would use them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long ConnectCustomKeyStore stays `CONNECTING`, in seconds of the engine's clock; the
/// first scheduler sweep after that connects the store.
pub const CONNECT_SECONDS: i64 = 2;

/// The most custom key stores per account and Region (AWS's resource quota).
pub const MAX_KEY_STORES_PER_SCOPE: usize = 10;

/// `AWS_CLOUDHSM` or `EXTERNAL_KEY_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStoreType {
    /// Backed by a CloudHSM cluster.
    #[serde(rename = "AWS_CLOUDHSM")]
    CloudHsm,
    /// Backed by an external key manager through an XKS proxy.
    #[serde(rename = "EXTERNAL_KEY_STORE")]
    External,
}

impl KeyStoreType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CloudHsm => "AWS_CLOUDHSM",
            Self::External => "EXTERNAL_KEY_STORE",
        }
    }
}

/// `ConnectionState` of a custom key store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)]
pub enum ConnectionState {
    Connected,
    Connecting,
    Failed,
    Disconnected,
    Disconnecting,
}

impl ConnectionState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "CONNECTED",
            Self::Connecting => "CONNECTING",
            Self::Failed => "FAILED",
            Self::Disconnected => "DISCONNECTED",
            Self::Disconnecting => "DISCONNECTING",
        }
    }
}

/// An external key store's proxy settings (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct XksProxy {
    /// `PUBLIC_ENDPOINT` or `VPC_ENDPOINT_SERVICE`.
    pub connectivity: String,
    /// The proxy credential's access key ID.
    pub access_key_id: String,
    /// `https://...`.
    pub uri_endpoint: String,
    /// `/.../kms/xks/v1`.
    pub uri_path: String,
    /// The VPC endpoint service (`VPC_ENDPOINT_SERVICE` connectivity).
    pub vpc_endpoint_service_name: Option<String>,
    /// The VPC endpoint service's account.
    pub vpc_endpoint_service_owner: Option<String>,
}

/// What a store's keys share with it: its ID, its CloudHSM cluster, and whether it is
/// connected now.
#[derive(Debug)]
pub struct StoreLink {
    id: String,
    connected: AtomicBool,
    cluster_id: RwLock<Option<String>>,
}

impl StoreLink {
    /// A link to the store `id`, not connected (a key restored before its store is found).
    pub fn detached(id: &str) -> Arc<Self> {
        Arc::new(Self {
            id: id.to_owned(),
            connected: AtomicBool::new(false),
            cluster_id: RwLock::new(None),
        })
    }

    /// The store's ID.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The store's CloudHSM cluster (`AWS_CLOUDHSM` stores).
    pub fn cluster_id(&self) -> Option<String> {
        self.cluster_id
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether the store is connected now.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::Release);
    }
}

/// One custom key store.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomKeyStore {
    /// `cks-` and 17 hex digits.
    pub id: String,
    /// Unique in the account and Region.
    pub name: String,
    /// CloudHSM or external.
    pub store_type: KeyStoreType,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its connection state.
    pub state: ConnectionState,
    /// When the state last changed (a connection completes [`CONNECT_SECONDS`] after).
    pub state_since: DateTime<Utc>,
    /// Why the last connection failed (`FAILED` only).
    pub error_code: Option<String>,
    /// The CloudHSM cluster (`AWS_CLOUDHSM`).
    pub cloud_hsm_cluster_id: Option<String>,
    /// The cluster's trust anchor certificate (`AWS_CLOUDHSM`).
    pub trust_anchor_certificate: Option<String>,
    /// The proxy (`EXTERNAL_KEY_STORE`).
    pub xks_proxy: Option<XksProxy>,
    /// Shared with the store's keys; rebuilt on restore.
    #[serde(skip, default = "unlinked")]
    pub(crate) link: Arc<StoreLink>,
}

fn unlinked() -> Arc<StoreLink> {
    StoreLink::detached("")
}

impl CustomKeyStore {
    /// The link its keys hold.
    pub fn link(&self) -> &Arc<StoreLink> {
        &self.link
    }

    /// Makes the link match the store (its ID, cluster, whether it is connected): after a
    /// restore, or once a change of the store was committed.
    pub(crate) fn relink(&mut self) {
        if self.link.id != self.id {
            self.link = StoreLink::detached(&self.id);
        }
        *self
            .link
            .cluster_id
            .write()
            .unwrap_or_else(|e| e.into_inner()) = self.cloud_hsm_cluster_id.clone();
        self.link
            .set_connected(self.state == ConnectionState::Connected);
    }
}

/// A key's place in a custom key store.
#[derive(Debug, Clone)]
pub struct StoreMembership {
    /// The store.
    pub link: Arc<StoreLink>,
    /// The external key (`EXTERNAL_KEY_STORE` keys).
    pub xks_key_id: Option<String>,
}
