"""Access control seen from boto3 and the AWS CLI: ``--auth sigv4`` accepts what botocore signs
with a known credential (header signing, and presigned query signing), refuses wrong secrets,
unknown keys and missing session tokens with AWS's errors, and names the caller's ARN in the
audit log.

Starts its own emulator (``$KMS_BIN``) with ``--auth sigv4``, a ``--principal`` and a
``--principals`` file, so the other suites keep running without verification.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ALICE = ("AKIAALICEEXAMPLE", "alice/Secret+Key", "arn:aws:iam::123456789012:user/alice")
ROLE = ("ASIAROLEEXAMPLE", "role-secret", "arn:aws:sts::444455556666:assumed-role/Deployer/ci")
ROLE_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//token=="
REGION = "eu-west-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def emulator():
    binary = os.environ.get("KMS_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("KMS_BIN must name the emulator binary (scripts/python-smoke.sh sets it)")
    work = Path(tempfile.mkdtemp(prefix="kms-auth-"))
    principals = work / "principals.toml"
    principals.write_text(
        "[[principals]]\n"
        f'access_key_id = "{ROLE[0]}"\n'
        f'secret_access_key = "{ROLE[1]}"\n'
        f'session_token = "{ROLE_TOKEN}"\n'
        f'arn = "{ROLE[2]}"\n'
    )
    audit = work / "audit.jsonl"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMS_")}
    proc = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--throttle", "off", "--auth", "sigv4",
         "--principal", ":".join(ALICE), "--principals", str(principals),
         "--audit-log", str(audit)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/_kms/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the emulator with --auth sigv4 did not start")
        yield url, audit
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def _client(url: str, key: str, secret: str, token: str | None = None):
    return boto3.client(
        "kms", endpoint_url=url, region_name=REGION,
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}),
    )


def _error(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return info.value.response["Error"]


def test_boto3_signed_by_a_known_principal_works_in_its_account(emulator):
    url, _ = emulator
    kms = _client(url, ALICE[0], ALICE[1])
    meta = kms.create_key(Description="alice's")["KeyMetadata"]
    assert meta["AWSAccountId"] == "123456789012"
    assert meta["Arn"].startswith(f"arn:aws:kms:{REGION}:123456789012:key/")
    blob = kms.encrypt(KeyId=meta["KeyId"], Plaintext=b"secret data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret data"
    assert len(kms.generate_data_key(KeyId=meta["KeyId"], KeySpec="AES_256")["Plaintext"]) == 32

    role = _client(url, ROLE[0], ROLE[1], ROLE_TOKEN)
    assert role.create_key()["KeyMetadata"]["AWSAccountId"] == "444455556666"
    # Each account sees its own keys only.
    assert meta["KeyId"] not in [k["KeyId"] for k in role.list_keys()["Keys"]]


def test_boto3_with_bad_credentials_gets_aws_errors(emulator):
    url, _ = emulator
    err = _error(_client(url, ALICE[0], "wrong-secret").list_keys)
    assert err["Code"] == "InvalidSignatureException"
    assert err["Message"].startswith(
        "The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been" in err["Message"]
    assert ALICE[1] not in err["Message"]

    err = _error(_client(url, "AKIAUNKNOWN", ALICE[1]).list_keys)
    assert err == {"Code": "UnrecognizedClientException",
                   "Message": "The security token included in the request is invalid."}
    assert _error(_client(url, ROLE[0], ROLE[1]).list_keys)["Code"] == "UnrecognizedClientException"
    assert _error(_client(url, ROLE[0], ROLE[1], "forged").list_keys)["Code"] == \
        "UnrecognizedClientException"


def _raw(request: AWSRequest) -> tuple[int, dict]:
    prepared = request.prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    req = urllib.request.Request(prepared.url, data=body, method=prepared.method,
                                 headers=dict(prepared.headers))
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def _list_keys_request(url: str) -> AWSRequest:
    return AWSRequest(method="POST", url=url + "/", data=b"{}", headers={
        "X-Amz-Target": "TrentService.ListKeys",
        "Content-Type": "application/x-amz-json-1.1",
    })


def test_botocore_header_and_presigned_query_signatures_verify(emulator):
    url, _ = emulator
    creds = Credentials(ALICE[0], ALICE[1])
    request = _list_keys_request(url)
    SigV4Auth(creds, "kms", REGION).add_auth(request)
    status, body = _raw(request)
    assert status == 200, body
    assert "Keys" in body

    request = _list_keys_request(url)
    SigV4QueryAuth(creds, "kms", REGION, expires=60).add_auth(request)
    assert "X-Amz-Signature=" in request.url and "Authorization" not in request.headers
    status, body = _raw(request)
    assert status == 200, body

    # The same presigned request with a changed body no longer verifies.
    tampered = _list_keys_request(url)
    SigV4QueryAuth(creds, "kms", REGION, expires=60).add_auth(tampered)
    tampered.data = b'{"Limit": 1}'
    status, body = _raw(tampered)
    assert (status, body["__type"]) == (400, "InvalidSignatureException")

    # Signed for another service.
    request = _list_keys_request(url)
    SigV4Auth(creds, "s3", REGION).add_auth(request)
    status, body = _raw(request)
    assert (status, body) == (400, {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'kms'."})

    # No signature at all.
    status, body = _raw(_list_keys_request(url))
    assert (status, body) == (400, {"__type": "MissingAuthenticationTokenException",
                                    "message": "Missing Authentication Token"})


def _aws_cli() -> str:
    venv_aws = Path(sys.executable).parent / "aws"
    found = str(venv_aws) if venv_aws.exists() else shutil.which("aws")
    if not found:
        pytest.fail("the AWS CLI is not installed (tests/python/requirements.txt has awscli)")
    return found


def _cli(url: str, key: str, secret: str, *args: str) -> subprocess.CompletedProcess:
    empty = Path(tempfile.mkdtemp(prefix="kms-auth-cli-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION,
               AWS_CONFIG_FILE=str(empty / "config"),
               AWS_SHARED_CREDENTIALS_FILE=str(empty / "credentials"),
               AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
    try:
        return subprocess.run([_aws_cli(), "kms", *args, "--endpoint-url", url, "--output", "json"],
                              env=env, capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def test_aws_cli_signs_for_real(emulator):
    url, _ = emulator
    done = _cli(url, ALICE[0], ALICE[1], "create-key", "--description", "from the CLI")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["KeyMetadata"]["AWSAccountId"] == "123456789012"
    refused = _cli(url, ALICE[0], "not-the-secret", "list-keys")
    assert refused.returncode != 0
    assert "InvalidSignatureException" in refused.stderr, refused.stderr


def test_the_audit_log_names_the_caller_and_the_refusals(emulator):
    url, audit = emulator
    kms = _client(url, ALICE[0], ALICE[1])
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key_id)
    _error(lambda: _client(url, ALICE[0], "wrong").describe_key(KeyId=key_id))
    deadline = time.time() + 10
    while time.time() < deadline:
        lines = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
        described = [e for e in lines if e["eventName"] == "DescribeKey"]
        if len(described) >= 2:
            break
        time.sleep(0.05)
    ok = [e for e in described if "errorCode" not in e]
    refused = [e for e in described if e.get("errorCode") == "InvalidSignatureException"]
    assert ok and refused, described
    assert ok[-1]["userIdentity"] == {"type": "IAMUser", "arn": ALICE[2],
                                      "accountId": "123456789012", "accessKeyId": ALICE[0]}
    assert "arn" not in refused[-1]["userIdentity"]
    text = audit.read_text()
    assert ALICE[1] not in text and ROLE[1] not in text and ROLE_TOKEN not in text
