/* hlist.c - the packed header list (see hlist.h). */
#include "hlist.h"

#include <string.h>
#include <strings.h>

void fl_hlist_add(fl_buf *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    fl_buf_reserve(h, name_len + value_len + 2);
    char *p = h->data + h->len;
    memcpy(p, name, name_len);
    p[name_len] = '\0';
    memcpy(p + name_len + 1, value, value_len);
    p[name_len + 1 + value_len] = '\0';
    h->len += name_len + value_len + 2;
}

int fl_hlist_has(const fl_buf *h, const char *name)
{
    size_t n = strlen(name), off = 0;
    fl_header p;
    while (fl_hlist_next(h, &off, &p))
        if (p.name_len == n && strncasecmp(p.name, name, n) == 0)
            return 1;
    return 0;
}
