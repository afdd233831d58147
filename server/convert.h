/*
 * convert.h - data crossing the C <-> Lua boundary, named by direction.
 *
 *   event body (JSON) -> Lua value        fl_convert_event_to_lua
 *   request headers   -> Lua table        fl_convert_headers_to_lua
 *   HTTP request      -> APIG-shaped event fl_convert_http_to_lua
 *   returned value    -> envelope         fl_convert_result_to_envelope
 *
 * What becomes of the envelope (its JSON, the wire form of an HTTP
 * function, the size limit) and the error object are plain C: answer.h.
 *
 * Apart from json.c (the codec these use) no other file walks Lua tables
 * of an invocation; the C library modules read only their own arguments
 * (lfetch.c: a request table -> libcurl options, a response -> `res`).
 * Functions taking a lua_State raise Lua errors and run in protected mode.
 */
#ifndef FL_CONVERT_H
#define FL_CONVERT_H

#include <lua.h>

#include "answer.h"
#include "request.h"

/* Stack: [] -> [event].  Empty body -> empty table; raises on invalid JSON. */
void fl_convert_event_to_lua(lua_State *L, const char *body, size_t len);
/* Stack: [] -> [table of lower-case name -> value]; repeated names joined with ", ". */
void fl_convert_headers_to_lua(lua_State *L, const fl_header *h, size_t n);
/* Stack: [] -> [event] in the APIG event's shape (HTTP functions). */
void fl_convert_http_to_lua(lua_State *L, const fl_request *req);
/* Stack: unchanged.  Applies the envelope rules of docs/handler-api.md ("Returning
 * a result") to the value at idx; raises when it cannot be encoded. */
void fl_convert_result_to_envelope(lua_State *L, int idx, fl_envelope *env);

#endif
