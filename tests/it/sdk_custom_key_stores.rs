//! Custom key stores through the official `aws-sdk-kms` client: an external key store and a
//! key in it, connection on the emulated clock, a dropped connection injected through the
//! admin API (`POST /_kms/custom-key-stores/disconnect`), and a store with its key surviving a
//! restart of a durable server.

use crate::common;

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoreType, KeyState, OriginType,
    XksProxyAuthenticationCredentialType, XksProxyConnectivityType,
};
use common::*;

async fn create_external_store(client: &Client) -> String {
    client
        .create_custom_key_store()
        .custom_key_store_name("xks")
        .custom_key_store_type(CustomKeyStoreType::ExternalKeyStore)
        .xks_proxy_uri_endpoint("https://xks.example.com")
        .xks_proxy_uri_path("/kms/xks/v1")
        .xks_proxy_connectivity(XksProxyConnectivityType::PublicEndpoint)
        .xks_proxy_authentication_credential(
            XksProxyAuthenticationCredentialType::builder()
                .access_key_id("ABCDEFGHIJKLMNOPQRST")
                .raw_secret_access_key("a".repeat(43))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .custom_key_store_id()
        .unwrap()
        .to_owned()
}

async fn connection_state(client: &Client, id: &str) -> ConnectionStateType {
    client
        .describe_custom_key_stores()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap()
        .custom_key_stores()[0]
        .connection_state()
        .unwrap()
        .clone()
}

async fn key_state(client: &Client, key_id: &str) -> KeyState {
    client
        .describe_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

async fn connect(server: &kms_emulator::RunningServer, client: &Client, id: &str) {
    client
        .connect_custom_key_store()
        .custom_key_store_id(id)
        .send()
        .await
        .unwrap();
    advance_clock(server, 2).await;
    assert_eq!(
        connection_state(client, id).await,
        ConnectionStateType::Connected
    );
}

#[tokio::test]
async fn an_external_key_store_connects_holds_a_key_and_fails_on_demand() {
    let (server, client) = setup().await;
    let id = create_external_store(&client).await;
    assert_eq!(
        connection_state(&client, &id).await,
        ConnectionStateType::Disconnected
    );
    let (code, _) = expect_err(
        client
            .create_key()
            .origin(OriginType::ExternalKeyStore)
            .custom_key_store_id(&id)
            .xks_key_id("ext-1")
            .send()
            .await,
    );
    assert_eq!(code, "CustomKeyStoreInvalidStateException");
    connect(&server, &client, &id).await;
    let md = client
        .create_key()
        .origin(OriginType::ExternalKeyStore)
        .custom_key_store_id(&id)
        .xks_key_id("ext-1")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap();
    assert_eq!(md.origin(), Some(&OriginType::ExternalKeyStore));
    assert_eq!(md.custom_key_store_id(), Some(id.as_str()));
    assert_eq!(
        md.xks_key_configuration().and_then(|x| x.id()),
        Some("ext-1")
    );
    let sealed = client
        .encrypt()
        .key_id(md.key_id())
        .plaintext(Blob::new("held by the proxy"))
        .send()
        .await
        .unwrap();

    // The admin API fails the connection as a lost proxy would.
    let body =
        format!(r#"{{"CustomKeyStoreId":"{id}","ConnectionErrorCode":"XKS_PROXY_TIMED_OUT"}}"#);
    let resp = http_request(
        &server,
        "POST",
        "/_kms/custom-key-stores/disconnect",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let store = client
        .describe_custom_key_stores()
        .send()
        .await
        .unwrap()
        .custom_key_stores()[0]
        .clone();
    assert_eq!(store.connection_state(), Some(&ConnectionStateType::Failed));
    assert_eq!(
        store.connection_error_code(),
        Some(&ConnectionErrorCodeType::XksProxyTimedOut)
    );
    assert_eq!(key_state(&client, md.key_id()).await, KeyState::Unavailable);
    assert_err(
        client
            .decrypt()
            .ciphertext_blob(sealed.ciphertext_blob().unwrap().clone())
            .send()
            .await,
        "KMSInvalidStateException",
        &format!("{} is unavailable.", md.arn().unwrap()),
    );
    let missing = http_request(
        &server,
        "POST",
        "/_kms/custom-key-stores/disconnect",
        &[("Content-Type", "application/json")],
        br#"{"CustomKeyStoreId":"cks-00000000000000000"}"#,
    )
    .await;
    assert_eq!(missing.status, 404);

    // Recovery as AWS documents it: disconnect, then connect.
    client
        .disconnect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    connect(&server, &client, &id).await;
    let opened = client
        .decrypt()
        .ciphertext_blob(sealed.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"held by the proxy");
    server.shutdown().await;
}

#[tokio::test]
async fn a_key_store_and_its_keys_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!("kms-cks-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let server = durable_server(&dir, 6).await;
    let client = client(&server);
    let id = create_external_store(&client).await;
    connect(&server, &client, &id).await;
    let key_id = client
        .create_key()
        .origin(OriginType::ExternalKeyStore)
        .custom_key_store_id(&id)
        .xks_key_id("ext-1")
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .key_id()
        .to_owned();
    let sealed = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("kept"))
        .send()
        .await
        .unwrap();
    server.shutdown().await;

    let server = durable_server(&dir, 6).await;
    let client = common::client(&server);
    assert_eq!(
        connection_state(&client, &id).await,
        ConnectionStateType::Connected
    );
    assert_eq!(key_state(&client, &key_id).await, KeyState::Enabled);
    let opened = client
        .decrypt()
        .ciphertext_blob(sealed.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.plaintext().unwrap().as_ref(), b"kept");
    // The restored key follows its restored store: disconnected, it is Unavailable.
    client
        .disconnect_custom_key_store()
        .custom_key_store_id(&id)
        .send()
        .await
        .unwrap();
    assert_eq!(key_state(&client, &key_id).await, KeyState::Unavailable);
    server.shutdown().await;

    let server = durable_server(&dir, 6).await;
    let client = common::client(&server);
    assert_eq!(key_state(&client, &key_id).await, KeyState::Unavailable);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
