/* invoke.c - `fnlua invoke` (see invoke.h). */
#include "invoke.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "runtime.h"

static int read_event(const char *file, fl_buf *out)
{
    if (!file)
        return 0;
    FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
    if (!f) {
        fprintf(stderr, "fnlua invoke: cannot read event file '%s': %s\n", file, strerror(errno));
        return -1;
    }
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        fl_buf_add(out, tmp, n);
    int bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "fnlua invoke: error reading event file '%s'\n", file);
        return -1;
    }
    return 0;
}

static void print_result(const fl_response *resp)
{
    fwrite(resp->body.data ? resp->body.data : "", 1, resp->body.len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* "/p/a?x=1&y" -> path "/p/a" and decoded arguments (pointing into *copy).
 * -1 when out of memory. */
static int split_path(const char *spec, char **copy, fl_header **args, size_t *n)
{
    *copy = strdup(spec);
    *n = 0;
    if (!*copy)
        return -1;
    char *q = strchr(*copy, '?');
    if (!q)
        return 0;
    *q++ = '\0';
    size_t count = 1;
    for (const char *p = q; *p; p++)
        count += *p == '&';
    *args = calloc(count, sizeof **args);
    if (!*args)
        return -1;
    for (char *tok = strtok(q, "&"); tok; tok = strtok(NULL, "&")) {
        fl_header *h = &(*args)[(*n)++];
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        h->name = tok;
        h->name_len = fl_url_decode(tok, strlen(tok), 1);
        if (eq) {
            h->value = eq + 1;
            h->value_len = fl_url_decode(eq + 1, strlen(eq + 1), 1);
        }
    }
    return 0;
}

int fl_invoke_main(const fl_config *cfg)
{
    fl_buf event;
    fl_buf_init(&event);
    if (read_event(cfg->event_file, &event) != 0)
        return 2;

    int rc = 2;
    char *path_copy = NULL;
    fl_header *query = NULL;
    size_t n_query = 0;
    fl_runtime *rt = NULL;
    /* "Name: value" -> header; the strings are copied so values are NUL-terminated */
    fl_header *headers = calloc((size_t)cfg->n_headers + 1, sizeof *headers);
    char **copies = calloc((size_t)cfg->n_headers + 1, sizeof *copies);
    if (!headers || !copies)
        goto oom;
    for (int i = 0; i < cfg->n_headers; i++) {
        copies[i] = strdup(cfg->headers[i]);
        if (!copies[i])
            goto oom;
        char *colon = strchr(copies[i], ':');
        *colon = '\0';
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        headers[i].name = copies[i];
        headers[i].name_len = strlen(copies[i]);
        headers[i].value = v;
        headers[i].value_len = vl;
    }

    rt = fl_runtime_create(cfg, 0);
    if (!rt) {
        fprintf(stderr, "fnlua invoke: cannot create the Lua state\n");
        goto out;
    }
    fl_job job;
    memset(&job, 0, sizeof job);
    fl_response_init(&job.resp);
    job.req.kind = FL_REQ_INIT;
    job.req.headers = headers;
    job.req.n_headers = (size_t)cfg->n_headers;
    job.req.body = "{}";
    job.req.body_len = 2;
    job.req.arrival = fl_now();
    fl_runtime_run(rt, &job);
    if (job.resp.error_kind) {
        print_result(&job.resp); /* the function could not be loaded: 2, whatever stopped it */
        rc = 2;
    } else {
        job.req.kind = cfg->mode == FL_MODE_HTTP ? FL_REQ_HTTP : FL_REQ_INVOKE;
        if (job.req.kind == FL_REQ_HTTP) {
            /* the request line of an HTTP function; the answer is printed as the envelope */
            job.req.method = cfg->method ? cfg->method : cfg->event_file ? "POST" : "GET";
            if (split_path(cfg->path ? cfg->path : "/", &path_copy, &query, &n_query) != 0) {
                fl_response_free(&job.resp);
                goto oom;
            }
            job.req.path = path_copy;
            job.req.query = query;
            job.req.n_query = n_query;
            job.req.envelope = 1;
        }
        job.req.body = event.data ? event.data : "";
        job.req.body_len = event.len;
        job.req.arrival = fl_now();
        fl_runtime_run(rt, &job);
        print_result(&job.resp);
        rc = job.resp.error_kind ? fl_errkind_get(job.resp.error_kind)->exit_code : 0;
        if (rc < 0)
            rc = 1; /* a kind only the HTTP layer answers: cannot happen here */
    }
    fl_response_free(&job.resp);
    goto out;
oom:
    fprintf(stderr, "fnlua invoke: out of memory\n");
out:
    if (rt) {
        fl_runtime_stop(rt, -1);
        fl_runtime_destroy(rt);
    }
    free(path_copy);
    free(query);
    for (int i = 0; copies && i < cfg->n_headers; i++)
        free(copies[i]);
    free(copies);
    free(headers);
    fl_buf_free(&event);
    return rc;
}
