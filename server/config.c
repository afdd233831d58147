/* config.c - command line and environment configuration (see config.h). */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <microhttpd.h>

static const char usage[] =
    "usage: fnlua [serve] [options]\n"
    "       fnlua invoke [options] [--header 'X-CFF-Name: value']... [EVENT_FILE|-]\n"
    "\n"
    "Runs Lua 5.4 functions for Huawei Cloud FunctionGraph (event and HTTP functions).\n"
    "\n"
    "options (each also read from the environment variable shown):\n"
    "  --dir PATH          FNLUA_DIR          code directory (default: current directory)\n"
    "  --handler M.F       FNLUA_HANDLER      handler module and function (default: index.handler)\n"
    "  --initializer M.F   FNLUA_INITIALIZER  run once per Lua state (default: M.initializer if present)\n"
    "  --shutdown M.F      FNLUA_SHUTDOWN     run once per Lua state at stop (default: M.shutdown if present)\n"
    "  --mode event|http   FNLUA_MODE         event function (/init, /invoke) or HTTP function (default: event)\n"
    "  --host ADDR         FNLUA_HOST         listen address (default: 0.0.0.0)\n"
    "  --port N            FNLUA_PORT         listen port, 0 picks a free one (default: 8000)\n"
    "  --workers N         FNLUA_WORKERS      Lua states (default: CPUs available to the process)\n"
    "  --timeout S         FNLUA_TIMEOUT      deadline when X-CFF-Timeout is absent (default: 30)\n"
    "  --memory MB         FNLUA_MEMORY       memory budget when X-CFF-Memory is absent (default: 512)\n"
    "  --max-body BYTES    FNLUA_MAX_BODY     larger requests get 413 (default: 6291456)\n"
    "  --idle-timeout S    FNLUA_IDLE_TIMEOUT close idle or stalled connections after S s (default: 30)\n"
    "  --max-connections N FNLUA_MAX_CONNECTIONS  answer 503 past N open connections (default: 1000)\n"
    "  --reload            FNLUA_RELOAD=1     pick up edited scripts on the next invocation\n"
    "  --log-format F      FNLUA_LOG_FORMAT   text or json (default: text)\n"
    "  --log-level L       FNLUA_LOG_LEVEL    debug, info, warn, error (default: info)\n"
    "  --header 'N: V'                        invoke only: a request header (repeatable)\n"
    "  --method M, --path P                   invoke --mode http only: the request line\n"
    "                                         (default: POST with an event file, else GET; /)\n"
    "  --help, --version\n"
    "\n"
    "fnlua invoke prints only the result JSON on stdout (logs go to stderr) and exits\n"
    "0 when the function succeeded, 1 when it failed, 2 on usage or load errors.\n";

typedef enum { OPT_STR, OPT_FLAG } opt_kind;

typedef struct option_def {
    const char *flag;
    const char *env;
    opt_kind kind;
} option_def;

enum {
    O_DIR,
    O_HANDLER,
    O_INITIALIZER,
    O_SHUTDOWN,
    O_MODE,
    O_HOST,
    O_PORT,
    O_WORKERS,
    O_TIMEOUT,
    O_MEMORY,
    O_MAX_BODY,
    O_IDLE_TIMEOUT,
    O_MAX_CONNECTIONS,
    O_RELOAD,
    O_LOG_FORMAT,
    O_LOG_LEVEL,
    O_COUNT
};

static const option_def options[O_COUNT] = {
    [O_DIR] = {"--dir", "FNLUA_DIR", OPT_STR},
    [O_HANDLER] = {"--handler", "FNLUA_HANDLER", OPT_STR},
    [O_INITIALIZER] = {"--initializer", "FNLUA_INITIALIZER", OPT_STR},
    [O_SHUTDOWN] = {"--shutdown", "FNLUA_SHUTDOWN", OPT_STR},
    [O_MODE] = {"--mode", "FNLUA_MODE", OPT_STR},
    [O_HOST] = {"--host", "FNLUA_HOST", OPT_STR},
    [O_PORT] = {"--port", "FNLUA_PORT", OPT_STR},
    [O_WORKERS] = {"--workers", "FNLUA_WORKERS", OPT_STR},
    [O_TIMEOUT] = {"--timeout", "FNLUA_TIMEOUT", OPT_STR},
    [O_MEMORY] = {"--memory", "FNLUA_MEMORY", OPT_STR},
    [O_MAX_BODY] = {"--max-body", "FNLUA_MAX_BODY", OPT_STR},
    [O_IDLE_TIMEOUT] = {"--idle-timeout", "FNLUA_IDLE_TIMEOUT", OPT_STR},
    [O_MAX_CONNECTIONS] = {"--max-connections", "FNLUA_MAX_CONNECTIONS", OPT_STR},
    [O_RELOAD] = {"--reload", "FNLUA_RELOAD", OPT_FLAG},
    [O_LOG_FORMAT] = {"--log-format", "FNLUA_LOG_FORMAT", OPT_STR},
    [O_LOG_LEVEL] = {"--log-level", "FNLUA_LOG_LEVEL", OPT_STR},
};

#define FAIL(...)                                                                                                      \
    do {                                                                                                               \
        snprintf(err, errlen, __VA_ARGS__);                                                                            \
        return FL_CONFIG_ERROR;                                                                                        \
    } while (0)

/* Strict decimal integer in [lo, hi]. */
static int parse_int(const char *s, long long lo, long long hi, long long *out)
{
    if (!s || !*s)
        return 0;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < lo || v > hi || isspace((unsigned char)*s))
        return 0;
    *out = v;
    return 1;
}

int fl_funcref_parse(fl_funcref *f, const char *spec, char *err, size_t errlen)
{
    const char *dot = strrchr(spec, '.');
    size_t len = strlen(spec);
    if (!dot || dot == spec || dot[1] == '\0') {
        snprintf(err, errlen, "'%s' is not of the form module.function (e.g. index.handler)", spec);
        return 0;
    }
    if (strstr(spec, "..") || strchr(spec, '/') || strchr(spec, '\\')) {
        snprintf(err, errlen, "'%s' must not contain '..' or a path separator: dots in the module name are folders",
                 spec);
        return 0;
    }
    if ((size_t)(dot - spec) >= FL_NAME_MAX || len - (size_t)(dot - spec) >= FL_NAME_MAX) {
        snprintf(err, errlen, "'%.40s...' is too long", spec);
        return 0;
    }
    for (const char *p = spec; p < dot; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-' || *p == '.')) {
            snprintf(err, errlen, "module name in '%s' has the character '%c'; use letters, digits, '_', '-' and '.'",
                     spec, *p);
            return 0;
        }
    for (const char *p = dot + 1; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_') || isdigit((unsigned char)dot[1])) {
            snprintf(err, errlen, "function name in '%s' is not a Lua identifier", spec);
            return 0;
        }
    memcpy(f->module, spec, (size_t)(dot - spec));
    f->module[dot - spec] = '\0';
    snprintf(f->func, sizeof f->func, "%s", dot + 1);
    f->set = 1;
    return 1;
}

/* CPUs this process may use: the affinity mask, capped by a cgroup CPU quota. */
int fl_config_default_workers(void)
{
    int n = 1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        n = CPU_COUNT(&set);
    else
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    long long quota = -1, period = 0;
    FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r"); /* cgroup v2: "max 100000" or "150000 100000" */
    if (f) {
        char q[32];
        if (fscanf(f, "%31s %lld", q, &period) == 2 && strcmp(q, "max") != 0)
            quota = atoll(q);
        fclose(f);
    } else if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "r"))) { /* cgroup v1 */
        if (fscanf(f, "%lld", &quota) != 1)
            quota = -1;
        fclose(f);
        if ((f = fopen("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "r"))) {
            if (fscanf(f, "%lld", &period) != 1)
                period = 0;
            fclose(f);
        }
    }
    if (quota > 0 && period > 0) {
        long long q = (quota + period - 1) / period;
        if (q < n)
            n = (int)q;
    }
    return n < 1 ? 1 : n;
}

/* The fnlua Lua library sits beside the binary: <bindir>/lua (build tree) or
 * <bindir>/../share/fnlua/lua (installed).  Never searched in the code directory. */
static void find_libdir(fl_config *c)
{
    static const char *const rel[] = {"/lua", "/../share/fnlua/lua", "/../lua"};
    char exe[4096];
    c->libdir[0] = '\0';
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = '\0';
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char cand[4200], probe[4300];
            snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
            snprintf(probe, sizeof probe, "%s/fnlua", cand);
            struct stat st;
            if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
                if (!realpath(cand, c->libdir))
                    snprintf(c->libdir, sizeof c->libdir, "%.4000s", cand);
                return;
            }
        }
    }
#ifdef FNLUA_DATADIR
    /* no /proc (an unusual sandbox), or a binary moved away: the install location */
    snprintf(c->libdir, sizeof c->libdir, "%s", FNLUA_DATADIR);
#endif
}

int fl_config_load(fl_config *c, int argc, char **argv, char *err, size_t errlen)
{
    const char *val[O_COUNT] = {0};
    const char *src[O_COUNT] = {0}; /* the flag or variable a value came from, for messages */
    memset(c, 0, sizeof *c);
    c->command = FL_CMD_SERVE;

    int i = 1;
    if (i < argc && strcmp(argv[i], "serve") == 0) {
        i++;
    } else if (i < argc && strcmp(argv[i], "invoke") == 0) {
        c->command = FL_CMD_INVOKE;
        i++;
    }
    c->headers = calloc((size_t)argc + 1, sizeof *c->headers);
    if (!c->headers)
        FAIL("fnlua: out of memory");

    for (int o = 0; o < O_COUNT; o++) {
        const char *e = getenv(options[o].env);
        if (e) {
            val[o] = e;
            src[o] = options[o].env;
        }
    }
    if (!val[O_LOG_LEVEL] && getenv("RUNTIME_LOG_LEVEL")) {
        val[O_LOG_LEVEL] = getenv("RUNTIME_LOG_LEVEL");
        src[O_LOG_LEVEL] = "RUNTIME_LOG_LEVEL";
    }

    int positional = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return FL_CONFIG_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("fnlua %s (%s, libmicrohttpd %s)\n", FNLUA_VERSION, LUA_RELEASE, MHD_get_version());
            return FL_CONFIG_EXIT_OK;
        }
        if (c->command == FL_CMD_INVOKE && (strcmp(a, "-") == 0 || a[0] != '-')) {
            if (positional++)
                FAIL("fnlua invoke: more than one event file given ('%s')", a);
            c->event_file = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        if (c->command == FL_CMD_INVOKE && nlen == 8 && strncmp(a, "--header", 8) == 0) {
            const char *h = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!h)
                FAIL("fnlua: --header needs a value like 'X-CFF-Request-Id: 123'");
            const char *colon = strchr(h, ':');
            if (!colon || colon == h)
                FAIL("fnlua: --header '%s' is not of the form 'Name: value'", h);
            c->headers[c->n_headers++] = h;
            continue;
        }
        if (c->command == FL_CMD_INVOKE &&
            ((nlen == 8 && strncmp(a, "--method", 8) == 0) || (nlen == 6 && strncmp(a, "--path", 6) == 0))) {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !*v)
                FAIL("fnlua: %.*s needs a value", (int)nlen, a);
            if (a[2] == 'm')
                c->method = v;
            else if (*v != '/')
                FAIL("fnlua: --path '%s' must start with '/'", v);
            else
                c->path = v;
            continue;
        }
        int found = -1;
        for (int o = 0; o < O_COUNT; o++)
            if (strlen(options[o].flag) == nlen && strncmp(a, options[o].flag, nlen) == 0)
                found = o;
        if (found < 0)
            FAIL("fnlua: unknown option '%s' (see fnlua --help)", a);
        if (options[found].kind == OPT_FLAG) {
            val[found] = eq ? eq + 1 : "1";
        } else if (eq) {
            val[found] = eq + 1;
        } else {
            if (i + 1 >= argc)
                FAIL("fnlua: %s needs a value (see fnlua --help)", options[found].flag);
            val[found] = argv[++i];
        }
        src[found] = options[found].flag;
    }

    long long v;
    /* code directory */
    const char *dir = val[O_DIR];
    char cwd[4096];
    if (!dir) {
        if (!getcwd(cwd, sizeof cwd))
            FAIL("fnlua: cannot read the current directory: %s", strerror(errno));
        dir = cwd;
        /* FunctionGraph may start the container in "/" whatever the image's
         * WorkingDir says; the image names its code directory here.  A
         * Working Dir pointing anywhere else still wins. */
        const char *dflt = getenv("FNLUA_DEFAULT_DIR");
        if (strcmp(cwd, "/") == 0 && dflt && *dflt) {
            if (chdir(dflt) != 0)
                FAIL("fnlua: FNLUA_DEFAULT_DIR '%s' (the working directory is /): %s", dflt, strerror(errno));
            dir = dflt;
            src[O_DIR] = "FNLUA_DEFAULT_DIR";
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0)
        FAIL("fnlua: code directory '%s' (%s): %s", dir, src[O_DIR] ? src[O_DIR] : "current directory",
             strerror(errno));
    if (!S_ISDIR(st.st_mode))
        FAIL("fnlua: code directory '%s' (%s) is not a directory", dir, src[O_DIR] ? src[O_DIR] : "current directory");
    if (access(dir, R_OK | X_OK) != 0)
        FAIL("fnlua: code directory '%s' is not readable: %s", dir, strerror(errno));
    if (!realpath(dir, c->dir))
        FAIL("fnlua: code directory '%s': %s", dir, strerror(errno));

    char ferr[512];
    if (!fl_funcref_parse(&c->handler, val[O_HANDLER] ? val[O_HANDLER] : "index.handler", ferr, sizeof ferr))
        FAIL("fnlua: handler (%s): %s", src[O_HANDLER], ferr);
    if (val[O_INITIALIZER] && *val[O_INITIALIZER] &&
        !fl_funcref_parse(&c->initializer, val[O_INITIALIZER], ferr, sizeof ferr))
        FAIL("fnlua: initializer (%s): %s", src[O_INITIALIZER], ferr);
    if (val[O_SHUTDOWN] && *val[O_SHUTDOWN] && !fl_funcref_parse(&c->shutdown, val[O_SHUTDOWN], ferr, sizeof ferr))
        FAIL("fnlua: shutdown hook (%s): %s", src[O_SHUTDOWN], ferr);

    c->mode = FL_MODE_EVENT;
    if (val[O_MODE]) {
        if (strcmp(val[O_MODE], "http") == 0)
            c->mode = FL_MODE_HTTP;
        else if (strcmp(val[O_MODE], "event") != 0)
            FAIL("fnlua: %s '%s' is not 'event' or 'http'", src[O_MODE], val[O_MODE]);
    }

    snprintf(c->host, sizeof c->host, "%s", val[O_HOST] ? val[O_HOST] : "0.0.0.0");
    if (!*c->host)
        FAIL("fnlua: %s is empty; give an IPv4 or IPv6 address such as 0.0.0.0", src[O_HOST]);

    c->port = 8000;
    if (val[O_PORT]) {
        if (!parse_int(val[O_PORT], 0, 65535, &v))
            FAIL("fnlua: %s '%s' is not a port number (0-65535)", src[O_PORT], val[O_PORT]);
        c->port = (int)v;
    }

    c->workers = fl_config_default_workers();
    if (val[O_WORKERS]) {
        if (!parse_int(val[O_WORKERS], 1, 1024, &v))
            FAIL("fnlua: %s '%s' is not a worker count (1-1024)", src[O_WORKERS], val[O_WORKERS]);
        c->workers = (int)v;
    }

    /* RUNTIME_TIMEOUT / RUNTIME_MEMORY (FunctionGraph's own variables) are the
     * fallback when neither the flag nor FNLUA_* is given. */
    const char *rt_timeout = getenv("RUNTIME_TIMEOUT");
    c->timeout_s = 30;
    if (val[O_TIMEOUT]) {
        if (!parse_int(val[O_TIMEOUT], 1, 259200, &v))
            FAIL("fnlua: %s '%s' is not a timeout in seconds (1-259200)", src[O_TIMEOUT], val[O_TIMEOUT]);
        c->timeout_s = (int)v;
    } else if (rt_timeout && parse_int(rt_timeout, 1, 259200, &v)) {
        c->timeout_s = (int)v;
    }
    const char *rt_memory = getenv("RUNTIME_MEMORY");
    c->memory_mb = 512;
    if (val[O_MEMORY]) {
        if (!parse_int(val[O_MEMORY], 16, 1048576, &v))
            FAIL("fnlua: %s '%s' is not a memory size in MB (16-1048576)", src[O_MEMORY], val[O_MEMORY]);
        c->memory_mb = (int)v;
    } else if (rt_memory && parse_int(rt_memory, 16, 1048576, &v)) {
        c->memory_mb = (int)v;
    }

    c->max_body = 6291456;
    if (val[O_MAX_BODY]) {
        if (!parse_int(val[O_MAX_BODY], 0, (long long)1 << 31, &v))
            FAIL("fnlua: %s '%s' is not a size in bytes (0-2147483648)", src[O_MAX_BODY], val[O_MAX_BODY]);
        c->max_body = (size_t)v;
    }

    c->idle_timeout_s = 30;
    if (val[O_IDLE_TIMEOUT]) {
        if (!parse_int(val[O_IDLE_TIMEOUT], 1, 86400, &v))
            FAIL("fnlua: %s '%s' is not a timeout in seconds (1-86400)", src[O_IDLE_TIMEOUT], val[O_IDLE_TIMEOUT]);
        c->idle_timeout_s = (int)v;
    }
    c->max_connections = 1000;
    if (val[O_MAX_CONNECTIONS]) {
        if (!parse_int(val[O_MAX_CONNECTIONS], 1, 100000, &v))
            FAIL("fnlua: %s '%s' is not a connection count (1-100000)", src[O_MAX_CONNECTIONS], val[O_MAX_CONNECTIONS]);
        c->max_connections = (int)v;
    }

    if (val[O_RELOAD]) {
        const char *r = val[O_RELOAD];
        if (strcmp(r, "1") == 0 || strcasecmp(r, "true") == 0 || strcasecmp(r, "yes") == 0 || strcasecmp(r, "on") == 0)
            c->reload = 1;
        else if (!(strcmp(r, "0") == 0 || !*r || strcasecmp(r, "false") == 0 || strcasecmp(r, "no") == 0 ||
                   strcasecmp(r, "off") == 0))
            FAIL("fnlua: %s '%s' is not 1 or 0", src[O_RELOAD], r);
    }

    if (val[O_LOG_FORMAT]) {
        if (strcmp(val[O_LOG_FORMAT], "json") == 0)
            c->log_json = 1;
        else if (strcmp(val[O_LOG_FORMAT], "text") != 0)
            FAIL("fnlua: %s '%s' is not 'text' or 'json'", src[O_LOG_FORMAT], val[O_LOG_FORMAT]);
    }
    c->log_level = FL_LOG_INFO;
    if (val[O_LOG_LEVEL] && !fl_log_parse_level(val[O_LOG_LEVEL], &c->log_level))
        FAIL("fnlua: %s '%s' is not one of debug, info, warn, error", src[O_LOG_LEVEL], val[O_LOG_LEVEL]);

    if (c->command == FL_CMD_INVOKE && c->event_file && strcmp(c->event_file, "-") != 0 &&
        access(c->event_file, R_OK) != 0)
        FAIL("fnlua invoke: cannot read event file '%s': %s", c->event_file, strerror(errno));

    find_libdir(c);
    return FL_CONFIG_OK;
}

void fl_config_free(fl_config *c)
{
    free(c->headers);
    c->headers = NULL;
}
