/* http.c - the libmicrohttpd glue (see http.h). */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "answer.h"
#include "errors.h"
#include "hlist.h"
#include "log.h"
#include "runtime.h"

#define MAX_HEADERS    256 /* headers passed on; the rest of a flood is dropped */
#define INLINE_HEADERS 20  /* keeps the request struct under 1 KiB: glibc serves it from its per-thread cache */
/* Past --max-connections (default 1000; FunctionGraph gives an instance
 * 2048 file descriptors) a new connection is answered 503 and closed;
 * libmicrohttpd itself refuses (closes at once) past this many more. */
#define CONN_HARD_MARGIN 100
/* Request bodies buffered at once, in all: this many times --max-body. */
#define BODIES_IN_MAX_BODIES 4
/* A request's headers and body must arrive within this many seconds of the
 * connection's accept (or the end of its previous request), however slowly
 * the bytes trickle in: libmicrohttpd's idle timeout is reset by every byte.
 * Like nginx's client_header_timeout + client_body_timeout.  Tests shorten
 * it with FNLUA_RECEIVE_TIMEOUT (seconds). */
#define RECEIVE_TIMEOUT_S 60.0
/* HTTP threads started in place of ones lost to code stuck in C, at most. */
#define MAX_EXTRA_DAEMONS 16
/* How often the watchdog looks at connections still receiving. */
#define WATCH_INTERVAL_NS 250000000L

/* One TCP connection, from accept to close, as the receive watchdog sees it. */
typedef struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;
    pthread_t thread; /* the HTTP thread that serves it */
    int receiving;    /* a request is awaited or being received */
    double since;     /* when: the accept, or the end of the previous request */
} conn_slot;

typedef enum { ROUTE_NONE, ROUTE_HEALTHZ, ROUTE_SHUTDOWN, ROUTE_INIT, ROUTE_INVOKE, ROUTE_HTTP } route;
typedef enum { ST_RECEIVING, ST_QUEUED, ST_ANSWERED, ST_ABANDONED } req_state;

struct fl_http {
    const fl_config *cfg;
    fl_runtime *rt;
    struct MHD_Daemon *daemon;
    int port;
    atomic_int stopping;
    atomic_int in_flight;
    atomic_int connections;
    atomic_size_t bodies; /* bytes of request bodies buffered now */
    size_t bodies_max;
    fl_http_shutdown_fn on_shutdown;
    int quiesced_fd; /* the listen socket after quiescing: closed after MHD stops */
    /* the receive watchdog: every open connection, under conns_lock */
    pthread_mutex_t conns_lock;
    pthread_cond_t watch_wake;
    conn_slot *conns;
    int watch_stop;
    int watch_running;
    pthread_t watch_thread;
    double receive_timeout_s;
    /* HTTP threads started in place of ones lost to stuck code (conns_lock) */
    struct MHD_Daemon *extra[MAX_EXTRA_DAEMONS];
    int n_extra;
    int listen_fd;
    unsigned flags;              /* libmicrohttpd's daemon flags */
    struct http_req **abandoned; /* parked requests answered by the supervisor (conns_lock) */
    size_t n_abandoned, cap_abandoned;
};

/* One HTTP request, from its first byte to the completion callback. */
typedef struct http_req {
    fl_job job; /* first: the job's done callback finds the request */
    fl_http *http;
    struct MHD_Connection *conn;
    conn_slot *slot; /* its connection's, for the receive watchdog; may be NULL */
    route route;
    req_state state;
    fl_errkind reject; /* an answer decided before the body was read */
    const char *reject_msg;
    const char *allow;
    int close;     /* ask the client to close the connection */
    int abandoned; /* answered by the runtime's supervisor; the job may still be in use */
    fl_buf body;
    size_t held;        /* bytes of body counted in http->bodies */
    fl_header *headers; /* inline_headers, or a heap array for many */
    size_t n_headers, cap_headers;
    fl_header *query;
    size_t n_query, cap_query;
    char *query_text;                         /* decoded copies of the query arguments */
    fl_header inline_headers[INLINE_HEADERS]; /* last: not zeroed at allocation */
} http_req;
/* glibc's per-thread cache serves requests of up to 1032 bytes; a larger
 * request struct costs about 2,000 instructions more per request (measured:
 * _int_malloc and malloc_consolidate, bench/callgrind-echo) */
_Static_assert(sizeof(http_req) <= 1032, "http_req outgrew glibc's per-thread cache: lower INLINE_HEADERS");

/* ---------------------------------------------------------------- receive watchdog */

/* The request on this connection is complete (on = 0), or the next one is
 * awaited from now on (on = 1). */
static void slot_receiving(fl_http *h, conn_slot *s, int on)
{
    if (!s)
        return;
    pthread_mutex_lock(&h->conns_lock);
    s->receiving = on;
    s->since = fl_now();
    pthread_mutex_unlock(&h->conns_lock);
}

/* Ends a connection from outside libmicrohttpd's threads: shutting the
 * socket down wakes its epoll, its next read sees the end and it closes
 * the connection itself (the descriptor stays libmicrohttpd's to close). */
static void cut(conn_slot *s)
{
    shutdown(s->fd, SHUT_RDWR);
    s->receiving = 0;
}

/* Watches every connection still receiving a request: one past the receive
 * time limit is cut (a trickle of a byte a second resets libmicrohttpd's
 * idle timer forever), and one whose client has closed its half is released
 * at once (libmicrohttpd's edge-triggered epoll can miss an end of stream
 * that arrived together with the last bytes, holding the slot in CLOSE-WAIT
 * until the idle timeout).  The slots are removed under conns_lock before
 * libmicrohttpd closes their descriptors, so a descriptor seen here is
 * never another connection's. */
static void *watchdog_main(void *arg)
{
    fl_http *h = arg;
    pthread_mutex_lock(&h->conns_lock);
    while (!h->watch_stop) {
        fl_cond_wait_ns(&h->watch_wake, &h->conns_lock, WATCH_INTERVAL_NS);
        double now = fl_now();
        int slow = 0, gone = 0;
        for (conn_slot *s = h->conns; s && !h->watch_stop; s = s->next) {
            if (!s->receiving)
                continue;
            char c;
            if (now - s->since > h->receive_timeout_s) {
                cut(s);
                slow++;
            } else if (recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
                cut(s);
                gone++;
            }
        }
        if (slow)
            FL_WARN("closed %d connection(s) that took more than %.0f s to send a request", slow, h->receive_timeout_s);
        if (gone)
            FL_DEBUG("released %d connection(s) whose client closed before its request was complete", gone);
    }
    pthread_mutex_unlock(&h->conns_lock);
    return NULL;
}

/* ---------------------------------------------------------------- answers */

static enum MHD_Result send_buffer(struct MHD_Connection *c, int status, const fl_buf *headers, const char *body,
                                   size_t len, int json, const char *allow, int close)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)(body ? body : ""), MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    int has_type = 0;
    size_t off = 0;
    fl_header p;
    while (headers && fl_hlist_next(headers, &off, &p)) {
        if (strcasecmp(p.name, "Content-Type") == 0)
            has_type = 1;
        if (strcasecmp(p.name, "Content-Length") == 0 || strcasecmp(p.name, "Transfer-Encoding") == 0 ||
            strcasecmp(p.name, "Connection") == 0)
            continue; /* framing is the server's business */
        MHD_add_response_header(r, p.name, p.value);
    }
    if (json && !has_type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    if (close)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    if (ret != MHD_YES)
        FL_WARN("could not send a %d answer (%zu body bytes); the connection is closed", status, len);
    return ret;
}

static enum MHD_Result send_static(struct MHD_Connection *c, int status, const char *body)
{
    return send_buffer(c, status, NULL, body, strlen(body), 1, NULL, 0);
}

/* An error object decided by the HTTP layer itself (404, 405, 413, ...). */
static enum MHD_Result send_error(http_req *r)
{
    fl_response *resp = &r->job.resp;
    fl_response_error(resp, r->reject, NULL, FL_HERE, r->reject_msg);
    return send_buffer(r->conn, resp->status, NULL, resp->body.data, resp->body.len, 1, r->allow, r->close);
}

static void reject(http_req *r, fl_errkind kind, const char *msg, const char *allow)
{
    r->reject = kind;
    r->reject_msg = msg;
    r->allow = allow;
}

/* ---------------------------------------------------------------- body budget */

static const char bodies_full[] = "the instance is holding as many request bodies as it may (4 x --max-body in all); "
                                  "send the request again later";

/* Counts n more bytes of r's body against the instance's total; 0 when
 * they do not fit. */
static int hold_body(fl_http *h, http_req *r, size_t n)
{
    size_t before = atomic_fetch_add(&h->bodies, n);
    if (before + n > h->bodies_max) {
        atomic_fetch_sub(&h->bodies, n);
        return 0;
    }
    r->held += n;
    return 1;
}

static void release_body(fl_http *h, http_req *r)
{
    atomic_fetch_sub(&h->bodies, r->held);
    r->held = 0;
    fl_buf_free(&r->body);
}

/* ---------------------------------------------------------------- routing */

/* Request smuggling guard (RFC 9112 §6.3, §5.1, §5.2): framing that a proxy
 * in front could read differently is refused rather than guessed at. */
typedef struct framing {
    const char *length;
    size_t length_len;
    int lengths_differ;
    int encodings;   /* Transfer-Encoding headers seen */
    int not_chunked; /* a Transfer-Encoding other than exactly "chunked" */
    int bad_name;
    int folded;
} framing;

/* Longest run of white space after a header's colon that we accept. */
#define MAX_OWS 256

/* obs-fold (a line starting with SP/HTAB continues the previous one):
 * libmicrohttpd 0.9.75 appends the continuation to the header *name*, in a
 * copy outside its read buffer, so "Content-Length:\r\n 35" arrives as a
 * header "Content-Length35" and the length is silently dropped.  An
 * unfolded header's value lies in the read buffer just after its name:
 * name, the colon (now a NUL), optional white space, value.  A name
 * anywhere else was folded.  (Measured: MHD_OPTION_STRICT_FOR_CLIENT 1 or
 * 2 only adds the Host check in this version and lets folds through.) */
static int was_folded(const char *key, size_t key_size, const char *value)
{
    uintptr_t after_colon = (uintptr_t)key + key_size + 1, v = (uintptr_t)value;
    if (!value || v < after_colon || v - after_colon > MAX_OWS || key[key_size] != '\0')
        return 1;
    for (const char *p = key + key_size + 1; p < value; p++)
        if (*p != ' ' && *p != '\t')
            return 1;
    return 0;
}

static enum MHD_Result check_framing(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                     const char *value, size_t value_size)
{
    (void)kind;
    framing *f = cls;
    if (memchr(key, ' ', key_size) || memchr(key, '\t', key_size) || key_size == 0)
        f->bad_name = 1;
    else if (was_folded(key, key_size, value))
        f->folded = 1;
    if (key_size == 14 && strncasecmp(key, "Content-Length", 14) == 0) {
        if (f->length && (f->length_len != value_size || memcmp(f->length, value, value_size) != 0))
            f->lengths_differ = 1;
        f->length = value;
        f->length_len = value_size;
    } else if (key_size == 17 && strncasecmp(key, "Transfer-Encoding", 17) == 0) {
        f->encodings++;
        if (!value || value_size != 7 || strncasecmp(value, "chunked", 7) != 0)
            f->not_chunked = 1;
    }
    return MHD_YES;
}

static const char *bad_framing(struct MHD_Connection *c)
{
    framing f;
    memset(&f, 0, sizeof f);
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, check_framing, &f);
    if (f.bad_name)
        return "malformed header: white space in or an empty header name";
    if (f.folded)
        return "malformed header: a line starting with white space continues the previous one (obsolete line "
               "folding); send each header on one line";
    if (f.encodings > 1 || f.not_chunked)
        return "malformed request: Transfer-Encoding must be one header with the value chunked";
    if (f.lengths_differ)
        return "malformed request: several different Content-Length values";
    if (f.length && f.encodings)
        return "malformed request: both Content-Length and Transfer-Encoding";
    return NULL;
}

static void route_request(http_req *r, const char *url, const char *method)
{
    const fl_config *cfg = r->http->cfg;
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    if (strcmp(url, "/healthz") == 0) {
        r->route = ROUTE_HEALTHZ;
        if (!get)
            reject(r, FL_ERR_METHOD_NOT_ALLOWED, "use GET /healthz", "GET, HEAD");
        return;
    }
    /* in HTTP mode /shutdown is the function's: no client may stop the instance */
    if (cfg->mode != FL_MODE_HTTP && strcmp(url, "/shutdown") == 0) {
        r->route = ROUTE_SHUTDOWN;
        if (!get)
            reject(r, FL_ERR_METHOD_NOT_ALLOWED, "use GET /shutdown", "GET");
        return;
    }
    if (cfg->mode == FL_MODE_HTTP) {
        r->route = ROUTE_HTTP;
        return;
    }
    if (strcmp(url, "/init") == 0 || strcmp(url, "/invoke") == 0) {
        r->route = url[2] == 'n' && url[3] == 'i' ? ROUTE_INIT : ROUTE_INVOKE;
        if (!post)
            reject(r, FL_ERR_METHOD_NOT_ALLOWED,
                   r->route == ROUTE_INIT ? "use POST /init" : "use POST /invoke with the event as JSON body", "POST");
        return;
    }
    r->route = ROUTE_NONE;
    reject(r, FL_ERR_NOT_FOUND, "no such path: an event function serves POST /init, POST /invoke and GET /healthz",
           NULL);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                      const char *value, size_t value_size)
{
    (void)kind;
    http_req *r = cls;
    if (r->n_headers == r->cap_headers) {
        if (r->n_headers == MAX_HEADERS)
            return MHD_NO; /* stop iterating; the rest are ignored */
        size_t cap = r->cap_headers * 4 > MAX_HEADERS ? MAX_HEADERS : r->cap_headers * 4;
        fl_header *h = malloc(cap * sizeof *h);
        if (!h)
            return MHD_NO;
        memcpy(h, r->headers, r->n_headers * sizeof *h);
        if (r->headers != r->inline_headers)
            free(r->headers);
        r->headers = h;
        r->cap_headers = cap;
    }
    fl_header *h = &r->headers[r->n_headers++];
    h->name = key;
    h->name_len = key_size;
    h->value = value ? value : "";
    h->value_len = value ? value_size : 0;
    return MHD_YES;
}

/* libmicrohttpd is told not to unescape anything (see unescape_none), so
 * the path reaches the function as sent; query arguments are decoded here. */
static size_t unescape_none(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* Copies and percent-decodes every query argument into one block. */
static void decode_query(http_req *r)
{
    size_t total = 0;
    for (size_t i = 0; i < r->n_query; i++)
        total += r->query[i].name_len + 1 + (r->query[i].value ? r->query[i].value_len : 0) + 1;
    if (!total || !(r->query_text = malloc(total)))
        return;
    char *p = r->query_text;
    for (size_t i = 0; i < r->n_query; i++) {
        fl_header *q = &r->query[i];
        memcpy(p, q->name, q->name_len);
        q->name_len = fl_url_decode(p, q->name_len, 1);
        p[q->name_len] = '\0';
        q->name = p;
        p += q->name_len + 1;
        if (q->value) {
            memcpy(p, q->value, q->value_len);
            q->value_len = fl_url_decode(p, q->value_len, 1);
            p[q->value_len] = '\0';
            q->value = p;
            p += q->value_len + 1;
        }
    }
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                     const char *value, size_t value_size)
{
    (void)kind;
    http_req *r = cls;
    if (r->n_query == r->cap_query) {
        size_t cap = r->cap_query ? r->cap_query * 2 : 8;
        fl_header *q = realloc(r->query, cap * sizeof *q);
        if (!q)
            return MHD_NO;
        r->query = q;
        r->cap_query = cap;
    }
    fl_header *h = &r->query[r->n_query++];
    h->name = key;
    h->name_len = key_size;
    h->value = value;
    h->value_len = value ? value_size : 0;
    return MHD_YES;
}

/* The runtime hands the job to another thread: park the connection. */
static void job_suspend(fl_job *job)
{
    http_req *r = (http_req *)job;
    r->state = ST_QUEUED;
    MHD_suspend_connection(r->conn);
}

/* Another thread has filled the response. */
static void job_done(fl_job *job)
{
    http_req *r = (http_req *)job;
    r->state = ST_ANSWERED;
    MHD_resume_connection(r->conn);
}

/* Writes a whole answer straight to a connection's socket, from a thread
 * that is not libmicrohttpd's, and asks the client to close. */
static void write_raw(int fd, const fl_response *a)
{
    fl_buf b;
    fl_buf_init(&b);
    int status = a->status ? a->status : 500;
    const char *reason = MHD_get_reason_phrase_for((unsigned)status);
    fl_buf_printf(&b,
                  "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\nConnection: "
                  "close\r\n\r\n",
                  status, reason && *reason ? reason : "Error", a->body.len);
    fl_buf_add(&b, a->body.data, a->body.len);
    size_t off = 0;
    double until = fl_now() + 0.2;
    while (off < b.len) {
        ssize_t n = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && fl_now() < until) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 20);
        } else {
            break;
        }
    }
    fl_buf_free(&b);
}

static void add_http_thread(fl_http *h);

/* The runtime gave up on this job's code (stuck in C): the answer goes
 * straight to the socket, which is then shut down.  The job stays as it
 * is — the stuck thread may still read it — and is freed, if ever, when
 * libmicrohttpd completes the request.  When the stuck code sits on this
 * connection's HTTP thread, that thread's other connections can no longer
 * be served: they are closed too (clients see a closed connection and
 * send again) and another HTTP thread takes its place. */
static void job_abandon(fl_job *job, const fl_response *answer, int on_its_thread)
{
    http_req *r = (http_req *)job;
    fl_http *h = r->http;
    conn_slot *s = r->slot;
    if (!r->abandoned) {
        r->abandoned = 1;
        atomic_fetch_sub(&h->in_flight, 1); /* a stop does not wait for it */
    }
    if (!s) {
        FL_WARN("cannot answer a stuck invocation: its connection is not known");
        return;
    }
    int closed = 0;
    pthread_mutex_lock(&h->conns_lock);
    if (!on_its_thread) {
        /* parked: it stays so until the server stops (fl_http_stop) */
        r->state = ST_ABANDONED;
        if (h->n_abandoned == h->cap_abandoned) {
            size_t cap = h->cap_abandoned ? 2 * h->cap_abandoned : 8;
            http_req **a = realloc(h->abandoned, cap * sizeof *a);
            if (a) {
                h->abandoned = a;
                h->cap_abandoned = cap;
            }
        }
        if (h->n_abandoned < h->cap_abandoned)
            h->abandoned[h->n_abandoned++] = r; /* else never resumed: a stop waits 2 s for it */
    }
    write_raw(s->fd, answer);
    cut(s);
    if (on_its_thread) {
        for (conn_slot *o = h->conns; o; o = o->next) {
            if (o != s && pthread_equal(o->thread, s->thread)) {
                cut(o);
                closed++;
            }
        }
    }
    pthread_mutex_unlock(&h->conns_lock);
    if (on_its_thread) {
        FL_WARN("an HTTP thread is held by code that does not return: closed its %d other connection(s); another "
                "HTTP thread takes its place",
                closed);
        add_http_thread(h);
    }
}

static enum MHD_Result send_answer(http_req *r)
{
    const fl_response *resp = &r->job.resp;
    int json = r->route != ROUTE_HTTP || resp->error_kind != FL_ERR_NONE;
    return send_buffer(r->conn, resp->status ? resp->status : 500, r->route == ROUTE_HTTP ? &resp->headers : NULL,
                       resp->body.data, resp->body.len, json, NULL, atomic_load(&r->http->stopping));
}

/* /healthz: 200 while the instance can serve, 503 once init has failed or
 * more Lua states are stuck in code that never returns than --workers;
 * stuck states are listed either way. */
static enum MHD_Result send_health(http_req *r)
{
    fl_buf stuck;
    fl_buf_init(&stuck);
    int healthy = fl_runtime_healthy(r->http->rt, &stuck);
    int any = stuck.len > 2;
    fl_buf *body = &r->job.resp.body;
    fl_buf_reset(body);
    if (healthy)
        fl_buf_adds(body, "{\"status\":\"ok\"");
    else if (!any)
        fl_buf_adds(body, "{\"status\":\"unhealthy\",\"reason\":\"init failed; see the /invoke error\"");
    else
        fl_buf_adds(body, "{\"status\":\"unhealthy\",\"reason\":\"more Lua states are stuck in code that never "
                          "returns than --workers; replace the instance\"");
    if (any) {
        fl_buf_adds(body, ",\"stuck\":");
        fl_buf_add(body, stuck.data, stuck.len);
    }
    fl_buf_addc(body, '}');
    fl_buf_free(&stuck);
    return send_buffer(r->conn, healthy ? 200 : 503, NULL, body->data, body->len, 1, NULL, 0);
}

static enum MHD_Result dispatch(http_req *r, const char *url, const char *method)
{
    fl_http *h = r->http;
    if (r->route == ROUTE_HEALTHZ)
        return send_health(r);
    if (r->route == ROUTE_SHUTDOWN) {
        if (h->on_shutdown)
            h->on_shutdown();
        return send_static(r->conn, 200, "{\"status\":\"shutting down\"}");
    }
    MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, collect_header, r);
    fl_request *req = &r->job.req;
    req->kind = r->route == ROUTE_INIT ? FL_REQ_INIT : r->route == ROUTE_INVOKE ? FL_REQ_INVOKE : FL_REQ_HTTP;
    req->headers = r->headers;
    req->n_headers = r->n_headers;
    req->body = r->body.data ? r->body.data : "";
    req->body_len = r->body.len;
    if (req->kind == FL_REQ_HTTP) {
        MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, collect_query, r);
        decode_query(r);
        req->method = method;
        req->path = url;
        req->query = r->query;
        req->n_query = r->n_query;
    }
    r->job.done = job_done;
    r->job.suspend = job_suspend;
    r->job.abandon = job_abandon;
    int answered = fl_runtime_submit(h->rt, &r->job);
    if (answered < 0)
        return MHD_NO; /* its code got stuck here and was answered meanwhile: close */
    if (answered) {
        /* answered right here (ran within its slice, or init has failed) */
        r->state = ST_ANSWERED;
        return send_answer(r);
    }
    return MHD_YES; /* suspended; job_done resumes it */
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    fl_http *h = cls;
    http_req *r = *con_cls;
    if (!r) {
        r = malloc(sizeof *r);
        if (!r)
            return MHD_NO;
        /* every field but the inline header array, which is filled as used */
        memset(r, 0, offsetof(http_req, inline_headers));
        r->headers = r->inline_headers;
        r->cap_headers = INLINE_HEADERS;
        *con_cls = r;
        atomic_fetch_add(&h->in_flight, 1);
        r->http = h;
        r->conn = c;
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        r->slot = ci ? ci->socket_context : NULL;
        fl_buf_init(&r->body);
        fl_response_init(&r->job.resp);
        r->job.req.arrival = fl_now();
        route_request(r, url, method);
        const char *framing_error = bad_framing(c);
        if (framing_error) {
            reject(r, FL_ERR_BAD_REQUEST, framing_error, NULL);
            r->close = 1;
        }
        if (!r->reject && atomic_load(&h->stopping) && r->route != ROUTE_HEALTHZ) {
            reject(r, FL_ERR_SHUTTING_DOWN, "the instance is shutting down; send the request again", NULL);
            r->close = 1;
        }
        if (!r->reject && atomic_load(&h->connections) > h->cfg->max_connections) {
            reject(r, FL_ERR_TOO_MANY_CONNECTIONS,
                   "the instance has too many open connections; send the request again later", NULL);
            r->close = 1;
        }
        if (!r->reject) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
            unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
            if (len > h->cfg->max_body) {
                reject(r, FL_ERR_PAYLOAD_TOO_LARGE, "the request body is larger than --max-body (FNLUA_MAX_BODY)",
                       NULL);
            } else if (atomic_load(&h->bodies) + len > h->bodies_max) {
                reject(r, FL_ERR_SERVER_BUSY, bodies_full, NULL);
                r->close = 1;
            }
        }
        if (r->reject) {
            slot_receiving(h, r->slot, 0);
            return send_error(r); /* answered before reading the body */
        }
        return MHD_YES;
    }
    if (*upload_size) {
        if (!r->reject && r->body.len + *upload_size > h->cfg->max_body)
            reject(r, FL_ERR_PAYLOAD_TOO_LARGE, "the request body is larger than --max-body (FNLUA_MAX_BODY)", NULL);
        if (!r->reject && !hold_body(h, r, *upload_size)) {
            reject(r, FL_ERR_SERVER_BUSY, bodies_full, NULL);
            r->close = 1;
            release_body(h, r); /* what came so far is of no use now */
        }
        if (!r->reject)
            fl_buf_add(&r->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    switch (r->state) {
    case ST_RECEIVING:
        slot_receiving(h, r->slot, 0);
        if (r->reject)
            return send_error(r);
        return dispatch(r, url, method);
    case ST_ANSWERED:
        return send_answer(r);
    case ST_ABANDONED:
        return MHD_NO; /* answered on the socket already */
    case ST_QUEUED:
    default:
        return MHD_YES;
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c;
    fl_http *h = cls;
    http_req *r = *con_cls;
    if (!r)
        return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && fl_log_enabled(FL_LOG_DEBUG))
        FL_DEBUG("connection ended before the answer was complete (code %d)", (int)toe);
    if (r->abandoned) {
        /* the runtime has let go of it (its stuck code came back, or the
         * server stops); in_flight was counted down when it was answered */
        atomic_fetch_add(&h->in_flight, 1);
        pthread_mutex_lock(&h->conns_lock);
        for (size_t i = 0; i < h->n_abandoned; i++) {
            if (h->abandoned[i] == r) {
                h->abandoned[i] = h->abandoned[--h->n_abandoned];
                break;
            }
        }
        pthread_mutex_unlock(&h->conns_lock);
    }
    release_body(h, r);
    fl_response_free(&r->job.resp);
    free(r->query);
    free(r->query_text);
    if (r->headers != r->inline_headers)
        free(r->headers);
    slot_receiving(h, r->slot, 1); /* a kept-alive connection awaits its next request */
    free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&h->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    fl_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&h->connections, 1);
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        conn_slot *s = ci ? calloc(1, sizeof *s) : NULL; /* unwatched when out of memory */
        if (s) {
            s->fd = ci->connect_fd;
            s->thread = pthread_self(); /* notified on the thread that serves it */
            s->receiving = 1;
            s->since = fl_now();
            pthread_mutex_lock(&h->conns_lock);
            s->next = h->conns;
            if (h->conns)
                h->conns->prev = s;
            h->conns = s;
            pthread_mutex_unlock(&h->conns_lock);
        }
        *socket_context = s;
        return;
    }
    atomic_fetch_sub(&h->connections, 1);
    conn_slot *s = *socket_context;
    if (s) {
        pthread_mutex_lock(&h->conns_lock);
        if (s->prev)
            s->prev->next = s->next;
        else
            h->conns = s->next;
        if (s->next)
            s->next->prev = s->prev;
        pthread_mutex_unlock(&h->conns_lock);
        free(s);
        *socket_context = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    fl_log_write(FL_LOG_DEBUG, NULL, "libmicrohttpd", msg, n);
}

/* ---------------------------------------------------------------- life cycle */

/* Stops the watchdog (if it runs) and frees h; libmicrohttpd has stopped. */
static void http_free(fl_http *h)
{
    if (h->watch_running) {
        pthread_mutex_lock(&h->conns_lock);
        h->watch_stop = 1;
        pthread_cond_signal(&h->watch_wake);
        pthread_mutex_unlock(&h->conns_lock);
        pthread_join(h->watch_thread, NULL);
    }
    pthread_cond_destroy(&h->watch_wake);
    pthread_mutex_destroy(&h->conns_lock);
    free(h->abandoned);
    free(h);
}

/* libmicrohttpd with the server's callbacks and limits: listening on addr
 * (the server's own daemon), or on listen_fd, which another daemon made. */
static struct MHD_Daemon *start_daemon(fl_http *h, const struct sockaddr *addr, int listen_fd, unsigned threads)
{
    const fl_config *cfg = h->cfg;
    return MHD_start_daemon(h->flags, (uint16_t)cfg->port, NULL, NULL, on_request, h,
                            addr ? MHD_OPTION_SOCK_ADDR : MHD_OPTION_LISTEN_SOCKET,
                            addr ? (intptr_t)addr : (intptr_t)listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
                            MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_UNESCAPE_CALLBACK, unescape_none,
                            NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, h, MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_THREAD_STACK_SIZE, (size_t)(8u << 20), /* Lua runs here too */
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->idle_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
                            (unsigned)(cfg->max_connections + CONN_HARD_MARGIN), MHD_OPTION_LISTEN_BACKLOG_SIZE,
                            (unsigned)1024, MHD_OPTION_END);
}

/* An HTTP thread is lost to code that does not return: one more, on the
 * same listening socket, keeps the instance's HTTP capacity. */
static void add_http_thread(fl_http *h)
{
    if (atomic_load(&h->stopping) || h->listen_fd < 0)
        return;
    pthread_mutex_lock(&h->conns_lock);
    int room = h->n_extra < MAX_EXTRA_DAEMONS;
    pthread_mutex_unlock(&h->conns_lock);
    struct MHD_Daemon *d = room ? start_daemon(h, NULL, h->listen_fd, 1) : NULL;
    if (!d) {
        FL_ERROR("cannot start an HTTP thread in place of the lost one (%d started already)", h->n_extra);
        return;
    }
    pthread_mutex_lock(&h->conns_lock);
    h->extra[h->n_extra++] = d;
    pthread_mutex_unlock(&h->conns_lock);
}

fl_http *fl_http_start(const fl_config *cfg, fl_runtime *rt, fl_http_shutdown_fn on_shutdown, char *err, size_t errlen)
{
    fl_http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->cfg = cfg;
    h->rt = rt;
    h->on_shutdown = on_shutdown; /* before any thread can read it */
    h->quiesced_fd = -1;
    h->bodies_max = cfg->max_body > SIZE_MAX / BODIES_IN_MAX_BODIES ? SIZE_MAX : cfg->max_body * BODIES_IN_MAX_BODIES;
    const char *rt_env = getenv("FNLUA_RECEIVE_TIMEOUT");
    h->receive_timeout_s = rt_env && strtod(rt_env, NULL) > 0 ? strtod(rt_env, NULL) : RECEIVE_TIMEOUT_S;
    pthread_mutex_init(&h->conns_lock, NULL);
    pthread_cond_init(&h->watch_wake, NULL);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "--host '%s' is not an IPv4 or IPv6 address", cfg->host);
        http_free(h);
        return NULL;
    }
    /* no MHD_OPTION_LISTENING_ADDRESS_REUSE: SO_REUSEPORT would let a second
     * fnlua (a forgotten dev server) share the port and take half the requests */
    errno = 0;
    h->flags = flags;
    h->daemon = start_daemon(h, (struct sockaddr *)&ss, -1, (unsigned)cfg->workers);
    if (!h->daemon) {
        if (errno == EADDRINUSE)
            snprintf(err, errlen, "cannot listen on %s:%d: port %d is already in use by another process", cfg->host,
                     cfg->port, cfg->port);
        else
            snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
                     errno ? strerror(errno) : "libmicrohttpd refused to start");
        http_free(h);
        return NULL;
    }
    h->watch_running = pthread_create(&h->watch_thread, NULL, watchdog_main, h) == 0;
    if (!h->watch_running)
        FL_WARN("no receive watchdog thread: slow and half-closed clients hold connections until the idle timeout");
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_LISTEN_FD);
    h->port = cfg->port;
    h->listen_fd = info ? info->listen_fd : -1;
    if (info) {
        struct sockaddr_storage bound;
        socklen_t len = sizeof bound;
        if (getsockname(info->listen_fd, (struct sockaddr *)&bound, &len) == 0)
            h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                        : ((struct sockaddr_in *)&bound)->sin_port);
    }
    return h;
}

int fl_http_port(const fl_http *h)
{
    return h->port;
}

void fl_http_quiesce(fl_http *h)
{
    atomic_store(&h->stopping, 1);
    /* libmicrohttpd's threads may still use the socket, so it is closed only
     * after they stop; shutting it down now makes new connections refused
     * at once instead of waiting in the backlog for an accept that never comes */
    pthread_mutex_lock(&h->conns_lock);
    for (int i = 0; i < h->n_extra; i++)
        MHD_quiesce_daemon(h->extra[i]); /* the same socket as the server's own */
    pthread_mutex_unlock(&h->conns_lock);
    h->quiesced_fd = (int)MHD_quiesce_daemon(h->daemon);
    if (h->quiesced_fd >= 0)
        shutdown(h->quiesced_fd, SHUT_RDWR);
}

void fl_http_stop(fl_http *h, double grace_s)
{
    if (!h)
        return;
    double until = fl_now() + grace_s;
    while (atomic_load(&h->in_flight) > 0 && fl_now() < until)
        usleep(5000);
    /* parked answered requests end now (the runtime has let go of them):
     * libmicrohttpd refuses to stop with connections still parked */
    pthread_mutex_lock(&h->conns_lock);
    for (size_t i = 0; i < h->n_abandoned; i++)
        MHD_resume_connection(h->abandoned[i]->conn);
    pthread_mutex_unlock(&h->conns_lock);
    for (until = fl_now() + 2.0; fl_now() < until; usleep(2000)) {
        pthread_mutex_lock(&h->conns_lock);
        int left = h->n_abandoned > 0;
        pthread_mutex_unlock(&h->conns_lock);
        if (!left)
            break;
    }
    for (int i = 0; i < h->n_extra; i++)
        MHD_stop_daemon(h->extra[i]);
    MHD_stop_daemon(h->daemon);
    if (h->quiesced_fd >= 0)
        close(h->quiesced_fd);
    http_free(h);
}
