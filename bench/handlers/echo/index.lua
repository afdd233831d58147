-- echo: the benchmark job. Echo one field of the event and the request id.
local M = {}

function M.handler(event, context)
  return {
    statusCode = 200,
    headers = { ["Content-Type"] = "application/json" },
    body = { name = event.user.name, requestId = context:getRequestID() },
  }
end

return M
