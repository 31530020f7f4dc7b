//! Key identifiers as callers write them (key ID, key ARN, alias name, alias ARN) and the ARNs
//! the engine writes back.

use uuid::Uuid;

use crate::error::KmsError;
use crate::scope::Scope;

/// A parsed `KeyId` request member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyRef<'a> {
    /// A bare key ID.
    Id(Uuid),
    /// `arn:<partition>:kms:<region>:<account>:key/<id>`.
    KeyArn {
        region: &'a str,
        account: &'a str,
        id: Uuid,
    },
    /// `alias/<name>`.
    AliasName(&'a str),
    /// `arn:<partition>:kms:<region>:<account>:alias/<name>`; `name` keeps its `alias/` prefix.
    AliasArn {
        region: &'a str,
        account: &'a str,
        name: &'a str,
    },
    /// A well-formed multi-Region key ID (`mrk-` and 32 hex digits), bare or in a key ARN.
    /// Multi-Region keys are not emulated yet, so it never names an existing key.
    MultiRegion {
        region: Option<&'a str>,
        account: Option<&'a str>,
        id: &'a str,
    },
}

impl<'a> KeyRef<'a> {
    /// Parses a `KeyId`; anything that is none of the four forms is AWS's
    /// `NotFoundException: Invalid keyId '<input>'`.
    pub(crate) fn parse(input: &'a str) -> Result<Self, KmsError> {
        let invalid = || KmsError::NotFound(format!("Invalid keyId '{input}'"));
        if let Some(rest) = input.strip_prefix("arn:") {
            let mut parts = rest.splitn(5, ':');
            let (Some(_partition), Some("kms"), Some(region), Some(account), Some(resource)) = (
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
                parts.next(),
            ) else {
                return Err(invalid());
            };
            if region.is_empty() || account.is_empty() {
                return Err(invalid());
            }
            if let Some(id) = resource.strip_prefix("key/") {
                if is_multi_region_id(id) {
                    return Ok(Self::MultiRegion {
                        region: Some(region),
                        account: Some(account),
                        id,
                    });
                }
                let id = parse_key_id(id).ok_or_else(invalid)?;
                return Ok(Self::KeyArn {
                    region,
                    account,
                    id,
                });
            }
            if resource.starts_with("alias/") && resource.len() > "alias/".len() {
                return Ok(Self::AliasArn {
                    region,
                    account,
                    name: resource,
                });
            }
            return Err(invalid());
        }
        if input.starts_with("alias/") {
            return Ok(Self::AliasName(input));
        }
        if is_multi_region_id(input) {
            return Ok(Self::MultiRegion {
                region: None,
                account: None,
                id: input,
            });
        }
        parse_key_id(input).map(Self::Id).ok_or_else(invalid)
    }
}

/// `mrk-` followed by 32 lowercase hex digits.
fn is_multi_region_id(s: &str) -> bool {
    s.strip_prefix("mrk-").is_some_and(|hex| {
        hex.len() == 32
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// A key ID is a hyphenated UUID; AWS rejects the 32-hex form without dashes.
fn parse_key_id(s: &str) -> Option<Uuid> {
    if s.len() != 36 {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// `arn:<partition>:kms:<region>:<account>:key/<id>`.
pub(crate) fn key_arn(scope: &Scope, id: Uuid) -> String {
    format!(
        "arn:{}:kms:{}:{}:key/{}",
        scope.partition(),
        scope.region(),
        scope.account(),
        id.as_hyphenated()
    )
}

/// `arn:<partition>:kms:<region>:<account>:<alias name>`.
pub(crate) fn alias_arn(scope: &Scope, name: &str) -> String {
    format!(
        "arn:{}:kms:{}:{}:{}",
        scope.partition(),
        scope.region(),
        scope.account(),
        name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    #[test]
    fn parses_the_four_forms() {
        let id = Uuid::parse_str(ID).unwrap();
        assert_eq!(KeyRef::parse(ID).unwrap(), KeyRef::Id(id));
        assert_eq!(
            KeyRef::parse(&format!("arn:aws:kms:eu-west-1:111122223333:key/{ID}")).unwrap(),
            KeyRef::KeyArn {
                region: "eu-west-1",
                account: "111122223333",
                id
            }
        );
        assert_eq!(
            KeyRef::parse("alias/app").unwrap(),
            KeyRef::AliasName("alias/app")
        );
        assert_eq!(
            KeyRef::parse("arn:aws:kms:us-east-1:111122223333:alias/a:b").unwrap(),
            KeyRef::AliasArn {
                region: "us-east-1",
                account: "111122223333",
                name: "alias/a:b"
            }
        );
    }

    #[test]
    fn multi_region_ids_are_well_formed_ids() {
        let id = "mrk-1234abcd12ab34cd56ef1234567890ab";
        assert_eq!(
            KeyRef::parse(id).unwrap(),
            KeyRef::MultiRegion {
                region: None,
                account: None,
                id
            }
        );
        assert!(KeyRef::parse("mrk-1234").is_err());
    }

    #[test]
    fn rejects_malformed_ids_with_aws_text() {
        for bad in [
            "fake-key-id",
            "134f2428cec14b25a1ae9048164dba47",
            "mrk-fake-key-id",
            "",
            "arn:aws:kms:x",
        ] {
            assert_eq!(
                KeyRef::parse(bad).unwrap_err(),
                KmsError::NotFound(format!("Invalid keyId '{bad}'"))
            );
        }
    }

    #[test]
    fn arns_follow_the_partition_of_the_region() {
        let id = Uuid::parse_str(ID).unwrap();
        assert_eq!(
            key_arn(&Scope::new("111122223333", "cn-north-1"), id),
            format!("arn:aws-cn:kms:cn-north-1:111122223333:key/{ID}")
        );
        assert_eq!(
            alias_arn(&Scope::new("111122223333", "us-east-1"), "alias/x"),
            "arn:aws:kms:us-east-1:111122223333:alias/x"
        );
    }
}
