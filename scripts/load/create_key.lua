-- wrk script: CreateKey (with --data-dir, every request is a synced commit).
wrk.method = "POST"
wrk.path = "/"
wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
wrk.headers["X-Amz-Target"] = "TrentService.CreateKey"
wrk.headers["Authorization"] =
  "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0"
wrk.body = "{}"

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency p50: %.0f us, p99: %.0f us\n", latency:percentile(50), latency:percentile(99)))
  io.write(string.format("non-2xx: %d\n", summary.errors.status))
end
