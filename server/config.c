/*
 * config.c - command line and environment configuration (see config.h).
 *
 * `options` below is the one description of every option: flag, variable,
 * default, the parser that checks and stores it, and its --help line.
 * fl_config_load takes each option's value from its flag, else its
 * variable, else its default, and parses them in table order; a parser
 * refuses with one line naming where the value came from.
 */
#define _GNU_SOURCE
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.h>
#include <microhttpd.h>

#include "answer.h" /* FL_RESULT_MAX: the platform's payload limit, also the request body's */

static const char usage_head[] = "usage: fnlua [serve] [options]\n"
                                 "       fnlua invoke [options] [--header 'X-CFF-Name: value']... [EVENT_FILE|-]\n"
                                 "       fnlua new DIR [--trigger apig|http|timer|smn|obs|kafka|dis|lts|cts]\n"
                                 "       fnlua test [DIR] [--output tap|junit|plain] [busted options]\n"
                                 "\n"
                                 "Runs Lua 5.4 functions for Huawei Cloud FunctionGraph (event and HTTP functions).\n"
                                 "\n"
                                 "options (each also read from the environment variable shown; a flag wins):\n";
static const char usage_tail[] = "\n"
                                 "fnlua invoke prints only the result JSON on stdout (logs go to stderr), object keys\n"
                                 "sorted, and exits 0 when the function succeeded, 1 when it failed, 2 on usage or\n"
                                 "load errors.\n";

typedef struct option option;

/* Checks v and stores it in c; v is NULL when the option was not given and
 * has no default (the field keeps what fl_config_load put there), src the
 * flag or variable v came from.  FL_CONFIG_OK, or FL_CONFIG_ERROR with one
 * line in err. */
typedef int (*option_parser)(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen);

struct option {
    const char *flag;
    const char *arg;       /* --help's placeholder for the value; NULL for a switch or a choice */
    const char *env;       /* NULL: command line only */
    const char *env_alt;   /* read when env is not set */
    const char *runtime;   /* FunctionGraph's variable, used before dflt when it is valid */
    const char *dflt;      /* parsed like a given value; NULL: none, or computed at start */
    const char *dflt_text; /* --help's words for a default that is not a value */
    option_parser parse;
    size_t field;              /* offsetof the fl_config member a shared parser writes */
    long long min, max;        /* parse_int, parse_size */
    const char *what;          /* in messages: "a port number", "handler" */
    const char *const *choice; /* parse_choice: the words, stored as their index */
    int invoke_only;
    const char *help;
};

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return FL_CONFIG_ERROR;
}

static void *field(const option *o, fl_config *c)
{
    return (char *)c + o->field;
}

/* A strict decimal integer in [o->min, o->max]. */
static int parse_number(const option *o, const char *v, const char *src, long long *out, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long long n = *v && !isspace((unsigned char)*v) ? strtoll(v, &end, 10) : 0;
    if (!end || errno || *end || n < o->min || n > o->max)
        return fail(err, errlen, "fnlua: %s '%s' is not %s (%lld-%lld)", src, v, o->what, o->min, o->max);
    *out = n;
    return FL_CONFIG_OK;
}

static int parse_int(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    long long n = 0;
    if (!v)
        return FL_CONFIG_OK; /* --workers: the CPU count stays */
    if (parse_number(o, v, src, &n, err, errlen) != FL_CONFIG_OK)
        return FL_CONFIG_ERROR;
    *(int *)field(o, c) = (int)n;
    return FL_CONFIG_OK;
}

static int parse_size(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    long long n = 0;
    if (parse_number(o, v, src, &n, err, errlen) != FL_CONFIG_OK)
        return FL_CONFIG_ERROR;
    *(size_t *)field(o, c) = (size_t)n;
    return FL_CONFIG_OK;
}

static int parse_choice(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    for (int i = 0; o->choice[i]; i++)
        if (strcmp(v, o->choice[i]) == 0) {
            *(int *)field(o, c) = i;
            return FL_CONFIG_OK;
        }
    char words[128] = "";
    for (int i = 0; o->choice[i]; i++) {
        const char *sep = i == 0 ? "" : o->choice[i + 1] ? ", " : " or ";
        snprintf(words + strlen(words), sizeof words - strlen(words), "%s'%s'", sep, o->choice[i]);
    }
    return fail(err, errlen, "fnlua: %s '%s' is not %s", src, v, words);
}

static int word_in(const char *v, const char *const *words)
{
    for (; *words; words++)
        if (strcasecmp(v, *words) == 0)
            return 1;
    return 0;
}

static int parse_switch(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    static const char *const on[] = {"1", "true", "yes", "on", NULL};
    static const char *const off[] = {"0", "", "false", "no", "off", NULL};
    if (word_in(v, on))
        *(int *)field(o, c) = 1;
    else if (word_in(v, off))
        *(int *)field(o, c) = 0;
    else
        return fail(err, errlen, "fnlua: %s '%s' is not 1 or 0", src, v);
    return FL_CONFIG_OK;
}

static int parse_level(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (!fl_log_parse_level(v, &c->log_level))
        return fail(err, errlen, "fnlua: %s '%s' is not one of debug, info, warn, error", src, v);
    return FL_CONFIG_OK;
}

static int parse_funcref(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    char why[512];
    if (!fl_funcref_parse(field(o, c), v, why, sizeof why))
        return fail(err, errlen, "fnlua: %s (%s): %s", o->what, src, why);
    return FL_CONFIG_OK;
}

/* The initializer and shutdown hook: unset or empty, the handler module's own, if it has one. */
static int parse_hook(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    return !v || !*v ? FL_CONFIG_OK : parse_funcref(o, v, src, c, err, errlen);
}

static int parse_host(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    unsigned char addr[sizeof(struct in6_addr)];
    if (!*v)
        return fail(err, errlen, "fnlua: %s is empty; give an IPv4 or IPv6 address such as 0.0.0.0", src);
    if (inet_pton(AF_INET, v, addr) != 1 && inet_pton(AF_INET6, v, addr) != 1)
        return fail(err, errlen, "fnlua: %s '%.200s' is not an IPv4 or IPv6 address (such as 0.0.0.0 or ::)", src, v);
    snprintf(c->host, sizeof c->host, "%s", v);
    return FL_CONFIG_OK;
}

/* Unset: the working directory, or FNLUA_DEFAULT_DIR when that is "/". */
static int parse_dir(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    char cwd[4096];
    if (!v) {
        if (!getcwd(cwd, sizeof cwd))
            return fail(err, errlen, "fnlua: cannot read the current directory: %s", strerror(errno));
        v = cwd;
        src = "current directory";
        /* FunctionGraph may start the container in "/" whatever the image's
         * WorkingDir says; the image names its code directory here.  A
         * Working Dir pointing anywhere else still wins. */
        const char *dflt = getenv("FNLUA_DEFAULT_DIR");
        if (strcmp(cwd, "/") == 0 && dflt && *dflt) {
            if (chdir(dflt) != 0)
                return fail(err, errlen, "fnlua: FNLUA_DEFAULT_DIR '%s' (the working directory is /): %s", dflt,
                            strerror(errno));
            v = dflt;
            src = "FNLUA_DEFAULT_DIR";
        }
    }
    struct stat st;
    if (stat(v, &st) != 0)
        return fail(err, errlen, "fnlua: code directory '%s' (%s): %s", v, src, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return fail(err, errlen, "fnlua: code directory '%s' (%s) is not a directory", v, src);
    if (access(v, R_OK | X_OK) != 0)
        return fail(err, errlen, "fnlua: code directory '%s' is not readable: %s", v, strerror(errno));
    if (!realpath(v, c->dir))
        return fail(err, errlen, "fnlua: code directory '%s': %s", v, strerror(errno));
    return FL_CONFIG_OK;
}

/* --header, each time it is given (read_args). */
static int parse_header(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (!v)
        return FL_CONFIG_OK;
    const char *colon = strchr(v, ':');
    if (!colon || colon == v)
        return fail(err, errlen, "fnlua: %s '%s' is not of the form 'Name: value'", src, v);
    c->headers[c->n_headers++] = v;
    return FL_CONFIG_OK;
}

/* --method: unset, invoke.c picks it from the event file. */
static int parse_method(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (v && !*v)
        return fail(err, errlen, "fnlua: %s needs a value", src);
    c->method = v;
    return FL_CONFIG_OK;
}

/* --event: the positional event file's flag form; both at once is one too many. */
static int parse_event(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (!v)
        return FL_CONFIG_OK;
    if (!*v)
        return fail(err, errlen, "fnlua: %s needs a file name (or - for stdin)", src);
    if (c->event_file)
        return fail(err, errlen, "fnlua invoke: more than one event file given ('%s' and '%s')", c->event_file, v);
    c->event_file = v;
    return FL_CONFIG_OK;
}

/* --env-file: read by invoke.c, before the function loads; here only present. */
static int parse_env_file(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (v && access(v, R_OK) != 0)
        return fail(err, errlen, "fnlua invoke: cannot read %s '%s': %s", src, v, strerror(errno));
    c->env_file = v;
    return FL_CONFIG_OK;
}

static int parse_path(const option *o, const char *v, const char *src, fl_config *c, char *err, size_t errlen)
{
    (void)o;
    if (v && *v != '/')
        return fail(err, errlen, "fnlua: %s '%s' must start with '/'", src, v);
    c->path = v;
    return FL_CONFIG_OK;
}

/* shared parsers write int through field(): the enums they set must be ints */
_Static_assert(sizeof(fl_mode) == sizeof(int), "--mode is stored as an int");
#define FIELD(name) .field = offsetof(fl_config, name)

static const char *const modes[] = {[FL_MODE_EVENT] = "event", [FL_MODE_HTTP] = "http", NULL};
static const char *const log_formats[] = {"text", "json", NULL}; /* index = log_json */

/* In the order values are checked (the code directory first: FNLUA_DEFAULT_DIR may chdir). */
static const option options[] = {
    {"--dir", "PATH", "FNLUA_DIR", .dflt_text = "current directory, or FNLUA_DEFAULT_DIR when that is /",
     .parse = parse_dir, .help = "code directory: handler scripts and lua_modules/"},
    {"--handler", "M.F", "FNLUA_HANDLER", .dflt = "index.handler", .parse = parse_funcref, FIELD(handler),
     .what = "handler", .help = "handler module (file M.lua, dots are folders) and function"},
    {"--initializer", "M.F", "FNLUA_INITIALIZER", .dflt_text = "M.initializer if it exists", .parse = parse_hook,
     FIELD(initializer), .what = "initializer", .help = "run once per Lua state before its first invocation"},
    {"--shutdown", "M.F", "FNLUA_SHUTDOWN", .dflt_text = "M.shutdown if it exists", .parse = parse_hook,
     FIELD(shutdown), .what = "shutdown hook", .help = "run once per Lua state when the instance stops"},
    {"--mode", NULL, "FNLUA_MODE", .dflt = "event", .parse = parse_choice, FIELD(mode), .choice = modes,
     .help = "event function (/init, /invoke) or HTTP function"},
    {"--host", "ADDR", "FNLUA_HOST", .dflt = "0.0.0.0", .parse = parse_host, .help = "listen address (IPv4 or IPv6)"},
    {"--port", "N", "FNLUA_PORT", .dflt = "8000", .parse = parse_int, FIELD(port), .min = 0, .max = 65535,
     .what = "a port number", .help = "listen port, 0 picks a free one"},
    {"--workers", "N", "FNLUA_WORKERS", .dflt_text = "CPUs available to the process", .parse = parse_int,
     FIELD(workers), .min = 1, .max = 1024, .what = "a worker count", .help = "Lua states (and their threads)"},
    {"--concurrency", "N", "FNLUA_CONCURRENCY", .dflt = "1000", .parse = parse_int, FIELD(concurrency), .min = 1,
     .max = 100000, .what = "an invocation count",
     .help = "most invocations in flight at once; more wait their turn in arrival order"},
    {"--timeout", "S", "FNLUA_TIMEOUT", .runtime = "RUNTIME_TIMEOUT", .dflt = "30", .parse = parse_int,
     FIELD(timeout_s), .min = 1, .max = 259200, .what = "a timeout in seconds",
     .help = "deadline when X-CFF-Timeout is absent"},
    {"--memory", "MB", "FNLUA_MEMORY", .runtime = "RUNTIME_MEMORY", .dflt = "512", .parse = parse_int, FIELD(memory_mb),
     .min = 16, .max = 1048576, .what = "a memory size in MB", .help = "memory budget when X-CFF-Memory is absent"},
    {"--max-body", "BYTES", "FNLUA_MAX_BODY", .dflt = FL_STR(FL_RESULT_MAX), .parse = parse_size, FIELD(max_body),
     .min = 0, .max = (long long)1 << 31, .what = "a size in bytes", .help = "larger requests get 413"},
    {"--idle-timeout", "S", "FNLUA_IDLE_TIMEOUT", .dflt = "30", .parse = parse_int, FIELD(idle_timeout_s), .min = 1,
     .max = 86400, .what = "a timeout in seconds", .help = "close idle or stalled connections after S seconds"},
    {"--max-connections", "N", "FNLUA_MAX_CONNECTIONS", .dflt = "1000", .parse = parse_int, FIELD(max_connections),
     .min = 1, .max = 100000, .what = "a connection count", .help = "answer 503 past N open connections"},
    {"--reload", NULL, "FNLUA_RELOAD", .dflt = "off", .parse = parse_switch, FIELD(reload),
     .help = "pick up edited scripts on the next invocation"},
    {"--log-format", NULL, "FNLUA_LOG_FORMAT", .dflt = "text", .parse = parse_choice, FIELD(log_json),
     .choice = log_formats, .help = "plain lines or one JSON object per line"},
    {"--log-invocations", NULL, "FNLUA_LOG_INVOCATIONS", .dflt = "off", .parse = parse_switch, FIELD(log_invocations),
     .help = "an INFO line per finished invocation: id, status, duration, Lua memory"},
    {"--log-level", "L", "FNLUA_LOG_LEVEL", .env_alt = "RUNTIME_LOG_LEVEL", .dflt = "info", .parse = parse_level,
     .help = "debug, info, warn, error"},
    {"--header", "'N: V'", .dflt_text = "none", .parse = parse_header, .invoke_only = 1,
     .help = "a request header (repeatable)"},
    {"--method", "M", .dflt_text = "POST with an event file, else GET", .parse = parse_method, .invoke_only = 1,
     .help = "--mode http: the request's method"},
    {"--path", "P", .dflt_text = "/", .parse = parse_path, .invoke_only = 1,
     .help = "--mode http: the request's path and query"},
    {"--event", "FILE", .dflt_text = "none: an empty event", .parse = parse_event, .invoke_only = 1,
     .help = "the event (same as EVENT_FILE; - reads stdin)"},
    {"--env-file", "FILE", .dflt_text = "none", .parse = parse_env_file, .invoke_only = 1,
     .help = "KEY=VALUE lines: environment variables for the function"},
    {"--body", NULL, .dflt = "off", .parse = parse_switch, FIELD(print_body), .invoke_only = 1,
     .help = "print only the result's body, decoded (base64 undone)"},
    {"--pretty", NULL, .dflt = "off", .parse = parse_switch, FIELD(pretty), .invoke_only = 1,
     .help = "indent JSON output (keys are always sorted)"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

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

static int cpus;
static pthread_once_t cpus_once = PTHREAD_ONCE_INIT;

static void count_cpus(void)
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
    cpus = n < 1 ? 1 : n;
}

int fl_config_cpus(void)
{
    pthread_once(&cpus_once, count_cpus);
    return cpus;
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

/* ------------------------------------------------------------------ --help */

static const char *default_text(const option *o, char *buf, size_t n)
{
    if (o->runtime) {
        snprintf(buf, n, "%s, else %s", o->runtime, o->dflt);
        return buf;
    }
    return o->dflt ? o->dflt : o->dflt_text;
}

static void print_option(const option *o)
{
    char name[64], env[64] = "", also[128] = "", dflt[128];
    int len = snprintf(name, sizeof name, "%s%s%s", o->flag, o->arg ? " " : "", o->arg ? o->arg : "");
    for (int i = 0; o->choice && o->choice[i]; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%c%s", i ? '|' : ' ', o->choice[i]);
    if (o->env)
        snprintf(env, sizeof env, "%s%s", o->env, o->parse == parse_switch ? "=1" : "");
    if (o->env_alt)
        snprintf(also, sizeof also, "; %s when %s is not set", o->env_alt, o->env);
    printf("  %-24s %-23s %s%s (default: %s)\n", name, env, o->help, also, default_text(o, dflt, sizeof dflt));
}

static void print_usage(void)
{
    fputs(usage_head, stdout);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (!options[i].invoke_only)
            print_option(&options[i]);
    fputs("  --help, --version\n\nfnlua invoke only:\n", stdout);
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (options[i].invoke_only)
            print_option(&options[i]);
    fputs(usage_tail, stdout);
}

/* ------------------------------------------------------------ loading */

static const option *find_option(const char *a, size_t len)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].flag) == len && strncmp(a, options[i].flag, len) == 0)
            return &options[i];
    return NULL;
}

/* The command line after the command word: given[o] for each option given
 * (the last one wins), the event file, and each --header at once. */
static int read_args(fl_config *c, int argc, char **argv, int i, const char **given, char *err, size_t errlen)
{
    int positional = 0;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_usage();
            return FL_CONFIG_EXIT_OK;
        }
        if (strcmp(a, "--version") == 0) {
            printf("fnlua %s (%s, libmicrohttpd %s)\n", FNLUA_VERSION, LUA_RELEASE, MHD_get_version());
            return FL_CONFIG_EXIT_OK;
        }
        if (c->command == FL_CMD_INVOKE && (strcmp(a, "-") == 0 || a[0] != '-')) {
            if (positional++)
                return fail(err, errlen, "fnlua invoke: more than one event file given ('%s')", a);
            c->event_file = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        const option *o = find_option(a, eq ? (size_t)(eq - a) : strlen(a));
        if (!o)
            return fail(err, errlen, "fnlua: unknown option '%s' (see fnlua --help)", a);
        if (o->invoke_only && c->command != FL_CMD_INVOKE)
            return fail(err, errlen, "fnlua: %s is an option of fnlua invoke only", o->flag);
        const char *v = eq ? eq + 1 : o->parse == parse_switch ? "1" : i + 1 < argc ? argv[++i] : NULL;
        if (!v)
            return fail(err, errlen, "fnlua: %s needs a value (see fnlua --help)", o->flag);
        if (o->parse == parse_header) {
            if (parse_header(o, v, o->flag, c, err, errlen) != FL_CONFIG_OK)
                return FL_CONFIG_ERROR;
        } else {
            given[o - options] = v;
        }
    }
    return FL_CONFIG_OK;
}

/* Flag, else variable, else the FunctionGraph variable when it is valid,
 * else the default; then the option's parser. */
static int load_option(const option *o, const char *given, fl_config *c, char *err, size_t errlen)
{
    const char *v = given, *src = o->flag;
    if (!v && o->env && (v = getenv(o->env)))
        src = o->env;
    if (!v && o->env_alt && (v = getenv(o->env_alt)))
        src = o->env_alt;
    if (!v && o->runtime && (v = getenv(o->runtime))) {
        char ignored[256];
        if (o->parse(o, v, o->runtime, c, ignored, sizeof ignored) == FL_CONFIG_OK)
            return FL_CONFIG_OK;
        v = NULL; /* the platform's value, not the owner's: one fnlua cannot read falls back to the default */
    }
    if (!v) {
        v = o->dflt;
        src = "default";
    }
    return o->parse(o, v, src, c, err, errlen);
}

int fl_config_load(fl_config *c, int argc, char **argv, char *err, size_t errlen)
{
    const char *given[N_OPTIONS] = {0};
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
        return fail(err, errlen, "fnlua: out of memory");
    int st = read_args(c, argc, argv, i, given, err, errlen);
    if (st != FL_CONFIG_OK)
        return st;

    c->cpus = fl_config_cpus();
    c->workers = c->cpus; /* --workers has no default of its own */
    for (size_t o = 0; o < N_OPTIONS; o++)
        if (load_option(&options[o], given[o], c, err, errlen) != FL_CONFIG_OK)
            return FL_CONFIG_ERROR;

    if (c->command == FL_CMD_INVOKE && c->event_file && strcmp(c->event_file, "-") != 0 &&
        access(c->event_file, R_OK) != 0)
        return fail(err, errlen, "fnlua invoke: cannot read event file '%s': %s", c->event_file, strerror(errno));
    find_libdir(c);
    return FL_CONFIG_OK;
}

void fl_config_free(fl_config *c)
{
    free(c->headers);
    c->headers = NULL;
}
