-- jsonlogs: logger and print lines with newlines, quotes, non-ASCII and one message over 64 KiB, each tied to its request id
local M = {}

-- the tricky message; the test builds the same text
local function tricky(tag)
  return "tricky " .. tag .. ' line1\nline2 "quoted" \\ back\tslash \xC3\xA9t\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87 \xF0\x9F\x98\x80 end'
end

function M.handler(event, context)
  local log = context:getLogger()
  local tag = event.tag or "untagged"
  log:info("%s", tricky(tag)) -- LOG:tricky
  log:warn("warn %s %d", tag, 7) -- LOG:warn
  print("print", tag, 1, true) -- LOG:print
  if event.long then
    -- "long <tag>:" then event.long times "\xC3\xBC0123456789" (11 bytes, a 2-byte character first) then ":end"
    log:info("long %s:%s:end", tag, string.rep("\xC3\xBC0123456789", event.long)) -- LOG:long
  end
  return "logged " .. tag
end

return M
