-- http-router: an HTTP function (--mode http) routing GET /items, GET /items/:id and POST /items with fnlua.router.
local apig = require "fnlua.apig"
local router = require "fnlua.router"

local M = {}

-- per Lua state (per worker) and per instance: a real function keeps items in a database
local items = {
  { id = 1, name = "apple" },
  { id = 2, name = "pear" },
}

local r = router.new()

r:get("/items", function(req)
  local limit = math.tointeger(tonumber(req:query("limit"))) or #items
  local out = {}
  for i = 1, math.min(limit, #items) do
    out[i] = items[i]
  end
  return apig.json(200, { items = out, count = #out })
end)

r:get("/items/:id", function(req, params)
  local id = math.tointeger(tonumber(params.id))
  for _, item in ipairs(items) do
    if item.id == id then
      return apig.json(200, item)
    end
  end
  return apig.error(404, "no item " .. params.id)
end)

r:post("/items", function(req, params, context)
  local data, err = req:json()
  if not data then
    return apig.error(400, err)
  end
  if type(data.name) ~= "string" or data.name == "" then
    return apig.error(400, 'field "name" is required')
  end
  local item = { id = #items + 1, name = data.name }
  items[#items + 1] = item
  context:getLogger():info("created item %d (%s)", item.id, item.name)
  return apig.json(201, item, { Location = "/items/" .. item.id })
end)

M.handler = r:handler()

return M
