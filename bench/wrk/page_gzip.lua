-- A page of 60 with a Types filter (the web console's page size, about 30 KB), at one of the first ten pages,
-- asked as browsers and most HTTP libraries ask: Accept-Encoding: gzip.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
local headers = { ["Authorization"] = auth["Authorization"], ["Accept-Encoding"] = "gzip" }
request = function()
  return wrk.format("GET", "/api/v1/jobSessions?Types=PolicyBackup&limit=60&offset=" .. (60 * math.random(0, 9)), headers)
end
