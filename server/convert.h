/*
 * convert.h - data crossing the C <-> Lua boundary, named by direction.
 *
 *   event body (JSON) -> Lua value        fl_convert_event_to_lua
 *   request headers   -> Lua table        fl_convert_headers_to_lua
 *   HTTP request      -> APIG-shaped event fl_convert_http_to_lua
 *   returned value    -> envelope         fl_convert_result_to_envelope
 *   envelope          -> JSON text        fl_convert_envelope_to_json
 *   error             -> error object     fl_convert_error_to_json
 *
 * Apart from json.c (the codec these use) no other file walks Lua tables
 * of an invocation; the C library modules read only their own arguments
 * (lfetch.c: a request table -> libcurl options, a response -> `res`).
 * Functions taking a lua_State raise Lua errors and run in protected mode.
 */
#ifndef FL_CONVERT_H
#define FL_CONVERT_H

#include <lua.h>

#include "buf.h"
#include "call.h"
#include "request.h"

#define FL_RESULT_MAX 6291456 /* the platform's response limit */
/* Response header bytes: libmicrohttpd builds them in a connection's 32 KiB
 * memory pool, and a header block that does not fit drops the connection. */
#define FL_RESPONSE_HEADERS_MAX 16384

typedef struct fl_envelope {
    int status;
    int is_base64;
    fl_buf headers; /* "Name\0Value\0" pairs; a repeated name = several values */
    fl_buf body;
    size_t too_large; /* the body alone is this many bytes, over FL_RESULT_MAX: not converted */
} fl_envelope;

void fl_envelope_init(fl_envelope *e);
void fl_envelope_free(fl_envelope *e);

/* Stack: [] -> [event].  Empty body -> empty table; raises on invalid JSON. */
void fl_convert_event_to_lua(lua_State *L, const char *body, size_t len);
/* Stack: [] -> [table of lower-case name -> value]; repeated names joined with ", ". */
void fl_convert_headers_to_lua(lua_State *L, const fl_header *h, size_t n);
/* Stack: [] -> [event] in the APIG event's shape (HTTP functions). */
void fl_convert_http_to_lua(lua_State *L, const fl_request *req);
/* Stack: unchanged.  Applies the envelope rules of docs/handler-api.md ("Returning
 * a result") to the value at idx; raises when it cannot be encoded. */
void fl_convert_result_to_envelope(lua_State *L, int idx, fl_envelope *env);

/* Plain C from here on. */
void fl_convert_envelope_to_json(const fl_envelope *env, fl_buf *out);
void fl_convert_error_to_json(const char *type, const fl_error *err, fl_buf *out);

#endif
