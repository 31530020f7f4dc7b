"""Access control seen from boto3 and the AWS CLI: ``--auth sigv4`` accepts what botocore signs
with a known credential (header signing, and presigned query signing), refuses wrong secrets,
unknown keys and missing session tokens with AWS's errors, and names the caller's ARN in the
audit log.

Starts its own emulator (``$KMS_BIN``) with ``--auth sigv4``, a ``--principal`` and a
``--principals`` file, so the other suites keep running without verification.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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


@contextlib.contextmanager
def _running(mode: str, principals_toml: str, *principal_flags: str):
    """The emulator with ``--auth <mode>``, the given principals and an audit log."""
    binary = os.environ.get("KMS_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("KMS_BIN must name the emulator binary (scripts/python-smoke.sh sets it)")
    work = Path(tempfile.mkdtemp(prefix="kms-auth-"))
    principals = work / "principals.toml"
    principals.write_text(principals_toml)
    audit = work / "audit.jsonl"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KMS_")}
    args = [binary, "--listen", f"127.0.0.1:{port}", "--throttle", "off", "--auth", mode,
            "--principals", str(principals), "--audit-log", str(audit)]
    for flag in principal_flags:
        args += ["--principal", flag]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/_kms/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail(f"the emulator with --auth {mode} did not start")
        yield url, audit
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def emulator():
    role = (
        "[[principals]]\n"
        f'access_key_id = "{ROLE[0]}"\n'
        f'secret_access_key = "{ROLE[1]}"\n'
        f'session_token = "{ROLE_TOKEN}"\n'
        f'arn = "{ROLE[2]}"\n'
    )
    with _running("sigv4", role, ":".join(ALICE)) as running:
        yield running


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
    # A wrong secret with the role's session token: the error the client gets quotes the
    # canonical request, token included (as AWS's does); the audit log must not.
    message = _error(lambda: _client(url, ROLE[0], "wrong", ROLE_TOKEN).describe_key(
        KeyId=key_id))["Message"]
    assert ROLE_TOKEN in message
    deadline = time.time() + 10
    while time.time() < deadline:
        lines = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
        described = [e for e in lines if e["eventName"] == "DescribeKey"]
        if len(described) >= 3:
            break
        time.sleep(0.05)
    ok = [e for e in described if "errorCode" not in e]
    refused = [e for e in described if e.get("errorCode") == "InvalidSignatureException"]
    assert ok and refused, described
    identity = ok[-1]["userIdentity"]
    # principalId: IAM's unique-ID form (AIDA + 17 of A-Z2-7 for a user), the same each time.
    assert re.fullmatch(r"AIDA[A-Z2-7]{17}", identity.pop("principalId", "")), identity
    assert identity == {"type": "IAMUser", "arn": ALICE[2],
                        "accountId": "123456789012", "accessKeyId": ALICE[0]}
    assert "arn" not in refused[-1]["userIdentity"]
    assert all("errorMessage" not in e for e in refused), refused
    text = audit.read_text()
    assert ALICE[1] not in text and ROLE[1] not in text and ROLE_TOKEN not in text


# --- --auth enforce: key policies, identity policies and grants decide ---------------------

ACCOUNT, PARTNER_ACCOUNT = "111122223333", "444455556666"
ADMIN = ("AKIAADMINEXAMPLE", "admin-secret", f"arn:aws:iam::{ACCOUNT}:user/admin")
READER = ("AKIAREADEREXAMPLE", "reader-secret", f"arn:aws:iam::{ACCOUNT}:user/reader")
APP = ("AKIAAPPEXAMPLE", "app-secret", f"arn:aws:iam::{ACCOUNT}:user/app")
PARTNER = ("ASIAPARTNEREXAMPLE", "partner-secret",
           f"arn:aws:sts::{PARTNER_ACCOUNT}:assumed-role/Auditor/audit-7")
PARTNER_TOKEN = "FwoGZXIvYXdzEXAMPLE=="
OUTSIDER = ("AKIAOUTSIDEREXAMPLE", "outsider-secret",
            f"arn:aws:iam::{PARTNER_ACCOUNT}:user/outsider")
# Attribute-based access: two users whose one identity policy lets them use the keys of their
# own project (the principal's tag against the key's) and ask for data keys in their own name.
ADA = ("AKIAADAEXAMPLE", "ada-secret", f"arn:aws:iam::{ACCOUNT}:user/ada")
BEN = ("AKIABENEXAMPLE", "ben-secret", f"arn:aws:iam::{ACCOUNT}:user/ben")
ABAC_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Keys of my project", "Effect": "Allow",
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:CreateAlias"],
     "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
     "Condition": {"StringEquals": {"aws:ResourceTag/Project": "${aws:PrincipalTag/Project}"}}},
    {"Sid": "Aliases in my name", "Effect": "Allow", "Action": "kms:CreateAlias",
     "Resource": f"arn:aws:kms:*:{ACCOUNT}:alias/${{aws:username}}-*"},
    {"Sid": "Data keys in my name", "Effect": "Allow", "Action": "kms:GenerateDataKey",
     "Resource": "*",
     "Condition": {"StringLike": {"kms:EncryptionContext:owner": "${aws:username}/*"}}},
]}


def _principal(who: tuple, policies: list[dict] | None, token: str | None = None,
               tags: dict[str, str] | None = None) -> str:
    lines = ["[[principals]]", f'access_key_id = "{who[0]}"',
             f'secret_access_key = "{who[1]}"', f'arn = "{who[2]}"']
    if token:
        lines.append(f'session_token = "{token}"')
    if tags:
        lines.append("tags = { " + ", ".join(f'{k} = "{v}"' for k, v in tags.items()) + " }")
    if policies is not None:
        lines.append("policies = [" + ", ".join(
            "'" + json.dumps(p) + "'" for p in policies) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def enforcing():
    keys = f"arn:aws:kms:*:{ACCOUNT}:key/*"
    principals = "".join([
        # Reads through the account's delegation: its identity policy allows Decrypt only.
        _principal(READER, [{"Version": "2012-10-17", "Statement": {
            "Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": keys}}]),
        # May list keys, and nothing else unless a key policy or a grant names it.
        _principal(APP, [{"Statement": {"Effect": "Allow", "Action": "kms:ListKeys",
                                        "Resource": "*"}}]),
        # Another account's role: it may decrypt with this account's keys, if their policy lets it.
        _principal(PARTNER, [{"Statement": {"Effect": "Allow", "Action": "kms:Decrypt",
                                            "Resource": keys}}], PARTNER_TOKEN),
        # Another account's administrator: kms:* in its own account only (the default).
        _principal(OUTSIDER, None),
        _principal(ADA, [ABAC_POLICY], tags={"Project": "alpha"}),
        _principal(BEN, [ABAC_POLICY], tags={"project": "beta"}),
    ])
    with _running("enforce", principals, ":".join(ADMIN)) as running:
        yield running


def _as(url: str, who: tuple, token: str | None = None):
    return _client(url, who[0], who[1], token)


def _denied(call) -> str:
    err = _error(call)
    assert err["Code"] == "AccessDeniedException", err
    return err["Message"]


def _app_key_policy(delegate: bool = True) -> str:
    statements = [
        {"Sid": "Key administrators", "Effect": "Allow", "Principal": {"AWS": ADMIN[2]},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "The app encrypts for finance only", "Effect": "Allow",
         "Principal": {"AWS": APP[2]}, "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
         "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:dept": "finance"}}},
        {"Sid": "The partner's auditors decrypt", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{PARTNER_ACCOUNT}:role/Auditor"},
         "Action": "kms:Decrypt", "Resource": "*"},
        {"Sid": "Payroll is nobody's business", "Effect": "Deny", "Principal": "*",
         "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:EncryptionContext:dept": "payroll"}}},
        {"Sid": "Only from loopback", "Effect": "Deny", "Principal": "*", "Action": "kms:*",
         "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
    ]
    if delegate:
        statements.insert(0, {"Sid": "Enable IAM policies", "Effect": "Allow",
                              "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                              "Action": "kms:*", "Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def test_enforce_key_policy_allows_and_denies(enforcing):
    url, _ = enforcing
    admin, app = _as(url, ADMIN), _as(url, APP)
    key = admin.create_key(Policy=_app_key_policy())["KeyMetadata"]["Arn"]
    finance = {"dept": "finance"}
    blob = app.encrypt(KeyId=key, Plaintext=b"q3 numbers", EncryptionContext=finance)[
        "CiphertextBlob"]
    # The encryption-context condition binds: another department is refused.
    message = _denied(lambda: app.encrypt(KeyId=key, Plaintext=b"x",
                                          EncryptionContext={"dept": "sales"}))
    assert message == (f"User: {APP[2]} is not authorized to perform: kms:Encrypt on resource: "
                       f"{key} because no identity-based policy allows the kms:Encrypt action")
    # Nothing lets the app decrypt.
    assert "kms:Decrypt" in _denied(
        lambda: app.decrypt(CiphertextBlob=blob, EncryptionContext=finance))
    # The reader decrypts through the account-root delegation and its identity policy...
    reader = _as(url, READER)
    assert reader.decrypt(CiphertextBlob=blob, EncryptionContext=finance)[
        "Plaintext"] == b"q3 numbers"
    # ...but not what its identity policy leaves out.
    assert "kms:Encrypt" in _denied(lambda: reader.encrypt(KeyId=key, Plaintext=b"x"))
    # The explicit deny wins over the administrator's kms:*.
    payroll = admin.encrypt(KeyId=key, Plaintext=b"salaries",
                            EncryptionContext={"dept": "payroll"})["CiphertextBlob"]
    message = _denied(lambda: admin.decrypt(CiphertextBlob=payroll,
                                            EncryptionContext={"dept": "payroll"}))
    assert message.endswith("with an explicit deny in a resource-based policy"), message


def test_enforce_delegation_needs_the_account_root_statement(enforcing):
    url, _ = enforcing
    admin, reader = _as(url, ADMIN), _as(url, READER)
    key = admin.create_key(Policy=_app_key_policy(delegate=False))["KeyMetadata"]["Arn"]
    blob = admin.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"]
    message = _denied(lambda: reader.decrypt(CiphertextBlob=blob))
    assert message == (f"User: {READER[2]} is not authorized to perform: kms:Decrypt on resource: "
                       f"{key} because no resource-based policy allows the kms:Decrypt action")
    # ListKeys and CreateKey are for identity policies alone.
    assert _as(url, APP).list_keys()["Keys"]
    assert "kms:ListKeys" in _denied(reader.list_keys)
    assert "kms:CreateKey" in _denied(reader.create_key)


def test_enforce_cross_account_needs_both_policies(enforcing):
    url, _ = enforcing
    admin = _as(url, ADMIN)
    key = admin.create_key(Policy=_app_key_policy())["KeyMetadata"]["Arn"]
    blob = admin.encrypt(KeyId=key, Plaintext=b"shared report")["CiphertextBlob"]
    partner = _as(url, PARTNER, PARTNER_TOKEN)
    assert partner.decrypt(CiphertextBlob=blob, KeyId=key)["Plaintext"] == b"shared report"
    # The key policy does not name the partner's administrator, and its own identity
    # policy covers its own account only.
    outsider = _as(url, OUTSIDER)
    assert "because no resource-based policy allows" in _denied(
        lambda: outsider.decrypt(CiphertextBlob=blob, KeyId=key))
    # The partner's identity policy allows Decrypt, not DescribeKey.
    assert "kms:DescribeKey" in _denied(lambda: partner.describe_key(KeyId=key))


def test_enforce_grants_allow_under_constraints_until_retired(enforcing):
    url, _ = enforcing
    admin, app = _as(url, ADMIN), _as(url, APP)
    key = admin.create_key()["KeyMetadata"]["Arn"]
    context = {"bucket": "invoices"}
    blob = admin.encrypt(KeyId=key, Plaintext=b"invoice 42", EncryptionContext=context)[
        "CiphertextBlob"]
    assert "kms:Decrypt" in _denied(
        lambda: app.decrypt(CiphertextBlob=blob, EncryptionContext=context))
    grant = admin.create_grant(
        KeyId=key, GranteePrincipal=APP[2], RetiringPrincipal=ADMIN[2],
        Operations=["Decrypt"], Constraints={"EncryptionContextSubset": context})
    # Usable at once, with or without the grant token.
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=context,
                       GrantTokens=[grant["GrantToken"]])["Plaintext"] == b"invoice 42"
    assert app.decrypt(CiphertextBlob=blob, EncryptionContext=context)[
        "Plaintext"] == b"invoice 42"
    # The constraint binds: another context is not covered by the grant.
    other = admin.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"bucket": "hr"})[
        "CiphertextBlob"]
    _denied(lambda: app.decrypt(CiphertextBlob=other, EncryptionContext={"bucket": "hr"}))
    # The grant allows Decrypt only.
    _denied(lambda: app.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext=context))
    # The retiring principal retires it; then the app is refused again.
    admin.retire_grant(KeyId=key, GrantId=grant["GrantId"])
    _denied(lambda: app.decrypt(CiphertextBlob=blob, EncryptionContext=context))


def test_enforce_runs_the_lockout_safety_check(enforcing):
    url, _ = enforcing
    admin = _as(url, ADMIN)
    locks_out = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": APP[2]}, "Action": "kms:*", "Resource": "*"}]})
    err = _error(lambda: admin.create_key(Policy=locks_out))
    assert err == {"Code": "MalformedPolicyDocumentException", "Message":
                   "The new key policy will not allow you to update the key policy in the future."}
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    err = _error(lambda: admin.put_key_policy(KeyId=key, PolicyName="default", Policy=locks_out))
    assert err["Code"] == "MalformedPolicyDocumentException"
    # With the bypass the policy is taken, and the administrator is locked out as warned.
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=locks_out,
                         BypassPolicyLockoutSafetyCheck=True)
    assert "kms:PutKeyPolicy" in _denied(
        lambda: admin.put_key_policy(KeyId=key, PolicyName="default", Policy=locks_out))
    assert _as(url, APP).describe_key(KeyId=key)["KeyMetadata"]["KeyId"] == key


def test_enforce_denials_are_in_the_audit_log(enforcing):
    url, audit = enforcing
    admin = _as(url, ADMIN)
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    message = _denied(lambda: _as(url, APP).get_key_rotation_status(KeyId=key))
    deadline = time.time() + 10
    while time.time() < deadline:
        events = [json.loads(line) for line in audit.read_text().splitlines() if line.strip()]
        refused = [e for e in events if e["eventName"] == "GetKeyRotationStatus"]
        if refused:
            break
        time.sleep(0.05)
    assert refused, "no GetKeyRotationStatus event"
    event = refused[-1]
    assert event["errorCode"] == "AccessDenied"
    # As CloudTrail: the message the caller got, where the call came from and with what client.
    assert event["errorMessage"] == message
    assert event["sourceIPAddress"] == "127.0.0.1"
    assert event["userAgent"].startswith("Boto3/"), event["userAgent"]
    assert event["userIdentity"]["arn"] == APP[2]
    assert event["userIdentity"]["accountId"] == ACCOUNT
    assert any(key in r["ARN"] for r in event.get("resources", [])), event
    text = audit.read_text()
    for secret in (ADMIN[1], APP[1], READER[1], PARTNER[1], PARTNER_TOKEN):
        assert secret not in text


def test_enforce_attribute_based_access_with_principal_tags_and_policy_variables(enforcing):
    url, _ = enforcing
    admin, ada, ben = _as(url, ADMIN), _as(url, ADA), _as(url, BEN)
    alpha = admin.create_key(Tags=[{"TagKey": "Project", "TagValue": "alpha"}])[
        "KeyMetadata"]["Arn"]
    beta = admin.create_key(Tags=[{"TagKey": "Project", "TagValue": "beta"}])["KeyMetadata"]["Arn"]
    untagged = admin.create_key()["KeyMetadata"]["Arn"]
    # ${aws:PrincipalTag/Project} is each caller's own tag (ben's tag key is lowercase: IAM
    # matches principal tag keys without regard to case).
    blob = ada.encrypt(KeyId=alpha, Plaintext=b"alpha plans")["CiphertextBlob"]
    assert ada.decrypt(CiphertextBlob=blob)["Plaintext"] == b"alpha plans"
    assert ben.encrypt(KeyId=beta, Plaintext=b"beta plans")["KeyId"] == beta
    for who, key in ((ben, alpha), (ada, beta), (ada, untagged)):
        assert "kms:Encrypt" in _denied(lambda: who.encrypt(KeyId=key, Plaintext=b"x"))
    assert "kms:Decrypt" in _denied(lambda: ben.decrypt(CiphertextBlob=blob))
    # The key's tags are read at each request: retagging the key moves it to beta.
    admin.tag_resource(KeyId=alpha, Tags=[{"TagKey": "Project", "TagValue": "beta"}])
    assert ben.decrypt(CiphertextBlob=blob)["Plaintext"] == b"alpha plans"
    _denied(lambda: ada.decrypt(CiphertextBlob=blob))
    # ${aws:username} in a Resource's resource part: an alias named after oneself, on a key
    # of one's project (CreateAlias needs the permission on the alias and on the key).
    ben.create_alias(AliasName="alias/ben-reports", TargetKeyId=beta)
    assert "kms:CreateAlias" in _denied(
        lambda: ben.create_alias(AliasName="alias/ada-reports", TargetKeyId=beta))
    # ${aws:username} in a StringLike value: data keys only for an owner of one's own name.
    assert len(ada.generate_data_key(KeyId=untagged, KeySpec="AES_256",
                                     EncryptionContext={"owner": "ada/reports"})["Plaintext"]) == 32
    for owner in ("ben/reports", "ada", "adam/reports"):
        _denied(lambda: ada.generate_data_key(KeyId=untagged, KeySpec="AES_256",
                                              EncryptionContext={"owner": owner}))


# --- findings of a red-team probe, each reproduced first ------------------------------------

def _only_admin_key_policy() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ADMIN[2]}, "Action": "kms:*", "Resource": "*"}]})


def test_enforce_a_grant_cannot_mint_a_broader_grant(enforcing):
    """A grantee whose CreateGrant comes from a grant may pass on only a subset of its
    operations, under constraints at least as strict; it cannot grant itself the plain
    Decrypt its grant's EncryptionContextEquals refuses, nor retire another's grant."""
    url, _ = enforcing
    admin, app, reader = _as(url, ADMIN), _as(url, APP), _as(url, READER)
    key = admin.create_key(Policy=_only_admin_key_policy())["KeyMetadata"]["Arn"]
    admin.create_grant(KeyId=key, GranteePrincipal=APP[2],
                       Operations=["Decrypt", "Encrypt", "CreateGrant"],
                       Constraints={"EncryptionContextEquals": {"p": "1"}})
    blob = admin.encrypt(KeyId=key, Plaintext=b"no context")["CiphertextBlob"]
    assert "kms:Decrypt" in _denied(lambda: app.decrypt(CiphertextBlob=blob))
    for grantee, constraints in (
        (APP, None),
        (READER, {"EncryptionContextSubset": {"p": "1"}}),
        (READER, {"EncryptionContextEquals": {"p": "2"}}),
        (READER, {"EncryptionContextEquals": {"p": "1", "extra": "pair"}}),
    ):
        extra = {"Constraints": constraints} if constraints else {}
        message = _denied(lambda: app.create_grant(
            KeyId=key, GranteePrincipal=grantee[2], Operations=["Decrypt"], **extra))
        assert "kms:CreateGrant" in message, message
    # An operation the parent grant lacks, even under its constraint.
    _denied(lambda: app.create_grant(
        KeyId=key, GranteePrincipal=READER[2], Operations=["Decrypt", "GenerateDataKey"],
        Constraints={"EncryptionContextEquals": {"p": "1"}}))
    assert "kms:Decrypt" in _denied(lambda: app.decrypt(CiphertextBlob=blob))
    # As strict and a subset: allowed, and the reader gets exactly that.
    child = app.create_grant(KeyId=key, GranteePrincipal=READER[2], Operations=["Encrypt"],
                             Constraints={"EncryptionContextEquals": {"p": "1"}})
    assert reader.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"p": "1"})["KeyId"] == key
    _denied(lambda: reader.encrypt(KeyId=key, Plaintext=b"x"))
    # CreateGrant without RetireGrant does not let the app retire the reader's grant.
    assert "kms:RetireGrant" in _denied(
        lambda: app.retire_grant(KeyId=key, GrantId=child["GrantId"]))
    assert reader.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"p": "1"})["KeyId"] == key
    assert admin.decrypt(CiphertextBlob=blob)["Plaintext"] == b"no context"


def _describe_key_request(url: str, key: str) -> AWSRequest:
    """A DescribeKey request without its X-Amz-Target yet, as an attacker signs it."""
    return AWSRequest(method="POST", url=url + "/", data=json.dumps({"KeyId": key}).encode(),
                      headers={"Content-Type": "application/x-amz-json-1.1"})


def test_x_amz_target_must_be_signed(emulator):
    """A signature that does not cover X-Amz-Target cannot be replayed as another operation:
    AWS's rule is that every x-amz-* header (and content-type, and host) is signed."""
    url, _ = emulator
    kms = _client(url, ALICE[0], ALICE[1])
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    creds = Credentials(ALICE[0], ALICE[1])
    for signer in (SigV4Auth(creds, "kms", REGION), SigV4QueryAuth(creds, "kms", REGION, expires=60)):
        request = _describe_key_request(url, key)
        signer.add_auth(request)
        signed = (request.headers.get("Authorization", "") + request.url).lower()
        assert "x-amz-target" not in signed
        request.headers["X-Amz-Target"] = "TrentService.ScheduleKeyDeletion"
        status, body = _raw(request)
        assert (status, body) == (400, {
            "__type": "InvalidSignatureException",
            "message": "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization."})
    # An unsigned x-amz-* header of any other name is refused the same way.
    request = _list_keys_request(url)
    SigV4Auth(creds, "kms", REGION).add_auth(request)
    request.headers["X-Amz-Meta-Note"] = "added later"
    status, body = _raw(request)
    assert status == 400 and "'X-Amz-Meta-Note' must be a 'SignedHeader'" in body["message"]
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"


def test_enforce_update_alias_keeps_the_alias_quota_and_retirable_grants_stay_in_account(enforcing):
    url, _ = enforcing
    admin = _as(url, ADMIN)
    full = admin.create_key()["KeyMetadata"]["KeyId"]
    other = admin.create_key()["KeyMetadata"]["KeyId"]
    prefix = f"alias/quota-{full[:8]}"
    for i in range(50):
        admin.create_alias(AliasName=f"{prefix}-{i}", TargetKeyId=full)
    admin.create_alias(AliasName=f"{prefix}-mover", TargetKeyId=other)
    err = _error(lambda: admin.update_alias(AliasName=f"{prefix}-mover", TargetKeyId=full))
    assert err["Code"] == "LimitExceededException", err
    assert len(admin.list_aliases(KeyId=full)["Aliases"]) == 50
    assert [a["AliasName"] for a in admin.list_aliases(KeyId=other)["Aliases"]] == \
        [f"{prefix}-mover"]

    # A grant in the partner account, retirable by the partner's auditor role.
    outsider = _as(url, OUTSIDER)
    theirs = outsider.create_key()["KeyMetadata"]["KeyId"]
    auditor = f"arn:aws:iam::{PARTNER_ACCOUNT}:role/Auditor"
    outsider.create_grant(KeyId=theirs, GranteePrincipal=auditor, RetiringPrincipal=auditor,
                          Operations=["Decrypt"])
    assert len(outsider.list_retirable_grants(RetiringPrincipal=auditor)["Grants"]) == 1
    _denied(lambda: admin.list_retirable_grants(RetiringPrincipal=auditor))


def test_sts_get_caller_identity_names_the_verified_principal(emulator):
    url, _ = emulator

    def sts(key, secret, token=None):
        return boto3.client("sts", endpoint_url=url, region_name=REGION, aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token,
                            config=Config(retries={"total_max_attempts": 1}))

    alice = sts(ALICE[0], ALICE[1]).get_caller_identity()
    assert (alice["Arn"], alice["Account"]) == (ALICE[2], "123456789012")
    assert alice["UserId"].startswith("AIDA") and len(alice["UserId"]) == 21
    role = sts(ROLE[0], ROLE[1], ROLE_TOKEN).get_caller_identity()
    assert (role["Arn"], role["Account"]) == (ROLE[2], "444455556666")
    assert role["UserId"].startswith("AROA") and role["UserId"].endswith(":ci")
    # Signed for sts with a wrong secret or an unknown key: STS's own error codes.
    for client, code in ((sts(ALICE[0], "wrong"), "SignatureDoesNotMatch"),
                         (sts("AKIAUNKNOWN", "x"), "InvalidClientTokenId")):
        with pytest.raises(ClientError) as info:
            client.get_caller_identity()
        assert info.value.response["Error"]["Code"] == code
        assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert ALICE[1] not in str(info.value.response)
