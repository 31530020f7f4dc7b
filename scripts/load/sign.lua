-- wrk script: Sign a 32-byte RAW message with the key id in $KMS_KEY_ID (created by
-- scripts/load.sh with SCRIPT=sign) and the algorithm in $KMS_SIGNING_ALGORITHM (default
-- ECDSA_SHA_256, which fits the default ECC_NIST_P256 key).
local algorithm = os.getenv("KMS_SIGNING_ALGORITHM") or "ECDSA_SHA_256"
-- 32 bytes "load-test message, 32 bytes long", base64.
local message = "bG9hZC10ZXN0IG1lc3NhZ2UsIDMyIGJ5dGVzIGxvbmc="

wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "TrentService.Sign"
wrk.headers["Authorization"] =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"
wrk.body = '{"KeyId":"' .. os.getenv("KMS_KEY_ID") .. '","Message":"' .. message
  .. '","MessageType":"RAW","SigningAlgorithm":"' .. algorithm .. '"}'

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.0f us, p99: %.0f us\n", latency:percentile(50), latency:percentile(99)))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
