-- wrk script: GenerateDataKey against the key id in $KMS_KEY_ID (created by scripts/load.sh).
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "TrentService.GenerateDataKey"
-- A real signature from scripts/load/sigv4_headers.py when load.sh gives one (AUTH=sigv4).
wrk.headers["Authorization"] = os.getenv("KMS_AUTHORIZATION") or
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"
if os.getenv("KMS_AMZ_DATE") then
  wrk.headers["X-Amz-Date"] = os.getenv("KMS_AMZ_DATE")
end
wrk.body = '{"KeyId":"' .. os.getenv("KMS_KEY_ID") .. '","KeySpec":"AES_256"}'

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.0f us, p99: %.0f us\n", latency:percentile(50), latency:percentile(99)))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
