/*
 * lstrlib_match.h - string.find, string.match, string.gmatch and
 * string.gsub with Lua 5.4's semantics, stoppable at the deadline.
 *
 * The standard functions match in C by backtracking, where the count hook
 * never runs: s:match("^%s*(.-)%s*$") on 80 KB of spaces took 27 s past a
 * 2 s deadline.  These do the same matching (reference manual §6.4.1) but
 * count their steps, and every FL_MATCH_STEPS of them ask limit.c whether
 * the running invocation is cancelled or past its deadline, raising its
 * error as the hook would (fl_limits_check).  In a state whose allocator is
 * not fl_limits_alloc there is no deadline and they only match.
 * Uses limit.h; knows nothing of invocations or HTTP.
 */
#ifndef FL_LSTRLIB_MATCH_H
#define FL_LSTRLIB_MATCH_H

#include <lua.h>

/* Matching steps (calls of the matcher, bytes scanned) between checks. */
#define FL_MATCH_STEPS 4096

/* Replaces find, match, gmatch and gsub in L's string table.
 * Stack: unchanged. */
void fl_strmatch_openstate(lua_State *L);

#endif
