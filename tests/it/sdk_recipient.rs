//! The `Recipient` parameter through the official `aws-sdk-kms` client: with a Nitro
//! attestation document (CBOR COSE_Sign1 built here) GenerateDataKey and Decrypt answer
//! `CiphertextForRecipient`, a CMS EnvelopedData, and no plaintext. The envelope's contents are
//! checked independently in `tests/python/test_recipient.py` (asn1crypto and cryptography).

use crate::common;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{DataKeySpec, KeyEncryptionMechanism, RecipientInfo};
use ciborium::Value;
use common::*;

/// id-envelopedData (1.2.840.113549.1.7.3) as DER content octets.
const ID_ENVELOPED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];

fn attestation_document(spki: &[u8]) -> Vec<u8> {
    let payload = Value::Map(vec![
        (
            Value::Text("module_id".into()),
            Value::Text("i-0abc-enc0def".into()),
        ),
        (Value::Text("digest".into()), Value::Text("SHA384".into())),
        (
            Value::Text("public_key".into()),
            Value::Bytes(spki.to_vec()),
        ),
    ]);
    let mut payload_bytes = Vec::new();
    ciborium::into_writer(&payload, &mut payload_bytes).unwrap();
    let cose = Value::Tag(
        18,
        Box::new(Value::Array(vec![
            Value::Bytes(vec![0xa1, 0x01, 0x38, 0x22]),
            Value::Map(vec![]),
            Value::Bytes(payload_bytes),
            Value::Bytes(vec![0; 96]),
        ])),
    );
    let mut out = Vec::new();
    ciborium::into_writer(&cose, &mut out).unwrap();
    out
}

#[tokio::test]
async fn a_recipient_gets_the_data_key_only_sealed_to_its_key() {
    let (server, client) = setup().await;
    let enclave = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let spki = enclave.public_key().as_der().unwrap();
    let recipient = RecipientInfo::builder()
        .attestation_document(Blob::new(attestation_document(spki.as_ref())))
        .key_encryption_algorithm(KeyEncryptionMechanism::RsaesOaepSha256)
        .build();
    let key_id = create_key(&client).await;
    let out = client
        .generate_data_key()
        .key_id(&key_id)
        .key_spec(DataKeySpec::Aes256)
        .recipient(recipient.clone())
        .send()
        .await
        .unwrap();
    assert!(out.plaintext().is_none());
    let sealed = out.ciphertext_for_recipient().unwrap().as_ref();
    assert_eq!(sealed[0], 0x30, "a DER SEQUENCE");
    assert!(
        sealed
            .windows(ID_ENVELOPED_DATA.len())
            .any(|w| w == ID_ENVELOPED_DATA)
    );
    let opened = client
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
        .recipient(recipient)
        .send()
        .await
        .unwrap();
    assert!(opened.plaintext().is_none());
    assert!(opened.ciphertext_for_recipient().is_some());
    // Without it, the same ciphertext decrypts to a 32-byte plaintext as usual.
    let plain = client
        .decrypt()
        .ciphertext_blob(out.ciphertext_blob().unwrap().clone())
        .send()
        .await
        .unwrap();
    assert_eq!(plain.plaintext().unwrap().as_ref().len(), 32);
    assert!(plain.ciphertext_for_recipient().is_none());
    server.shutdown().await;
}
