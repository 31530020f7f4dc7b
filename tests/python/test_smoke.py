"""End-to-end smoke tests for kms-emulator using the real boto3 SDK and AWS CLI.

The server is NOT started here: point ``KMS_ENDPOINT`` at a running emulator
(``scripts/python-smoke.sh`` builds the venv, starts the binary and runs this).
The emulator must run with ``--account-id 111122223333 --region us-east-1``.

Expected shapes, error codes and messages are those of the real AWS KMS
service (JSON 1.1 protocol, ``TrentService.<Op>`` targets).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "000000000000"
REGION = "us-east-1"
OTHER_REGION = "us-west-2"
JSON_11 = "application/x-amz-json-1.1"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
KEY_MATERIAL_ID_RE = re.compile(r"^[0-9a-f]{64}$")

INCORRECT_KEY_MSG = "The key ID in the request does not identify a CMK that can perform this operation."
PLAINTEXT_TOO_LONG_MSG = (
    "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
    "Member must have length less than or equal to 4096"
)


def key_arn(key_id: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def alias_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{account}:alias/{name.removeprefix('alias/')}"


# --------------------------------------------------------------------------
# Environment isolation and fixtures
# --------------------------------------------------------------------------


def _endpoint() -> str:
    ep = os.environ.get("KMS_ENDPOINT", "").rstrip("/")
    if not ep:
        pytest.fail("KMS_ENDPOINT is not set (e.g. KMS_ENDPOINT=http://127.0.0.1:4599); "
                    "start kms-emulator first or use scripts/python-smoke.sh", pytrace=False)
    return ep


_AWS_TMP = Path(tempfile.mkdtemp(prefix="kms-smoke-aws-"))
_AWS_CONFIG = _AWS_TMP / "config"
_AWS_CREDENTIALS = _AWS_TMP / "credentials"
_AWS_CONFIG.write_text("")
_AWS_CREDENTIALS.write_text("")


def clean_aws_env(access_key: str = "test", region: str = REGION) -> dict[str, str]:
    """os.environ minus every AWS_* variable, plus fixed fake credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=access_key,
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION=region,
        AWS_REGION=region,
        AWS_CONFIG_FILE=str(_AWS_CONFIG),
        AWS_SHARED_CREDENTIALS_FILE=str(_AWS_CREDENTIALS),
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    return env


@pytest.fixture(scope="session", autouse=True)
def _isolated_aws_env():
    """Keep host configuration (profiles, endpoint overrides, ...) out of boto3."""
    mp = pytest.MonkeyPatch()
    for k in list(os.environ):
        if k.startswith("AWS_"):
            mp.delenv(k)
    for k, v in clean_aws_env().items():
        if k.startswith("AWS_"):
            mp.setenv(k, v)
    yield
    mp.undo()
    shutil.rmtree(_AWS_TMP, ignore_errors=True)


# Every response the SDK receives is checked for the JSON 1.1 content type and a
# request id; violations are collected and reported at the end of each test.
_HEADER_VIOLATIONS: list[str] = []
_CHECKED_RESPONSES = [0]


def _check_response_headers(http_response, model, **_kwargs):
    _CHECKED_RESPONSES[0] += 1
    headers = http_response.headers
    ctype = headers.get("content-type")
    if ctype != JSON_11:
        _HEADER_VIOLATIONS.append(
            f"{model.name} (HTTP {http_response.status_code}): Content-Type {ctype!r}, expected {JSON_11!r}")
    rid = headers.get("x-amzn-requestid")
    if not rid:
        _HEADER_VIOLATIONS.append(f"{model.name} (HTTP {http_response.status_code}): no x-amzn-RequestId header")


def admin(method: str, path: str) -> tuple[int, bytes]:
    req = urllib.request.Request(_endpoint() + path, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture(autouse=True)
def reset_server():
    status, body = admin("POST", "/_kms/reset")
    assert status == 200, f"POST /_kms/reset -> {status} {body!r}"
    _HEADER_VIOLATIONS.clear()
    yield
    violations = list(_HEADER_VIOLATIONS)
    _HEADER_VIOLATIONS.clear()
    assert not violations, "response header violations:\n" + "\n".join(violations)


def make_client(region: str = REGION, access_key: str = "test", validate: bool = True):
    session = boto3.session.Session(
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
        region_name=region,
    )
    config = Config(
        retries={"total_max_attempts": 1},
        connect_timeout=5,
        read_timeout=30,
        parameter_validation=validate,
    )
    client = session.client("kms", endpoint_url=_endpoint(), config=config)
    client.meta.events.register("after-call.kms", _check_response_headers)
    return client


@pytest.fixture
def kms():
    return make_client()


@pytest.fixture
def kms_novalidate():
    """Client without botocore's client-side min-value/min-length checks."""
    return make_client(validate=False)


@pytest.fixture
def key(kms):
    return kms.create_key()["KeyMetadata"]


def expect_error(call, code: str, message: str | None = None, status: int = 400) -> ClientError:
    """Run ``call`` and assert it raises ClientError with this code (and message)."""
    with pytest.raises(ClientError) as excinfo:
        call()
    err = excinfo.value.response
    assert err["Error"]["Code"] == code, err
    assert err["ResponseMetadata"]["HTTPStatusCode"] == status, err
    if message is not None:
        assert err["Error"]["Message"] == message, err
    return excinfo.value


def emulated_now() -> dt.datetime:
    """The emulator's current time (``GET /_kms/clock``). Emulated time only moves forward and
    test_rotation.py moves it ahead of the host clock, so timestamps are checked against it."""
    status, body = admin("GET", "/_kms/clock")
    assert status == 200, f"GET /_kms/clock -> {status} {body!r}"
    return dt.datetime.fromisoformat(json.loads(body)["now"].replace("Z", "+00:00"))


def assert_recent(ts: dt.datetime, slack: float = 300.0) -> None:
    assert isinstance(ts, dt.datetime)
    assert ts.tzinfo is not None
    delta = abs((emulated_now() - ts).total_seconds())
    assert delta < slack, f"timestamp {ts} is {delta:.0f}s away from the emulator's now"


def only_response(resp: dict) -> dict:
    return {k: v for k, v in resp.items() if k != "ResponseMetadata"}


# --------------------------------------------------------------------------
# Admin endpoints
# --------------------------------------------------------------------------


def test_health_endpoint():
    status, body = admin("GET", "/_kms/health")
    assert status == 200, body
    doc = json.loads(body)
    assert doc["status"] == "ok"
    assert isinstance(doc["version"], str) and doc["version"]


def test_reset_wipes_keys(kms, key):
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [key["KeyId"]]
    status, _ = admin("POST", "/_kms/reset")
    assert status == 200
    assert kms.list_keys()["Keys"] == []


# --------------------------------------------------------------------------
# CreateKey / DescribeKey / ListKeys
# --------------------------------------------------------------------------


def test_create_key_default_metadata(kms):
    resp = kms.create_key()
    assert set(only_response(resp)) == {"KeyMetadata"}
    md = resp["KeyMetadata"]
    assert set(md) == {
        "AWSAccountId", "Arn", "CreationDate", "CurrentKeyMaterialId", "CustomerMasterKeySpec",
        "Description", "Enabled", "EncryptionAlgorithms", "KeyId", "KeyManager", "KeySpec",
        "KeyState", "KeyUsage", "MultiRegion", "Origin",
    }, md
    assert UUID_RE.match(md["KeyId"]), md["KeyId"]
    assert md["AWSAccountId"] == ACCOUNT
    assert md["Arn"] == key_arn(md["KeyId"])
    assert_recent(md["CreationDate"])
    assert KEY_MATERIAL_ID_RE.match(md["CurrentKeyMaterialId"]), md["CurrentKeyMaterialId"]
    assert md["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert md["Description"] == ""
    assert md["Enabled"] is True
    assert md["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert md["KeyManager"] == "CUSTOMER"
    assert md["KeyState"] == "Enabled"
    assert md["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert md["MultiRegion"] is False
    assert md["Origin"] == "AWS_KMS"


def test_create_key_with_description_and_unique_ids(kms):
    a = kms.create_key(Description="smoke key")["KeyMetadata"]
    b = kms.create_key()["KeyMetadata"]
    assert a["Description"] == "smoke key"
    assert a["KeyId"] != b["KeyId"]
    assert a["CurrentKeyMaterialId"] != b["CurrentKeyMaterialId"]


def test_describe_key_by_every_identifier(kms, key):
    kms.create_alias(AliasName="alias/smoke-describe", TargetKeyId=key["KeyId"])
    for ident in (
        key["KeyId"],
        key["Arn"],
        "alias/smoke-describe",
        alias_arn("alias/smoke-describe"),
    ):
        resp = kms.describe_key(KeyId=ident)
        assert set(only_response(resp)) == {"KeyMetadata"}
        assert resp["KeyMetadata"] == key, ident


def test_describe_nonexistent_uuid(kms):
    missing = str(uuid.uuid4())
    expect_error(lambda: kms.describe_key(KeyId=missing), "NotFoundException",
                 f"Key '{key_arn(missing)}' does not exist")


def test_describe_malformed_key_id(kms):
    expect_error(lambda: kms.describe_key(KeyId="fake-key-id"), "NotFoundException",
                 "Invalid keyId 'fake-key-id'")


def test_describe_nonexistent_alias(kms):
    expect_error(lambda: kms.describe_key(KeyId="alias/does-not-exist"), "NotFoundException",
                 f"Alias {alias_arn('alias/does-not-exist')} is not found.")


def test_list_keys_paging(kms):
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(5)}

    full = kms.list_keys()
    assert full["Truncated"] is False
    assert "NextMarker" not in full
    assert {k["KeyId"] for k in full["Keys"]} == created
    for entry in full["Keys"]:
        assert entry == {"KeyId": entry["KeyId"], "KeyArn": key_arn(entry["KeyId"])}

    seen: list[str] = []
    pages = []
    kwargs = {"Limit": 2}
    while True:
        page = kms.list_keys(**kwargs)
        pages.append(page)
        assert len(page["Keys"]) <= 2
        seen.extend(k["KeyId"] for k in page["Keys"])
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        assert page["NextMarker"]
        kwargs = {"Limit": 2, "Marker": page["NextMarker"]}
        assert len(pages) < 10, "paging does not terminate"
    assert [len(p["Keys"]) for p in pages] == [2, 2, 1]
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == created

    # The SDK paginator drives the same Limit/Marker protocol.
    paged = kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 3})
    assert {k["KeyId"] for p in paged for k in p["Keys"]} == created


# --------------------------------------------------------------------------
# Encrypt / Decrypt
# --------------------------------------------------------------------------


def test_encrypt_decrypt_round_trip(kms, key):
    plaintext = b"hello, kms \x00\xff"
    enc = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    assert set(only_response(enc)) == {"CiphertextBlob", "KeyId", "EncryptionAlgorithm"}
    assert enc["KeyId"] == key["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert isinstance(enc["CiphertextBlob"], bytes)
    assert plaintext not in enc["CiphertextBlob"]

    # Symmetric ciphertext identifies its key: no KeyId needed.
    dec = kms.decrypt(CiphertextBlob=enc["CiphertextBlob"])
    assert set(only_response(dec)) == {"KeyId", "Plaintext", "EncryptionAlgorithm", "KeyMaterialId"}
    assert dec["Plaintext"] == plaintext
    assert dec["KeyId"] == key["Arn"]
    assert dec["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert dec["KeyMaterialId"] == key["CurrentKeyMaterialId"]

    # Naming the right key (by id, ARN or alias) also works.
    kms.create_alias(AliasName="alias/smoke-enc", TargetKeyId=key["KeyId"])
    for ident in (key["KeyId"], key["Arn"], "alias/smoke-enc"):
        assert kms.decrypt(CiphertextBlob=enc["CiphertextBlob"], KeyId=ident)["Plaintext"] == plaintext

    # Encrypting is randomized.
    again = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext)
    assert again["CiphertextBlob"] != enc["CiphertextBlob"]


def test_encrypt_by_alias_reports_key_arn(kms, key):
    kms.create_alias(AliasName="alias/smoke-by-alias", TargetKeyId=key["KeyId"])
    enc = kms.encrypt(KeyId="alias/smoke-by-alias", Plaintext=b"x")
    assert enc["KeyId"] == key["Arn"]
    enc2 = kms.encrypt(KeyId=alias_arn("alias/smoke-by-alias"), Plaintext=b"x")
    assert enc2["KeyId"] == key["Arn"]


def test_encrypt_with_unknown_alias(kms):
    expect_error(lambda: kms.encrypt(KeyId="alias/nope", Plaintext=b"x"), "NotFoundException",
                 f"Alias {alias_arn('alias/nope')} is not found.")


def test_encryption_context(kms, key):
    ctx = {"purpose": "smoke", "tenant": "a"}
    enc = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext=ctx)
    blob = enc["CiphertextBlob"]

    dec = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert dec["Plaintext"] == b"secret"
    # A map: member order on the wire must not matter.
    reordered = dict(reversed(list(ctx.items())))
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered)["Plaintext"] == b"secret"

    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other", "tenant": "a"}),
                 "InvalidCiphertextException")
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "smoke"}),
                 "InvalidCiphertextException")
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "InvalidCiphertextException")

    # Ciphertext made without a context does not decrypt with one.
    plain_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=plain_blob, EncryptionContext={"a": "b"}),
                 "InvalidCiphertextException")


def test_decrypt_tampered_ciphertext(kms, key):
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"])
    blob[-1] ^= 0x01
    expect_error(lambda: kms.decrypt(CiphertextBlob=bytes(blob)), "InvalidCiphertextException")


def test_decrypt_with_other_key_id(kms, key):
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"]),
                 "IncorrectKeyException", INCORRECT_KEY_MSG)


def test_plaintext_size_limit(kms, key):
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a" * 4096)
    expect_error(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"a" * 4097),
                 "ValidationException", PLAINTEXT_TOO_LONG_MSG)


# --------------------------------------------------------------------------
# Data keys, random, re-encrypt
# --------------------------------------------------------------------------


def test_generate_data_key(kms, key):
    ctx = {"file": "a.txt"}
    resp = kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", EncryptionContext=ctx)
    assert set(only_response(resp)) == {"CiphertextBlob", "Plaintext", "KeyId", "KeyMaterialId"}
    assert len(resp["Plaintext"]) == 32
    assert resp["KeyId"] == key["Arn"]
    assert resp["KeyMaterialId"] == key["CurrentKeyMaterialId"]

    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=ctx)
    assert dec["Plaintext"] == resp["Plaintext"]
    assert dec["KeyId"] == key["Arn"]

    assert len(kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16
    nb = kms.generate_data_key(KeyId=key["KeyId"], NumberOfBytes=64)
    assert len(nb["Plaintext"]) == 64
    assert kms.decrypt(CiphertextBlob=nb["CiphertextBlob"])["Plaintext"] == nb["Plaintext"]

    expect_error(lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32),
                 "ValidationException")
    expect_error(lambda: kms.generate_data_key(KeyId=key["KeyId"]), "ValidationException")


def test_generate_data_key_without_plaintext(kms, key):
    resp = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], KeySpec="AES_256")
    assert set(only_response(resp)) == {"CiphertextBlob", "KeyId", "KeyMaterialId"}
    assert resp["KeyId"] == key["Arn"]
    assert resp["KeyMaterialId"] == key["CurrentKeyMaterialId"]
    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"])
    assert len(dec["Plaintext"]) == 32
    assert dec["KeyId"] == key["Arn"]


def test_generate_random(kms, kms_novalidate):
    resp = kms.generate_random(NumberOfBytes=32)
    assert set(only_response(resp)) == {"Plaintext"}
    assert len(resp["Plaintext"]) == 32
    assert kms.generate_random(NumberOfBytes=32)["Plaintext"] != resp["Plaintext"]
    assert len(kms.generate_random(NumberOfBytes=1024)["Plaintext"]) == 1024

    # botocore would reject 0 client-side (model min 1); send it anyway.
    expect_error(lambda: kms_novalidate.generate_random(NumberOfBytes=0), "ValidationException",
                 "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: "
                 "Member must have value greater than or equal to 1")
    expect_error(lambda: kms.generate_random(NumberOfBytes=1025), "ValidationException",
                 "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
                 "Member must have value less than or equal to 1024")


def test_re_encrypt_to_another_key(kms, key):
    dest = kms.create_key()["KeyMetadata"]
    src_ctx = {"stage": "one"}
    dst_ctx = {"stage": "two"}
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"move me", EncryptionContext=src_ctx)["CiphertextBlob"]

    resp = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=src_ctx,
        DestinationKeyId=dest["KeyId"],
        DestinationEncryptionContext=dst_ctx,
    )
    assert set(only_response(resp)) == {
        "CiphertextBlob", "SourceKeyId", "KeyId", "SourceEncryptionAlgorithm",
        "DestinationEncryptionAlgorithm", "SourceKeyMaterialId", "DestinationKeyMaterialId",
    }
    assert resp["SourceKeyId"] == key["Arn"]
    assert resp["KeyId"] == dest["Arn"]
    assert resp["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert resp["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert resp["SourceKeyMaterialId"] == key["CurrentKeyMaterialId"]
    assert resp["DestinationKeyMaterialId"] == dest["CurrentKeyMaterialId"]

    dec = kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=dst_ctx)
    assert dec["Plaintext"] == b"move me"
    assert dec["KeyId"] == dest["Arn"]
    expect_error(lambda: kms.decrypt(CiphertextBlob=resp["CiphertextBlob"], EncryptionContext=src_ctx),
                 "InvalidCiphertextException")
    expect_error(lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=dest["KeyId"]),
                 "InvalidCiphertextException")


# --------------------------------------------------------------------------
# Key state
# --------------------------------------------------------------------------


def test_disable_and_enable_key(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    assert only_response(kms.disable_key(KeyId=key["KeyId"])) == {}

    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Disabled"
    assert md["Enabled"] is False

    disabled = f"{key['Arn']} is disabled."
    expect_error(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), "DisabledException", disabled)
    expect_error(lambda: kms.decrypt(CiphertextBlob=blob), "DisabledException", disabled)
    expect_error(lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
                 "DisabledException", disabled)

    assert only_response(kms.enable_key(KeyId=key["KeyId"])) == {}
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Enabled"
    assert md["Enabled"] is True
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_schedule_and_cancel_key_deletion(kms, key):
    before = emulated_now()
    resp = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert set(only_response(resp)) == {"KeyId", "DeletionDate", "KeyState", "PendingWindowInDays"}
    assert resp["KeyId"] == key["Arn"]
    assert resp["KeyState"] == "PendingDeletion"
    assert resp["PendingWindowInDays"] == 7
    days = (resp["DeletionDate"] - before).total_seconds() / 86400
    assert 6.0 < days <= 8.0, resp["DeletionDate"]

    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "PendingDeletion"
    assert md["Enabled"] is False
    assert md["DeletionDate"] == resp["DeletionDate"]

    err = expect_error(lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"), "KMSInvalidStateException")
    assert err.response["Error"]["Message"] == f"{key['Arn']} is pending deletion."

    cancel = kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert only_response(cancel) == {"KeyId": key["Arn"]}
    md = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert md["KeyState"] == "Disabled"
    assert md["Enabled"] is False
    assert "DeletionDate" not in md

    kms.enable_key(KeyId=key["KeyId"])
    assert kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]


# --------------------------------------------------------------------------
# Aliases
# --------------------------------------------------------------------------


def test_alias_lifecycle(kms, key):
    other = kms.create_key()["KeyMetadata"]
    name = "alias/smoke-life"
    assert only_response(kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])) == {}

    listed = kms.list_aliases(KeyId=key["KeyId"])
    assert listed["Truncated"] is False
    assert "NextMarker" not in listed
    assert len(listed["Aliases"]) == 1
    entry = listed["Aliases"][0]
    assert set(entry) == {"AliasName", "AliasArn", "TargetKeyId", "CreationDate", "LastUpdatedDate"}
    assert entry["AliasName"] == name
    assert entry["AliasArn"] == alias_arn(name)
    assert entry["TargetKeyId"] == key["KeyId"]
    assert_recent(entry["CreationDate"])
    assert_recent(entry["LastUpdatedDate"])
    # KeyId filter also accepts the key ARN.
    assert kms.list_aliases(KeyId=key["Arn"])["Aliases"] == listed["Aliases"]
    assert kms.list_aliases(KeyId=other["KeyId"])["Aliases"] == []
    assert name in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}

    expect_error(lambda: kms.create_alias(AliasName=name, TargetKeyId=other["KeyId"]),
                 "AlreadyExistsException",
                 f"An alias with the name {alias_arn(name)} already exists")

    assert only_response(kms.update_alias(AliasName=name, TargetKeyId=other["KeyId"])) == {}
    assert kms.list_aliases(KeyId=key["KeyId"])["Aliases"] == []
    moved = kms.list_aliases(KeyId=other["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in moved] == [name]
    assert moved[0]["TargetKeyId"] == other["KeyId"]
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other["KeyId"]

    assert only_response(kms.delete_alias(AliasName=name)) == {}
    assert kms.list_aliases(KeyId=other["KeyId"])["Aliases"] == []
    expect_error(lambda: kms.describe_key(KeyId=name), "NotFoundException",
                 f"Alias {alias_arn(name)} is not found.")
    expect_error(lambda: kms.delete_alias(AliasName=name), "NotFoundException")


def test_alias_name_rules(kms, key):
    expect_error(lambda: kms.create_alias(AliasName="smoke-no-prefix", TargetKeyId=key["KeyId"]),
                 "ValidationException")
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/smoke", TargetKeyId=key["KeyId"])
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert kms.list_aliases(KeyId=key["KeyId"])["Aliases"] == []


# --------------------------------------------------------------------------
# Tags and key policies
# --------------------------------------------------------------------------


def _tags(kms, key_id):
    resp = kms.list_resource_tags(KeyId=key_id)
    assert resp["Truncated"] is False
    assert "NextMarker" not in resp
    return sorted((t["TagKey"], t["TagValue"]) for t in resp["Tags"])


def test_tags(kms):
    key = kms.create_key(Tags=[{"TagKey": "env", "TagValue": "test"}])["KeyMetadata"]
    assert _tags(kms, key["KeyId"]) == [("env", "test")]

    tagged = kms.tag_resource(KeyId=key["KeyId"], Tags=[
        {"TagKey": "team", "TagValue": "kms"},
        {"TagKey": "env", "TagValue": "prod"},  # overwrites
    ])
    assert only_response(tagged) == {}
    assert _tags(kms, key["KeyId"]) == [("env", "prod"), ("team", "kms")]
    assert _tags(kms, key["Arn"]) == [("env", "prod"), ("team", "kms")]
    for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]:
        assert set(t) == {"TagKey", "TagValue"}

    assert only_response(kms.untag_resource(KeyId=key["KeyId"], TagKeys=["env"])) == {}
    assert _tags(kms, key["KeyId"]) == [("team", "kms")]

    expect_error(lambda: kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "aws:owner", "TagValue": "x"}]),
                 "TagException", "Tags beginning with aws: are reserved")
    assert _tags(kms, key["KeyId"]) == [("team", "kms")]


def test_key_policy(kms, key):
    listed = kms.list_key_policies(KeyId=key["KeyId"])
    assert only_response(listed) == {"PolicyNames": ["default"], "Truncated": False}

    got = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert got["PolicyName"] == "default"
    policy = json.loads(got["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"] == [{
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }]

    new_policy = json.dumps({
        "Version": "2012-10-17",
        "Id": "smoke-policy",
        "Statement": [{
            "Sid": "Root",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }],
    }, indent=2)
    assert only_response(kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=new_policy)) == {}
    got = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert got["Policy"] == new_policy
    # PolicyName is optional and defaults to "default".
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == new_policy


# --------------------------------------------------------------------------
# Account and region scoping
# --------------------------------------------------------------------------


def test_account_scoping(kms, key):
    other = make_client(access_key=OTHER_ACCOUNT)
    assert other.list_keys()["Keys"] == []
    expect_error(lambda: other.describe_key(KeyId=key["KeyId"]), "NotFoundException",
                 f"Key '{key_arn(key['KeyId'], account=OTHER_ACCOUNT)}' does not exist")

    theirs = other.create_key()["KeyMetadata"]
    assert theirs["AWSAccountId"] == OTHER_ACCOUNT
    assert theirs["Arn"] == key_arn(theirs["KeyId"], account=OTHER_ACCOUNT)
    assert [k["KeyId"] for k in other.list_keys()["Keys"]] == [theirs["KeyId"]]
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [key["KeyId"]]
    expect_error(lambda: kms.describe_key(KeyId=theirs["KeyId"]), "NotFoundException",
                 f"Key '{key_arn(theirs['KeyId'])}' does not exist")

    # Alias names are per account.
    kms.create_alias(AliasName="alias/shared-name", TargetKeyId=key["KeyId"])
    other.create_alias(AliasName="alias/shared-name", TargetKeyId=theirs["KeyId"])
    assert kms.describe_key(KeyId="alias/shared-name")["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert other.describe_key(KeyId="alias/shared-name")["KeyMetadata"]["KeyId"] == theirs["KeyId"]


def test_region_scoping(kms):
    west = make_client(region=OTHER_REGION)
    wkey = west.create_key()["KeyMetadata"]
    assert wkey["Arn"] == key_arn(wkey["KeyId"], region=OTHER_REGION)
    assert west.describe_key(KeyId=wkey["KeyId"])["KeyMetadata"]["Arn"] == wkey["Arn"]

    assert kms.list_keys()["Keys"] == []
    expect_error(lambda: kms.describe_key(KeyId=wkey["KeyId"]), "NotFoundException",
                 f"Key '{key_arn(wkey['KeyId'])}' does not exist")
    expect_error(lambda: kms.describe_key(KeyId=wkey["Arn"]), "NotFoundException",
                 f"Invalid arn {OTHER_REGION}")


# --------------------------------------------------------------------------
# Raw protocol
# --------------------------------------------------------------------------


def raw_call(target: str, body: bytes, region: str = REGION) -> tuple[int, dict, bytes]:
    """A SigV4-signed POST / with an arbitrary X-Amz-Target and body."""
    url = _endpoint() + "/"
    req = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": JSON_11,
        "X-Amz-Target": target,
    })
    SigV4Auth(Credentials("test", "test"), "kms", region).add_auth(req)
    prepared = req.prepare()
    ureq = urllib.request.Request(url, data=body, method="POST", headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(ureq, timeout=10) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def assert_protocol_headers(headers: dict) -> None:
    assert headers.get("content-type") == JSON_11, headers
    rid = headers.get("x-amzn-requestid")
    assert rid, headers
    uuid.UUID(rid)


def error_type(doc: dict) -> str:
    # AWS may send a namespaced type ("ns#Name"); the SDKs use the part after '#'.
    return doc["__type"].split("#")[-1]


def test_raw_success_response():
    status, headers, body = raw_call("TrentService.ListKeys", b"{}")
    assert status == 200, body
    assert_protocol_headers(headers)
    assert json.loads(body) == {"Keys": [], "Truncated": False}


def test_raw_unknown_operation():
    status, headers, body = raw_call("TrentService.Nope", b"{}")
    assert status == 400, body
    assert_protocol_headers(headers)
    assert error_type(json.loads(body)) == "UnknownOperationException"


def test_raw_malformed_json():
    status, headers, body = raw_call("TrentService.ListKeys", b"{not json")
    assert status == 400, body
    assert_protocol_headers(headers)
    assert error_type(json.loads(body)) == "SerializationException"


def test_raw_error_body_shape():
    missing = str(uuid.uuid4())
    status, headers, body = raw_call("TrentService.DescribeKey", json.dumps({"KeyId": missing}).encode())
    assert status == 400, body
    assert_protocol_headers(headers)
    doc = json.loads(body)
    assert error_type(doc) == "NotFoundException"
    assert doc["message"] == f"Key '{key_arn(missing)}' does not exist"


def test_sdk_responses_were_header_checked(kms, key):
    start = _CHECKED_RESPONSES[0]
    kms.describe_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError):
        kms.describe_key(KeyId="fake-key-id")
    assert _CHECKED_RESPONSES[0] - start == 2


# --------------------------------------------------------------------------
# AWS CLI
# --------------------------------------------------------------------------


def _aws_cli() -> str:
    venv_aws = Path(sys.executable).parent / "aws"
    found = str(venv_aws) if venv_aws.exists() else shutil.which("aws")
    if not found:
        pytest.fail("the AWS CLI (`aws`) is not installed; pip install -r tests/python/requirements.txt")
    return found


_CLI_V2: list[bool] = []


def _cli_is_v2(exe: str) -> bool:
    if not _CLI_V2:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, env=clean_aws_env(), timeout=60)
        _CLI_V2.append((out.stdout + out.stderr).startswith("aws-cli/2"))
    return _CLI_V2[0]


def aws(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    exe = _aws_cli()
    # --no-cli-pager exists only in AWS CLI v2 (v1, the PyPI awscli, has no pager
    # and rejects the flag); AWS_PAGER="" covers both.
    pager = ["--no-cli-pager"] if _cli_is_v2(exe) else []
    output = [] if "--output" in args else ["--output", "json"]
    cmd = [exe, "kms", *args, "--endpoint-url", _endpoint(), *output, *pager]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_aws_env(), timeout=120)
    if check:
        assert proc.returncode == 0, f"{cmd} -> rc {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    return proc


def test_cli_create_encrypt_decrypt_list(tmp_path, kms):
    created = json.loads(aws("create-key", "--description", "cli key").stdout)
    md = created["KeyMetadata"]
    assert UUID_RE.match(md["KeyId"])
    assert md["Arn"] == key_arn(md["KeyId"])
    assert md["Description"] == "cli key"
    assert md["KeyState"] == "Enabled"
    assert md["KeySpec"] == "SYMMETRIC_DEFAULT"

    plaintext = b"cli round trip \x00\x01\xfe\xff"
    (tmp_path / "plain.bin").write_bytes(plaintext)
    enc = json.loads(aws("encrypt", "--key-id", md["KeyId"],
                         "--plaintext", f"fileb://{tmp_path / 'plain.bin'}").stdout)
    assert enc["KeyId"] == md["Arn"]
    assert enc["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    (tmp_path / "cipher.bin").write_bytes(base64.b64decode(enc["CiphertextBlob"]))

    out = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'cipher.bin'}",
              "--output", "text", "--query", "Plaintext").stdout
    assert base64.b64decode(out.strip()) == plaintext

    # The CLI-made ciphertext is an ordinary KMS ciphertext for boto3 as well.
    assert kms.decrypt(CiphertextBlob=(tmp_path / "cipher.bin").read_bytes())["Plaintext"] == plaintext

    listed = json.loads(aws("list-keys").stdout)
    assert listed["Keys"] == [{"KeyId": md["KeyId"], "KeyArn": md["Arn"]}]
    assert listed.get("Truncated", False) is False


def test_cli_service_error():
    proc = aws("describe-key", "--key-id", "fake-key-id", check=False)
    # AWS CLI v2 exits 254 when the service returned an error; v1 exits 255 for every error.
    expected_rc = 254 if _cli_is_v2(_aws_cli()) else 255
    assert proc.returncode == expected_rc, (proc.returncode, proc.stderr)
    assert ("An error occurred (NotFoundException) when calling the DescribeKey operation: "
            "Invalid keyId 'fake-key-id'") in proc.stderr


# ---------------------------------------------------------------------------
# Oversized requests
# ---------------------------------------------------------------------------

def test_oversized_body_is_413_for_urllib():
    """urllib writes the whole 8 MiB body before reading: it must still get the 413."""
    req = urllib.request.Request(
        _endpoint() + "/", method="POST", data=b"A" * (8 * 1024 * 1024),
        headers={"X-Amz-Target": "TrentService.Encrypt",
                 "Content-Type": "application/x-amz-json-1.1"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(req, timeout=30)
    assert raised.value.code == 413
    assert json.loads(raised.value.read())["__type"] == "ValidationException"
