/*
 * lfetch.h - fnlua.http and fnlua.sleep: the Lua side of outbound calls.
 *
 * Registers "fnlua.http" (request, request_all, get, post) and "fnlua"
 * (sleep, version) in package.preload.  A call turns the request table
 * into transfers (fetch.h), registers them with the Lua state's event loop
 * and yields the invocation's coroutine (loop.h), so the Lua state and the
 * thread go on with other work; the continuation turns the outcome into
 * `res` or `nil, err`.  Where the running code cannot be suspended (an
 * initializer, a coroutine the handler made, a C function in between) the
 * call waits in place instead.  A call never outlives the invocation: its
 * timeout is cut to the deadline, and a deadline or cancellation that
 * arrives while it waits ends the invocation as the deadline hook would
 * (limit.h).  Requests that are wrong in themselves raise; network
 * failures return nil, err.
 */
#ifndef FL_LFETCH_H
#define FL_LFETCH_H

#include <lua.h>

void fl_lfetch_openstate(lua_State *L);

#endif
