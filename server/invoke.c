/* invoke.c - `fnlua invoke` (see invoke.h). */
#include "invoke.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "base64.h"
#include "buf.h"
#include "call.h"
#include "json.h"
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

/* ---------------------------------------------------------------- --env-file */

/* One line of an env file, trimmed: "KEY=VALUE", "export KEY=VALUE", a
 * "# comment" or blank (skipped), or a bare "KEY" (kept from the
 * environment, as docker does).  A value in matching single or double
 * quotes loses them; nothing else is interpreted.  0, or -1 with why set. */
static int env_line(char *line, const char **why)
{
    size_t n = strlen(line);
    while (n && isspace((unsigned char)line[n - 1]))
        line[--n] = '\0'; /* also the \r of a CRLF file */
    while (isspace((unsigned char)*line))
        line++;
    if (!*line || *line == '#')
        return 0;
    if (strncmp(line, "export", 6) == 0 && (line[6] == ' ' || line[6] == '\t')) {
        line += 7;
        while (isspace((unsigned char)*line))
            line++;
    }
    char *eq = strchr(line, '=');
    char *key_end = eq ? eq : line + strlen(line);
    while (key_end > line && isspace((unsigned char)key_end[-1]))
        key_end--;
    if (key_end == line || !(isalpha((unsigned char)*line) || *line == '_')) {
        *why = "a variable name starts with a letter or '_'";
        return -1;
    }
    for (const char *p = line; p < key_end; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_')) {
            *why = "a variable name is letters, digits and '_' only";
            return -1;
        }
    if (!eq)
        return 0; /* KEY alone: the variable as the environment has it */
    *key_end = '\0';
    char *v = eq + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vl = strlen(v);
    if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
        v[vl - 1] = '\0';
        v++;
    }
    if (setenv(line, v, 1) != 0) {
        *why = strerror(errno);
        return -1;
    }
    return 0;
}

/* Sets the file's variables in the environment, where context:getUserData
 * and os.getenv find them, before the function loads.  0, or -1 with one
 * line on stderr. */
static int load_env_file(const char *file)
{
    FILE *f = fopen(file, "r");
    if (!f) {
        fprintf(stderr, "fnlua invoke: cannot read --env-file '%s': %s\n", file, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, rc = 0;
    ssize_t got;
    while ((got = getline(&line, &cap, f)) != -1) {
        lineno++;
        const char *why = NULL;
        if (strlen(line) != (size_t)got)
            why = "a NUL byte";
        if (why || env_line(line, &why) != 0) {
            fprintf(stderr, "fnlua invoke: --env-file '%s' line %d: %s (expected KEY=VALUE)\n", file, lineno, why);
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- output */

/* What reformat() and take_body() work on, in a Lua state of their own. */
typedef struct answer_text {
    const char *text;
    size_t len;
    unsigned flags; /* json.h's FL_JSON_SORTED, FL_JSON_PRETTY */
    fl_buf out;
} answer_text;

/* JSON text -> the same JSON with sorted keys (and indented).  Raises when
 * the text is not JSON.  Runs under fl_call. */
static int reformat(lua_State *L)
{
    answer_text *a = lua_touserdata(L, 1);
    fl_json_decode_with(L, a->text, a->len, FL_JSON_NUMBER_TEXT);
    fl_json_encode_with(L, -1, &a->out, a->flags);
    return 0;
}

/* The envelope's body, base64 undone when isBase64Encoded.  Runs under fl_call. */
static int take_body(lua_State *L)
{
    answer_text *a = lua_touserdata(L, 1);
    fl_json_decode(L, a->text, a->len);
    if (!lua_istable(L, -1))
        return luaL_error(L, "the answer is not an envelope");
    lua_getfield(L, -1, "isBase64Encoded");
    int b64 = lua_toboolean(L, -1);
    if (lua_getfield(L, -2, "body") != LUA_TSTRING)
        return 0; /* no body: nothing to print */
    size_t n;
    const char *body = lua_tolstring(L, -1, &n);
    if (!b64)
        fl_buf_add(&a->out, body, n);
    else if (!fl_base64_decode(&a->out, body, n))
        return luaL_error(L, "the body is not valid base64");
    return 0;
}

/* Prints the answer: the envelope or error object with sorted keys, or
 * with --body only the decoded body of a successful answer (a JSON body
 * re-encoded like the envelope and ended by a newline, any other body its
 * bytes exactly).  --pretty indents the JSON. */
static void print_result(const fl_config *cfg, const fl_response *resp)
{
    const char *text = resp->body.data ? resp->body.data : "";
    lua_State *L = luaL_newstate();
    fl_error err;
    fl_error_init(&err);
    answer_text a = {text, resp->body.len, FL_JSON_SORTED | (cfg->pretty ? FL_JSON_PRETTY : 0), {0}};
    fl_buf_init(&a.out);
    if (L)
        fl_call_openstate(L);
    if (L && cfg->print_body && !resp->error_kind && fl_call(L, take_body, &a, &err) == LUA_OK) {
        fl_buf body = a.out;
        fl_buf_init(&a.out);
        a.text = body.data ? body.data : "";
        a.len = body.len;
        if (a.len && fl_call(L, reformat, &a, &err) == LUA_OK) {
            fwrite(a.out.data, 1, a.out.len, stdout);
            fputc('\n', stdout);
        } else {
            fwrite(a.text, 1, a.len, stdout); /* not JSON: the bytes as they are */
        }
        fl_buf_free(&body);
    } else {
        fl_buf_reset(&a.out);
        a.text = text;
        a.len = resp->body.len;
        if (L && fl_call(L, reformat, &a, &err) == LUA_OK)
            fwrite(a.out.data, 1, a.out.len, stdout);
        else
            fwrite(text, 1, resp->body.len, stdout); /* out of memory: as the runtime wrote it */
        fputc('\n', stdout);
    }
    fflush(stdout);
    fl_buf_free(&a.out);
    fl_error_free(&err);
    if (L)
        lua_close(L);
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
    /* before the runtime exists: one thread, and every JSON text fnlua
     * writes from here on (a table body, fnlua.json) has its keys sorted,
     * so the same result prints the same way every time */
    fl_json_set_default_flags(FL_JSON_SORTED);
    if (cfg->env_file && load_env_file(cfg->env_file) != 0)
        return 2;
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
        print_result(cfg, &job.resp); /* the function could not be loaded: 2, whatever stopped it */
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
        print_result(cfg, &job.resp);
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
