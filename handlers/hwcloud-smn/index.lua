-- hwcloud-smn: publishes the event's message to an SMN topic, the call signed with the function's temporary keys (fnlua.hwcloud + fnlua.http).
local http = require "fnlua.http"
local hwcloud = require "fnlua.hwcloud"
local json = require "fnlua.json"

local M = {}

-- Read once per Lua state: the topic "urn:smn:<region>:<project id>:<name>"
-- names the region and project the call goes to.
function M.initializer(context)
  local urn = context:getUserData("SMN_TOPIC_URN")
  local region, project = tostring(urn):match("^urn:smn:([^:]+):([^:]+):[^:]+$")
  if not region then
    error("SMN_TOPIC_URN must be a topic URN like urn:smn:cn-north-4:<project id>:<topic>, got "
      .. string.format("%q", tostring(urn)), 0)
  end
  M.topic_urn, M.project = urn, project
  M.endpoint = context:getUserData("SMN_ENDPOINT") or ("https://smn." .. region .. ".myhuaweicloud.com")
end

function M.handler(event, context)
  local log = context:getLogger()
  if type(event.message) ~= "string" or event.message == "" then
    return { statusCode = 400, body = { error = 'field "message" (a string) is required' } }
  end
  local subject = type(event.subject) == "string" and event.subject or nil

  -- sign() adds X-Sdk-Date, Host, X-Security-Token and Authorization from the
  -- context's keys; the table body goes out as the exact JSON that was signed
  local res, err = http.request(hwcloud.sign({
    method = "POST",
    url = M.endpoint .. "/v2/" .. M.project .. "/notifications/topics/" .. M.topic_urn .. "/publish",
    body = { subject = subject, message = event.message },
    timeout = 10,
  }, context))
  if not res then
    error("SMN publish failed: " .. err, 0)
  end
  local ok, answer = pcall(json.decode, res.body)
  if not ok or type(answer) ~= "table" then
    answer = {} -- not SMN's JSON (a proxy's page, say): the status and raw body tell
  end
  if res.status ~= 200 then
    local why = answer.error_msg and (tostring(answer.error_code) .. " " .. tostring(answer.error_msg))
    error(string.format("SMN publish answered %d: %s", res.status, why or res.body:sub(1, 300)), 0)
  end
  log:info("published message %s to %s", tostring(answer.message_id), M.topic_urn)
  return { messageId = answer.message_id, requestId = answer.request_id }
end

return M
