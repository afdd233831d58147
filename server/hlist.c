/* hlist.c - the packed header list (see hlist.h). */
#include "hlist.h"

#include <string.h>
#include <strings.h>

void fl_hlist_add(fl_buf *h, const char *name, size_t name_len, const char *value, size_t value_len)
{
    fl_buf_add(h, name, name_len);
    fl_buf_addc(h, '\0');
    fl_buf_add(h, value, value_len);
    fl_buf_addc(h, '\0');
}

int fl_hlist_next(const fl_buf *h, size_t *off, fl_header *p)
{
    if (*off >= h->len)
        return 0;
    p->name = h->data + *off;
    p->name_len = strlen(p->name);
    p->value = p->name + p->name_len + 1;
    p->value_len = strlen(p->value);
    *off += p->name_len + 1 + p->value_len + 1;
    return 1;
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
