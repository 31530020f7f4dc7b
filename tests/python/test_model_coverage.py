"""Every operation of botocore's KMS service model (the pinned 1.44.8: 56 operations) reaches
the emulator's engine: none answers ``UnknownOperationException``, and none answers "not
supported" (``NOT_YET_SUPPORTED`` is empty since the last of issue 11's operations landed; the
check stays exact both ways, so an operation that stops working fails it).

Each operation is called with an empty request through a client without parameter
validation, so it answers its own validation error, a result, or "not supported".
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from test_smoke import (  # noqa: F401  (fixtures are used by name)
    _endpoint,
    _isolated_aws_env,
    kms_novalidate,
    reset_server,
)

NOT_YET_SUPPORTED: set[str] = set()


def answer(client, operation: str) -> tuple[str, str]:
    try:
        client._make_api_call(operation, {})
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"].get("Message", "")
    return "OK", ""


def test_every_model_operation_reaches_the_engine(kms_novalidate):
    model = kms_novalidate.meta.service_model
    operations = sorted(model.operation_names)
    assert len(operations) == 56, len(operations)
    assert NOT_YET_SUPPORTED <= set(operations)
    answers = {op: answer(kms_novalidate, op) for op in operations}
    unknown = [op for op, (code, _) in answers.items() if code == "UnknownOperationException"]
    assert unknown == [], unknown
    unsupported = {op for op, (_, message) in answers.items() if "not supported" in message}
    assert unsupported == NOT_YET_SUPPORTED, {
        "newly unsupported": sorted(unsupported - NOT_YET_SUPPORTED),
        "now supported (remove from the list)": sorted(NOT_YET_SUPPORTED - unsupported),
    }
    for op in NOT_YET_SUPPORTED:
        assert answers[op][0] == "UnsupportedOperationException", (op, answers[op])
    # The rest answer as AWS would to an empty request: a result, or a client error naming
    # what is missing, never a server error.
    for op, (code, message) in answers.items():
        assert code not in ("KMSInternalException", "InternalFailure"), (op, code, message)
