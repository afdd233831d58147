/* errors.c - the table of error kinds (see errors.h). */
#include "errors.h"

#include <string.h>

#include "buf.h"

#define FL_ERRKIND_ROW(e, name, status, level, exit_code, meaning)                                                     \
    [FL_ERR_##e] = {name, status, FL_LOG_##level, exit_code, meaning},
static const fl_errkind_row rows[FL_ERR_COUNT] = {[FL_ERR_NONE] = {"None", 200, FL_LOG_DEBUG, 0, "not an error"},
                                                  FL_ERRKINDS(FL_ERRKIND_ROW)};
#undef FL_ERRKIND_ROW

const fl_errkind_row *fl_errkind_get(fl_errkind k)
{
    return &rows[k > FL_ERR_NONE && k < FL_ERR_COUNT ? k : FL_ERR_NONE];
}

void fl_errkind_log(fl_errkind k, const char *request_id, const char *source, const char *msg, size_t len,
                    const char *trace, size_t trace_len)
{
    const fl_errkind_row *row = fl_errkind_get(k);
    if (!fl_log_enabled(row->level))
        return;
    fl_buf line;
    fl_buf_init(&line);
    fl_buf_adds(&line, row->name);
    fl_buf_adds(&line, ": ");
    fl_buf_add(&line, msg, len);
    if (trace_len) {
        fl_buf_addc(&line, '\n');
        fl_buf_add(&line, trace, trace_len);
    }
    fl_log_write(row->level, request_id, source, line.data, line.len);
    fl_buf_free(&line);
}
