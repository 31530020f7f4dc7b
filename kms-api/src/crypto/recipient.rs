//! The `Recipient` parameter (AWS Nitro Enclaves): the enclave's public key read from its
//! attestation document, and `CiphertextForRecipient`, the secret sealed to that key as AWS
//! seals it, a CMS (RFC 5652) `EnvelopedData`: the secret encrypted with AES-256-CBC
//! (PKCS#7 padding) under a fresh content key, and that key encrypted with RSAES-OAEP-SHA-256
//! under the enclave's key.
//!
//! An emulator cannot verify a real enclave: the attestation document is parsed (a CBOR
//! COSE_Sign1 whose payload is a map with the RSA `public_key` in DER), and its signature
//! and certificate chain are not checked.

use aws_lc_rs::cipher::{AES_256, EncryptionContext, PaddedBlockEncryptingKey, UnboundCipherKey};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use ciborium::Value;

use crate::error::KmsError;
use crate::random::RandomSource;
use crate::secret::Secret;
use crate::wire::crypto::RecipientInfo;

/// The only `KeyEncryptionAlgorithm` AWS accepts.
pub const KEY_ENCRYPTION_ALGORITHM: &str = "RSAES_OAEP_SHA_256";

/// The model's bound on `AttestationDocument`.
const MAX_DOCUMENT: usize = 262_144;

/// A response's recipient: the enclave's public key.
pub struct Recipient {
    key: OaepPublicEncryptingKey,
    /// `subjectKeyIdentifier` of the key (SHA-256 of its DER, first 20 bytes): the CMS
    /// recipient identifier, as no certificate comes with the key.
    key_id: [u8; 20],
}

impl std::fmt::Debug for Recipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipient").finish_non_exhaustive()
    }
}

/// The `Recipient` member of a request: `None` when it is absent; else its key, or AWS's
/// `ValidationException` for a missing or unreadable attestation document or another
/// algorithm.
pub fn parse(info: Option<&RecipientInfo>) -> Result<Option<Recipient>, KmsError> {
    let Some(info) = info else {
        return Ok(None);
    };
    if let Some(alg) = info.key_encryption_algorithm.as_deref() {
        if alg != KEY_ENCRYPTION_ALGORITHM {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{alg}' at 'recipient.keyEncryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [{KEY_ENCRYPTION_ALGORITHM}]"
            )));
        }
    }
    let document = info.attestation_document.as_deref().unwrap_or_default();
    if document.is_empty() || document.len() > MAX_DOCUMENT {
        return Err(KmsError::Validation(format!(
            "1 validation error detected: Value at 'recipient.attestationDocument' failed to satisfy constraint: Member must have length between 1 and {MAX_DOCUMENT}"
        )));
    }
    let spki = public_key_of(document).ok_or_else(|| {
        KmsError::Validation(
            "The attestation document is not valid: it must be a COSE_Sign1 document whose payload has an RSA public_key."
                .into(),
        )
    })?;
    let key = PublicEncryptingKey::from_der(&spki)
        .ok()
        .and_then(|k| OaepPublicEncryptingKey::new(k).ok())
        .ok_or_else(|| {
            KmsError::Validation(
                "The public key in the attestation document is not an RSA public key (SubjectPublicKeyInfo, DER)."
                    .into(),
            )
        })?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &spki);
    let mut key_id = [0u8; 20];
    key_id.copy_from_slice(&digest.as_ref()[..20]);
    Ok(Some(Recipient { key, key_id }))
}

/// The `public_key` of a Nitro attestation document: COSE_Sign1 (tag 18 or bare) =
/// `[protected, unprotected, payload, signature]`, payload = CBOR map.
fn public_key_of(document: &[u8]) -> Option<Vec<u8>> {
    let cose: Value = ciborium::from_reader(document).ok()?;
    let cose = match cose {
        Value::Tag(18, inner) => *inner,
        other => other,
    };
    let Value::Array(parts) = cose else {
        return None;
    };
    let [_, _, Value::Bytes(payload), _] = parts.as_slice() else {
        return None;
    };
    let Value::Map(fields) = ciborium::from_reader(payload.as_slice()).ok()? else {
        return None;
    };
    fields.into_iter().find_map(|(k, v)| match (k, v) {
        (Value::Text(name), Value::Bytes(key)) if name == "public_key" => Some(key),
        _ => None,
    })
}

impl Recipient {
    /// `secret` sealed to the recipient: a DER `ContentInfo` holding an `EnvelopedData`.
    ///
    /// # Errors
    /// `KMSInternalException` when encryption fails.
    pub fn seal(&self, secret: &[u8], random: &dyn RandomSource) -> Result<Vec<u8>, KmsError> {
        let failed = |what: &str| KmsError::Internal(format!("CiphertextForRecipient: {what}"));
        let cek = Secret::random(32, random);
        let mut iv = [0u8; 16];
        random.fill(&mut iv);
        let aes = UnboundCipherKey::new(&AES_256, cek.expose())
            .and_then(PaddedBlockEncryptingKey::cbc_pkcs7)
            .map_err(|_| failed("AES key"))?;
        let mut content = zeroize::Zeroizing::new(Vec::with_capacity(secret.len() + 16));
        content.extend_from_slice(secret);
        aes.less_safe_encrypt(&mut *content, EncryptionContext::Iv128(iv.into()))
            .map_err(|_| failed("AES-256-CBC"))?;
        let mut wrapped = vec![0u8; self.key.ciphertext_size()];
        let len = self
            .key
            .encrypt(&OAEP_SHA256_MGF1SHA256, cek.expose(), &mut wrapped, None)
            .map_err(|_| failed("RSAES-OAEP"))?
            .len();
        wrapped.truncate(len);
        Ok(enveloped_data(&self.key_id, &wrapped, &iv, &content))
    }
}

// DER, for the one fixed structure below.
const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;
const NULL: u8 = 0x05;
const OID: u8 = 0x06;

/// id-envelopedData 1.2.840.113549.1.7.3
const ID_ENVELOPED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03];
/// id-data 1.2.840.113549.1.7.1
const ID_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
/// id-RSAES-OAEP 1.2.840.113549.1.1.7
const ID_RSAES_OAEP: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07];
/// id-mgf1 1.2.840.113549.1.1.8
const ID_MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
/// id-sha256 2.16.840.1.101.3.4.2.1
const ID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
/// id-aes256-CBC 2.16.840.1.101.3.4.1.42
const ID_AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];

/// One DER TLV.
fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// `ContentInfo { id-envelopedData, [0] EnvelopedData }` with one `KeyTransRecipientInfo`
/// (version 2, `subjectKeyIdentifier`, RSAES-OAEP with SHA-256 and MGF1-SHA-256) and the
/// content in AES-256-CBC.
fn enveloped_data(key_id: &[u8], wrapped_key: &[u8], iv: &[u8], content: &[u8]) -> Vec<u8> {
    let sha256 = tlv(SEQUENCE, &[&tlv(OID, &[ID_SHA256]), &tlv(NULL, &[])]);
    let oaep_params = tlv(
        SEQUENCE,
        &[
            &tlv(0xa0, &[&sha256]),
            &tlv(0xa1, &[&tlv(SEQUENCE, &[&tlv(OID, &[ID_MGF1]), &sha256])]),
        ],
    );
    let recipient = tlv(
        SEQUENCE,
        &[
            &tlv(INTEGER, &[&[2]]),
            &tlv(0x80, &[key_id]),
            &tlv(SEQUENCE, &[&tlv(OID, &[ID_RSAES_OAEP]), &oaep_params]),
            &tlv(OCTET_STRING, &[wrapped_key]),
        ],
    );
    let encrypted_content = tlv(
        SEQUENCE,
        &[
            &tlv(OID, &[ID_DATA]),
            &tlv(
                SEQUENCE,
                &[&tlv(OID, &[ID_AES256_CBC]), &tlv(OCTET_STRING, &[iv])],
            ),
            &tlv(0x80, &[content]),
        ],
    );
    let enveloped = tlv(
        SEQUENCE,
        &[
            &tlv(INTEGER, &[&[2]]),
            &tlv(SET, &[&recipient]),
            &encrypted_content,
        ],
    );
    tlv(
        SEQUENCE,
        &[&tlv(OID, &[ID_ENVELOPED_DATA]), &tlv(0xa0, &[&enveloped])],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(payload: Value) -> Vec<u8> {
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

    #[test]
    fn the_public_key_comes_from_the_payload() {
        let doc = document(Value::Map(vec![
            (Value::Text("module_id".into()), Value::Text("i-0".into())),
            (
                Value::Text("public_key".into()),
                Value::Bytes(vec![1, 2, 3]),
            ),
        ]));
        assert_eq!(public_key_of(&doc), Some(vec![1, 2, 3]));
        let no_key = document(Value::Map(vec![(
            Value::Text("module_id".into()),
            Value::Text("i-0".into()),
        )]));
        assert_eq!(public_key_of(&no_key), None);
        for junk in [
            &b""[..],
            b"\xff\xff",
            b"\x84\x40\xa0\x40",
            b"\x9f\x9f\x9f\x9f",
        ] {
            assert_eq!(public_key_of(junk), None);
        }
    }

    #[test]
    fn bad_recipients_are_validation_errors() {
        let info = |doc: &[u8], alg: Option<&str>| RecipientInfo {
            attestation_document: Some(doc.to_vec()),
            key_encryption_algorithm: alg.map(Into::into),
        };
        for bad in [
            info(b"", None),
            info(b"not cbor", None),
            info(b"x", Some("RSAES_OAEP_SHA_1")),
            info(
                &document(Value::Map(vec![(
                    Value::Text("public_key".into()),
                    Value::Bytes(vec![1, 2, 3]),
                )])),
                None,
            ),
        ] {
            assert_eq!(
                parse(Some(&bad)).unwrap_err().aws_type(),
                "ValidationException"
            );
        }
        assert!(parse(None).unwrap().is_none());
    }

    #[test]
    fn long_lengths_use_the_long_form() {
        assert_eq!(tlv(OCTET_STRING, &[&[7; 3]]), [4, 3, 7, 7, 7]);
        let long = tlv(OCTET_STRING, &[&[0; 300]]);
        assert_eq!(&long[..4], &[4, 0x82, 0x01, 0x2c]);
        assert_eq!(long.len(), 304);
    }
}
