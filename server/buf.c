/* buf.c - growable byte buffer (see buf.h). */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fl_buf_init(fl_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void fl_buf_free(fl_buf *b)
{
    free(b->data);
    fl_buf_init(b);
}

void fl_buf_reset(fl_buf *b)
{
    b->len = 0;
}

void fl_buf_shrink(fl_buf *b, size_t keep)
{
    if (b->cap > keep && b->len <= keep) {
        char *p = realloc(b->data, keep ? keep : 1);
        if (p) {
            b->data = p;
            b->cap = keep ? keep : 1;
        }
    }
}

void fl_buf_reserve(fl_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* room for a NUL terminator */
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap / 2 * 3 + 64;
    char *p = realloc(b->data, cap);
    if (!p) {
        fputs("fnlua: out of memory\n", stderr);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void fl_buf_add(fl_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    fl_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void fl_buf_adds(fl_buf *b, const char *s)
{
    fl_buf_add(b, s, strlen(s));
}

void fl_buf_addc(fl_buf *b, char c)
{
    fl_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void fl_buf_printf(fl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        fl_buf_add(b, small, (size_t)n);
        return;
    }
    fl_buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *fl_buf_cstr(fl_buf *b)
{
    fl_buf_reserve(b, 0);
    b->data[b->len] = '\0';
    return b->data;
}

int fl_hexdigit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
