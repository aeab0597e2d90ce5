-- GET /api/v1/jobSessions/{id} at random ids.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
request = function()
  return wrk.format("GET", "/api/v1/jobSessions/" .. math.random(1, max_id), auth)
end
