-- A pure-Lua rock, installed from this folder by tests/http/test_toolkit.py (no network).
rockspec_format = "3.0"
package = "greet"
version = "1.0-1"
source = { url = "git+https://example.invalid/greet.git" }
description = { summary = "Greetings (a test rock of fnlua)" }
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "builtin",
  modules = { greet = "greet.lua" },
}
