/*
 * reload.h - noticing edited code (--reload).
 *
 * inotify watches the code directory and its subfolders.  Before each
 * request is run, the thread that received it drains the (non-blocking)
 * inotify queue: the kernel
 * queues an event inside the write/close/rename call itself, so an edit
 * saved before a request was sent is always seen by that request.  Any
 * change to a .lua file (written, created, moved, removed) or a folder bumps
 * a generation counter; a Lua state loaded from older code is rebuilt
 * before its next invocation.  While
 * nothing changes the cost is one uncontended mutex and one read(2) that
 * returns EAGAIN.  Uses log.h.
 */
#ifndef FL_RELOAD_H
#define FL_RELOAD_H

#include <stdatomic.h>

typedef struct fl_reload fl_reload;

/* Starts watching dir; changes bump *generation when fl_reload_poll runs.
 * NULL (and a logged warning) when inotify is unavailable. */
fl_reload *fl_reload_start(const char *dir, atomic_uint *generation);
/* Takes the queued change events into account (any thread). */
void fl_reload_poll(fl_reload *r);
void fl_reload_stop(fl_reload *r);

#endif
