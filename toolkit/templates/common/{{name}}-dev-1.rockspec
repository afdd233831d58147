-- The Lua rocks {{name}} depends on.  Add them to `dependencies`, then
--   luarocks --lua-version 5.4 --tree lua_modules install --deps-only {{name}}-dev-1.rockspec
-- installs them into lua_modules/, where fnlua finds them (and the image carries them).
rockspec_format = "3.0"
package = "{{name}}"
version = "dev-1"
source = {
  url = "git+https://example.invalid/{{name}}.git",
}
description = {
  summary = "{{name}}: a FunctionGraph function run by fnlua ({{trigger}} trigger)",
}
dependencies = {
  "lua >= 5.4, < 5.5",
  -- "inspect >= 3.1",
}
build = {
  type = "none",
}
