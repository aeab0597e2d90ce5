-- A page of 30 with a Types filter, at one of the first ten pages.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
request = function()
  return wrk.format("GET", "/api/v1/jobSessions?Types=PolicyBackup&limit=30&offset=" .. (30 * math.random(0, 9)), auth)
end
