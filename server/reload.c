/* reload.c - noticing edited code (see reload.h). */
#define _GNU_SOURCE
#include "reload.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define MAX_WATCHES 4096
#define WATCH_MASK  (IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_ONLYDIR)

struct fl_reload {
    int ifd;
    pthread_mutex_t lock; /* one poller at a time: the watch list changes */
    atomic_uint *generation;
    int n_watches;
    struct {
        int wd;
        char *path;
    } watches[MAX_WATCHES];
};

static void watch_tree(fl_reload *r, const char *path, int depth)
{
    if (r->n_watches >= MAX_WATCHES || depth > 16)
        return;
    int wd = inotify_add_watch(r->ifd, path, WATCH_MASK);
    if (wd < 0)
        return;
    int known = 0;
    for (int i = 0; i < r->n_watches; i++)
        if (r->watches[i].wd == wd)
            known = 1;
    if (!known) {
        char *copy = strdup(path);
        if (!copy) {
            /* without its path, new subfolders of it could not be watched */
            inotify_rm_watch(r->ifd, wd);
            FL_WARN("--reload: out of memory; not watching %s", path);
            return;
        }
        r->watches[r->n_watches].wd = wd;
        r->watches[r->n_watches].path = copy;
        r->n_watches++;
    }
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue; /* ., .., .git and other hidden folders */
        char sub[4096];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            watch_tree(r, sub, depth + 1);
    }
    closedir(d);
}

static const char *watch_path(fl_reload *r, int wd)
{
    for (int i = 0; i < r->n_watches; i++)
        if (r->watches[i].wd == wd)
            return r->watches[i].path;
    return NULL;
}

static int is_lua(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

void fl_reload_poll(fl_reload *r)
{
    if (!r)
        return;
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    /* another thread draining the queue right now will see the same events */
    if (pthread_mutex_trylock(&r->lock) != 0)
        return;
    int changed = 0;
    for (;;) {
        ssize_t n = read(r->ifd, buf, sizeof buf);
        if (n <= 0)
            break; /* EAGAIN: nothing (more) queued */
        for (char *q = buf; q < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)q;
            q += sizeof *ev + ev->len;
            const char *name = ev->len ? ev->name : "";
            if (ev->mask & IN_ISDIR) {
                const char *base = watch_path(r, ev->wd);
                if (base && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
                    char sub[4096];
                    snprintf(sub, sizeof sub, "%s/%s", base, name);
                    watch_tree(r, sub, 1);
                }
                changed = 1; /* a folder of modules came or went */
            } else if (is_lua(name) && (ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO))) {
                changed = 1;
                FL_DEBUG("code changed: %s", name);
            } else if (ev->mask & IN_Q_OVERFLOW) {
                changed = 1;
            }
        }
    }
    if (changed)
        atomic_fetch_add(r->generation, 1);
    pthread_mutex_unlock(&r->lock);
}

fl_reload *fl_reload_start(const char *dir, atomic_uint *generation)
{
    fl_reload *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->generation = generation;
    pthread_mutex_init(&r->lock, NULL);
    r->ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (r->ifd < 0) {
        FL_WARN("--reload: cannot watch %s (%s); edited scripts need SIGHUP or a restart", dir, strerror(errno));
        fl_reload_stop(r);
        return NULL;
    }
    watch_tree(r, dir, 0);
    FL_INFO("--reload: watching %d folder(s) under %s for changed .lua files", r->n_watches, dir);
    return r;
}

void fl_reload_stop(fl_reload *r)
{
    if (!r)
        return;
    if (r->ifd >= 0)
        close(r->ifd);
    pthread_mutex_destroy(&r->lock);
    for (int i = 0; i < r->n_watches; i++)
        free(r->watches[i].path);
    free(r);
}
