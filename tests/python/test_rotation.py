"""Key rotation and emulated time, end to end with boto3 and the AWS CLI.

Same setup as ``test_smoke.py`` (whose fixtures and helpers this module reuses): point
``KMS_ENDPOINT`` at a running emulator started with ``--account-id 111122223333 --region
us-east-1``; every test starts from ``POST /_kms/reset``.

Emulated time (``/_kms/clock``) only moves forward and is shared by every test in the run, and
reset does not rewind it, so these tests compare timestamps with the emulator's own clock and
with each other, never with the host's clock or with absolute dates.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import urllib.error
import urllib.request

from test_smoke import (  # noqa: F401  (fixtures are used by name)
    KEY_MATERIAL_ID_RE,
    _endpoint,
    _isolated_aws_env,
    admin,
    aws,
    expect_error,
    key,
    key_arn,
    kms,
    kms_novalidate,
    only_response,
    reset_server,
)

DAY = 86_400


def post_clock(body: bytes) -> tuple[int, dict]:
    """POST /_kms/clock with a raw body; returns the status and the JSON reply."""
    req = urllib.request.Request(_endpoint() + "/_kms/clock", method="POST", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def advance(seconds: int) -> dict:
    status, doc = post_clock(json.dumps({"advance_seconds": seconds}).encode())
    assert status == 200, (status, doc)
    return doc


def get_clock() -> dict:
    status, body = admin("GET", "/_kms/clock")
    assert status == 200, body
    return json.loads(body)


def parse_now(doc: dict) -> dt.datetime:
    now = dt.datetime.fromisoformat(doc["now"].replace("Z", "+00:00"))
    assert now.tzinfo is not None
    return now


def current_material(kms, key_id: str) -> str:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]


# --------------------------------------------------------------------------
# /_kms/clock
# --------------------------------------------------------------------------


def test_clock_get_shape():
    doc = get_clock()
    assert set(doc) == {"now", "offset_seconds"}, doc
    assert isinstance(doc["offset_seconds"], int) and doc["offset_seconds"] >= 0
    # RFC 3339 in UTC with milliseconds, e.g. 2026-02-03T04:05:06.789Z.
    assert doc["now"].endswith("Z") and len(doc["now"]) == len("2026-02-03T04:05:06.789Z"), doc
    now = parse_now(doc)
    # Emulated now = host now + offset (the emulator runs on this host's clock).
    host = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=doc["offset_seconds"])
    assert abs((host - now).total_seconds()) < 60, (host, now)


def test_clock_advance_reply_and_monotonic():
    before = get_clock()
    doc = advance(3600)
    assert set(doc) == {"now", "offset_seconds", "rotations", "deletions", "expirations", "settled"}, doc
    assert doc["offset_seconds"] == before["offset_seconds"] + 3600
    assert doc["rotations"] == 0 and doc["deletions"] == 0 and doc["expirations"] == 0  # no keys after reset
    moved = (parse_now(doc) - parse_now(before)).total_seconds()
    assert 3600 <= moved < 3600 + 60, moved
    after = get_clock()
    assert after["offset_seconds"] == doc["offset_seconds"]
    assert parse_now(after) >= parse_now(doc)


def test_clock_advance_rejects_bad_requests():
    before = get_clock()["offset_seconds"]
    for body in (b'{"advance_seconds": -1}', b'{"advance_seconds": 1.5}', b"{}", b"not json"):
        status, doc = post_clock(body)
        assert status == 400, (body, status, doc)
        assert isinstance(doc.get("message"), str) and doc["message"], doc
    status, doc = post_clock(b'{"advance_seconds": -1}')
    assert "forward" in doc["message"], doc
    assert get_clock()["offset_seconds"] == before


# --------------------------------------------------------------------------
# Rotation with boto3
# --------------------------------------------------------------------------


def test_rotation_status_of_a_new_key(kms, key):
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert only_response(status) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}
    listed = kms.list_key_rotations(KeyId=key["KeyId"])
    assert only_response(listed) == {"Rotations": [], "Truncated": False}


def test_enable_disable_and_period_validation(kms, kms_novalidate, key):
    assert only_response(kms.enable_key_rotation(KeyId=key["KeyId"])) == {}
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365  # the default

    for bad in (89, 2561):
        bound = "greater than or equal to 90" if bad < 90 else "less than or equal to 2560"
        expect_error(
            lambda: kms_novalidate.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=bad),
            "ValidationException",
            f"1 validation error detected: Value '{bad}' at 'rotationPeriodInDays' failed to "
            f"satisfy constraint: Member must have value {bound}",
        )
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 365

    assert only_response(kms.disable_key_rotation(KeyId=key["KeyId"])) == {}
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert only_response(status) == {"KeyId": key["Arn"], "KeyRotationEnabled": False}


def test_automatic_rotation_on_the_emulated_clock(kms, key):
    key_id = key["KeyId"]
    original = key["CurrentKeyMaterialId"]

    assert only_response(kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)) == {}
    clock_at_enable = parse_now(get_clock())
    status = kms.get_key_rotation_status(KeyId=key_id)
    assert set(only_response(status)) == {
        "KeyId", "KeyRotationEnabled", "RotationPeriodInDays", "NextRotationDate"}, status
    assert status["KeyId"] == key["Arn"]
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    due = status["NextRotationDate"]
    assert isinstance(due, dt.datetime) and due.tzinfo is not None
    # Due one period after enabling, on the emulated clock (the wire has whole seconds).
    until_due = (due - clock_at_enable).total_seconds()
    assert abs(until_due - 90 * DAY) < 60, until_due

    blob = kms.encrypt(KeyId=key_id, Plaintext=b"before rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyMaterialId"] == original

    before = get_clock()
    doc = advance(90 * DAY)
    assert {"now", "offset_seconds", "rotations"} <= set(doc), doc
    assert doc["offset_seconds"] == before["offset_seconds"] + 90 * DAY
    assert parse_now(doc) >= due
    # Moving the clock and the sweep that follows are one step: the reply counts exactly the
    # rotations the move made due.
    assert doc["rotations"] == 1, doc

    rotated = current_material(kms, key_id)
    assert KEY_MATERIAL_ID_RE.match(rotated), rotated
    assert rotated != original

    # The old ciphertext still decrypts, with the material it was made under.
    old = kms.decrypt(CiphertextBlob=blob)
    assert old["Plaintext"] == b"before rotation"
    assert old["KeyId"] == key["Arn"]
    assert old["KeyMaterialId"] == original
    # New ciphertexts use the new material.
    fresh = kms.encrypt(KeyId=key_id, Plaintext=b"after rotation")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=fresh)["KeyMaterialId"] == rotated

    # The next rotation is one period after the one that happened.
    after = kms.get_key_rotation_status(KeyId=key_id)
    assert after["NextRotationDate"] - due == dt.timedelta(days=90)

    listed = kms.list_key_rotations(KeyId=key_id)
    assert listed["Truncated"] is False
    assert "NextMarker" not in listed
    assert listed["Rotations"] == [{
        "KeyId": key_id,
        "KeyMaterialId": rotated,
        "KeyMaterialState": "CURRENT",
        "RotationDate": due,  # dated when it was due, not when the sweep ran
        "RotationType": "AUTOMATIC",
    }]
    everything = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert everything["Rotations"] == [
        {"KeyId": key_id, "KeyMaterialId": original, "KeyMaterialState": "NON_CURRENT"},
        listed["Rotations"][0],
    ]


def test_rotate_key_on_demand(kms, key):
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    resp = kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert only_response(resp) == {"KeyId": key["Arn"]}
    rotated = current_material(kms, key["KeyId"])
    assert rotated != key["CurrentKeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["KeyMaterialId"] == key["CurrentKeyMaterialId"]

    entries = kms.list_key_rotations(KeyId=key["Arn"])["Rotations"]
    assert len(entries) == 1
    assert entries[0]["RotationType"] == "ON_DEMAND"
    assert entries[0]["KeyMaterialId"] == rotated
    assert entries[0]["KeyMaterialState"] == "CURRENT"
    # Dated on the emulated clock.
    assert abs((entries[0]["RotationDate"] - parse_now(get_clock())).total_seconds()) < 60
    # On-demand rotation does not turn automatic rotation on.
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


# --------------------------------------------------------------------------
# AWS CLI (the README's worked example)
# --------------------------------------------------------------------------


def test_cli_rotation(tmp_path, kms):
    md = json.loads(aws("create-key").stdout)["KeyMetadata"]
    (tmp_path / "plain.txt").write_bytes(b"cli rotation")
    enc = json.loads(aws("encrypt", "--key-id", md["KeyId"],
                         "--plaintext", f"fileb://{tmp_path / 'plain.txt'}").stdout)
    (tmp_path / "cipher.bin").write_bytes(base64.b64decode(enc["CiphertextBlob"]))

    assert aws("enable-key-rotation", "--key-id", md["KeyId"],
               "--rotation-period-in-days", "90").stdout.strip() == ""
    status = json.loads(aws("get-key-rotation-status", "--key-id", md["KeyId"]).stdout)
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90

    advance(91 * DAY)
    rotations = json.loads(aws("list-key-rotations", "--key-id", md["KeyId"]).stdout)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]

    on_demand = json.loads(aws("rotate-key-on-demand", "--key-id", md["KeyId"]).stdout)
    assert on_demand == {"KeyId": md["Arn"]}
    rotations = json.loads(aws("list-key-rotations", "--key-id", md["KeyId"]).stdout)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC", "ON_DEMAND"]

    out = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'cipher.bin'}",
              "--output", "text", "--query", "Plaintext").stdout
    assert base64.b64decode(out.strip()) == b"cli rotation"
    assert kms.describe_key(KeyId=md["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] \
        == rotations[-1]["KeyMaterialId"]
