-- wrk script for bench/soak/run: a valid event, except every fifth request per
-- connection sends JSON that does not parse (InvalidEvent 400); counts statuses.
local counter = 0
local valid = '{"name":"soak","items":[1,2,3],"nested":{"a":{"b":"c"}}}'
local invalid = '{"name":"soak",'

request = function()
  counter = counter + 1
  local body = (counter % 5 == 3) and invalid or valid
  return wrk.format("POST", "/invoke", {
    ["Content-Type"] = "application/json",
    ["X-CFF-Request-Id"] = "soak-" .. counter,
    ["X-CFF-Timeout"] = "1",
    ["X-CFF-Memory"] = "256",
  }, body)
end

local statuses = {}
response = function(status)
  statuses[status] = (statuses[status] or 0) + 1
end

done = function(summary)
  io.write(string.format("requests %d, socket errors connect %d read %d write %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
