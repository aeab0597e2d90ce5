-- POST /api/v1/jobSessions: every answer is durable (fsync'd) before it is sent.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
local headers = { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }
local body = '{"type":"PolicyBackup","status":"Success","backupJobInfo":{"policyId":"bench","policyName":"Bench"}}'
request = function()
  return wrk.format("POST", "/api/v1/jobSessions", headers, body)
end
