/* request.c - request/response helpers (see request.h). */
#include "request.h"

#include <string.h>
#include <strings.h>
#include <time.h>

void fl_response_init(fl_response *r)
{
    r->status = 0;
    r->error_kind = FL_ERR_NONE;
    fl_buf_init(&r->headers);
    fl_buf_init(&r->body);
}

void fl_response_free(fl_response *r)
{
    fl_buf_free(&r->headers);
    fl_buf_free(&r->body);
}

void fl_response_reset(fl_response *r)
{
    r->status = 0;
    r->error_kind = FL_ERR_NONE;
    fl_buf_reset(&r->headers);
    fl_buf_reset(&r->body);
}

const char *fl_request_header(const fl_request *req, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < req->n_headers; i++) {
        const fl_header *h = &req->headers[i];
        if (h->name_len == n && strncasecmp(h->name, name, n) == 0 && h->value_len > 0) {
            if (len)
                *len = h->value_len;
            return h->value;
        }
    }
    return NULL;
}

double fl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void fl_cond_wait_ns(pthread_cond_t *c, pthread_mutex_t *m, long ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts); /* the condition variables' clock */
    ts.tv_sec += ns / 1000000000L;
    ts.tv_nsec += ns % 1000000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(c, m, &ts);
}

size_t fl_url_decode(char *s, size_t n, int plus)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = fl_hexdigit((unsigned char)s[i + 1])) >= 0 &&
            (lo = fl_hexdigit((unsigned char)s[i + 2])) >= 0) {
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus && s[i] == '+') {
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    if (o < n)
        s[o] = '\0';
    return o;
}
