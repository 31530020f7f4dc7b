"""STS GetCallerIdentity on the emulator's listener, as boto3 and the AWS CLI call it (the
Terraform AWS provider asks it for its account): the account of the credential, as its root,
and AWS's query-protocol error for any other STS action. Signed callers under --auth sigv4
are in test_auth.py.
"""

from __future__ import annotations

import json
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError

from test_smoke import _aws_cli, _endpoint, clean_aws_env


def _sts(access_key: str):
    return boto3.client("sts", endpoint_url=_endpoint(), region_name="us-east-1",
                        aws_access_key_id=access_key, aws_secret_access_key="test")


def test_get_caller_identity_names_the_credentials_account():
    default = _sts("test").get_caller_identity()
    assert (default["Account"], default["Arn"], default["UserId"]) == (
        "111122223333", "arn:aws:iam::111122223333:root", "111122223333")
    assert default["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "text/xml"
    assert len(default["ResponseMetadata"]["RequestId"]) == 36
    # A 12-digit access key ID is the account, as for KMS requests; KMS agrees.
    other = _sts("444455556666").get_caller_identity()
    assert other["Account"] == "444455556666"
    kms = boto3.client("kms", endpoint_url=_endpoint(), region_name="us-east-1",
                       aws_access_key_id="444455556666", aws_secret_access_key="test")
    assert kms.create_key()["KeyMetadata"]["AWSAccountId"] == other["Account"]


def test_other_sts_actions_are_invalid_action():
    with pytest.raises(ClientError) as info:
        _sts("test").get_session_token()
    assert info.value.response["Error"] == {
        "Type": "Sender", "Code": "InvalidAction",
        "Message": "Could not find operation GetSessionToken for version 2011-06-15"}
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_aws_cli_get_caller_identity():
    cmd = [_aws_cli(), "sts", "get-caller-identity", "--endpoint-url", _endpoint(),
           "--output", "json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=clean_aws_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"UserId": "111122223333", "Account": "111122223333",
                                       "Arn": "arn:aws:iam::111122223333:root"}


def test_a_form_post_without_action_says_what_is_missing():
    import urllib.error
    import urllib.request
    req = urllib.request.Request(
        _endpoint() + "/", data=b"Version=2011-06-15", method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    body = info.value.read().decode()
    assert info.value.code == 400
    assert "<Code>InvalidAction</Code>" in body
    assert "no Action parameter" in body
