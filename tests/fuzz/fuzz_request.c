/*
 * fuzz_request.c - libFuzzer target: a request as the HTTP glue hands it
 * over (headers, body) through the runtime, the handler and back to the
 * envelope, in event and HTTP mode.
 *
 * The input is split into header lines and a body at the first blank line.
 * The handler (tests/fuzz/handler/index.lua) echoes what it got through
 * several return shapes, so the result conversion is fuzzed too.  Every
 * request must come back with a status and a JSON body (envelope or error
 * object) — never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fl_runtime *runtime_for(fl_mode mode)
{
    static fl_config cfg[2];
    static fl_runtime *rt[2];
    if (rt[mode])
        return rt[mode];
    char *argv[] = {"fnlua", "invoke", "--dir", FUZZ_HANDLER_DIR, "--log-level", "off", NULL};
    char err[512];
    if (fl_config_load(&cfg[mode], 6, argv, err, sizeof err) != FL_CONFIG_OK) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    cfg[mode].mode = mode;
    fl_log_setup(FL_LOG_OFF, 0, 2);
    rt[mode] = fl_runtime_create(&cfg[mode], 0);
    return rt[mode];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fl_mode mode = (data[0] & 1) ? FL_MODE_HTTP : FL_MODE_EVENT;
    data++;
    size--;
    char *copy = malloc(size + 1);
    memcpy(copy, data, size);
    copy[size] = '\0';

    fl_header headers[32];
    size_t nh = 0;
    char *p = copy, *end = copy + size;
    while (p < end && nh < 32) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        *nl = '\0';
        if (nl == p) { /* blank line: body follows */
            p = nl + 1;
            break;
        }
        char *colon = strchr(p, ':');
        if (colon) {
            *colon = '\0';
            headers[nh].name = p;
            headers[nh].name_len = strlen(p);
            headers[nh].value = colon + 1;
            headers[nh].value_len = strlen(colon + 1);
            nh++;
        }
        p = nl + 1;
    }

    fl_runtime *rt = runtime_for(mode);
    fl_job job;
    memset(&job, 0, sizeof job);
    fl_response_init(&job.resp);
    job.req.kind = mode == FL_MODE_HTTP ? FL_REQ_HTTP : FL_REQ_INVOKE;
    job.req.headers = headers;
    job.req.n_headers = nh;
    job.req.body = p;
    job.req.body_len = (size_t)(end - p);
    job.req.method = "POST";
    job.req.path = "//fuzz//path";
    job.req.arrival = fl_now();
    fl_runtime_run(rt, &job);
    if (job.resp.status < 100 || job.resp.status > 599) {
        fprintf(stderr, "bad status %d\n", job.resp.status);
        abort();
    }
    if (mode == FL_MODE_EVENT && (job.resp.body.len == 0 || job.resp.body.data[0] != '{')) {
        fprintf(stderr, "event mode answer is not a JSON object\n");
        abort();
    }
    fl_response_free(&job.resp);
    free(copy);
    return 0;
}
