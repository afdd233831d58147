/* answer.c - the envelope, the error object and the answer's limits (see answer.h). */
#include "answer.h"

#include <string.h>

#include "base64.h"
#include "hlist.h"
#include "jsonw.h"

void fl_envelope_init(fl_envelope *e)
{
    e->status = 200;
    e->is_base64 = 0;
    e->too_large = 0;
    fl_buf_init(&e->headers);
    fl_buf_init(&e->body);
}

void fl_envelope_free(fl_envelope *e)
{
    fl_buf_free(&e->headers);
    fl_buf_free(&e->body);
}

/* ---------------------------------------------------------------- envelope */

void fl_answer_envelope_json(const fl_envelope *env, fl_buf *out)
{
    fl_buf_reserve(out, env->body.len + env->headers.len + 96);
    fl_buf_adds(out, env->is_base64 ? "{\"isBase64Encoded\":true,\"statusCode\":"
                                    : "{\"isBase64Encoded\":false,\"statusCode\":");
    fl_json_integer(out, env->status);
    fl_buf_adds(out, ",\"headers\":{");
    size_t off = 0;
    fl_header p;
    int first = 1;
    while (fl_hlist_next(&env->headers, &off, &p)) {
        if (!first)
            fl_buf_addc(out, ',');
        first = 0;
        fl_json_quote(out, p.name, p.name_len);
        fl_buf_addc(out, ':');
        /* several values of one header (an array in Lua) are joined as HTTP allows */
        fl_buf joined;
        fl_buf_init(&joined);
        for (;;) {
            size_t peek = off;
            fl_header q;
            if (!fl_hlist_next(&env->headers, &peek, &q) || q.name_len != p.name_len ||
                memcmp(p.name, q.name, p.name_len) != 0)
                break;
            if (joined.len == 0)
                fl_buf_add(&joined, p.value, p.value_len);
            fl_buf_adds(&joined, ", ");
            fl_buf_add(&joined, q.value, q.value_len);
            off = peek;
        }
        if (joined.len)
            fl_json_quote(out, joined.data, joined.len);
        else
            fl_json_quote(out, p.value, p.value_len);
        fl_buf_free(&joined);
    }
    fl_buf_adds(out, "},\"body\":");
    fl_json_quote(out, env->body.data ? env->body.data : "", env->body.len);
    fl_buf_addc(out, '}');
}

/* Over the limit: the answer is dropped (and its memory released) and why says so. */
static fl_errkind too_large(fl_response *resp, fl_buf *why, const char *what, size_t n)
{
    fl_response_reset(resp);
    fl_buf_shrink(&resp->body, 1 << 20);
    fl_buf_reset(why);
    fl_buf_printf(why,
                  "%s %zu bytes, over the platform's limit of %d bytes; "
                  "return less data or store it elsewhere (e.g. OBS) and return a link",
                  what, n, FL_RESULT_MAX);
    return FL_ERR_RESULT_TOO_LARGE;
}

fl_errkind fl_answer_from_envelope(const fl_envelope *env, int wire, fl_response *resp, fl_buf *why)
{
    if (env->too_large) /* the body alone is over the limit: refused before it was encoded */
        return too_large(resp, why, "the result's body is", env->too_large);
    if (!wire) {
        resp->status = 200;
        fl_answer_envelope_json(env, &resp->body);
        if (resp->body.len > FL_RESULT_MAX)
            return too_large(resp, why, "the result is", resp->body.len);
        return FL_ERR_NONE;
    }
    resp->status = env->status;
    fl_buf_add(&resp->headers, env->headers.data, env->headers.len);
    if (env->is_base64) {
        if (!fl_base64_decode(&resp->body, env->body.data ? env->body.data : "", env->body.len)) {
            fl_buf_reset(why);
            fl_buf_adds(why, "cannot decode body: isBase64Encoded is true but the body is not valid base64");
            return FL_ERR_RESULT;
        }
    } else {
        fl_buf_add(&resp->body, env->body.data, env->body.len);
    }
    if (resp->body.len > FL_RESULT_MAX)
        return too_large(resp, why, "the response body is", resp->body.len);
    return FL_ERR_NONE;
}

/* ---------------------------------------------------------------- error object */

void fl_answer_error_json(fl_buf *out, const char *type, const char *msg, size_t len, const char *trace,
                          size_t trace_len)
{
    fl_buf_adds(out, "{\"errorType\":");
    fl_json_quote(out, type, strlen(type));
    fl_buf_adds(out, ",\"errorMessage\":");
    fl_json_quote(out, msg ? msg : "", msg ? len : 0);
    fl_buf_adds(out, ",\"stackTrace\":[");
    /* one entry per traceback frame, without the "stack traceback:" title and tabs */
    const char *p = trace, *end = trace ? trace + trace_len : NULL;
    int first = 1;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *q = p;
        while (q < e && (*q == '\t' || *q == ' '))
            q++;
        if (e > q && !((size_t)(e - q) >= 16 && memcmp(q, "stack traceback:", 16) == 0)) {
            if (!first)
                fl_buf_addc(out, ',');
            first = 0;
            fl_json_quote(out, q, (size_t)(e - q));
        }
        p = nl ? nl + 1 : end;
    }
    fl_buf_adds(out, "]}");
}

void fl_answer_error(fl_response *r, fl_errkind k, const char *request_id, const char *source, const char *msg,
                     size_t len, const char *trace, size_t trace_len)
{
    const fl_errkind_row *row = fl_errkind_get(k);
    fl_response_reset(r);
    r->status = row->status;
    r->error_kind = k;
    fl_answer_error_json(&r->body, row->name, msg, len, trace, trace_len);
    fl_errkind_log(k, request_id, source, msg ? msg : "", msg ? len : 0, trace, trace_len);
}

void fl_response_error(fl_response *r, fl_errkind k, const char *request_id, const char *source, const char *msg)
{
    fl_answer_error(r, k, request_id, source, msg, strlen(msg), NULL, 0);
}
