/*
 * config.h - command line and environment configuration.
 *
 * Every option of `fnlua serve` / `fnlua invoke` has a flag and an FNLUA_*
 * environment variable; flags win.  One table in config.c describes each
 * option (flag, variable, default, validation, help line), so adding an
 * option is one row there, its field here and its row in
 * docs/configuration.md (a test holds the docs to --help).  Validation happens here,
 * once, at start: a bad value is one clear line on stderr and exit status 2,
 * never a surprise at the first request.  Facts about the machine (the CPU
 * count) are measured here once, too.  Uses log.h for level names.
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include <stddef.h>

#include "log.h"

typedef enum { FL_CMD_SERVE, FL_CMD_INVOKE } fl_command;
typedef enum { FL_MODE_EVENT, FL_MODE_HTTP } fl_mode;

#define FL_NAME_MAX 256

/* A "module.function" reference; module dots are folders. */
typedef struct fl_funcref {
    char module[FL_NAME_MAX];
    char func[FL_NAME_MAX];
    int set; /* 0: not configured (use the handler module's default, if present) */
} fl_funcref;

typedef struct fl_config {
    fl_command command;
    char dir[4096];    /* absolute code directory */
    char libdir[4096]; /* fnlua's own Lua library (lua/), found beside the binary */
    fl_funcref handler;
    fl_funcref initializer;
    fl_funcref shutdown;
    fl_mode mode;
    char host[256];
    int port;
    int cpus;        /* CPUs this process may use (affinity, cgroup quota), measured at start */
    int workers;     /* Lua states; default cpus */
    int concurrency; /* most invocations in flight at once; more wait their turn in arrival order */
    int timeout_s;   /* when X-CFF-Timeout is absent */
    int memory_mb;   /* when X-CFF-Memory is absent */
    size_t max_body;
    int idle_timeout_s;  /* idle or stalled connections are closed after this */
    int max_connections; /* past this, new connections get 503 */
    int reload;
    int log_json;
    fl_log_level log_level;
    int log_invocations; /* one INFO line per finished invocation */
    /* invoke only */
    const char **headers; /* "Name: value" strings from --header */
    int n_headers;
    const char *event_file; /* NULL: empty event; "-": stdin */
    const char *method;     /* HTTP functions: the request's method and path (with query) */
    const char *path;
    const char *env_file; /* KEY=VALUE lines set in the environment before the function loads */
    int print_body;       /* print only the decoded body */
    int pretty;           /* indent JSON output */
} fl_config;

enum { FL_CONFIG_OK = 0, FL_CONFIG_EXIT_OK = 1, FL_CONFIG_ERROR = -1 };

/* Parses argv (after the optional command word) and the environment.
 * FL_CONFIG_EXIT_OK: --help/--version printed.  FL_CONFIG_ERROR: err holds one line. */
int fl_config_load(fl_config *c, int argc, char **argv, char *err, size_t errlen);
void fl_config_free(fl_config *c);

/* Splits and checks "a.b.c.func"; 0 and err filled on a bad name. */
int fl_funcref_parse(fl_funcref *f, const char *spec, char *err, size_t errlen);
/* CPUs this process may use: the affinity mask, capped by a cgroup CPU
 * quota, at least 1.  Measured on the first call (fl_config_load makes it,
 * at start), the same number afterwards; any thread may call it. */
int fl_config_cpus(void);

#endif
