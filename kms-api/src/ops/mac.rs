//! HMAC operations: GenerateMac and VerifyMac with GENERATE_VERIFY_MAC keys.

use std::sync::Arc;

use crate::error::KmsError;
use crate::key::record::KeyRecord;
use crate::key::spec::{KeyUsage, MacAlgorithm};
use crate::kms::Kms;
use crate::ops::crypto::{current_material, dry_run, incompatible};
use crate::scope::Scope;
use crate::validate::{self, Violations};
use crate::wire::asymmetric::*;

impl Kms {
    /// Computes the HMAC of a message (1..=4096 bytes) with an HMAC key.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.GenerateMac
    /// {"KeyId":"alias/mac","Message":"aGVsbG8=","MacAlgorithm":"HMAC_SHA_256"}
    /// ```
    /// # Errors
    /// `NotFoundException`, `DisabledException`, `KMSInvalidStateException`,
    /// `InvalidKeyUsageException`, `ValidationException`, `DryRunOperationException`.
    pub fn generate_mac(
        &self,
        scope: &Scope,
        req: GenerateMacRequest,
    ) -> Result<GenerateMacResponse, KmsError> {
        let message = req.message.as_ref().map(crate::Secret::expose);
        let (key, alg) = self.mac_request(
            scope,
            &req.key_id,
            message,
            &req.mac_algorithm,
            req.grant_tokens.as_deref(),
            None,
            "GenerateMac",
        )?;
        let engine = current_material(&key)?.engine()?;
        dry_run(req.dry_run)?;
        let mac = engine.mac(message.unwrap_or_default())?;
        self.note_use(&key, crate::Operation::GenerateMac);
        Ok(GenerateMacResponse {
            mac: Some(mac),
            mac_algorithm: alg.as_str().into(),
            key_id: key.arn.to_string(),
        })
    }

    /// Checks a MAC in constant time; a MAC that does not match is `KMSInvalidMacException`,
    /// as AWS answers.
    ///
    /// # Wire
    /// ```text
    /// X-Amz-Target: TrentService.VerifyMac
    /// {"KeyId":"alias/mac","Message":"aGVsbG8=","Mac":"...","MacAlgorithm":"HMAC_SHA_256"}
    /// ```
    /// # Errors
    /// As GenerateMac, and `KMSInvalidMacException`.
    pub fn verify_mac(
        &self,
        scope: &Scope,
        req: VerifyMacRequest,
    ) -> Result<VerifyMacResponse, KmsError> {
        let message = req.message.as_ref().map(crate::Secret::expose);
        let (key, alg) = self.mac_request(
            scope,
            &req.key_id,
            message,
            &req.mac_algorithm,
            req.grant_tokens.as_deref(),
            Some(req.mac.as_deref()),
            "VerifyMac",
        )?;
        let engine = current_material(&key)?.engine()?;
        dry_run(req.dry_run)?;
        if !engine.verify_mac(
            message.unwrap_or_default(),
            req.mac.as_deref().unwrap_or_default(),
        ) {
            return Err(KmsError::InvalidMac);
        }
        self.note_use(&key, crate::Operation::VerifyMac);
        Ok(VerifyMacResponse {
            key_id: key.arn.to_string(),
            mac_valid: true,
            mac_algorithm: alg.as_str().into(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn mac_request(
        &self,
        scope: &Scope,
        key_id: &Option<String>,
        message: Option<&[u8]>,
        algorithm: &Option<String>,
        grant_tokens: Option<&[String]>,
        mac: Option<Option<&[u8]>>,
        operation: &str,
    ) -> Result<(Arc<KeyRecord>, MacAlgorithm), KmsError> {
        let mut v = Violations::new();
        let key_id = validate::key_id(&mut v, "keyId", key_id);
        v.required("message", &message);
        v.blob_len("message", message, 1, 4096);
        v.required("macAlgorithm", algorithm);
        let alg = v.enumeration(
            "macAlgorithm",
            algorithm.as_deref(),
            MacAlgorithm::parse,
            MacAlgorithm::enum_set,
        );
        if let Some(mac) = mac {
            v.required("mac", &mac);
            v.blob_len("mac", mac, 1, 6144);
        }
        crate::ops::grants::grant_tokens_member(&mut v, grant_tokens);
        v.finish()?;
        self.check_grant_tokens(scope, grant_tokens)?;
        let Some(alg) = alg else {
            return Err(KmsError::Internal("validated member missing".into()));
        };
        let key = self.resolve(scope, key_id.unwrap_or_default(), true)?;
        key.check_usable()?;
        key.check_usage(KeyUsage::GenerateVerifyMac, operation)?;
        if !key.key_spec.algorithms(key.key_usage).mac.contains(&alg) {
            return Err(incompatible(alg.as_str(), key.key_spec));
        }
        Ok((key, alg))
    }
}
