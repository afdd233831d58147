-- A rock with a C module, built by luarocks' builtin build type against
-- Debian's liblua5.4-dev headers (tests/http/test_toolkit.py, no network).
rockspec_format = "3.0"
package = "fnv"
version = "1.0-1"
source = { url = "git+https://example.invalid/fnv.git" }
description = { summary = "FNV-1a hashes in C (a test rock of fnlua)" }
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "builtin",
  modules = { fnv = "fnv.c" },
}
