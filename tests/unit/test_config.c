/*
 * test_config.c - config.c's handler names (fl_funcref_parse), its option
 * table as fl_config_load reads it (--concurrency, --host, the CPU count),
 * and worker.c's memory arithmetic (fl_worker_budget).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "worker.h"

#define MiB ((size_t)1024 * 1024)

static void accepts(const char *spec, const char *module, const char *func)
{
    fl_funcref f;
    memset(&f, 0, sizeof f);
    char err[512] = "";
    char name[300];
    snprintf(name, sizeof name, "handler '%s' -> accepted", spec);
    int ok = fl_funcref_parse(&f, spec, err, sizeof err);
    CHECK_INT(name, ok, 1);
    if (!ok) {
        fprintf(stderr, "    message: %s\n", err);
        return;
    }
    snprintf(name, sizeof name, "handler '%s' -> module '%s'", spec, module);
    CHECK_STR(name, f.module, module);
    snprintf(name, sizeof name, "handler '%s' -> function '%s'", spec, func);
    CHECK_STR(name, f.func, func);
    snprintf(name, sizeof name, "handler '%s' -> marked set", spec);
    CHECK_INT(name, f.set, 1);
}

static void refuses(const char *spec, const char *label)
{
    fl_funcref f;
    memset(&f, 0, sizeof f);
    char err[512] = "";
    char name[300];
    snprintf(name, sizeof name, "handler %s -> refused", label);
    CHECK_INT(name, fl_funcref_parse(&f, spec, err, sizeof err), 0);
    snprintf(name, sizeof name, "handler %s -> message given", label);
    CHECK(name, err[0] != '\0');
    snprintf(name, sizeof name, "handler %s -> not marked set", label);
    CHECK_INT(name, f.set, 0);
}

static void test_funcref(void)
{
    accepts("index.handler", "index", "handler");
    accepts("a.b.c.fn", "a.b.c", "fn");
    accepts("my_module.my_func", "my_module", "my_func");
    accepts("api-v2.handle_2", "api-v2", "handle_2");
    accepts("m._private", "m", "_private");
    accepts("M1.F", "M1", "F");

    refuses("..", "'..'");
    refuses("a..b", "'a..b'");
    refuses("../etc.handler", "'../etc.handler'");
    refuses("..index.handler", "'..index.handler'");
    refuses("a/b.handler", "'a/b.handler' (path separator)");
    refuses("/abs.handler", "'/abs.handler' (absolute path)");
    refuses("a\\b.handler", "'a\\b.handler' (backslash)");
    refuses("index", "'index' (missing dot)");
    refuses("", "'' (empty)");
    refuses("index.", "'index.' (empty function)");
    refuses(".handler", "'.handler' (empty module)");
    refuses("index.1handler", "'index.1handler' (function starting with a digit)");
    refuses("index.9", "'index.9' (function is a digit)");
    refuses("index.han-dler", "'index.han-dler' (function not an identifier)");
    refuses("index.han dler", "'index.han dler' (space in function)");
    refuses("in dex.handler", "'in dex.handler' (space in module)");
    refuses("index.handler()", "'index.handler()' (parentheses)");
    refuses("index:handler", "'index:handler' (colon instead of dot)");
    refuses("a.b..c.fn", "'a.b..c.fn' (empty folder)");
    refuses("index.handler\n", "'index.handler\\n' (newline)");
    refuses("in;dex.handler", "'in;dex.handler' (path list separator)");
    refuses("in?dex.handler", "'in?dex.handler' (package.path wildcard)");

    /* names that overflow the fixed buffers are refused, never truncated */
    char longname[2 * FL_NAME_MAX + 8];
    memset(longname, 'm', FL_NAME_MAX + 10);
    strcpy(longname + FL_NAME_MAX + 10, ".handler");
    refuses(longname, "with a module name longer than FL_NAME_MAX");
    memset(longname, 'f', sizeof longname - 1);
    longname[0] = 'i';
    longname[1] = '.';
    longname[sizeof longname - 1] = '\0';
    refuses(longname, "with a function name longer than FL_NAME_MAX");

    /* a refused name leaves a previously parsed reference alone */
    fl_funcref f;
    char err[256];
    memset(&f, 0, sizeof f);
    fl_funcref_parse(&f, "index.handler", err, sizeof err);
    fl_funcref_parse(&f, "bad", err, sizeof err);
    CHECK_STR("handler 'bad' after 'index.handler' -> first module kept", f.module, "index");
}

static void test_budget(void)
{
    static const int memories[] = {16, 64, 128, 256, 512, 1024, 2048, 4096, 10240, 32768, 1048576};
    static const int workers[] = {1, 2, 3, 4, 8, 16, 64, 1024};
    int over = 0, zero = 0, grows = 0, tiny_share = 0;
    for (size_t i = 0; i < sizeof memories / sizeof memories[0]; i++) {
        size_t prev = (size_t)-1;
        for (size_t j = 0; j < sizeof workers / sizeof workers[0]; j++) {
            int m = memories[i], w = workers[j];
            size_t b = fl_worker_budget(m, w);
            size_t total = (size_t)m * MiB;
            if (b * (size_t)w > total) {
                over++;
                fprintf(stderr, "    memory %d MB, %d workers: budget %zu x %d > %zu\n", m, w, b, w, total);
            }
            if (b == 0)
                zero++;
            if (b > prev)
                grows++;
            prev = b;
        }
        /* with one worker, most of a normal instance goes to Lua */
        if (memories[i] >= 128 && fl_worker_budget(memories[i], 1) < (size_t)memories[i] * MiB / 2)
            tiny_share++;
    }
    CHECK_INT("memory 16 MB..1 TB, 1..1024 workers -> budget x workers <= instance memory", over, 0);
    CHECK_INT("memory 16 MB..1 TB, 1..1024 workers -> budget never 0", zero, 0);
    CHECK_INT("more workers -> budget per worker never grows", grows, 0);
    CHECK_INT("memory >= 128 MB, one worker -> at least half the instance for Lua", tiny_share, 0);
    CHECK("memory 512 MB, 4 workers -> budget between 64 and 128 MiB",
          fl_worker_budget(512, 4) >= 64 * MiB && fl_worker_budget(512, 4) <= 128 * MiB);
    CHECK("memory 128 MB, 1 worker -> keeps a reserve for the server", fl_worker_budget(128, 1) < 128 * MiB);
    CHECK("workers 0 -> treated as 1, no division by zero", fl_worker_budget(512, 0) == fl_worker_budget(512, 1));

    /* X-CFF-Memory is a request header: any positive value reaches fl_worker_budget */
    int small_over = 0;
    for (int m = 1; m < 16; m++)
        if (fl_worker_budget(m, 1) > (size_t)m * MiB) {
            small_over++;
            fprintf(stderr, "    memory %d MB, 1 worker: budget %zu > %zu\n", m, fl_worker_budget(m, 1),
                    (size_t)m * MiB);
        }
    CHECK_INT("memory 1..15 MB (X-CFF-Memory header) -> budget <= instance memory", small_over, 0);
}

/* fl_config_load on `fnlua serve --dir / ARGS...` (NULL-terminated), with
 * FNLUA_CONCURRENCY set to env (NULL: unset); its status, err filled. */
static int load(fl_config *c, const char *env, char *err, size_t errlen, ...)
{
    char *argv[16] = {"fnlua", "serve", "--dir", "/"};
    int argc = 4;
    va_list ap;
    va_start(ap, errlen);
    for (char *a; argc < 15 && (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    if (env)
        setenv("FNLUA_CONCURRENCY", env, 1);
    else
        unsetenv("FNLUA_CONCURRENCY");
    err[0] = '\0';
    int st = fl_config_load(c, argc, argv, err, errlen);
    fl_config_free(c);
    return st;
}

static void test_concurrency(void)
{
    fl_config c;
    char err[512];
    CHECK_INT("no --concurrency -> loads", load(&c, NULL, err, sizeof err, NULL), FL_CONFIG_OK);
    CHECK_INT("no --concurrency, no FNLUA_CONCURRENCY -> 1000", c.concurrency, 1000);
    load(&c, NULL, err, sizeof err, "--concurrency", "7", NULL);
    CHECK_INT("--concurrency 7 -> 7", c.concurrency, 7);
    load(&c, NULL, err, sizeof err, "--concurrency=1", NULL);
    CHECK_INT("--concurrency=1 (lowest) -> 1", c.concurrency, 1);
    load(&c, "100000", err, sizeof err, NULL);
    CHECK_INT("FNLUA_CONCURRENCY=100000 (highest) -> 100000", c.concurrency, 100000);
    load(&c, "50", err, sizeof err, "--concurrency", "20", NULL);
    CHECK_INT("--concurrency 20 with FNLUA_CONCURRENCY=50 -> the flag wins", c.concurrency, 20);

    static const char *const bad[] = {"0", "-1", "100001", "abc", "", " 5", "5x", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "--concurrency '%s' -> refused", bad[i]);
        CHECK_INT(name, load(&c, NULL, err, sizeof err, "--concurrency", bad[i], NULL), FL_CONFIG_ERROR);
        snprintf(name, sizeof name, "--concurrency '%s' -> one line naming the flag and the range", bad[i]);
        CHECK(name, strstr(err, "--concurrency") && strstr(err, "1-100000") && !strchr(err, '\n'));
        snprintf(name, sizeof name, "FNLUA_CONCURRENCY='%s' -> refused naming the variable", bad[i]);
        CHECK(name, load(&c, bad[i], err, sizeof err, NULL) == FL_CONFIG_ERROR && strstr(err, "FNLUA_CONCURRENCY"));
    }
    unsetenv("FNLUA_CONCURRENCY");
}

static void test_host(void)
{
    fl_config c;
    char err[512];
    static const char *const good[] = {"0.0.0.0", "127.0.0.1", "::", "::1", "fe80::1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "--host %s -> accepted", good[i]);
        CHECK_INT(name, load(&c, NULL, err, sizeof err, "--host", good[i], NULL), FL_CONFIG_OK);
        CHECK_STR(name, c.host, good[i]);
    }
    static const char *const bad[] = {"not-an-ip", "localhost", "1.2.3", "256.0.0.1", "127.0.0.1:80", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[128];
        snprintf(name, sizeof name, "--host '%s' -> refused at configuration, naming --host", bad[i]);
        CHECK(name,
              load(&c, NULL, err, sizeof err, "--host", bad[i], NULL) == FL_CONFIG_ERROR && strstr(err, "--host"));
    }
}

static void test_cpus(void)
{
    fl_config c;
    char err[512];
    load(&c, NULL, err, sizeof err, NULL);
    CHECK("CPU count measured at start -> at least 1", c.cpus >= 1);
    CHECK_INT("CPU count -> the same number on every call", fl_config_cpus(), c.cpus);
    CHECK_INT("no --workers -> workers = CPU count", c.workers, c.cpus);
    load(&c, NULL, err, sizeof err, "--workers", "3", NULL);
    CHECK_INT("--workers 3 -> 3", c.workers, 3);
    CHECK_INT("--workers 3 -> CPU count unchanged", c.cpus, fl_config_cpus());
}

int main(void)
{
    test_funcref();
    test_concurrency();
    test_host();
    test_cpus();
    test_budget();
    return check_finish("test_config");
}
