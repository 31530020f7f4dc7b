"""Multi-Region primary keys with boto3 and the AWS CLI: CreateKey with MultiRegion=true gives
an ``mrk-`` key ID and a PRIMARY MultiRegionConfiguration; its ciphertexts decrypt; an
asymmetric multi-Region key's signature verifies with ``cryptography``.

Same setup as ``test_smoke.py``; every test starts from ``POST /_kms/reset``.
"""

from __future__ import annotations

import json
import re

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from test_smoke import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    REGION,
    _endpoint,
    _isolated_aws_env,
    aws,
    kms,
    reset_server,
)

MRK_ID = re.compile(r"^mrk-[0-9a-f]{32}$")


def test_create_multi_region_key_has_primary_configuration(kms):
    md = kms.create_key(MultiRegion=True, Description="global")["KeyMetadata"]
    assert MRK_ID.match(md["KeyId"]), md["KeyId"]
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{md['KeyId']}"
    assert md["Arn"] == arn
    assert md["MultiRegion"] is True
    assert md["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": arn, "Region": REGION},
        "ReplicaKeys": [],
    }
    assert kms.describe_key(KeyId=arn)["KeyMetadata"] == md
    sealed = kms.encrypt(KeyId=md["KeyId"], Plaintext=b"x")
    opened = kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"])
    assert opened["Plaintext"] == b"x" and opened["KeyId"] == arn


def test_multi_region_signing_key_verifies_independently(kms):
    md = kms.create_key(MultiRegion=True, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    assert MRK_ID.match(md["KeyId"])
    signature = kms.sign(KeyId=md["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    der = kms.get_public_key(KeyId=md["KeyId"])["PublicKey"]
    public = serialization.load_der_public_key(der)
    public.verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


def test_cli_creates_a_multi_region_key():
    md = json.loads(aws("create-key", "--multi-region").stdout)["KeyMetadata"]
    assert MRK_ID.match(md["KeyId"])
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    listed = json.loads(aws("list-keys").stdout)["Keys"]
    assert md["KeyId"] in {k["KeyId"] for k in listed}
