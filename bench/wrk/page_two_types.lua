-- A page of 30 of two types (a quarter of the generated sessions) at a random offset among them: the kept counts
-- place a deep page, and each type's first sessions come from its own index.
dofile(os.getenv("WRK_DIR") .. "/common.lua")
init = function(args) setup_random() end
request = function()
  return wrk.format("GET", "/api/v1/jobSessions?Types=HealthCheck,RestoreVms&limit=30&offset=" ..
    math.random(0, math.floor(max_id / 4) - 30), auth)
end
