/*
 * fetch.h - one outbound HTTP(S) transfer on a libcurl easy handle.
 *
 * Sets the handle up from plain options (URL, method, headers, body,
 * timeout, response size limit, redirects, certificate checks, proxies from
 * the environment, FNLUA_CA_FILE), collects the response's status, headers
 * and body while it arrives (refusing a body over max_body instead of
 * buffering it), and turns libcurl's outcome into one line that starts with
 * its kind: timeout, dns, connect, tls, too large, protocol, cancelled.
 *
 * A transfer is driven either by a Lua state's event loop (loop.h, the
 * usual case: the invocation is suspended meanwhile) or, where the caller
 * cannot suspend, to its end right here (fl_fetch_run).  Knows nothing of
 * Lua or of the HTTP server.  Uses libcurl and buf.h.
 */
#ifndef FL_FETCH_H
#define FL_FETCH_H

#include <stdatomic.h>
#include <stddef.h>

#include <curl/curl.h>

#include "buf.h"

#define FL_FETCH_MAX_BODY_DEFAULT ((size_t)6 << 20)
#define FL_FETCH_MAX_HEAD         ((size_t)256 << 10) /* response header bytes */

typedef enum {
    FL_FETCH_OK,
    FL_FETCH_TIMEOUT,
    FL_FETCH_DNS,
    FL_FETCH_CONNECT,
    FL_FETCH_TLS,
    FL_FETCH_TOO_LARGE,
    FL_FETCH_PROTOCOL,
    FL_FETCH_CANCELLED,
    FL_FETCH_DEADLINE /* the invocation's deadline cut the call: a timeout of the invocation */
} fl_fetch_result;

/* The response bytes all the transfers of one Lua state hold at once, and
 * the most they may hold (its memory budget): what max_body bounds for one
 * call, this bounds for a thousand at once.  Shared between threads. */
typedef struct fl_fetch_quota {
    atomic_size_t held;
    atomic_size_t cap; /* 0 = none */
} fl_fetch_quota;

typedef struct fl_fetch_opts {
    const char *url;            /* query already appended */
    const char *method;         /* upper case; NULL = GET */
    struct curl_slist *headers; /* "Name: value" lines; taken over by fl_fetch_init */
    const char *body;
    size_t body_len;
    double timeout_s; /* > 0 */
    double deadline;  /* the invocation's (monotonic s), 0 = none: the call ends by then */
    size_t max_body;
    long redirects; /* 0 = do not follow */
    int verify;     /* check the server's certificate and name */
    fl_fetch_quota *quota;
} fl_fetch_opts;

struct fl_waiter;

typedef struct fl_fetch {
    CURL *easy;
    struct curl_slist *headers;
    fl_buf req_body;
    fl_buf head; /* the last response's header lines, raw */
    fl_buf body;
    size_t max_body;
    fl_fetch_quota *quota; /* NULL = none */
    size_t counted;        /* bytes of this transfer in quota->held */
    int too_large;
    int over_quota;
    int deadline_cut; /* the timeout given to libcurl was the invocation's remaining time */
    long status;
    fl_fetch_result result;
    char error[512]; /* "kind: what happened, host" when result != OK */
    char host[256];
    struct fl_waiter *waiter;     /* set by the caller before fl_loop_add */
    struct fl_fetch *prev, *next; /* the loop's list of transfers in flight */
    int running;                  /* in a loop's multi handle */
} fl_fetch;

/* Once per process, before threads start. */
int fl_fetch_global_init(void);
void fl_fetch_global_cleanup(void);

/* 0, or -1 with err filled (bad URL, out of memory); f is to be freed with
 * fl_fetch_free either way.  reuse: an easy handle that was reset, or NULL
 * for a new one. */
int fl_fetch_init(fl_fetch *f, const fl_fetch_opts *o, CURL *reuse, char *err, size_t errlen);
/* The transfer ended with code (the loop, or fl_fetch_run): fills result
 * and error.  Does not wake anyone. */
void fl_fetch_finished(fl_fetch *f, CURLcode code);
/* Runs n transfers to their end on the calling thread. */
void fl_fetch_run(fl_fetch **fs, size_t n);
/* Takes the easy handle out of an ended transfer, for reuse (curl_easy_reset). */
CURL *fl_fetch_detach(fl_fetch *f);
void fl_fetch_free(fl_fetch *f);

#endif
