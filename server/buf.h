/*
 * buf.h - growable byte buffer.
 *
 * Used for request bodies, response bodies and JSON text.  A buffer that is
 * reused across requests keeps its capacity, so a warm Lua state allocates
 * nothing for a typical response.  Allocation failure aborts: the only large
 * growth paths are bounded by --max-body and the 6 MiB result limit.
 */
#ifndef FL_BUF_H
#define FL_BUF_H

#include <stddef.h>

typedef struct fl_buf {
    char *data;
    size_t len;
    size_t cap;
} fl_buf;

void fl_buf_init(fl_buf *b);
void fl_buf_free(fl_buf *b);
void fl_buf_reset(fl_buf *b);               /* len = 0, keeps capacity */
void fl_buf_shrink(fl_buf *b, size_t keep); /* release memory above keep bytes */
void fl_buf_reserve(fl_buf *b, size_t extra);
void fl_buf_add(fl_buf *b, const void *p, size_t n);
void fl_buf_adds(fl_buf *b, const char *s);
void fl_buf_addc(fl_buf *b, char c);
void fl_buf_printf(fl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *fl_buf_cstr(fl_buf *b); /* NUL-terminated view, not counted in len */

/* Value of a hexadecimal digit, -1 for any other character. */
int fl_hexdigit(int c);

#endif
