-- Shared by the load scripts: the token, and one parseable result line when wrk is done.
token = os.getenv("TOKEN")
max_id = tonumber(os.getenv("MAX_ID") or "1")
auth = { ["Authorization"] = "Bearer " .. (token or "") }

-- With PACE_MS set, each connection waits about that long between its requests, so that latency is measured below
-- saturation, at about connections * 1000 / PACE_MS requests a second (wrk counts from sending to the answer, not
-- the wait). The waits are drawn at random (exponentially, PACE_MS on average): equal waits keep the connections
-- in step, and the server then sees all of them at once, every PACE_MS.
local pace = tonumber(os.getenv("PACE_MS") or "")
if pace then
  delay = function()
    return math.floor(-pace * math.log(1 - math.random()) + 0.5)
  end
end

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
