-- POST /api/v1/jobSessions at a steady pace: each connection waits PACE_MS between its requests, so that
-- latency is measured below saturation (wrk counts the time from sending to the answer, not the wait).
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local headers = { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }
local body = '{"type":"PolicyBackup","status":"Success","backupJobInfo":{"policyId":"bench","policyName":"Bench"}}'
local pace = tonumber(os.getenv("PACE_MS") or "20")
request = function()
  return wrk.format("POST", "/api/v1/jobSessions", headers, body)
end
delay = function()
  return pace
end
