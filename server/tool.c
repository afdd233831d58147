/* tool.c - `fnlua new` and `fnlua test` (see tool.h). */
#define _GNU_SOURCE
#include "tool.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lualib.h>

#include "config.h"
#include "lib.h"
#include "log.h"
#include "runtime.h"

static const char *const commands[] = {"new", "test", NULL};

int fl_tool_is_command(int argc, char **argv)
{
    for (int i = 0; argc > 1 && commands[i]; i++)
        if (strcmp(argv[1], commands[i]) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------------ fnlua.tool */

static int push_errno(lua_State *L, const char *what)
{
    int e = errno;
    lua_pushnil(L);
    lua_pushfstring(L, "%s: %s", what, strerror(e));
    lua_pushinteger(L, e);
    return 3;
}

/* stat(path) -> "file" | "directory" | "other", or nil, message */
static int tool_stat(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (stat(path, &st) != 0)
        return push_errno(L, path);
    lua_pushstring(L, S_ISREG(st.st_mode) ? "file" : S_ISDIR(st.st_mode) ? "directory" : "other");
    return 1;
}

/* dir(path) -> sorted array of the names in it (no "." or ".."), or nil, message */
static int tool_dir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    DIR *d = opendir(path);
    if (!d)
        return push_errno(L, path);
    lua_newtable(L);
    lua_Integer n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        lua_pushstring(L, e->d_name);
        lua_rawseti(L, -2, ++n);
    }
    closedir(d);
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, -3);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    return 1;
}

/* mkdir(path) -> true, or nil, message, errno (an existing directory is fine) */
static int tool_mkdir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    struct stat st;
    if (mkdir(path, 0777) != 0 && !(errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return push_errno(L, path);
    lua_pushboolean(L, 1);
    return 1;
}

/* realpath(path) -> absolute path, or nil, message */
static int tool_realpath(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char out[PATH_MAX];
    if (!realpath(path, out))
        return push_errno(L, path);
    lua_pushstring(L, out);
    return 1;
}

static const char tool_key = 'T'; /* registry: the fnlua.tool table */

static int luaopen_fnlua_tool(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &tool_key);
    return 1;
}

/* ------------------------------------------------------------------ fnlua.testing.core */

/* setenv(name, value|nil): a test's user data (context:getUserData reads
 * the environment) set and restored around an invocation by fnlua.testing
 * (which reads it back with os.getenv). */
static int testing_setenv(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    const char *v = luaL_optstring(L, 2, NULL);
    if ((v ? setenv(name, v, 1) : unsetenv(name)) != 0)
        return luaL_error(L, "setenv %s: %s", name, strerror(errno));
    return 0;
}

/* What one invocation needs from C, kept in a userdata so a Lua error
 * (out of memory while building the answer) frees it at collection. */
typedef struct invocation {
    fl_config cfg;
    int cfg_loaded;
    fl_runtime *rt;
    fl_header *headers;
    size_t n_headers;
    fl_header *query;
    size_t n_query;
    fl_job job;
    int job_used;
} invocation;

static void invocation_free(invocation *v)
{
    if (v->rt) {
        fl_runtime_stop(v->rt, -1); /* the shutdown hook runs, as when an instance stops */
        fl_runtime_destroy(v->rt);
        v->rt = NULL;
    }
    if (v->job_used) {
        fl_response_free(&v->job.resp);
        v->job_used = 0;
    }
    if (v->cfg_loaded) {
        fl_config_free(&v->cfg);
        v->cfg_loaded = 0;
    }
    free(v->headers);
    v->headers = NULL;
    free(v->query);
    v->query = NULL;
}

/* Stack: unchanged.  An array of {name, value} pairs at idx -> *out, pointing
 * into the pairs' strings (the array, kept on the stack, keeps them alive). */
static fl_header *read_pairs(lua_State *L, int idx, size_t *n_out)
{
    *n_out = 0;
    if (!lua_istable(L, idx))
        return NULL;
    size_t n = lua_rawlen(L, idx);
    fl_header *out = calloc(n + 1, sizeof *out);
    if (!out)
        luaL_error(L, "out of memory");
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i);
        if (!lua_istable(L, -1)) {
            free(out);
            luaL_error(L, "headers and query must be arrays of {name, value} pairs");
        }
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        fl_header *h = &out[(*n_out)++];
        h->name = lua_tolstring(L, -2, &h->name_len);
        h->value = lua_tolstring(L, -1, &h->value_len);
        lua_pop(L, 3);
        if (!h->name || !h->value) {
            free(out);
            luaL_error(L, "a header or query pair is not two strings");
        }
    }
    return out;
}

static int invocation_gc(lua_State *L)
{
    invocation_free(luaL_checkudata(L, 1, "fnlua.testing.invocation"));
    return 0;
}

/* invoke{dir, handler, mode, event, headers = {{name, value}...}, timeout,
 *        memory, method, path}
 * -> status, body, errorType (nil on success) or, when the function cannot
 * be configured, nil and fnlua's message.  Runs /init then the event, as
 * `fnlua invoke` does, in a fresh runtime. */
static int testing_invoke(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkstack(L, 40, "invoke");
    const char *argv[24];
    int argc = 0;
    argv[argc++] = "fnlua";
    argv[argc++] = "invoke";
    static const char *const flags[][2] = {{"dir", "--dir"},         {"handler", "--handler"}, {"mode", "--mode"},
                                           {"timeout", "--timeout"}, {"memory", "--memory"},   {"method", "--method"},
                                           {"path", "--path"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        lua_getfield(L, 1, flags[i][0]);
        if (!lua_isnil(L, -1)) {
            argv[argc++] = flags[i][1];
            argv[argc++] = lua_tostring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1);
        }
        /* the value stays on the stack: the string stays alive */
    }
    argv[argc] = NULL;
    size_t event_len = 0;
    const char *event = NULL;
    lua_getfield(L, 1, "event");
    if (!lua_isnil(L, -1))
        event = luaL_checklstring(L, -1, &event_len);
    lua_getfield(L, 1, "headers");
    int headers_idx = lua_gettop(L);
    lua_getfield(L, 1, "query");
    int query_idx = lua_gettop(L);

    invocation *v = lua_newuserdatauv(L, sizeof *v, 0);
    memset(v, 0, sizeof *v);
    luaL_setmetatable(L, "fnlua.testing.invocation");

    char err[1024];
    int st = fl_config_load(&v->cfg, argc, (char **)argv, err, sizeof err);
    v->cfg_loaded = 1;
    if (st != FL_CONFIG_OK) {
        lua_pushnil(L);
        lua_pushstring(L, st == FL_CONFIG_ERROR ? err : "fnlua: bad options");
        return 2;
    }
    v->headers = read_pairs(L, headers_idx, &v->n_headers);
    v->query = read_pairs(L, query_idx, &v->n_query);

    v->rt = fl_runtime_create(&v->cfg, 0);
    if (!v->rt)
        return luaL_error(L, "cannot create the Lua state of the function");
    fl_job *job = &v->job;
    fl_response_init(&job->resp);
    v->job_used = 1;
    job->req.kind = FL_REQ_INIT;
    job->req.headers = v->headers;
    job->req.n_headers = v->n_headers;
    job->req.body = "{}";
    job->req.body_len = 2;
    job->req.arrival = fl_now();
    fl_runtime_run(v->rt, job);
    if (!job->resp.error_kind) {
        job->req.kind = v->cfg.mode == FL_MODE_HTTP ? FL_REQ_HTTP : FL_REQ_INVOKE;
        if (job->req.kind == FL_REQ_HTTP) {
            /* the answer is the envelope, as `fnlua invoke --mode http` prints it */
            job->req.method = v->cfg.method ? v->cfg.method : event ? "POST" : "GET";
            job->req.path = v->cfg.path ? v->cfg.path : "/";
            job->req.query = v->query;
            job->req.n_query = v->n_query;
            job->req.envelope = 1;
        }
        job->req.body = event ? event : "";
        job->req.body_len = event_len;
        job->req.arrival = fl_now();
        fl_runtime_run(v->rt, job);
    }
    lua_pushinteger(L, job->resp.status);
    lua_pushlstring(L, job->resp.body.data ? job->resp.body.data : "", job->resp.body.len);
    if (job->resp.error_kind)
        lua_pushstring(L, fl_errkind_get(job->resp.error_kind)->name);
    else
        lua_pushnil(L);
    invocation_free(v); /* the runtime goes now, not at some later collection */
    return 3;
}

static int luaopen_testing_core(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"invoke", testing_invoke},
        {"setenv", testing_setenv},
        {NULL, NULL},
    };
    luaL_newmetatable(L, "fnlua.testing.invocation");
    lua_pushcfunction(L, invocation_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    luaL_newlib(L, f);
    return 1;
}

/* ------------------------------------------------------------------ main */

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

int fl_tool_main(int argc, char **argv)
{
    const char *cmd = argv[1];
    /* fnlua's own configuration, for its library directory and log settings */
    const char *cargv[] = {"fnlua", "invoke", "--dir", "/", NULL};
    fl_config cfg;
    char err[1024];
    if (fl_config_load(&cfg, 4, (char **)cargv, err, sizeof err) != FL_CONFIG_OK) {
        fprintf(stderr, "%s\n", err);
        fl_config_free(&cfg);
        return 2;
    }
    fl_log_setup(cfg.log_level, cfg.log_json, 2);
    char toolkit[sizeof cfg.libdir + 16];
    snprintf(toolkit, sizeof toolkit, "%s", cfg.libdir);
    char *slash = strrchr(toolkit, '/');
    if (slash)
        *slash = '\0';
    snprintf(toolkit + strlen(toolkit), sizeof toolkit - strlen(toolkit), "/toolkit");
    char script[sizeof toolkit + 32];
    snprintf(script, sizeof script, "%s/%s.lua", toolkit, cmd);
    if (!cfg.libdir[0] || access(script, R_OK) != 0) {
        fprintf(stderr, "fnlua %s: the toolkit is not installed beside fnlua (no %s)\n", cmd, script);
        fl_config_free(&cfg);
        return 2;
    }

    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "fnlua %s: out of memory\n", cmd);
        fl_config_free(&cfg);
        return 1;
    }
    luaL_openlibs(L);
    fl_lib_preload(L);

    static const luaL_Reg tool_fns[] = {
        {"stat", tool_stat}, {"dir", tool_dir}, {"mkdir", tool_mkdir}, {"realpath", tool_realpath}, {NULL, NULL},
    };
    luaL_newlib(L, tool_fns);
    lua_pushstring(L, cfg.libdir);
    lua_setfield(L, -2, "libdir");
    lua_pushstring(L, toolkit);
    lua_setfield(L, -2, "toolkit");
    lua_pushstring(L, FNLUA_VERSION);
    lua_setfield(L, -2, "version");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &tool_key);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_fnlua_tool);
    lua_setfield(L, -2, "fnlua.tool");
    lua_pushcfunction(L, luaopen_testing_core);
    lua_setfield(L, -2, "fnlua.testing.core");
    lua_pop(L, 1);

    /* arg, as the lua interpreter sets it: [0] the command, then its arguments */
    lua_createtable(L, argc, 1);
    lua_pushfstring(L, "fnlua %s", cmd);
    lua_rawseti(L, -2, 0);
    for (int i = 2; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - 1);
    }
    lua_setglobal(L, "arg");
    fl_config_free(&cfg);

    int rc;
    lua_pushcfunction(L, traceback);
    if (luaL_loadfilex(L, script, "t") != LUA_OK || lua_pcall(L, 0, 1, 1) != LUA_OK) {
        fprintf(stderr, "fnlua %s: %s\n", cmd, lua_tostring(L, -1));
        rc = 1;
    } else {
        rc = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
    }
    lua_close(L);
    return rc;
}
