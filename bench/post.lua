-- wrk script: POST the body in $BODY with the key in $KEY as JSON.
wrk.method = "POST"
wrk.body = os.getenv("BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("KEY")

done = function(summary, latency, requests)
  -- One machine-readable line for run.sh: requests/s, p50 µs, p99 µs, non-2xx.
  io.write(string.format("RESULT %.1f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.status))
end
