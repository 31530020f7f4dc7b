#!/usr/bin/env python3
"""Prints `X-Amz-Date` and `Authorization` (one per line) for a KMS request signed with SigV4,
for load tests of `--auth sigv4`: wrk replays the one signed request, so the server pays the
full verification on every request (the signature stays current for 15 minutes).

    sigv4_headers.py TARGET BODY HOST [ACCESS_KEY SECRET REGION]

Standard library only (hmac, hashlib), so it runs without botocore.
"""
import datetime
import hashlib
import hmac
import sys

target, body, host = sys.argv[1:4]
access_key, secret, region = (sys.argv[4:7] + ["AKIDEXAMPLE", "load-test-secret", "us-east-1"][len(sys.argv[4:7]):])
now = datetime.datetime.now(datetime.timezone.utc)
amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
signed = "content-type;host;x-amz-date;x-amz-target"
canonical = "\n".join([
    "POST", "/", "",
    "content-type:application/x-amz-json-1.1", f"host:{host}", f"x-amz-date:{amz_date}",
    f"x-amz-target:TrentService.{target}", "", signed,
    hashlib.sha256(body.encode()).hexdigest(),
])
scope = f"{day}/{region}/kms/aws4_request"
to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
key = ("AWS4" + secret).encode()
for part in (day, region, "kms", "aws4_request"):
    key = hmac.new(key, part.encode(), hashlib.sha256).digest()
signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
print(amz_date)
print(f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}")
