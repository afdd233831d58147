/*
 * errors.h - every kind of error fnlua answers, in one table.
 *
 * One row per kind: the errorType a client sees, the HTTP status of the
 * answer, the level of the log line, the exit status of `fnlua invoke` (-1:
 * never answered there) and a one-line meaning.  docs/errors.md shows the
 * same rows (tests/unit/test_errors.c compares them).  A failure picks its
 * kind where it is known and passes the fl_errkind along; nothing matches
 * errorType strings.  To add a kind: one FL_ERRKIND line here, its row in
 * docs/errors.md, and the code that raises it.  Plain C; uses log.h.
 * answer.h writes the error object of a kind.
 */
#ifndef FL_ERRORS_H
#define FL_ERRORS_H

#include <stddef.h>

#include "log.h"

/*   X(ENUM,             errorType,            status, log level, invoke exit, meaning) */
#define FL_ERRKINDS(X)                                                                                                 \
    X(HANDLER, "HandlerError", 500, ERROR, 1, "the handler raised an error")                                           \
    X(HANDLER_LOAD, "HandlerLoadError", 500, ERROR, 2, "the handler module cannot be loaded")                          \
    X(INITIALIZER, "InitializerError", 500, ERROR, 2, "the initializer raised an error")                               \
    X(TIMEOUT, "TimeoutError", 500, ERROR, 1, "the invocation ran past its deadline")                                  \
    X(MEMORY_LIMIT, "MemoryLimitError", 500, ERROR, 1, "the invocation pushed its Lua state past its memory budget")   \
    X(RESULT, "ResultError", 500, ERROR, 1, "the returned value cannot become an envelope")                            \
    X(RESULT_TOO_LARGE, "ResultTooLarge", 500, ERROR, 1, "the envelope is larger than 6,291,456 bytes")                \
    X(CANCELLED, "InvocationCancelled", 500, ERROR, 1, "the invocation outlived the grace period of a stop")           \
    X(BAD_REQUEST, "BadRequest", 400, DEBUG, -1, "the request's framing is ambiguous")                                 \
    X(INVALID_EVENT, "InvalidEvent", 400, WARN, 2, "the event is not valid JSON")                                      \
    X(NOT_FOUND, "NotFound", 404, DEBUG, -1, "no such path")                                                           \
    X(METHOD_NOT_ALLOWED, "MethodNotAllowed", 405, DEBUG, -1, "a known path with the wrong method")                    \
    X(PAYLOAD_TOO_LARGE, "PayloadTooLarge", 413, DEBUG, -1, "the request body is larger than --max-body")              \
    X(SHUTTING_DOWN, "ShuttingDown", 503, DEBUG, -1, "the instance is stopping")                                       \
    X(SERVER_BUSY, "ServerBusy", 503, DEBUG, -1, "the request bodies held at once reach 4 x --max-body")               \
    X(TOO_MANY_CONNECTIONS, "TooManyConnections", 503, DEBUG, -1, "more connections are open than --max-connections")  \
    X(SERVICE_UNAVAILABLE, "ServiceUnavailable", 503, ERROR, 1,                                                        \
      "no memory for a new invocation, or its Lua state was lost to stuck code")

#define FL_ERRKIND_ENUM(e, name, status, level, exit_code, meaning) FL_ERR_##e,
typedef enum fl_errkind {
    FL_ERR_NONE = 0, /* not an error */
    FL_ERRKINDS(FL_ERRKIND_ENUM) FL_ERR_COUNT
} fl_errkind;
#undef FL_ERRKIND_ENUM

typedef struct fl_errkind_row {
    const char *name; /* the errorType */
    int status;
    fl_log_level level;
    int exit_code; /* of `fnlua invoke`; -1: never answered there */
    const char *meaning;
} fl_errkind_row;

/* The row of k (FL_ERR_NONE and out-of-range values: a row named "None"). */
const fl_errkind_row *fl_errkind_get(fl_errkind k);

/* Logs "errorType: msg", then the traceback (if trace_len > 0) on the next
 * lines, at k's level. */
void fl_errkind_log(fl_errkind k, const char *request_id, const char *source, const char *msg, size_t len,
                    const char *trace, size_t trace_len);

#endif
