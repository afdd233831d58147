/*
 * test_config.c - config.c's handler names (fl_funcref_parse) and
 * worker.c's memory arithmetic (fl_worker_budget).
 */
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

int main(void)
{
    test_funcref();
    test_budget();
    return check_finish("test_config");
}
