"""Checks, with boto3, what `terraform apply` of tests/terraform/main.tf made: the caller
identity Terraform learned from STS, the grant's encryption-context constraint, the replica's
Region, the rotation period, the key policy naming the account, and the secret read back
through aws_kms_secrets.

Usage: check.py ENDPOINT OUTPUTS_JSON (the output of `terraform output -json`).
"""

import json
import sys

import boto3
from botocore.exceptions import ClientError

endpoint, outputs = sys.argv[1], json.load(open(sys.argv[2]))
value = {name: o["value"] for name, o in outputs.items()}


def client(service, region="us-east-1"):
    return boto3.client(service, endpoint_url=endpoint, region_name=region,
                        aws_access_key_id="test", aws_secret_access_key="test")


identity = client("sts").get_caller_identity()
assert identity["Account"] == value["account_id"] == "111122223333", identity
assert identity["Arn"] == "arn:aws:iam::111122223333:root", identity

kms = client("kms")
key = value["app_key_id"]
grants = kms.list_grants(KeyId=key)["Grants"]
grant = next(g for g in grants if g["GrantId"] == value["grant_id"])
# The provider sends an empty EncryptionContextSubset beside the Equals it was given.
assert grant["Constraints"]["EncryptionContextEquals"] == {"department": "finance"}, grant
assert not grant["Constraints"].get("EncryptionContextSubset"), grant
assert sorted(grant["Operations"]) == ["Decrypt", "Encrypt", "GenerateDataKey"], grant
assert grant["GranteePrincipal"] == "arn:aws:iam::111122223333:role/app", grant

replica = client("kms", "us-west-2").describe_key(KeyId=value["replica_arn"])["KeyMetadata"]
assert replica["Arn"].startswith("arn:aws:kms:us-west-2:"), replica
assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA", replica
assert replica["MultiRegionConfiguration"]["PrimaryKey"]["Region"] == "us-east-1", replica

assert value["password"] == "hunter2", "aws_kms_secrets did not read back the ciphertext"
rotation = kms.get_key_rotation_status(KeyId=key)
assert rotation["KeyRotationEnabled"] and rotation["RotationPeriodInDays"] == 180, rotation
policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}, policy
print("terraform-test: grant constraint, replica Region, secret, rotation and policy as configured")
