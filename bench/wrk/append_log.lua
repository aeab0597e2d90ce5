-- POST /api/v1/jobSessions/{id}/log with 100 entries per request, to one of the running sessions in RUNNING_IDS.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
local ids = {}
for id in string.gmatch(os.getenv("RUNNING_IDS") or "", "[^,]+") do table.insert(ids, id) end
local headers = { ["Authorization"] = auth["Authorization"], ["Content-Type"] = "application/json" }
local entries = {}
for i = 1, 100 do
  table.insert(entries, '{"status":"Success","message":"Copied block range ' .. i .. ' of disk 0"}')
end
local body = '{"log":[' .. table.concat(entries, ",") .. ']}'
request = function()
  return wrk.format("POST", "/api/v1/jobSessions/" .. ids[math.random(1, #ids)] .. "/log", headers, body)
end
