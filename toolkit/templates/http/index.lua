-- {{name}}: an HTTP function (fnlua --mode http): each request is routed by method and path.
local apig = require "fnlua.apig"
local router = require "fnlua.router"

local M = {}

local r = router.new()

-- GET /?name=x
r:get("/", function(req)
  return apig.json(200, { message = "Hello, " .. (req:query("name") or "world") .. "!" })
end)

-- POST / with {"name": "x"}
r:post("/", function(req, _, context)
  local data, err = req:json()
  if not data then
    return apig.error(400, err)
  end
  context:getLogger():info("greeting %s", tostring(data.name))
  return apig.json(200, { message = "Hello, " .. (data.name or "world") .. "!" })
end)

M.handler = r:handler()

return M
