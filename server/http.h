/*
 * http.h - the libmicrohttpd glue.
 *
 * libmicrohttpd runs one epoll thread per Lua state (--workers); each
 * accepts connections, parses requests and hands a complete one to the
 * runtime as an fl_job.  The runtime may run it right there, within a short
 * time slice, or go on with it elsewhere, suspending the connection first
 * (job->suspend) and resuming it when the answer is ready (job->done); so a
 * slow or waiting invocation holds an HTTP thread for at most one slice.
 * Routes, body limits and the shapes of the non-function answers (404, 405,
 * 413, /healthz) live here, and so do the defences of the wire: the framing
 * guard (request smuggling, obs-fold), the total of buffered bodies
 * (4 x --max-body, then 503), and a watchdog thread that cuts requests
 * slower than the receive time limit and releases half-closed ones.  Knows
 * nothing of Lua.  MHD_NO is returned only to drop a connection.
 */
#ifndef FL_HTTP_H
#define FL_HTTP_H

#include <stddef.h>

#include "config.h"
#include "runtime.h"

typedef struct fl_http fl_http;

/* In event mode GET /shutdown calls on_shutdown (the main loop then stops the
 * instance); in HTTP mode the path is the function's. */
typedef void (*fl_http_shutdown_fn)(void);
fl_http *fl_http_start(const fl_config *cfg, fl_runtime *rt, fl_http_shutdown_fn on_shutdown, char *err, size_t errlen);
int fl_http_port(const fl_http *h);
/* New requests get 503 and no new connections are accepted. */
void fl_http_quiesce(fl_http *h);
/* Waits (bounded) for answered requests to be sent, then stops. */
void fl_http_stop(fl_http *h, double grace_s);

#endif
