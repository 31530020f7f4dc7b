"""Grants, end to end with boto3 and the AWS CLI: CreateGrant (checked against the key's spec
and usage, idempotent by Name), ListGrants (every GrantListEntry field, filters, paging),
ListRetirableGrants, RetireGrant (by token, or by key and grant ID), RevokeGrant, grant tokens
on other operations (valid at once, refused once their grant is gone), DryRun, and the
lifecycle (no new grants on a disabled key; gone with their key).

Same setup as ``test_smoke.py`` (fixtures and helpers reused); every test starts from
``POST /_kms/reset``.
"""

from __future__ import annotations

import json
import re

from test_rotation import advance
from test_smoke import (  # noqa: F401  (fixtures are used by name)
    ACCOUNT,
    _endpoint,
    _isolated_aws_env,
    aws,
    emulated_now,
    expect_error,
    key,
    key_arn,
    kms,
    kms_novalidate,
    reset_server,
)

GRANT_ID_RE = re.compile(r"^[0-9a-f]{64}$")
APP = f"arn:aws:iam::{ACCOUNT}:role/app"
OPS = f"arn:aws:iam::{ACCOUNT}:role/ops"


def grant(kms, key_id: str, operations: list[str], grantee: str = APP, **extra) -> dict:
    return kms.create_grant(KeyId=key_id, GranteePrincipal=grantee, Operations=operations, **extra)


def test_create_and_list_grants_with_every_field(kms, key):
    key_id = key["KeyId"]
    before = emulated_now()
    made = grant(kms, key_id, ["Encrypt", "Decrypt", "DescribeKey"], RetiringPrincipal=OPS, Name="app-grant",
                 Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    assert GRANT_ID_RE.match(made["GrantId"])
    assert made["GrantToken"] and len(made["GrantToken"]) <= 8192
    listed = kms.list_grants(KeyId=key_id)
    assert listed["Truncated"] is False and "NextMarker" not in listed
    [entry] = listed["Grants"]
    assert entry["KeyId"] == key_arn(key_id)
    assert entry["GrantId"] == made["GrantId"]
    assert entry["Name"] == "app-grant"
    assert entry["GranteePrincipal"] == APP
    assert entry["RetiringPrincipal"] == OPS
    assert entry["IssuingAccount"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert entry["Operations"] == ["Encrypt", "Decrypt", "DescribeKey"]
    assert entry["Constraints"] == {"EncryptionContextSubset": {"tenant": "a"}}
    assert abs((entry["CreationDate"] - before).total_seconds()) < 60
    # A grant without a name or constraints lists neither.
    grant(kms, key_id, ["GenerateDataKey"])
    second = kms.list_grants(KeyId=key_id)["Grants"][1]
    assert "Name" not in second and "Constraints" not in second and "RetiringPrincipal" not in second
    # By key ARN too.
    assert len(kms.list_grants(KeyId=key_arn(key_id))["Grants"]) == 2


def test_create_grant_is_idempotent_by_name(kms, key):
    key_id = key["KeyId"]
    a = grant(kms, key_id, ["Encrypt", "Decrypt"], Name="retry-me")
    b = grant(kms, key_id, ["Decrypt", "Encrypt"], Name="retry-me")
    assert a["GrantId"] == b["GrantId"]
    assert a["GrantToken"] != b["GrantToken"], "a new token every call"
    c = grant(kms, key_id, ["Encrypt"], Name="retry-me")
    assert c["GrantId"] != a["GrantId"], "other parameters, another grant"
    d = grant(kms, key_id, ["Encrypt", "Decrypt"])
    e = grant(kms, key_id, ["Encrypt", "Decrypt"])
    assert d["GrantId"] != e["GrantId"], "no name, no idempotency"
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 4


def test_grant_operations_are_checked_against_the_key(kms, key):
    expect_error(lambda: grant(kms, key["KeyId"], ["Sign"]), "ValidationException")
    rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_error(lambda: grant(kms, rsa_key, ["GenerateDataKey"]), "ValidationException")
    grant(kms, rsa_key, ["Sign", "Verify", "GetPublicKey"])
    hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    grant(kms, hmac_key, ["GenerateMac", "VerifyMac"])
    # Encryption context constraints only where an encryption context is taken.
    expect_error(lambda: grant(kms, hmac_key, ["GenerateMac"],
                               Constraints={"EncryptionContextEquals": {"a": "b"}}), "ValidationException")
    err = expect_error(lambda: kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=APP, Operations=["Nope"]),
                       "ValidationException")
    assert "Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey" in err.response["Error"]["Message"]
    expect_error(lambda: kms.create_grant(KeyId=key["KeyId"], Operations=["Decrypt"]), "ValidationException")
    expect_error(lambda: kms.create_grant(KeyId="invalid", GranteePrincipal=APP, Operations=["Decrypt"]),
                 "NotFoundException")


def test_list_grants_filters_and_pages(kms, key):
    key_id = key["KeyId"]
    made = [grant(kms, key_id, ["Decrypt"], grantee=APP if i % 2 else OPS)["GrantId"] for i in range(7)]
    pages, marker = [], None
    while True:
        args = {"KeyId": key_id, "Limit": 3}
        if marker:
            args["Marker"] = marker
        out = kms.list_grants(**args)
        pages.append([g["GrantId"] for g in out["Grants"]])
        if not out["Truncated"]:
            assert "NextMarker" not in out
            break
        marker = out["NextMarker"]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [g for p in pages for g in p] == made
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key_id, GrantId=made[2])["Grants"]] == [made[2]]
    assert len(kms.list_grants(KeyId=key_id, GranteePrincipal=APP)["Grants"]) == 3
    expect_error(lambda: kms.list_grants(KeyId=key_id, GrantId="not-a-grant-id"), "InvalidGrantIdException")
    expect_error(lambda: kms.list_grants(KeyId=key_id, Marker="junk"), "InvalidMarkerException")


def test_tokens_work_at_once_and_stop_with_their_grant(kms, key):
    key_id = key["KeyId"]
    made = grant(kms, key_id, ["Encrypt", "Decrypt"], RetiringPrincipal=OPS)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[made["GrantToken"]])["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, GrantTokens=[made["GrantToken"]])["Plaintext"] == b"x"
    kms.describe_key(KeyId=key_id, GrantTokens=[made["GrantToken"]])
    garbled = made["GrantToken"][:-4] + ("AAAA" if not made["GrantToken"].endswith("AAAA") else "BBBB")
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, GrantTokens=[garbled]), "InvalidGrantTokenException")
    expect_error(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=["not a token"]),
                 "InvalidGrantTokenException")
    kms.retire_grant(GrantToken=made["GrantToken"])
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    expect_error(lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x", GrantTokens=[made["GrantToken"]]),
                 "InvalidGrantTokenException")
    expect_error(lambda: kms.retire_grant(GrantToken=made["GrantToken"]), "InvalidGrantTokenException")
    # Without grant tokens the key works as before (grants do not authorize anything yet).
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_retire_and_revoke_by_id(kms, kms_novalidate, key):
    key_id = key["KeyId"]
    a = grant(kms, key_id, ["Decrypt"])["GrantId"]
    b = grant(kms, key_id, ["Decrypt"])["GrantId"]
    kms.retire_grant(KeyId=key_arn(key_id), GrantId=a)
    kms.revoke_grant(KeyId=key_id, GrantId=b)
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    expect_error(lambda: kms.revoke_grant(KeyId=key_id, GrantId=b), "NotFoundException")
    expect_error(lambda: kms.revoke_grant(KeyId=key_id, GrantId="short"), "InvalidGrantIdException")
    expect_error(lambda: kms.retire_grant(GrantId=a), "ValidationException")
    expect_error(lambda: kms_novalidate.revoke_grant(KeyId=key_id), "ValidationException")


def test_dry_run_changes_nothing(kms, key):
    key_id = key["KeyId"]
    expect_error(lambda: grant(kms, key_id, ["Decrypt"], DryRun=True), "DryRunOperationException",
                 "The request would have succeeded, but the DryRun option is set.")
    assert kms.list_grants(KeyId=key_id)["Grants"] == []
    made = grant(kms, key_id, ["Decrypt"])
    expect_error(lambda: kms.revoke_grant(KeyId=key_id, GrantId=made["GrantId"], DryRun=True),
                 "DryRunOperationException")
    expect_error(lambda: kms.retire_grant(GrantToken=made["GrantToken"], DryRun=True), "DryRunOperationException")
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 1


def test_list_retirable_grants(kms, key):
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    a = grant(kms, key["KeyId"], ["Decrypt"], RetiringPrincipal=OPS)["GrantId"]
    b = grant(kms, other, ["Encrypt"], RetiringPrincipal=OPS)["GrantId"]
    grant(kms, other, ["Encrypt"], RetiringPrincipal=APP)
    listed = kms.list_retirable_grants(RetiringPrincipal=OPS)["Grants"]
    assert sorted(g["GrantId"] for g in listed) == sorted([a, b])
    assert all(g["RetiringPrincipal"] == OPS for g in listed)
    first = kms.list_retirable_grants(RetiringPrincipal=OPS, Limit=1)
    assert first["Truncated"] is True and len(first["Grants"]) == 1


def test_grants_follow_the_key_state(kms, key):
    key_id = key["KeyId"]
    arn = key_arn(key_id)
    made = grant(kms, key_id, ["Decrypt"])
    kms.disable_key(KeyId=key_id)
    expect_error(lambda: grant(kms, key_id, ["Decrypt"]), "DisabledException", f"{arn} is disabled.")
    assert len(kms.list_grants(KeyId=key_id)["Grants"]) == 1, "listing works in any state"
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    expect_error(lambda: grant(kms, external, ["Decrypt"]), "KMSInvalidStateException",
                 f"{key_arn(external)} is pending import.")
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    expect_error(lambda: grant(kms, key_id, ["Decrypt"]), "KMSInvalidStateException")
    advance(8 * 86_400)
    expect_error(lambda: kms.list_grants(KeyId=key_id), "NotFoundException")
    expect_error(lambda: kms.describe_key(KeyId=external, GrantTokens=[made["GrantToken"]]),
                 "InvalidGrantTokenException")


def test_cli_grants(kms, key):
    key_id = key["KeyId"]
    made = json.loads(aws("create-grant", "--key-id", key_id, "--grantee-principal", APP,
                          "--retiring-principal", OPS, "--operations", "Encrypt", "Decrypt",
                          "--name", "cli").stdout)
    assert GRANT_ID_RE.match(made["GrantId"])
    retirable = json.loads(aws("list-retirable-grants", "--retiring-principal", OPS).stdout)["Grants"]
    assert [g["GrantId"] for g in retirable] == [made["GrantId"]]
    listed = json.loads(aws("list-grants", "--key-id", key_id).stdout)["Grants"]
    assert [g["GrantId"] for g in listed] == [made["GrantId"]]
    aws("retire-grant", "--grant-token", made["GrantToken"])
    again = json.loads(aws("create-grant", "--key-id", key_id, "--grantee-principal", APP,
                           "--operations", "Decrypt").stdout)
    aws("revoke-grant", "--key-id", key_id, "--grant-id", again["GrantId"])
    assert json.loads(aws("list-grants", "--key-id", key_id).stdout)["Grants"] == []
