/*
 * context.h - the handler's `context` object and its logger.
 *
 * The context is a small userdata bound to the Lua state's current invocation
 * (fl_invocation); its getters read the request headers directly, with the
 * RUNTIME_* environment variables as fallback, so nothing is copied into
 * Lua unless the handler asks.  In HTTP mode the headers come from the
 * function's clients, not the platform: no X-CFF-* header sets a limit, the
 * request id or a getter there (they reach the handler as plain headers).  It is valid only during its invocation: a
 * context kept and used later raises a clear error.  The logger (and the
 * global print) write log.h lines carrying the request id of the invocation
 * running in that Lua state.  Uses request.h, log.h, convert.h (headers).
 */
#ifndef FL_CONTEXT_H
#define FL_CONTEXT_H

#include <stdint.h>

#include <lua.h>

#include "log.h"
#include "request.h"

/* A request id is [A-Za-z0-9._-]{1,128}; any other is replaced by a new one. */

typedef struct fl_invocation {
    const fl_request *req; /* NULL between invocations */
    uint64_t serial;       /* changes with every invocation */
    char request_id[FL_REQUEST_ID_MAX + 1];
    int timeout_s;
    int memory_mb;
    double deadline;      /* monotonic: arrival + timeout */
    const char *code_dir; /* stripped from log source paths */
} fl_invocation;

/* Once per state: metatables for context and logger, and the logging print.
 * *current is the context of what runs in the state now (print logs under
 * its request id); the slot must outlive the state. */
void fl_context_openstate(lua_State *L, fl_invocation *const *current);
/* Stack: [] -> [context] */
void fl_context_push(lua_State *L, fl_invocation *inv);
/* Fills inv from req and the configuration defaults (request id, timeout, memory). */
void fl_context_begin(fl_invocation *inv, const fl_request *req, int default_timeout_s, int default_memory_mb);
void fl_context_end(fl_invocation *inv);
/* When fnlua answers an invocation's timeout: its deadline less a margin
 * (5 % of the timeout, at most 1 s), so the platform gets the answer
 * before it gives up on the call.  For a request not started yet, with
 * its timeout in seconds put in *timeout_s. */
double fl_context_answer_by(const fl_invocation *inv);
/* fl_request_answer_by and fl_request_id (request.h) are defined here too:
 * the rules for X-CFF-* headers live in this file. */

/* "index.lua:12" for the Lua function at the given stack level. */
void fl_context_source(lua_State *L, int level, const char *code_dir, char *out, size_t n);

#endif
