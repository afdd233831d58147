/*
 * test_answer.c - answer.c and hlist.c, plain C: the packed header list,
 * the envelope as the answer (its JSON, or an HTTP function's wire form with
 * the body base64-decoded), the size limit, and the error object.  No Lua
 * state is created here: the answer layer needs none.
 */
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "check.h"
#include "hlist.h"

static void test_hlist(void)
{
    fl_buf h;
    fl_buf_init(&h);
    size_t off = 0;
    fl_header p;
    CHECK_INT("header list: empty -> no pair", fl_hlist_next(&h, &off, &p), 0);
    CHECK_INT("header list: empty -> has nothing", fl_hlist_has(&h, "A"), 0);

    fl_hlist_add(&h, "Set-Cookie", 10, "a=1", 3);
    fl_hlist_add(&h, "X-Empty", 7, "", 0);
    fl_hlist_add(&h, "set-cookie", 10, "b=2", 3);
    static const char packed[] = "Set-Cookie\0a=1\0X-Empty\0\0set-cookie\0b=2\0";
    CHECK_MEM("header list: packed as Name\\0Value\\0", h.data, h.len, packed, sizeof packed - 1);
    off = 0;
    CHECK_INT("header list: first pair", fl_hlist_next(&h, &off, &p), 1);
    CHECK_MEM("header list: first name", p.name, p.name_len, "Set-Cookie", 10);
    CHECK_MEM("header list: first value", p.value, p.value_len, "a=1", 3);
    CHECK_INT("header list: name is a C string in place", p.name[p.name_len], 0);
    CHECK_INT("header list: value is a C string in place", p.value[p.value_len], 0);
    CHECK_INT("header list: second pair", fl_hlist_next(&h, &off, &p), 1);
    CHECK_MEM("header list: empty value kept", p.value, p.value_len, "", 0);
    CHECK_INT("header list: third pair", fl_hlist_next(&h, &off, &p), 1);
    CHECK_MEM("header list: order kept, repeated name kept", p.value, p.value_len, "b=2", 3);
    CHECK_INT("header list: then the end", fl_hlist_next(&h, &off, &p), 0);
    CHECK_INT("header list: has, case ignored", fl_hlist_has(&h, "SET-COOKIE"), 1);
    CHECK_INT("header list: has, prefix is not a match", fl_hlist_has(&h, "Set-Cook"), 0);
    CHECK_INT("header list: has, longer is not a match", fl_hlist_has(&h, "X-Empty-2"), 0);
    fl_buf_free(&h);
}

/* answer of env with the kind returned and why (NUL-terminated) */
static fl_errkind answer(const fl_envelope *env, int wire, fl_response *resp, fl_buf *why)
{
    fl_response_reset(resp);
    fl_buf_reset(why);
    fl_errkind k = fl_answer_from_envelope(env, wire, resp, why);
    fl_buf_cstr(why);
    return k;
}

static void test_from_envelope(void)
{
    fl_envelope e;
    fl_envelope_init(&e);
    fl_response r;
    fl_response_init(&r);
    fl_buf why;
    fl_buf_init(&why);

    e.status = 201;
    fl_hlist_add(&e.headers, "X-A", 3, "1", 1);
    fl_buf_adds(&e.body, "hello");
    CHECK_INT("envelope -> event answer: no failure", answer(&e, 0, &r, &why), FL_ERR_NONE);
    CHECK_INT("envelope -> event answer: status 200 (the envelope carries 201)", r.status, 200);
    CHECK_STR("envelope -> event answer: the envelope JSON", fl_buf_cstr(&r.body),
              "{\"isBase64Encoded\":false,\"statusCode\":201,\"headers\":{\"X-A\":\"1\"},\"body\":\"hello\"}");
    CHECK_INT("envelope -> event answer: no HTTP headers", (long long)r.headers.len, 0);

    CHECK_INT("envelope -> HTTP wire: no failure", answer(&e, 1, &r, &why), FL_ERR_NONE);
    CHECK_INT("envelope -> HTTP wire: the envelope's status", r.status, 201);
    CHECK_STR("envelope -> HTTP wire: the body as it is", fl_buf_cstr(&r.body), "hello");
    CHECK("envelope -> HTTP wire: the header list as it is",
          r.headers.len == e.headers.len && memcmp(r.headers.data, e.headers.data, e.headers.len) == 0);

    e.is_base64 = 1;
    fl_buf_reset(&e.body);
    fl_buf_adds(&e.body, "AP9h"); /* 00 ff 61 */
    CHECK_INT("base64 envelope -> HTTP wire: no failure", answer(&e, 1, &r, &why), FL_ERR_NONE);
    CHECK_MEM("base64 envelope -> HTTP wire: body decoded", r.body.data, r.body.len,
              "\0\xff"
              "a",
              3);
    CHECK_INT("base64 envelope -> event answer: no failure", answer(&e, 0, &r, &why), FL_ERR_NONE);
    CHECK_CONTAINS("base64 envelope -> event answer: body stays base64", fl_buf_cstr(&r.body),
                   "{\"isBase64Encoded\":true,\"statusCode\":201,");
    CHECK_CONTAINS("base64 envelope -> event answer: body stays base64", fl_buf_cstr(&r.body), "\"body\":\"AP9h\"}");

    fl_buf_reset(&e.body);
    fl_buf_adds(&e.body, "not base64!");
    CHECK_INT("bad base64 -> HTTP wire: ResultError", answer(&e, 1, &r, &why), FL_ERR_RESULT);
    CHECK_STR("bad base64 -> why", fl_buf_cstr(&why),
              "cannot decode body: isBase64Encoded is true but the body is not valid base64");

    e.is_base64 = 0;
    e.too_large = FL_RESULT_MAX + 1;
    CHECK_INT("body over the limit before encoding -> ResultTooLarge", answer(&e, 0, &r, &why),
              FL_ERR_RESULT_TOO_LARGE);
    CHECK_STR("body over the limit before encoding -> why", fl_buf_cstr(&why),
              "the result's body is 6291457 bytes, over the platform's limit of 6291456 bytes; return less data or "
              "store it elsewhere (e.g. OBS) and return a link");
    CHECK_INT("body over the limit before encoding -> HTTP wire: ResultTooLarge too", answer(&e, 1, &r, &why),
              FL_ERR_RESULT_TOO_LARGE);
    e.too_large = 0;

    /* a body at the limit: raw fits the wire, its envelope JSON does not */
    fl_buf_reset(&e.body);
    char *big = malloc(FL_RESULT_MAX);
    memset(big, 'a', FL_RESULT_MAX);
    fl_buf_add(&e.body, big, FL_RESULT_MAX);
    CHECK_INT("6 MiB body -> HTTP wire: fits", answer(&e, 1, &r, &why), FL_ERR_NONE);
    CHECK_INT("6 MiB body -> HTTP wire: all of it", (long long)r.body.len, FL_RESULT_MAX);
    CHECK_INT("6 MiB body -> event answer: ResultTooLarge", answer(&e, 0, &r, &why), FL_ERR_RESULT_TOO_LARGE);
    CHECK_CONTAINS("6 MiB body -> why names the whole envelope", fl_buf_cstr(&why), "the result is 629");
    CHECK_INT("too large -> answer emptied", (long long)r.body.len, 0);
    CHECK("too large -> answer's memory released to 1 MiB", r.body.cap <= (1u << 20));
    e.is_base64 = 1;
    fl_buf_reset(&e.body);
    for (int i = 0; i < FL_RESULT_MAX / 3 + 1; i++)
        fl_buf_adds(&e.body, "YWFh"); /* "aaa" */
    CHECK_INT("base64 body decoding past the limit -> HTTP wire: ResultTooLarge", answer(&e, 1, &r, &why),
              FL_ERR_RESULT_TOO_LARGE);
    CHECK_CONTAINS("base64 body decoding past the limit -> why", fl_buf_cstr(&why),
                   "the response body is 6291459 bytes");
    free(big);
    fl_buf_free(&why);
    fl_response_free(&r);
    fl_envelope_free(&e);
}

static void test_error_object(void)
{
    fl_buf o;
    fl_buf_init(&o);
    fl_answer_error_json(&o, "HandlerError", NULL, 0, NULL, 0);
    CHECK_STR("error object: no message, no trace", fl_buf_cstr(&o),
              "{\"errorType\":\"HandlerError\",\"errorMessage\":\"\",\"stackTrace\":[]}");
    fl_buf_reset(&o);
    static const char trace[] = "stack traceback:\n\t[C]: in ?\n\n  index.lua:2: in function 'f'\nstack traceback:";
    fl_answer_error_json(&o, "X", "a\x01\xff", 3, trace, sizeof trace - 1);
    CHECK_STR("error object: message escaped, frames without title, blank lines or indent", fl_buf_cstr(&o),
              "{\"errorType\":\"X\",\"errorMessage\":\"a\\u0001\xef\xbf\xbd\",\"stackTrace\":[\"[C]: in ?\","
              "\"index.lua:2: in function 'f'\"]}");
    fl_buf_reset(&o);
    fl_answer_error_json(&o, "X", "m", 1, "stack traceback", 15);
    CHECK_STR("error object: a frame that only starts like the title is kept", fl_buf_cstr(&o),
              "{\"errorType\":\"X\",\"errorMessage\":\"m\",\"stackTrace\":[\"stack traceback\"]}");

    fl_log_setup(FL_LOG_OFF, 0, 1);
    fl_response r;
    fl_response_init(&r);
    fl_buf_adds(&r.body, "old");
    fl_hlist_add(&r.headers, "X", 1, "y", 1);
    fl_answer_error(&r, FL_ERR_TIMEOUT, "rid", "test", "late", 4, "\tindex.lua:1: in main chunk", 27);
    CHECK_INT("error answer: the kind's status", r.status, 500);
    CHECK_INT("error answer: carries its kind", r.error_kind, FL_ERR_TIMEOUT);
    CHECK_INT("error answer: no headers left", (long long)r.headers.len, 0);
    CHECK_STR("error answer: the error object only", fl_buf_cstr(&r.body),
              "{\"errorType\":\"TimeoutError\",\"errorMessage\":\"late\",\"stackTrace\":[\"index.lua:1: in main "
              "chunk\"]}");
    fl_response_error(&r, FL_ERR_SHUTTING_DOWN, NULL, "test", "stopping");
    CHECK_INT("refusal: the kind's status", r.status, 503);
    CHECK_STR("refusal: stackTrace []", fl_buf_cstr(&r.body),
              "{\"errorType\":\"ShuttingDown\",\"errorMessage\":\"stopping\",\"stackTrace\":[]}");
    fl_response_free(&r);
    fl_buf_free(&o);
}

int main(void)
{
    test_hlist();
    test_from_envelope();
    test_error_object();
    return check_finish("test_answer");
}
