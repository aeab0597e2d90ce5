-- A page of 30 within a random one-day FromUtc/ToUtc window over the seeded two years.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
-- The windows start at 10:25:31 UTC (so that they cut days, as most windows do) on one of the 729 days before
-- yesterday: the same 729 windows for every run of wrk on a day, so that a warm-up (bench/run-load --warm) asks for
-- the windows the measured run asks for.
local day = 86400
local last = math.floor(os.time() / day) * day - day + 37531
request = function()
  local from = last - math.random(0, 728) * day
  return wrk.format("GET", "/api/v1/jobSessions?FromUtc=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", from)
    .. "&ToUtc=" .. os.date("!%Y-%m-%dT%H:%M:%SZ", from + day), auth)
end
