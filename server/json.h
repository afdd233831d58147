/*
 * json.h - JSON text <-> Lua values, with numbers that keep their meaning.
 *
 * Decoding: a JSON integer that a double holds exactly (|n| <= 2^53) becomes
 * a Lua integer; other numbers become floats (a number beyond the range of a
 * double, such as 1e999, is refused).  null becomes cjson.null (the
 * NULL light userdata), so handlers can compare with cjson.null.  An empty
 * JSON array gets the array marker metatable so it encodes back as [].
 *
 * Encoding: Lua integers are written exactly over 64 bits, floats with the
 * fewest digits that read back as the same double.  Tables whose keys are
 * 1..n (not too sparse) are arrays, other tables objects, their keys in
 * table order, or sorted and indented on request (FL_JSON_SORTED/PRETTY).  Functions,
 * userdata, threads, NaN/inf and cycles raise an error naming where the value
 * sits ("body.items[3]").  Strings that are not valid UTF-8 have each bad byte
 * replaced by U+FFFD, so the output is always valid JSON.
 *
 * The Lua-facing functions raise Lua errors and so run in protected mode
 * (everything run in a Lua state does, see call.h).  Strings and numbers are
 * written by the plain-C writers of jsonw.h, which C code that needs no Lua
 * uses directly.
 *
 * Uses jsonw.h and the Lua C API; lua-cjson is not used here because
 * Debian's 2.1.0 decodes every number as a float and writes 14 digits.
 */
#ifndef FL_JSON_H
#define FL_JSON_H

#include <stddef.h>

#include <lua.h>

#include "buf.h"
#include "jsonw.h"

#define FL_JSON_MAX_DEPTH 200
#define FL_STR_DEPTH      "200"

/* Options.  Encoding, SORTED: object keys in byte order of their text
 * (code point order), so equal tables always give equal text; PRETTY:
 * one member per line, indented by two spaces, "key": value.  Decoding,
 * NUMBER_TEXT: each number becomes a marked table holding its text, which
 * the encoder writes back unchanged (reformatting JSON keeps every digit). */
enum { FL_JSON_SORTED = 1, FL_JSON_PRETTY = 2, FL_JSON_NUMBER_TEXT = 4 };

/* Stack: [] -> [value].  Raises "invalid JSON at line L, column C: why". */
void fl_json_decode(lua_State *L, const char *s, size_t len);
void fl_json_decode_with(lua_State *L, const char *s, size_t len, unsigned flags);

/* Stack: unchanged.  Appends the JSON text of the value at idx to b, with
 * the default options (none, unless fl_json_set_default_flags). */
void fl_json_encode(lua_State *L, int idx, fl_buf *b);
/* The same with the given options. */
void fl_json_encode_with(lua_State *L, int idx, fl_buf *b, unsigned flags);
/* The options fl_json_encode uses from now on, process-wide: set once
 * before any thread starts (fnlua invoke sorts keys for stable output). */
void fl_json_set_default_flags(unsigned flags);

/* Stack: [] -> [array marker metatable]. */
void fl_json_push_array_mt(lua_State *L);

#endif
