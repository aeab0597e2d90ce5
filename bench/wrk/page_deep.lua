-- A page of 30 at a random offset anywhere in the whole list (no filter): the kept counts place the page.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
request = function()
  return wrk.format("GET", "/api/v1/jobSessions?limit=30&offset=" .. math.random(0, max_id - 30), auth)
end
