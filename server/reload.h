/*
 * reload.h - noticing edited code (--reload).
 *
 * A thread watches the code directory and its subfolders with inotify and
 * bumps a generation counter whenever a .lua file is written, created,
 * moved or removed.  A worker compares the counter with the generation its
 * state was built from: one atomic load per invocation, so --reload costs
 * nothing measurable while nothing changes.  Uses log.h.
 */
#ifndef FL_RELOAD_H
#define FL_RELOAD_H

#include <stdatomic.h>

typedef struct fl_reload fl_reload;

/* Starts watching dir; bumps *generation on every change.  NULL (and a
 * logged warning) when inotify is unavailable. */
fl_reload *fl_reload_start(const char *dir, atomic_uint *generation);
void fl_reload_stop(fl_reload *r);

#endif
