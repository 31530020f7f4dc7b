"""Multi-Region keys with boto3 and the AWS CLI: CreateKey with MultiRegion=true gives an
``mrk-`` key ID and a PRIMARY MultiRegionConfiguration; ReplicateKey makes a replica in another
Region (Creating until the next sweep, here a step of ``/_kms/clock``) whose signatures verify
with ``cryptography`` under the primary's public key and whose ciphertexts cross Regions;
imported material goes into every member; a primary with replicas waits for their deletion
(PendingReplicaDeletion); UpdatePrimaryRegion swaps the roles.

Same setup as ``test_smoke.py``; every test starts from ``POST /_kms/reset``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from test_import import do_import, pkcs8
from test_rotation import advance

from test_smoke import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    REGION,
    _endpoint,
    _isolated_aws_env,
    aws,
    kms,
    make_client,
    reset_server,
)

OTHER = "eu-west-1"
DAY = 86_400

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


def replicate(kms, key_id: str, region: str = OTHER, **extra) -> dict:
    out = kms.replicate_key(KeyId=key_id, ReplicaRegion=region, **extra)
    advance(2)  # a replica is Creating for 2 s of emulated time
    return out


def test_replica_signs_what_the_primary_public_key_verifies(kms):
    md = kms.create_key(MultiRegion=True, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    # Made before the replica, so the Sign below follows ReplicateKey at once: the replica is
    # Creating for 2 s of emulated time, which moves with the host clock.
    west = make_client(region=OTHER)
    out = kms.replicate_key(KeyId=md["KeyId"], ReplicaRegion=OTHER, Description="dr copy")
    with pytest.raises(ClientError) as err:
        west.sign(KeyId=md["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    replica = out["ReplicaKeyMetadata"]
    assert replica["KeyId"] == md["KeyId"]
    assert replica["Arn"] == f"arn:aws:kms:{OTHER}:{ACCOUNT}:key/{md['KeyId']}"
    assert (replica["KeyState"], replica["Enabled"]) == ("Creating", False)
    assert replica["KeySpec"] == "ECC_NIST_P256" and replica["KeyUsage"] == "SIGN_VERIFY"
    assert replica["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "REPLICA",
        "PrimaryKey": {"Arn": md["Arn"], "Region": REGION},
        "ReplicaKeys": [{"Arn": replica["Arn"], "Region": OTHER}],
    }
    assert json.loads(out["ReplicaPolicy"])["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert "ReplicaTags" not in out
    assert err.value.response["Error"] == {"Code": "KMSInvalidStateException", "Message": f"{replica['Arn']} is creating."}
    advance(2)
    assert west.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    primary = kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]
    assert primary["MultiRegionConfiguration"]["ReplicaKeys"] == [{"Arn": replica["Arn"], "Region": OTHER}]
    # The same key pair: the replica signs, the primary's public key verifies (cryptography).
    der = kms.get_public_key(KeyId=md["KeyId"])["PublicKey"]
    assert west.get_public_key(KeyId=md["KeyId"])["PublicKey"] == der
    signature = west.sign(KeyId=md["KeyId"], Message=b"from the west", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    serialization.load_der_public_key(der).verify(signature, b"from the west", ec.ECDSA(hashes.SHA256()))


def test_replicate_key_errors_as_aws(kms):
    md = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replicate(kms, md["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])
    cases = [
        (kms, md["KeyId"], OTHER, "AlreadyExistsException",
         "You can create only one replica of each primary key in each AWS Region."),
        (make_client(region=OTHER), md["KeyId"], "ap-south-1", "UnsupportedOperationException",
         f"arn:aws:kms:{OTHER}:{ACCOUNT}:key/{md['KeyId']} is not a multi-region primary key."),
    ]
    single = kms.create_key()["KeyMetadata"]
    cases.append((kms, single["KeyId"], OTHER, "UnsupportedOperationException",
                  f"{single['Arn']} is not a multi-region primary key."))
    for client, key_id, region, code, message in cases:
        with pytest.raises(ClientError) as err:
            client.replicate_key(KeyId=key_id, ReplicaRegion=region)
        assert err.value.response["Error"] == {"Code": code, "Message": message}
    with pytest.raises(ClientError) as err:
        kms.replicate_key(KeyId=md["KeyId"], ReplicaRegion="cn-north-1")
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"
    west = make_client(region=OTHER)
    assert west.list_resource_tags(KeyId=md["KeyId"])["Tags"] == [{"TagKey": "k", "TagValue": "v"}]
    assert kms.list_resource_tags(KeyId=md["KeyId"])["Tags"] == []


def test_ciphertexts_cross_regions_and_rotations_reach_the_replica(kms):
    key_id = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    replicate(kms, key_id)
    west = make_client(region=OTHER)
    kms.rotate_key_on_demand(KeyId=key_id)
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"east", EncryptionContext={"app": "dr"})["CiphertextBlob"]
    opened = west.decrypt(CiphertextBlob=sealed, EncryptionContext={"app": "dr"})
    assert opened["Plaintext"] == b"east"
    assert opened["KeyId"] == f"arn:aws:kms:{OTHER}:{ACCOUNT}:key/{key_id}"
    assert opened["KeyMaterialId"] == kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    with pytest.raises(ClientError) as err:
        west.enable_key_rotation(KeyId=key_id)
    assert err.value.response["Error"]["Code"] == "UnsupportedOperationException"
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    assert west.get_key_rotation_status(KeyId=key_id)["RotationPeriodInDays"] == 90
    advance(90 * DAY)
    rotations = [r["KeyMaterialId"] for r in west.list_key_rotations(KeyId=key_id)["Rotations"]]
    assert len(rotations) == 2
    assert rotations == [r["KeyMaterialId"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]]
    sealed = west.encrypt(KeyId=key_id, Plaintext=b"west")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"west"


def test_imported_multi_region_key_needs_the_material_in_every_member(kms):
    private = ec.generate_private_key(ec.SECP256R1())
    md = kms.create_key(MultiRegion=True, Origin="EXTERNAL", KeySpec="ECC_NIST_P256",
                        KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    do_import(kms, md["KeyId"], pkcs8(private))
    replicate(kms, md["KeyId"])
    west = make_client(region=OTHER)
    assert west.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as err:
        do_import(west, md["KeyId"], pkcs8(ec.generate_private_key(ec.SECP256R1())))
    assert err.value.response["Error"]["Code"] == "IncorrectKeyMaterialException"
    do_import(west, md["KeyId"], pkcs8(private))
    assert west.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    signature = west.sign(KeyId=md["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"m", ec.ECDSA(hashes.SHA256()))


def test_primary_waits_for_its_replicas_deletion(kms):
    key_id = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    replicate(kms, key_id)
    west = make_client(region=OTHER)
    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingReplicaDeletion"
    assert "DeletionDate" not in scheduled and scheduled["PendingWindowInDays"] == 7
    md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert md["KeyState"] == "PendingReplicaDeletion" and md["PendingDeletionWindowInDays"] == 7
    assert "DeletionDate" not in md
    replica_date = west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["DeletionDate"]
    advance(7 * DAY + 1)
    with pytest.raises(ClientError) as err:
        west.describe_key(KeyId=key_id)
    assert err.value.response["Error"]["Code"] == "NotFoundException"
    md = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion"
    assert md["DeletionDate"] - replica_date == dt.timedelta(days=7)
    assert md["MultiRegionConfiguration"]["ReplicaKeys"] == []


def test_cli_replicates_and_moves_the_primary():
    key_id = json.loads(aws("create-key", "--multi-region").stdout)["KeyMetadata"]["KeyId"]
    out = json.loads(aws("replicate-key", "--key-id", key_id, "--replica-region", OTHER).stdout)
    assert out["ReplicaKeyMetadata"]["KeyState"] == "Creating"
    advance(2)
    aws("update-primary-region", "--key-id", key_id, "--primary-region", OTHER)
    advance(2)
    md = json.loads(aws("describe-key", "--key-id", key_id, "--region", OTHER).stdout)["KeyMetadata"]
    assert md["KeyState"] == "Enabled"
    assert md["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    assert md["MultiRegionConfiguration"]["ReplicaKeys"] == [
        {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}", "Region": REGION}]


def test_get_key_last_usage_names_the_request_and_each_member_tracks_its_own(kms):
    key_id = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    fresh = kms.get_key_last_usage(KeyId=key_id)
    assert fresh["KeyLastUsage"] == {}
    assert fresh["TrackingStartDate"] == fresh["KeyCreationDate"]
    replicate(kms, key_id)
    west = make_client(region=OTHER)
    sealed = kms.encrypt(KeyId=key_id, Plaintext=b"x")
    usage = kms.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    assert usage["KmsRequestId"] == sealed["ResponseMetadata"]["RequestId"]
    assert re.fullmatch(r"[0-9a-f-]{36}", usage["CloudTrailEventId"])
    assert west.get_key_last_usage(KeyId=key_id)["KeyLastUsage"] == {}
    opened = west.decrypt(CiphertextBlob=sealed["CiphertextBlob"])
    assert west.get_key_last_usage(KeyId=key_id)["KeyLastUsage"]["KmsRequestId"] == \
        opened["ResponseMetadata"]["RequestId"]
    cli = json.loads(aws("get-key-last-usage", "--key-id", key_id).stdout)
    assert cli["KeyLastUsage"]["Operation"] == "Encrypt"


def test_boto3_update_primary_region_and_last_usage_of_sign_and_mac(kms):
    key_id = kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    replicate(kms, key_id)
    kms.update_primary_region(KeyId=key_id, PrimaryRegion=OTHER)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] in ("Updating", "Enabled")
    advance(2)
    west = make_client(region=OTHER)
    config = west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert config["MultiRegionKeyType"] == "PRIMARY" and config["PrimaryKey"]["Region"] == OTHER
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"

    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    signed = kms.sign(KeyId=signing, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    mac = kms.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    for key, op, out in [(signing, "Sign", signed), (mac_key, "GenerateMac", mac)]:
        usage = kms.get_key_last_usage(KeyId=key)["KeyLastUsage"]
        assert usage["Operation"] == op
        assert usage["KmsRequestId"] == out["ResponseMetadata"]["RequestId"]
