-- luamodules: a dependency found through the ?/init.lua pattern
return { word = "greetings from greeting/init.lua" }
