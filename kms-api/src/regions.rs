//! The AWS Regions a request may be scoped to: every Region with a KMS endpoint in the
//! commercial (`aws`), China (`aws-cn`), GovCloud (`aws-us-gov`), ISO (`aws-iso*`) and
//! European Sovereign Cloud (`aws-eusc`) partitions.
//!
//! Source: the `kms` endpoints of botocore 1.44.8's `data/endpoints.json` (the same list the
//! AWS SDKs resolve endpoints from). Signing for any other name gets what AWS answers a
//! credential scoped to a Region it does not serve, `InvalidSignatureException`
//! `Credential should be scoped to a valid region.` ([`UNKNOWN_REGION_MESSAGE`]), so a client
//! cannot make up Regions (each one would be a new throttle scope and quota).

/// Every Region, sorted (for binary search).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isob-west-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// What AWS answers a request signed for a Region it does not serve (with
/// `InvalidSignatureException`, HTTP 400).
pub const UNKNOWN_REGION_MESSAGE: &str = "Credential should be scoped to a valid region.";

/// True for a Region in [`REGIONS`].
///
/// ```
/// assert!(kms_api::regions::is_known("eu-west-2"));
/// assert!(!kms_api::regions::is_known("eu-west-9"));
/// ```
pub fn is_known(region: &str) -> bool {
    REGIONS.binary_search(&region).is_ok()
}

/// The ARN partition of `region`, by AWS's Region name prefixes (`aws` for any name not in
/// another partition).
///
/// ```
/// use kms_api::regions::partition_of;
/// assert_eq!(partition_of("us-east-1"), "aws");
/// assert_eq!(partition_of("cn-north-1"), "aws-cn");
/// assert_eq!(partition_of("us-gov-west-1"), "aws-us-gov");
/// assert_eq!(partition_of("us-isob-east-1"), "aws-iso-b");
/// ```
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_complete_enough() {
        assert!(
            REGIONS.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        for r in [
            "us-east-1",
            "eu-west-2",
            "ap-southeast-7",
            "cn-north-1",
            "us-gov-west-1",
            "mx-central-1",
        ] {
            assert!(is_known(r), "{r}");
        }
        for r in [
            "",
            "us-east-99",
            "US-EAST-1",
            "local",
            "aws-global",
            "us-east-1 ",
        ] {
            assert!(!is_known(r), "{r:?}");
        }
    }

    #[test]
    fn every_region_has_the_partition_of_its_endpoint() {
        let by_partition = |p: &str| -> Vec<&str> {
            REGIONS
                .iter()
                .copied()
                .filter(|r| partition_of(r) == p)
                .collect()
        };
        assert_eq!(by_partition("aws-cn"), ["cn-north-1", "cn-northwest-1"]);
        assert_eq!(
            by_partition("aws-us-gov"),
            ["us-gov-east-1", "us-gov-west-1"]
        );
        assert_eq!(by_partition("aws-iso"), ["us-iso-east-1", "us-iso-west-1"]);
        assert_eq!(
            by_partition("aws-iso-b"),
            ["us-isob-east-1", "us-isob-west-1"]
        );
        assert_eq!(
            by_partition("aws-iso-f"),
            ["us-isof-east-1", "us-isof-south-1"]
        );
        assert_eq!(by_partition("aws-iso-e"), ["eu-isoe-west-1"]);
        assert_eq!(by_partition("aws-eusc"), ["eusc-de-east-1"]);
        assert!(by_partition("aws").contains(&"us-east-1"));
    }
}
