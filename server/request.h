/*
 * request.h - one request and its answer, as plain data.
 *
 * The HTTP glue (http.c) and `fnlua invoke` (invoke.c) fill an fl_request;
 * the runtime fills the fl_response.  Neither side sees the other's
 * machinery: no libmicrohttpd here, no Lua.  An error answer carries its
 * kind (errors.h); answer.h writes answers and error objects.
 */
#ifndef FL_REQUEST_H
#define FL_REQUEST_H

#include <pthread.h>
#include <stddef.h>

#include "buf.h"
#include "errors.h"

/* Longest request id kept (longer ones are replaced by a generated one). */
#define FL_REQUEST_ID_MAX 128

typedef struct fl_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} fl_header;

/* INIT: /init; INVOKE: /invoke; HTTP: an HTTP function's request;
 * REBUILD: internal, a new Lua state with the current code (SIGHUP). */
typedef enum { FL_REQ_INIT, FL_REQ_INVOKE, FL_REQ_HTTP, FL_REQ_REBUILD } fl_req_kind;

typedef struct fl_request {
    fl_req_kind kind;
    const fl_header *headers;
    size_t n_headers;
    const char *body;
    size_t body_len;
    /* HTTP functions only */
    const char *method;
    const char *path;       /* as received: still percent-encoded */
    const fl_header *query; /* decoded query arguments, in order */
    size_t n_query;
    int envelope;   /* HTTP function, but answer the envelope JSON (fnlua invoke) */
    double arrival; /* monotonic seconds, see fl_now() */
} fl_request;

typedef struct fl_response {
    int status;
    fl_buf headers; /* HTTP functions: the packed header list (hlist.h) */
    fl_buf body;
    fl_errkind error_kind; /* FL_ERR_NONE, or the kind of the error object in body */
} fl_response;

void fl_response_init(fl_response *r);
void fl_response_free(fl_response *r);
void fl_response_reset(fl_response *r);
/* Case-insensitive lookup; NULL when absent.  Empty values count as absent. */
const char *fl_request_header(const fl_request *req, const char *name, size_t *len);
double fl_now(void);
/* pthread_cond_timedwait for at most ns nanoseconds from now (m held). */
void fl_cond_wait_ns(pthread_cond_t *c, pthread_mutex_t *m, long ns);
/* Percent-decodes s in place ('+' is a space when plus is set); returns the new length. */
size_t fl_url_decode(char *s, size_t n, int plus);

/* Defined in context.c, with the other rules for X-CFF-* headers.  When a
 * request not started yet must be answered: its deadline (monotonic
 * seconds, the answer margin taken), with its timeout in seconds put in
 * *timeout_s; and its request id copied into buf when there is a valid one
 * (event mode), else NULL: for log lines. */
double fl_request_answer_by(const fl_request *req, int default_timeout_s, int *timeout_s);
const char *fl_request_id(const fl_request *req, char *buf, size_t n);

#endif
