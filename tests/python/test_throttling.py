"""Throttling seen from boto3: AWS's exact ThrottlingException, a quota change mid-run through
``PUT /_kms/quotas``, and boto3's standard retry mode turning throttles into successes.

Starts its own emulator (``$KMS_BIN``) with throttling on, so the conformance tests elsewhere
can run unthrottled.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

THROTTLED = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint():
    binary = os.environ.get("KMS_BIN")
    if not binary or not os.path.exists(binary):
        pytest.fail("KMS_BIN must name the emulator binary (scripts/python-smoke.sh sets it)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--listen", f"127.0.0.1:{port}", "--throttle", "aws", "--quota", "CreateKey=2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
            pytest.fail("the throttled emulator did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _client(endpoint: str, **retries):
    return boto3.client(
        "kms",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries=retries),
    )


def _put_quotas(endpoint: str, body: dict) -> dict:
    req = urllib.request.Request(
        endpoint + "/_kms/quotas", data=json.dumps(body).encode(), method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.load(resp)


def test_burst_gets_aws_throttling_exception(endpoint):
    kms = _client(endpoint, mode="standard", total_max_attempts=1)
    time.sleep(1.1)  # a full bucket
    outcomes = []
    started = time.monotonic()
    for _ in range(6):
        try:
            kms.create_key()
            outcomes.append("ok")
        except ClientError as e:
            err = e.response["Error"]
            assert err["Code"] == "ThrottlingException"
            assert err["Message"] == THROTTLED
            assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            outcomes.append("throttled")
    # A burst of 2 at 2/s: 2 admitted at once, plus 2 for each second the six calls took
    # (about none on an idle machine; a loaded one is slower).
    refilled = int(2 * (time.monotonic() - started))
    assert 2 <= outcomes.count("ok") <= 3 + refilled, outcomes
    assert "throttled" in outcomes


def test_standard_retry_mode_turns_throttles_into_successes(endpoint):
    kms = _client(endpoint, mode="standard", total_max_attempts=10)
    for _ in range(5):
        kms.create_key()


def test_quota_change_mid_run(endpoint):
    kms = _client(endpoint, mode="standard", total_max_attempts=1)
    table = _put_quotas(endpoint, {"CreateKey": 50})
    assert table["quotas"]["CreateKey"] == 50
    time.sleep(0.05)
    for _ in range(30):
        kms.create_key()  # well within the new quota: never throttled
    table = _put_quotas(endpoint, {"CreateKey": 0})
    with pytest.raises(ClientError) as excinfo:
        kms.create_key()
    assert excinfo.value.response["Error"]["Code"] == "ThrottlingException"
    _put_quotas(endpoint, {"CreateKey": None})  # back to the start-up value
