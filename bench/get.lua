-- wrk script for GET endpoints: the key from KEY, if set; the same summary line as post.lua.
local key = os.getenv("KEY")
if key and key ~= "" then
  wrk.headers["X-API-Key"] = key
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99),
    summary.errors.status))
end
