/*
 * invoke.h - `fnlua invoke`: run the function once, without a server.
 *
 * The same loading, context and conversion as the server (runtime.h, with
 * worker 0 on the calling thread); the event comes from a file or stdin,
 * the headers from --header.  Only the result JSON goes to stdout, logs go
 * to stderr.  Exit: 0 success, 1 the function failed, 2 usage/load error.
 */
#ifndef FL_INVOKE_H
#define FL_INVOKE_H

#include "config.h"

int fl_invoke_main(const fl_config *cfg);

#endif
