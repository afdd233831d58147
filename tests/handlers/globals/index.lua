-- globals: a module that returns nothing and defines its handler as a global function
local function greeting(name)
  return "hello from a global handler, " .. name
end

function handler(event, context)
  return greeting(event.name or "world")
end
