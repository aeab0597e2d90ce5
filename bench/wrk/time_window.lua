-- A page of 30 within a random one-day FromUtc/ToUtc window over the seeded two years.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
local now = os.time()
request = function()
  local from = now - math.random(1, 729) * 86400
  return wrk.format("GET", "/api/v1/jobSessions?FromUtc=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", from)
    .. "&ToUtc=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", from + 86400), auth)
end
