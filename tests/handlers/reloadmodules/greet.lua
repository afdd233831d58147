-- greet: the module index.lua requires; tests edit it (and delete it) in a private copy
local greet = { VERSION = "greet-v1" }

function greet.hello(name)
  return "hello, " .. name
end

return greet
