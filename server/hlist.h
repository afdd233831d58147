/*
 * hlist.h - the packed header list: "Name\0Value\0" pairs in an fl_buf.
 *
 * The one form a function's response headers take from the envelope
 * (convert.c builds it from the returned table) to the answer (answer.c
 * writes it as JSON or hands it on, http.c sends it).  Pairs are kept in
 * the order given; a name that repeats is several values of one header.
 * Names and values hold no NUL (convert.c refuses control bytes), so each
 * is a C string in place.  Nothing outside hlist.c reads or writes the
 * bytes directly.  Plain C; uses buf.h and fl_header (request.h).
 */
#ifndef FL_HLIST_H
#define FL_HLIST_H

#include <stddef.h>
#include <string.h>

#include "buf.h"
#include "request.h"

/* Appends the pair name: value. */
void fl_hlist_add(fl_buf *h, const char *name, size_t name_len, const char *value, size_t value_len);
/* The pair at *off into p (name and value NUL-terminated) and *off past it;
 * 0 at the end.  Start with *off = 0.  Inline: it runs for every header of
 * every answer. */
static inline int fl_hlist_next(const fl_buf *h, size_t *off, fl_header *p)
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
/* 1 when a pair is named name (ASCII case ignored). */
int fl_hlist_has(const fl_buf *h, const char *name);

#endif
