/*
 * invoke.h - `fnlua invoke`: run the function once, without a server.
 *
 * The same loading, context and conversion as the server (runtime.h, with
 * one Lua state, run on the calling thread); the event comes from a file or
 * stdin, the headers from --header.  Only the result JSON goes to stdout,
 * logs go to stderr.  Exit: 0 success; 2 the function could not be loaded
 * or a usage error; otherwise the error kind's (errors.h: 1 the function
 * failed, 2 the event is not JSON).
 */
#ifndef FL_INVOKE_H
#define FL_INVOKE_H

#include "config.h"

int fl_invoke_main(const fl_config *cfg);

#endif
