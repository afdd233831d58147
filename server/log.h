/*
 * log.h - log lines in FunctionGraph's runtime format.
 *
 * Text:  2026-01-01T08:00:00.123Z <request-id> INFO index.lua:12 message
 * JSON:  {"time":"...","level":"INFO","requestId":"...","source":"index.lua:12","message":"..."}
 *
 * One write(2) per line under a process-wide mutex, so lines from concurrent
 * threads never interleave.  Messages longer than FL_LOG_CHUNK bytes are split
 * over several lines (never inside a UTF-8 sequence), none is truncated.
 * In text format each line of a multi-line message repeats the prefix.
 * Uses jsonw.h (plain C) for string escaping.
 */
#ifndef FL_LOG_H
#define FL_LOG_H

#include <stddef.h>

typedef enum { FL_LOG_DEBUG = 0, FL_LOG_INFO, FL_LOG_WARN, FL_LOG_ERROR, FL_LOG_OFF } fl_log_level;

#define FL_LOG_CHUNK (64 * 1024)

void fl_log_setup(fl_log_level min, int json, int fd);
int fl_log_enabled(fl_log_level lv);
int fl_log_parse_level(const char *s, fl_log_level *out);

/* request_id and source may be NULL ("-" is written). */
void fl_log_write(fl_log_level lv, const char *request_id, const char *source, const char *msg, size_t len);
/* Written whatever the level: the start-up line tests and operators rely on. */
void fl_log_always(fl_log_level lv, const char *source, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void fl_logf(fl_log_level lv, const char *request_id, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* --log-invocations: one INFO line per finished invocation, like
 * FunctionGraph's own "Finish invoke request" line.  status is "ok" or the
 * errorType; lua_bytes the Lua heap in use.  Text:
 *   ... INFO fnlua/worker.c:N Finish invoke request '<id>', status: ok, duration: 1.234ms, memory used: 52KB
 * JSON: the same message, plus "status", "durationMs" and "memoryKB" members. */
void fl_log_invocation(const char *request_id, const char *source, const char *status, double duration_ms,
                       size_t lua_bytes);

#define FL_STR2(x) #x
#define FL_STR(x)  FL_STR2(x)
#define FL_HERE    "fnlua/" __FILE_NAME__ ":" FL_STR(__LINE__)
#define FL_LOG(lv, ...)                                                                                                \
    do {                                                                                                               \
        if (fl_log_enabled(lv))                                                                                        \
            fl_logf((lv), NULL, FL_HERE, __VA_ARGS__);                                                                 \
    } while (0)
#define FL_DEBUG(...) FL_LOG(FL_LOG_DEBUG, __VA_ARGS__)
#define FL_INFO(...)  FL_LOG(FL_LOG_INFO, __VA_ARGS__)
#define FL_WARN(...)  FL_LOG(FL_LOG_WARN, __VA_ARGS__)
#define FL_ERROR(...) FL_LOG(FL_LOG_ERROR, __VA_ARGS__)

#endif
