-- binary-response: returning binary bytes (a PNG image built in plain Lua) as a base64 body with isBase64Encoded = true.
local apig = require "fnlua.apig"

local M = {}

-- CRC-32 (IEEE), as PNG chunks need it
local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    c = (c & 1) ~= 0 and (0xEDB88320 ~ (c >> 1)) or (c >> 1)
  end
  crc_table[i] = c
end

local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = crc_table[(c ~ s:byte(i)) & 0xFF] ~ (c >> 8)
  end
  return c ~ 0xFFFFFFFF
end

local function adler32(s)
  local a, b = 1, 0
  for i = 1, #s do
    a = (a + s:byte(i)) % 65521
    b = (b + a) % 65521
  end
  return (b << 16) | a
end

local function chunk(kind, data)
  return string.pack(">I4", #data) .. kind .. data .. string.pack(">I4", crc32(kind .. data))
end

-- A width x height RGB PNG filled with one colour.  The zlib stream uses
-- "stored" (uncompressed) deflate blocks, so no compression library is needed.
local function png(width, height, r, g, b)
  local row = "\0" .. string.rep(string.char(r, g, b), width) -- filter byte 0, then pixels
  local raw = string.rep(row, height)
  local blocks, pos = {}, 1
  repeat
    local part = raw:sub(pos, pos + 65534)
    pos = pos + #part
    local final = pos > #raw and 1 or 0
    blocks[#blocks + 1] = string.pack("<BI2I2", final, #part, (~#part) & 0xFFFF) .. part
  until pos > #raw
  local zlib = "\x78\x01" .. table.concat(blocks) .. string.pack(">I4", adler32(raw))
  return "\137PNG\r\n\26\n"
    .. chunk("IHDR", string.pack(">I4I4BBBBB", width, height, 8, 2, 0, 0, 0))
    .. chunk("IDAT", zlib)
    .. chunk("IEND", "")
end

function M.handler(event, context)
  local size = math.tointeger(tonumber(event.size)) or 1
  if size < 1 or size > 256 then
    size = 1
  end
  local image = png(size, size, 0xE6, 0x00, 0x12)
  context:getLogger():info("serving a %dx%d PNG, %d bytes", size, size, #image)
  return apig.binary(200, image, "image/png", { ["Cache-Control"] = "max-age=60" })
end

return M
