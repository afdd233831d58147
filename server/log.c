/* log.c - log lines (see log.h). */
#include "log.h"

#include "buf.h"
#include "jsonw.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static fl_log_level log_min = FL_LOG_INFO;
static int log_json;
static int log_fd = 1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};

void fl_log_setup(fl_log_level min, int json, int fd)
{
    log_min = min;
    log_json = json;
    log_fd = fd;
}

int fl_log_enabled(fl_log_level lv)
{
    return lv >= log_min && lv < FL_LOG_OFF;
}

int fl_log_parse_level(const char *s, fl_log_level *out)
{
    static const struct {
        const char *name;
        fl_log_level lv;
    } names[] = {
        {"debug", FL_LOG_DEBUG},  {"info", FL_LOG_INFO},   {"warn", FL_LOG_WARN},
        {"warning", FL_LOG_WARN}, {"error", FL_LOG_ERROR}, {"off", FL_LOG_OFF},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(s, names[i].name) == 0) {
            *out = names[i].lv;
            return 1;
        }
    return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return; /* nowhere left to report a failing log stream */
        }
        p += w;
        n -= (size_t)w;
    }
}

static void format_time(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* Largest prefix of at most max bytes that does not end inside a UTF-8 sequence. */
static size_t chunk_len(const char *msg, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > max - 4 && ((unsigned char)msg[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* extra: more JSON members (",\"k\":v...") for the JSON format, or NULL. */
static void format_line(fl_buf *b, fl_log_level lv, const char *rid, const char *src, const char *msg, size_t len,
                        const char *extra)
{
    char ts[32];
    format_time(ts);
    if (log_json) {
        fl_buf_adds(b, "{\"time\":\"");
        fl_buf_adds(b, ts);
        fl_buf_adds(b, "\",\"level\":\"");
        fl_buf_adds(b, level_names[lv]);
        fl_buf_adds(b, "\",\"requestId\":");
        fl_json_quote(b, rid ? rid : "", rid ? strlen(rid) : 0);
        fl_buf_adds(b, ",\"source\":");
        fl_json_quote(b, src ? src : "", src ? strlen(src) : 0);
        fl_buf_adds(b, ",\"message\":");
        fl_json_quote(b, msg, len);
        if (extra)
            fl_buf_adds(b, extra);
        fl_buf_adds(b, "}\n");
    } else {
        /* every line of a multi-line message (a traceback) carries the
         * prefix, so log services can tie each one to its request */
        size_t start = 0;
        do {
            const char *nl = memchr(msg + start, '\n', len - start);
            size_t end = nl ? (size_t)(nl - msg) : len;
            fl_buf_adds(b, ts);
            fl_buf_addc(b, ' ');
            fl_buf_adds(b, rid && *rid ? rid : "-");
            fl_buf_addc(b, ' ');
            fl_buf_adds(b, level_names[lv]);
            fl_buf_addc(b, ' ');
            fl_buf_adds(b, src && *src ? src : "-");
            fl_buf_addc(b, ' ');
            fl_buf_add(b, msg + start, end - start);
            fl_buf_addc(b, '\n');
            start = end + 1;
        } while (start < len);
    }
}

static void emit(fl_log_level lv, const char *rid, const char *src, const char *msg, size_t len);

void fl_log_write(fl_log_level lv, const char *rid, const char *src, const char *msg, size_t len)
{
    if (fl_log_enabled(lv))
        emit(lv, rid, src, msg, len);
}

void fl_log_always(fl_log_level lv, const char *src, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n >= 0)
        emit(lv, NULL, src, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
}

static void emit(fl_log_level lv, const char *rid, const char *src, const char *msg, size_t len)
{
    char stackbuf[2048];
    /* each line of a multi-line text message repeats the prefix */
    size_t lines = 1;
    for (const char *q = msg; (q = memchr(q, '\n', (size_t)(msg + len - q))); q++)
        lines++;
    size_t extra = ((rid ? strlen(rid) : 0) + (src ? strlen(src) : 0) + 64) * lines + 64;
    do {
        size_t n = chunk_len(msg, len, FL_LOG_CHUNK);
        /* worst case: JSON escaping turns every byte into \u00XX */
        size_t bound = 6 * (n + extra);
        fl_buf b = {stackbuf, 0, sizeof stackbuf};
        if (bound > sizeof stackbuf)
            fl_buf_init(&b);
        format_line(&b, lv, rid, src, msg, n, NULL);
        pthread_mutex_lock(&log_lock);
        write_all(log_fd, b.data, b.len);
        pthread_mutex_unlock(&log_lock);
        if (b.data != stackbuf)
            fl_buf_free(&b);
        msg += n;
        len -= n;
    } while (len > 0);
}

void fl_logf(fl_log_level lv, const char *rid, const char *src, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        fl_log_write(lv, rid, src, small, (size_t)n);
        return;
    }
    fl_buf b;
    fl_buf_init(&b);
    fl_buf_reserve(&b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b.data, (size_t)n + 1, fmt, ap);
    va_end(ap);
    fl_log_write(lv, rid, src, b.data, (size_t)n);
    fl_buf_free(&b);
}

void fl_log_invocation(const char *request_id, const char *source, const char *status, double duration_ms,
                       size_t lua_bytes)
{
    if (!fl_log_enabled(FL_LOG_INFO))
        return;
    const char *rid = request_id && *request_id ? request_id : "-";
    unsigned long long kb = (unsigned long long)((lua_bytes + 1023) / 1024);
    char msg[512], extra[256];
    int n = snprintf(msg, sizeof msg, "Finish invoke request '%s', status: %s, duration: %.3fms, memory used: %lluKB",
                     rid, status, duration_ms, kb);
    if (n < 0)
        return;
    /* status is an errorType or "ok": no character JSON must escape */
    snprintf(extra, sizeof extra, ",\"status\":\"%s\",\"durationMs\":%.3f,\"memoryKB\":%llu", status, duration_ms, kb);
    char stackbuf[2048];
    fl_buf b = {stackbuf, 0, sizeof stackbuf};
    format_line(&b, FL_LOG_INFO, request_id, source, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1, extra);
    pthread_mutex_lock(&log_lock);
    write_all(log_fd, b.data, b.len);
    pthread_mutex_unlock(&log_lock);
}
