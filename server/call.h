/*
 * call.h - the one place that calls lua_pcall (and lua_resume).
 *
 * Shaped like lua.c's docall: a message handler records the error's
 * message, the file:line where it was raised and a traceback into an
 * fl_error, which the caller turns into the error object (docs/errors.md).
 * Error values that are not strings (error({code = 1}), error()) are turned
 * into readable text here (an error object's __tostring is used).  Uses json.h to show table error values.
 */
#ifndef FL_CALL_H
#define FL_CALL_H

#include <lua.h>

#include "buf.h"

typedef struct fl_error {
    int status;       /* LUA_OK, LUA_ERRRUN, LUA_ERRMEM, LUA_ERRERR, ... */
    fl_buf message;   /* always contains file:line when one is known */
    char where[256];  /* "index.lua:12", or "" */
    fl_buf traceback; /* one frame per line */
} fl_error;

void fl_error_init(fl_error *e);
void fl_error_free(fl_error *e);
void fl_error_reset(fl_error *e);
void fl_error_set(fl_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Calls f(L) with ud as its only argument (a light userdata) in protected
 * mode.  Stack: unchanged on return.  Returns the Lua status; on error, err
 * is filled (for LUA_ERRMEM without traceback: the message handler is not
 * run for memory errors). */
int fl_call(lua_State *L, lua_CFunction f, void *ud, fl_error *err);

/* Resumes coroutine co (nargs values on its stack) from L: the protected
 * call of an invocation that may be paused (see limit.h, time slice) and
 * continued later, possibly from another OS thread.  Returns LUA_OK,
 * LUA_YIELD (values dropped) or an error status with err filled from the
 * coroutine's stack; a coroutine that failed is not fit for reuse. */
int fl_call_resume(lua_State *L, lua_State *co, int nargs, fl_error *err);

/* Fills err as if msg had been raised where the suspended coroutine co
 * stands (its file:line and traceback). */
void fl_call_error_here(lua_State *co, const char *msg, fl_error *err);

/* Installs the message handler's registry slot; once per state. */
void fl_call_openstate(lua_State *L);

#endif
