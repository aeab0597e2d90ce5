-- Shared by the load scripts: the token, and one parseable result line when wrk is done.
token = os.getenv("TOKEN")
max_id = tonumber(os.getenv("MAX_ID") or "1")
auth = { ["Authorization"] = "Bearer " .. (token or "") }

function setup_random()
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                 + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d errors=%d p50_ms=%.3f p99_ms=%.3f seconds=%.3f\n",
    summary.requests, errors, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1000000))
end
