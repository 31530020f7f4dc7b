//! `KmsError`: every failure the engine can report, one variant per AWS exception name.
//!
//! Two exhaustive matches give the wire `__type` ([`KmsError::aws_type`]) and the HTTP status
//! ([`KmsError::http_status`]); nothing ever matches on message text.

use std::fmt;

/// An error as AWS KMS reports it: an exception name and a message.
///
/// ```
/// use kms_api::KmsError;
/// let err = KmsError::NotFound("Invalid keyId 'x'".into());
/// assert_eq!(err.aws_type(), "NotFoundException");
/// assert_eq!(err.http_status(), 400);
/// assert_eq!(err.message(), "Invalid keyId 'x'");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KmsError {
    /// `AccessDeniedException`.
    AccessDenied(String),
    /// `AlreadyExistsException`, e.g. an alias name that is taken.
    AlreadyExists(String),
    /// `CustomKeyStoreNotFoundException`.
    CustomKeyStoreNotFound(String),
    /// `CustomKeyStoreNameInUseException`: a custom key store name that another store of the account and Region has.
    CustomKeyStoreNameInUse(String),
    /// `CustomKeyStoreInvalidStateException`: the custom key store's `ConnectionState` does not allow the operation.
    CustomKeyStoreInvalidState(String),
    /// `CustomKeyStoreHasCMKsException`: deleting a custom key store that still holds keys.
    CustomKeyStoreHasCmks(String),
    /// `CloudHsmClusterInUseException`: a CloudHSM cluster another key store uses.
    CloudHsmClusterInUse(String),
    /// `XksProxyUriInUseException`: an external key store proxy URI (endpoint and path) another store uses.
    XksProxyUriInUse(String),
    /// `XksProxyUriEndpointInUseException`: an external key store proxy endpoint another store uses.
    XksProxyUriEndpointInUse(String),
    /// `XksProxyVpcEndpointServiceInUseException`: a VPC endpoint service another external key store uses.
    XksProxyVpcEndpointServiceInUse(String),
    /// `XksKeyAlreadyInUseException`: an external key another KMS key of the store uses.
    XksKeyAlreadyInUse(String),
    /// `DependencyTimeoutException` (a server fault, 500).
    DependencyTimeout(String),
    /// `DisabledException`: `<key ARN> is disabled.`
    Disabled(String),
    /// `DryRunOperationException`: the request would have succeeded.
    DryRunOperation,
    /// `ExpiredImportTokenException`: an import token past its `ParametersValidTo`.
    ExpiredImportToken(String),
    /// `IncorrectKeyMaterialException`: imported material that is not what the key expects.
    IncorrectKeyMaterial(String),
    /// `IncorrectKeyException`: the KeyId does not match the ciphertext.
    IncorrectKey,
    /// `KMSInternalException` (a server fault, 500). The text is for logs, never the client.
    Internal(String),
    /// `InvalidAliasNameException`.
    InvalidAliasName(String),
    /// `InvalidArnException`.
    InvalidArn(String),
    /// `InvalidCiphertextException`, always with an empty message, as AWS sends it.
    InvalidCiphertext,
    /// `InvalidGrantIdException`: a grant ID that is malformed.
    InvalidGrantId(String),
    /// `InvalidGrantTokenException`.
    InvalidGrantToken(String),
    /// `InvalidImportTokenException`: an import token that is garbled or for another key.
    InvalidImportToken(String),
    /// `InvalidKeyUsageException`.
    InvalidKeyUsage(String),
    /// `InvalidMarkerException`: a paging marker this service did not issue.
    InvalidMarker(String),
    /// `KMSInvalidMacException`: VerifyMac with a MAC that does not match (empty message).
    InvalidMac,
    /// `KMSInvalidSignatureException`: Verify with a signature that does not verify (empty
    /// message).
    InvalidSignature,
    /// `KMSInvalidStateException`: the key's state does not allow the operation.
    InvalidState(String),
    /// `KeyUnavailableException` (a server fault, 500).
    KeyUnavailable(String),
    /// `LimitExceededException`: a resource quota or length limit.
    LimitExceeded(String),
    /// `MalformedPolicyDocumentException`.
    MalformedPolicyDocument(String),
    /// `NotAuthorizedException`, e.g. creating an alias in the reserved `alias/aws/` space.
    NotAuthorized(String),
    /// `NotFoundException`.
    NotFound(String),
    /// `SerializationException`: the body is not the JSON the operation takes.
    Serialization(String),
    /// `TagException`.
    Tag(String),
    /// `ThrottlingException`: a request quota was exceeded.
    Throttling,
    /// `UnknownOperationException`: the `X-Amz-Target` names no KMS operation.
    UnknownOperation,
    /// `UnsupportedOperationException`.
    UnsupportedOperation(String),
    /// `ValidationException`, in AWS's `N validation error(s) detected: ...` style where it applies.
    Validation(String),
}

/// The message AWS sends with `ThrottlingException`.
pub const THROTTLING_MESSAGE: &str =
    "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

/// The message AWS sends with `DryRunOperationException`.
pub const DRY_RUN_MESSAGE: &str = "The request would have succeeded, but the DryRun option is set.";

/// The message AWS sends with `IncorrectKeyException`.
pub const INCORRECT_KEY_MESSAGE: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

impl KmsError {
    /// The exception name sent as `__type`.
    pub fn aws_type(&self) -> &'static str {
        match self {
            Self::AccessDenied(_) => "AccessDeniedException",
            Self::AlreadyExists(_) => "AlreadyExistsException",
            Self::CustomKeyStoreNotFound(_) => "CustomKeyStoreNotFoundException",
            Self::CustomKeyStoreNameInUse(_) => "CustomKeyStoreNameInUseException",
            Self::CustomKeyStoreInvalidState(_) => "CustomKeyStoreInvalidStateException",
            Self::CustomKeyStoreHasCmks(_) => "CustomKeyStoreHasCMKsException",
            Self::CloudHsmClusterInUse(_) => "CloudHsmClusterInUseException",
            Self::XksProxyUriInUse(_) => "XksProxyUriInUseException",
            Self::XksProxyUriEndpointInUse(_) => "XksProxyUriEndpointInUseException",
            Self::XksProxyVpcEndpointServiceInUse(_) => "XksProxyVpcEndpointServiceInUseException",
            Self::XksKeyAlreadyInUse(_) => "XksKeyAlreadyInUseException",
            Self::DependencyTimeout(_) => "DependencyTimeoutException",
            Self::Disabled(_) => "DisabledException",
            Self::DryRunOperation => "DryRunOperationException",
            Self::ExpiredImportToken(_) => "ExpiredImportTokenException",
            Self::IncorrectKey => "IncorrectKeyException",
            Self::IncorrectKeyMaterial(_) => "IncorrectKeyMaterialException",
            Self::Internal(_) => "KMSInternalException",
            Self::InvalidAliasName(_) => "InvalidAliasNameException",
            Self::InvalidArn(_) => "InvalidArnException",
            Self::InvalidCiphertext => "InvalidCiphertextException",
            Self::InvalidGrantId(_) => "InvalidGrantIdException",
            Self::InvalidGrantToken(_) => "InvalidGrantTokenException",
            Self::InvalidImportToken(_) => "InvalidImportTokenException",
            Self::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            Self::InvalidMarker(_) => "InvalidMarkerException",
            Self::InvalidMac => "KMSInvalidMacException",
            Self::InvalidSignature => "KMSInvalidSignatureException",
            Self::InvalidState(_) => "KMSInvalidStateException",
            Self::KeyUnavailable(_) => "KeyUnavailableException",
            Self::LimitExceeded(_) => "LimitExceededException",
            Self::MalformedPolicyDocument(_) => "MalformedPolicyDocumentException",
            Self::NotAuthorized(_) => "NotAuthorizedException",
            Self::NotFound(_) => "NotFoundException",
            Self::Serialization(_) => "SerializationException",
            Self::Tag(_) => "TagException",
            Self::Throttling => "ThrottlingException",
            Self::UnknownOperation => "UnknownOperationException",
            Self::UnsupportedOperation(_) => "UnsupportedOperationException",
            Self::Validation(_) => "ValidationException",
        }
    }

    /// The HTTP status: 500 for the three server faults AWS models, 400 for everything else
    /// (AWS's recordings show 400 even where the API reference lists 409).
    pub fn http_status(&self) -> u16 {
        match self {
            Self::DependencyTimeout(_) | Self::Internal(_) | Self::KeyUnavailable(_) => 500,
            Self::AccessDenied(_)
            | Self::AlreadyExists(_)
            | Self::CustomKeyStoreNotFound(_)
            | Self::CustomKeyStoreNameInUse(_)
            | Self::CustomKeyStoreInvalidState(_)
            | Self::CustomKeyStoreHasCmks(_)
            | Self::CloudHsmClusterInUse(_)
            | Self::XksProxyUriInUse(_)
            | Self::XksProxyUriEndpointInUse(_)
            | Self::XksProxyVpcEndpointServiceInUse(_)
            | Self::XksKeyAlreadyInUse(_)
            | Self::Disabled(_)
            | Self::DryRunOperation
            | Self::ExpiredImportToken(_)
            | Self::IncorrectKey
            | Self::IncorrectKeyMaterial(_)
            | Self::InvalidAliasName(_)
            | Self::InvalidArn(_)
            | Self::InvalidCiphertext
            | Self::InvalidGrantId(_)
            | Self::InvalidGrantToken(_)
            | Self::InvalidImportToken(_)
            | Self::InvalidKeyUsage(_)
            | Self::InvalidMarker(_)
            | Self::InvalidMac
            | Self::InvalidSignature
            | Self::InvalidState(_)
            | Self::LimitExceeded(_)
            | Self::MalformedPolicyDocument(_)
            | Self::NotAuthorized(_)
            | Self::NotFound(_)
            | Self::Serialization(_)
            | Self::Tag(_)
            | Self::Throttling
            | Self::UnknownOperation
            | Self::UnsupportedOperation(_)
            | Self::Validation(_) => 400,
        }
    }

    /// The message sent to the client. Internal errors get a generic text; their detail is
    /// only for the server's log.
    pub fn message(&self) -> &str {
        match self {
            Self::AccessDenied(m)
            | Self::AlreadyExists(m)
            | Self::CustomKeyStoreNotFound(m)
            | Self::CustomKeyStoreNameInUse(m)
            | Self::CustomKeyStoreInvalidState(m)
            | Self::CustomKeyStoreHasCmks(m)
            | Self::CloudHsmClusterInUse(m)
            | Self::XksProxyUriInUse(m)
            | Self::XksProxyUriEndpointInUse(m)
            | Self::XksProxyVpcEndpointServiceInUse(m)
            | Self::XksKeyAlreadyInUse(m)
            | Self::DependencyTimeout(m)
            | Self::Disabled(m)
            | Self::ExpiredImportToken(m)
            | Self::IncorrectKeyMaterial(m)
            | Self::InvalidAliasName(m)
            | Self::InvalidArn(m)
            | Self::InvalidGrantId(m)
            | Self::InvalidGrantToken(m)
            | Self::InvalidImportToken(m)
            | Self::InvalidKeyUsage(m)
            | Self::InvalidMarker(m)
            | Self::InvalidState(m)
            | Self::KeyUnavailable(m)
            | Self::LimitExceeded(m)
            | Self::MalformedPolicyDocument(m)
            | Self::NotAuthorized(m)
            | Self::NotFound(m)
            | Self::Serialization(m)
            | Self::Tag(m)
            | Self::UnsupportedOperation(m)
            | Self::Validation(m) => m,
            Self::DryRunOperation => DRY_RUN_MESSAGE,
            Self::IncorrectKey => INCORRECT_KEY_MESSAGE,
            Self::Internal(_) => "An internal error occurred.",
            Self::InvalidCiphertext
            | Self::InvalidMac
            | Self::InvalidSignature
            | Self::UnknownOperation => "",
            Self::Throttling => THROTTLING_MESSAGE,
        }
    }

    /// True for errors that are the server's fault (HTTP 500).
    pub fn is_server_fault(&self) -> bool {
        self.http_status() >= 500
    }

    /// The AWS error with this exception name and message, for fault injection and admin
    /// APIs. `None` when the name is not one this engine knows.
    ///
    /// ```
    /// use kms_api::KmsError;
    /// let e = KmsError::from_aws_type("KMSInternalException", "boom").unwrap();
    /// assert_eq!(e.http_status(), 500);
    /// ```
    pub fn from_aws_type(name: &str, message: &str) -> Option<Self> {
        let m = message.to_owned();
        Some(match name {
            "AccessDeniedException" => Self::AccessDenied(m),
            "AlreadyExistsException" => Self::AlreadyExists(m),
            "CustomKeyStoreNotFoundException" => Self::CustomKeyStoreNotFound(m),
            "CustomKeyStoreNameInUseException" => Self::CustomKeyStoreNameInUse(m),
            "CustomKeyStoreInvalidStateException" => Self::CustomKeyStoreInvalidState(m),
            "CustomKeyStoreHasCMKsException" => Self::CustomKeyStoreHasCmks(m),
            "CloudHsmClusterInUseException" => Self::CloudHsmClusterInUse(m),
            "XksProxyUriInUseException" => Self::XksProxyUriInUse(m),
            "XksProxyUriEndpointInUseException" => Self::XksProxyUriEndpointInUse(m),
            "XksProxyVpcEndpointServiceInUseException" => Self::XksProxyVpcEndpointServiceInUse(m),
            "XksKeyAlreadyInUseException" => Self::XksKeyAlreadyInUse(m),
            "DependencyTimeoutException" => Self::DependencyTimeout(m),
            "DisabledException" => Self::Disabled(m),
            "DryRunOperationException" => Self::DryRunOperation,
            "ExpiredImportTokenException" => Self::ExpiredImportToken(m),
            "IncorrectKeyException" => Self::IncorrectKey,
            "IncorrectKeyMaterialException" => Self::IncorrectKeyMaterial(m),
            "KMSInternalException" => Self::Internal(m),
            "InvalidAliasNameException" => Self::InvalidAliasName(m),
            "InvalidArnException" => Self::InvalidArn(m),
            "InvalidCiphertextException" => Self::InvalidCiphertext,
            "InvalidGrantIdException" => Self::InvalidGrantId(m),
            "InvalidGrantTokenException" => Self::InvalidGrantToken(m),
            "InvalidImportTokenException" => Self::InvalidImportToken(m),
            "InvalidKeyUsageException" => Self::InvalidKeyUsage(m),
            "InvalidMarkerException" => Self::InvalidMarker(m),
            "KMSInvalidMacException" => Self::InvalidMac,
            "KMSInvalidSignatureException" => Self::InvalidSignature,
            "KMSInvalidStateException" => Self::InvalidState(m),
            "KeyUnavailableException" => Self::KeyUnavailable(m),
            "LimitExceededException" => Self::LimitExceeded(m),
            "MalformedPolicyDocumentException" => Self::MalformedPolicyDocument(m),
            "NotAuthorizedException" => Self::NotAuthorized(m),
            "NotFoundException" => Self::NotFound(m),
            "SerializationException" => Self::Serialization(m),
            "TagException" => Self::Tag(m),
            "ThrottlingException" => Self::Throttling,
            "UnknownOperationException" => Self::UnknownOperation,
            "UnsupportedOperationException" => Self::UnsupportedOperation(m),
            "ValidationException" => Self::Validation(m),
            _ => return None,
        })
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Internal(detail) => write!(f, "KMSInternalException: {detail}"),
            other => write!(f, "{}: {}", other.aws_type(), other.message()),
        }
    }
}

impl std::error::Error for KmsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_faults_are_500_and_the_rest_400() {
        assert_eq!(KmsError::Internal("x".into()).http_status(), 500);
        assert_eq!(KmsError::KeyUnavailable("x".into()).http_status(), 500);
        assert_eq!(KmsError::DependencyTimeout("x".into()).http_status(), 500);
        assert_eq!(KmsError::Disabled("x".into()).http_status(), 400);
        assert_eq!(KmsError::Throttling.http_status(), 400);
    }

    #[test]
    fn internal_detail_never_reaches_the_client() {
        let e = KmsError::Internal("disk on fire".into());
        assert!(!e.message().contains("disk"));
        assert!(e.to_string().contains("disk"));
    }

    #[test]
    fn from_aws_type_round_trips_every_name() {
        for name in [
            "AccessDeniedException",
            "DependencyTimeoutException",
            "KMSInternalException",
            "KeyUnavailableException",
            "ThrottlingException",
            "NotFoundException",
            "ValidationException",
        ] {
            assert_eq!(KmsError::from_aws_type(name, "m").unwrap().aws_type(), name);
        }
        assert!(KmsError::from_aws_type("NoSuchThing", "").is_none());
    }
}
