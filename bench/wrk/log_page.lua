-- A page of 30 log entries of a random session.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
request = function()
  return wrk.format("GET", "/api/v1/jobSessions/" .. math.random(1, max_id) .. "/log?offset=0&limit=30", auth)
end
