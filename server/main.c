/*
 * main.c - fnlua's entry point: `fnlua [serve]`, `fnlua invoke`, and the
 * toolkit's `fnlua new` and `fnlua test` (tool.h).
 *
 * serve: configuration, runtime, HTTP server, then the main thread waits
 * for signals (SIGTERM/SIGINT stop, SIGHUP swaps in the current code)
 * while libmicrohttpd's HTTP threads and the Lua states' loop threads do
 * the work.  Signals are
 * blocked in every thread and taken with sigwait here, which also works
 * when fnlua is PID 1 in a container.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fetch.h"
#include "http.h"
#include "invoke.h"
#include "log.h"
#include "runtime.h"
#include "tool.h"

/* Running invocations get this long to finish once SIGTERM arrives. */
#define FL_SHUTDOWN_GRACE 10.0

static void request_shutdown(void)
{
    kill(getpid(), SIGTERM);
}

static void ignore_signal(int sig)
{
    (void)sig;
}

static int serve(const fl_config *cfg)
{
    /* before any thread exists, so every thread inherits the mask */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a handler of our own, not SIG_DFL: as PID 1 a default-action signal is dropped */
    signal(SIGTERM, ignore_signal);
    signal(SIGINT, ignore_signal);
    signal(SIGHUP, ignore_signal);

    double t0 = fl_now();
    fl_runtime *rt = fl_runtime_create(cfg, 1);
    if (!rt) {
        fprintf(stderr, "fnlua: cannot start the Lua workers\n");
        return 1;
    }
    char err[512];
    fl_http *http = fl_http_start(cfg, rt, request_shutdown, err, sizeof err);
    if (!http) {
        fprintf(stderr, "fnlua: %s\n", err);
        fl_runtime_destroy(rt);
        return 1;
    }
    fl_log_always(FL_LOG_INFO, FL_HERE,
                  "listening on %s:%d (mode %s, handler %s.%s, dir %s, %d workers, started in %.1f ms)", cfg->host,
                  fl_http_port(http), cfg->mode == FL_MODE_HTTP ? "http" : "event", cfg->handler.module,
                  cfg->handler.func, cfg->dir, cfg->workers, (fl_now() - t0) * 1000.0);

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            fl_runtime_swap(rt);
            continue;
        }
        FL_INFO("%s received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    }
    fl_http_quiesce(http);
    if (fl_runtime_stop(rt, FL_SHUTDOWN_GRACE) != 0) { /* in-flight invocations finish, shutdown hooks run */
        FL_INFO("stopped (an invocation stuck in C code was abandoned)");
        _exit(0);
    }
    fl_http_stop(http, 5.0);
    fl_runtime_destroy(rt);
    FL_INFO("stopped");
    return 0;
}

int main(int argc, char **argv)
{
    if (fl_tool_is_command(argc, argv)) {
        if (fl_fetch_global_init() != 0) { /* fnlua test runs functions, which may call out */
            fprintf(stderr, "fnlua: cannot initialize libcurl\n");
            return 1;
        }
        int rc = fl_tool_main(argc, argv);
        fl_fetch_global_cleanup();
        return rc;
    }
    fl_config cfg;
    char err[1024];
    int st = fl_config_load(&cfg, argc, argv, err, sizeof err);
    if (st != FL_CONFIG_OK) {
        if (st == FL_CONFIG_ERROR)
            fprintf(stderr, "%s\n", err);
        fl_config_free(&cfg);
        return st == FL_CONFIG_EXIT_OK ? 0 : 2;
    }
    /* libcurl's global set-up (TLS library included) once, before any
     * thread exists: its implicit one on first use is not meant for that */
    if (fl_fetch_global_init() != 0) {
        fprintf(stderr, "fnlua: cannot initialize libcurl\n");
        fl_config_free(&cfg);
        return 1;
    }
    int rc;
    if (cfg.command == FL_CMD_INVOKE) {
        fl_log_setup(cfg.log_level, cfg.log_json, 2);
        rc = fl_invoke_main(&cfg);
    } else {
        fl_log_setup(cfg.log_level, cfg.log_json, 1);
        rc = serve(&cfg);
    }
    fl_config_free(&cfg);
    fl_fetch_global_cleanup();
    return rc;
}
