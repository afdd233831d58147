/*
 * tool.h - `fnlua new` and `fnlua test`: the toolkit's commands.
 *
 * Each command is a Lua script of the toolkit directory (toolkit/new.lua,
 * toolkit/test.lua; the directory is the sibling of fnlua's Lua library:
 * the repository's toolkit/, or <prefix>/share/fnlua/toolkit installed),
 * run in a plain Lua state with the standard libraries, the preloaded
 * modules of lib.h (cjson, fnlua.json, fnlua.base64, fnlua.crypto) and two
 * modules of this file:
 *   fnlua.tool           the file system calls a script needs (stat, dir,
 *                        mkdir, realpath) and where fnlua's parts are
 *   fnlua.testing.core   invoke(): one event through a real runtime
 *                        (runtime.h), as `fnlua invoke` runs it, answered
 *                        as status, body and errorType
 * The serving runtime is not touched: a test's invocation gets a fresh
 * runtime of its own, with its own Lua state, deadline and memory budget.
 * Uses config.h, runtime.h, lib.h, log.h.
 */
#ifndef FL_TOOL_H
#define FL_TOOL_H

/* 1 when argv[1] names a toolkit command. */
int fl_tool_is_command(int argc, char **argv);
/* Runs it; the process's exit status (0 ok, 1 failures, 2 usage). */
int fl_tool_main(int argc, char **argv);

#endif
