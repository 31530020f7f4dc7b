//! [`Kms::dispatch`]: the one table from an [`Operation`] and a JSON body to a typed engine
//! call and back to JSON. The HTTP server and fuzzers enter the engine here.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::KmsError;
use crate::kms::Kms;
use crate::operation::Operation;
use crate::scope::Scope;

impl Kms {
    /// Runs `operation` with a JSON request body and returns the JSON response body.
    ///
    /// An empty body is taken as `{}`. A body that is not the JSON the operation takes is
    /// `SerializationException`. Every operation of AWS's current model is here.
    ///
    /// ```
    /// use kms_api::{Kms, Operation, Scope};
    /// let kms = Kms::new();
    /// let scope = Scope::new("111122223333", "us-east-1");
    /// let out = kms.dispatch(&scope, Operation::GenerateRandom, br#"{"NumberOfBytes":8}"#).unwrap();
    /// let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    /// assert_eq!(json["Plaintext"].as_str().unwrap().len(), 12);
    /// let err = kms.dispatch(&scope, Operation::Encrypt, b"{not json").unwrap_err();
    /// assert_eq!(err.aws_type(), "SerializationException");
    /// ```
    pub fn dispatch(
        &self,
        scope: &Scope,
        operation: Operation,
        body: &[u8],
    ) -> Result<Vec<u8>, KmsError> {
        use Operation as Op;
        match operation {
            Op::CancelKeyDeletion => call(body, |r| self.cancel_key_deletion(scope, r)),
            Op::ConnectCustomKeyStore => call(body, |r| self.connect_custom_key_store(scope, r)),
            Op::CreateAlias => call(body, |r| self.create_alias(scope, r)),
            Op::CreateCustomKeyStore => call(body, |r| self.create_custom_key_store(scope, r)),
            Op::CreateGrant => call(body, |r| self.create_grant(scope, r)),
            Op::CreateKey => call(body, |r| self.create_key(scope, r)),
            Op::Decapsulate => call(body, |r| self.decapsulate(scope, r)),
            Op::Decrypt => call(body, |r| self.decrypt(scope, r)),
            Op::DeleteAlias => call(body, |r| self.delete_alias(scope, r)),
            Op::DeleteCustomKeyStore => call(body, |r| self.delete_custom_key_store(scope, r)),
            Op::DeleteImportedKeyMaterial => {
                call(body, |r| self.delete_imported_key_material(scope, r))
            }
            Op::DeriveSharedSecret => call(body, |r| self.derive_shared_secret(scope, r)),
            Op::DescribeCustomKeyStores => {
                call(body, |r| self.describe_custom_key_stores(scope, r))
            }
            Op::DescribeKey => call(body, |r| self.describe_key(scope, r)),
            Op::DisableKey => call(body, |r| self.disable_key(scope, r)),
            Op::DisableKeyRotation => call(body, |r| self.disable_key_rotation(scope, r)),
            Op::DisconnectCustomKeyStore => {
                call(body, |r| self.disconnect_custom_key_store(scope, r))
            }
            Op::EnableKey => call(body, |r| self.enable_key(scope, r)),
            Op::EnableKeyRotation => call(body, |r| self.enable_key_rotation(scope, r)),
            Op::Encapsulate => call(body, |r| self.encapsulate(scope, r)),
            Op::Encrypt => call(body, |r| self.encrypt(scope, r)),
            Op::GenerateDataKey => call(body, |r| self.generate_data_key(scope, r)),
            Op::GenerateDataKeyPair => call(body, |r| self.generate_data_key_pair(scope, r)),
            Op::GenerateDataKeyPairWithoutPlaintext => call(body, |r| {
                self.generate_data_key_pair_without_plaintext(scope, r)
            }),
            Op::GenerateDataKeyWithoutPlaintext => {
                call(body, |r| self.generate_data_key_without_plaintext(scope, r))
            }
            Op::GenerateMac => call(body, |r| self.generate_mac(scope, r)),
            Op::GenerateRandom => call(body, |r| self.generate_random(scope, r)),
            Op::GetKeyPolicy => call(body, |r| self.get_key_policy(scope, r)),
            Op::GetKeyLastUsage => call(body, |r| self.get_key_last_usage(scope, r)),
            Op::GetParametersForImport => call(body, |r| self.get_parameters_for_import(scope, r)),
            Op::GetPublicKey => call(body, |r| self.get_public_key(scope, r)),
            Op::GetKeyRotationStatus => call(body, |r| self.get_key_rotation_status(scope, r)),
            Op::ImportKeyMaterial => call(body, |r| self.import_key_material(scope, r)),
            Op::ListAliases => call(body, |r| self.list_aliases(scope, r)),
            Op::ListGrants => call(body, |r| self.list_grants(scope, r)),
            Op::ListKeyPolicies => call(body, |r| self.list_key_policies(scope, r)),
            Op::ListKeyRotations => call(body, |r| self.list_key_rotations(scope, r)),
            Op::ListKeys => call(body, |r| self.list_keys(scope, r)),
            Op::ListResourceTags => call(body, |r| self.list_resource_tags(scope, r)),
            Op::ListRetirableGrants => call(body, |r| self.list_retirable_grants(scope, r)),
            Op::PutKeyPolicy => call(body, |r| self.put_key_policy(scope, r)),
            Op::ReEncrypt => call(body, |r| self.re_encrypt(scope, r)),
            Op::ReplicateKey => call(body, |r| self.replicate_key(scope, r)),
            Op::RetireGrant => call(body, |r| self.retire_grant(scope, r)),
            Op::RevokeGrant => call(body, |r| self.revoke_grant(scope, r)),
            Op::RotateKeyOnDemand => call(body, |r| self.rotate_key_on_demand(scope, r)),
            Op::ScheduleKeyDeletion => call(body, |r| self.schedule_key_deletion(scope, r)),
            Op::Sign => call(body, |r| self.sign(scope, r)),
            Op::TagResource => call(body, |r| self.tag_resource(scope, r)),
            Op::UntagResource => call(body, |r| self.untag_resource(scope, r)),
            Op::UpdateAlias => call(body, |r| self.update_alias(scope, r)),
            Op::UpdatePrimaryRegion => call(body, |r| self.update_primary_region(scope, r)),
            Op::UpdateCustomKeyStore => call(body, |r| self.update_custom_key_store(scope, r)),
            Op::UpdateKeyDescription => call(body, |r| self.update_key_description(scope, r)),
            Op::Verify => call(body, |r| self.verify(scope, r)),
            Op::VerifyMac => call(body, |r| self.verify_mac(scope, r)),
        }
    }
}

/// Parses the request, runs the operation, writes the response.
fn call<Req, Resp>(
    body: &[u8],
    op: impl FnOnce(Req) -> Result<Resp, KmsError>,
) -> Result<Vec<u8>, KmsError>
where
    Req: DeserializeOwned,
    Resp: Serialize,
{
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    let req: Req = serde_json::from_slice(body)
        .map_err(|e| KmsError::Serialization(serialization_message(&e)))?;
    let resp = op(req)?;
    serde_json::to_vec(&resp)
        .map_err(|e| KmsError::Internal(format!("response serialization failed: {e}")))
}

/// A parse error message that says where the body went wrong without echoing any of it
/// (serde's own text quotes values, which may be plaintext, grant tokens or context).
pub(crate) fn serialization_message(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => format!(
            "Request body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        ),
        Category::Data => format!(
            "Request body does not match the operation's input shape (a member has the wrong type or an invalid base64 value; line {}, column {}).",
            e.line(),
            e.column()
        ),
        Category::Io => "Request body could not be read.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope::new("111122223333", "us-east-1")
    }

    #[test]
    fn wrong_types_and_bad_base64_are_serialization_errors() {
        let kms = Kms::new();
        for body in [
            &br#"{"KeyId": 5}"#[..],
            br#"{"KeyId":"x","Plaintext":"%%%"}"#,
            br#"[]"#,
            br#"{"KeyId":"x","Plaintext":"aGVsbG8="#,
            b"null",
        ] {
            let err = kms
                .dispatch(&scope(), Operation::Encrypt, body)
                .unwrap_err();
            assert_eq!(
                err.aws_type(),
                "SerializationException",
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn secrets_are_not_echoed_in_parse_errors() {
        let kms = Kms::new();
        for body in [
            &br#"{"KeyId":"k","EncryptionContext":"secret-context"}"#[..],
            br#"{"KeyId":"k","GrantTokens":"secret-token"}"#,
            br#"{"KeyId":["secret-id"]}"#,
        ] {
            let err = kms
                .dispatch(&scope(), Operation::Encrypt, body)
                .unwrap_err();
            assert_eq!(err.aws_type(), "SerializationException");
            assert!(!err.message().contains("secret"), "{}", err.message());
        }
        let err = kms
            .dispatch(
                &scope(),
                Operation::Encrypt,
                br#"{"KeyId":"k","Plaintext":12345678}"#,
            )
            .unwrap_err();
        assert!(!err.message().contains("12345678"), "{}", err.message());
    }

    #[test]
    fn empty_body_is_an_empty_object_and_unknown_fields_are_ignored() {
        let kms = Kms::new();
        assert!(kms.dispatch(&scope(), Operation::ListKeys, b"").is_ok());
        assert!(
            kms.dispatch(&scope(), Operation::ListKeys, br#"{"Whatever":1}"#)
                .is_ok()
        );
        let err = kms.dispatch(&scope(), Operation::Encrypt, b"").unwrap_err();
        assert_eq!(err.aws_type(), "ValidationException");
    }
}
