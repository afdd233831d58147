/*
 * answer.h - what an invocation answers, in plain C: no Lua, no HTTP library.
 *
 * The envelope is a function's result as docs/handler-api.md describes it
 * ({isBase64Encoded, statusCode, headers, body}); convert.c fills one from
 * the value a handler returns.  This file owns what becomes of it:
 *
 *   envelope -> JSON text               fl_answer_envelope_json
 *   envelope -> the answer, either the envelope JSON (event functions,
 *               `fnlua invoke`) or the wire form of an HTTP function
 *               (status, headers, body base64-decoded when
 *               isBase64Encoded), refused over FL_RESULT_MAX  fl_answer_from_envelope
 *   failure  -> error object {errorType, errorMessage, stackTrace}
 *               with the kind's status and log line          fl_answer_error
 *
 * Every error object fnlua sends is written here (fl_answer_error_json).
 * Uses errors.h (kinds), request.h (fl_response), hlist.h (headers) and
 * jsonw.h (JSON text).
 */
#ifndef FL_ANSWER_H
#define FL_ANSWER_H

#include <stddef.h>

#include "buf.h"
#include "errors.h"
#include "request.h"

#define FL_RESULT_MAX 6291456 /* the platform's response limit (also --max-body's default) */
/* Response header bytes: libmicrohttpd builds them in a connection's 32 KiB
 * memory pool, and a header block that does not fit drops the connection. */
#define FL_RESPONSE_HEADERS_MAX 16384

typedef struct fl_envelope {
    int status;
    int is_base64;
    fl_buf headers; /* hlist.h pairs; a repeated name = several values */
    fl_buf body;
    size_t too_large; /* the body alone is this many bytes, over FL_RESULT_MAX: not converted */
} fl_envelope;

void fl_envelope_init(fl_envelope *e);
void fl_envelope_free(fl_envelope *e);

/* Appends {"isBase64Encoded":..,"statusCode":..,"headers":{..},"body":".."};
 * several values of one header are joined with ", ". */
void fl_answer_envelope_json(const fl_envelope *env, fl_buf *out);

/* resp (reset by the caller) := the answer to env: its wire form when wire
 * is set (an HTTP function answering HTTP), else status 200 and the
 * envelope JSON.  Returns FL_ERR_NONE, or the kind of the failure with its
 * message in why: FL_ERR_RESULT (isBase64Encoded with a body that is not
 * base64), FL_ERR_RESULT_TOO_LARGE (over FL_RESULT_MAX; resp is emptied
 * and its memory released). */
fl_errkind fl_answer_from_envelope(const fl_envelope *env, int wire, fl_response *resp, fl_buf *why);

/* Appends the error object: errorType type, errorMessage msg, stackTrace one
 * entry per line of trace (tabs and the "stack traceback:" title dropped;
 * trace may be NULL). */
void fl_answer_error_json(fl_buf *out, const char *type, const char *msg, size_t len, const char *trace,
                          size_t trace_len);

/* r := k's status and its error object; "errorType: msg" and the trace are
 * logged at k's level. */
void fl_answer_error(fl_response *r, fl_errkind k, const char *request_id, const char *source, const char *msg,
                     size_t len, const char *trace, size_t trace_len);
/* The same for a refusal or failure outside Lua: stackTrace is []. */
void fl_response_error(fl_response *r, fl_errkind k, const char *request_id, const char *source, const char *msg);

#endif
