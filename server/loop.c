/* loop.c - one event loop per Lua state: libcurl's multi interface on epoll,
 * and a timer heap for sleeps (see loop.h). */
#include "loop.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <curl/curl.h>
#include <lua.h>

#include "fetch.h"
#include "request.h"

/* Idle keep-alive connections a state keeps for reuse across invocations. */
#define FL_LOOP_MAX_CONNECTS 256
/* Easy handles kept for the next calls (reset, not re-created). */
#define FL_LOOP_SPARE_EASY 64

struct fl_loop {
    int epfd;
    int wakefd;
    pthread_mutex_t lock; /* the multi handle, the heap, the list, the times */
    CURLM *multi;
    double curl_at;  /* when libcurl wants CURL_SOCKET_TIMEOUT (0 = never) */
    fl_fetch *xfers; /* in flight */
    int n_xfers;
    fl_timer **heap; /* sleeps, soonest first */
    size_t n_heap, cap_heap;
    int cancelled;
    double poll_until; /* when the loop's thread wakes up by itself (0: never, < 0: not waiting) */
    int kick;          /* libcurl wants its timer earlier than that: wake the thread */
    CURL *spare[FL_LOOP_SPARE_EASY];
    int n_spare;
    fl_fetch_quota quota;
};

fl_fetch_quota *fl_loop_quota(fl_loop *l)
{
    return &l->quota;
}

/* ---------------------------------------------------------------- waiters */

void fl_wait_openstate(lua_State *L, fl_waiter **slot)
{
    /* copied into every thread the state creates from now on */
    memcpy(lua_getextraspace(L), &slot, sizeof slot);
}

fl_waiter *fl_wait_current(lua_State *L)
{
    fl_waiter **slot;
    memcpy(&slot, lua_getextraspace(L), sizeof slot);
    return slot ? *slot : NULL;
}

void fl_wait_end(fl_waiter *w)
{
    if (atomic_fetch_sub(&w->pending, 1) == 1)
        w->ready(w);
}

/* ---------------------------------------------------------------- timer heap (under lock) */

static void heap_swap(fl_loop *l, size_t a, size_t b)
{
    fl_timer *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->slot = a;
    l->heap[b]->slot = b;
}

static void heap_up(fl_loop *l, size_t i)
{
    while (i > 0 && l->heap[(i - 1) / 2]->at > l->heap[i]->at) {
        heap_swap(l, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(fl_loop *l, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1, m = i;
        if (c < l->n_heap && l->heap[c]->at < l->heap[m]->at)
            m = c;
        if (c + 1 < l->n_heap && l->heap[c + 1]->at < l->heap[m]->at)
            m = c + 1;
        if (m == i)
            return;
        heap_swap(l, i, m);
        i = m;
    }
}

static int heap_push(fl_loop *l, fl_timer *t)
{
    if (l->n_heap == l->cap_heap) {
        size_t cap = l->cap_heap ? l->cap_heap * 2 : 64;
        fl_timer **h = realloc(l->heap, cap * sizeof *h);
        if (!h)
            return -1;
        l->heap = h;
        l->cap_heap = cap;
    }
    t->slot = l->n_heap;
    l->heap[l->n_heap++] = t;
    heap_up(l, t->slot);
    return 0;
}

static fl_timer *heap_pop(fl_loop *l)
{
    fl_timer *t = l->heap[0];
    l->n_heap--;
    if (l->n_heap) {
        l->heap[0] = l->heap[l->n_heap];
        l->heap[0]->slot = 0;
        heap_down(l, 0);
    }
    return t;
}

/* ---------------------------------------------------------------- libcurl callbacks (under lock) */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
    (void)easy;
    fl_loop *l = userp;
    struct epoll_event ev = {0};
    ev.data.fd = s;
    if (what == CURL_POLL_REMOVE) {
        if (socketp)
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, s, NULL);
        curl_multi_assign(l->multi, s, NULL);
        return 0;
    }
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
    if (socketp) {
        epoll_ctl(l->epfd, EPOLL_CTL_MOD, s, &ev);
        return 0;
    }
    int rc = epoll_ctl(l->epfd, EPOLL_CTL_ADD, s, &ev);
    if (rc != 0 && errno == EEXIST)
        rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, s, &ev);
    if (rc == 0)
        curl_multi_assign(l->multi, s, l); /* any non-NULL: "in the epoll set" */
    return 0;
}

static int on_timer(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    fl_loop *l = userp;
    l->curl_at = ms < 0 ? 0 : fl_now() + ms / 1000.0;
    if (l->curl_at && l->poll_until >= 0 && (l->poll_until == 0 || l->curl_at < l->poll_until))
        l->kick = 1;
    return 0;
}

/* ---------------------------------------------------------------- life cycle */

fl_loop *fl_loop_create(void)
{
    fl_loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->multi = curl_multi_init();
    l->poll_until = -1;
    pthread_mutex_init(&l->lock, NULL);
    if (l->epfd < 0 || l->wakefd < 0 || !l->multi) {
        fl_loop_free(l);
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = l->wakefd};
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(l->multi, CURLMOPT_SOCKETDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(l->multi, CURLMOPT_TIMERDATA, l);
    curl_multi_setopt(l->multi, CURLMOPT_MAXCONNECTS, (long)FL_LOOP_MAX_CONNECTS);
    return l;
}

void fl_loop_free(fl_loop *l)
{
    if (!l)
        return;
    /* no invocation waits any more (the runtime drains first) */
    for (int i = 0; i < l->n_spare; i++)
        curl_easy_cleanup(l->spare[i]);
    if (l->multi)
        curl_multi_cleanup(l->multi);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    pthread_mutex_destroy(&l->lock);
    free(l->heap);
    free(l);
}

void fl_loop_wake(fl_loop *l)
{
    uint64_t one = 1;
    ssize_t rc = write(l->wakefd, &one, sizeof one);
    (void)rc; /* EAGAIN: the counter is already non-zero, a wake-up is pending */
}

/* ---------------------------------------------------------------- ended transfers */

/* Under lock: takes f out of the multi handle and the list. */
static void unlink_xfer(fl_loop *l, fl_fetch *f)
{
    curl_multi_remove_handle(l->multi, f->easy);
    f->running = 0;
    if (f->prev)
        f->prev->next = f->next;
    else
        l->xfers = f->next;
    if (f->next)
        f->next->prev = f->prev;
    f->prev = f->next = NULL;
    l->n_xfers--;
}

/* Under lock: the transfers libcurl says have ended, finished and unlinked,
 * as a list through next. */
static fl_fetch *collect_done_locked(fl_loop *l)
{
    fl_fetch *done = NULL;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(l->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        fl_fetch *f = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&f);
        CURLcode code = msg->data.result;
        unlink_xfer(l, f);
        fl_fetch_finished(f, code);
        f->next = done;
        done = f;
    }
    return done;
}

/* With no lock held (ready() takes the runtime's): one wait ends per transfer. */
static int end_waits(fl_fetch *done)
{
    int n = 0;
    while (done) {
        fl_fetch *f = done;
        done = f->next;
        f->next = NULL;
        fl_wait_end(f->waiter); /* f may be freed from here on */
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- registering waits */

void fl_loop_add(fl_loop *l, fl_fetch *f)
{
    pthread_mutex_lock(&l->lock);
    if (l->cancelled || curl_multi_add_handle(l->multi, f->easy) != CURLM_OK) {
        pthread_mutex_unlock(&l->lock);
        fl_fetch_finished(f, CURLE_ABORTED_BY_CALLBACK);
        f->result = FL_FETCH_CANCELLED;
        snprintf(f->error, sizeof f->error, "cancelled: the call to %s was not started: the instance is stopping",
                 f->host);
        fl_wait_end(f->waiter);
        return;
    }
    f->running = 1;
    f->prev = NULL;
    f->next = l->xfers;
    if (l->xfers)
        l->xfers->prev = f;
    l->xfers = f;
    l->n_xfers++;
    /* Start it here (a request on a kept-alive connection goes out at
     * once); the loop's thread is only woken when libcurl now needs its
     * timer earlier than that thread will look, or has a result. */
    int running;
    l->curl_at = 0;
    curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    fl_fetch *done = collect_done_locked(l);
    int wake = l->kick;
    l->kick = 0;
    pthread_mutex_unlock(&l->lock);
    if (wake)
        fl_loop_wake(l);
    end_waits(done);
}

CURL *fl_loop_easy(fl_loop *l)
{
    CURL *e = NULL;
    pthread_mutex_lock(&l->lock);
    if (l->n_spare > 0)
        e = l->spare[--l->n_spare];
    pthread_mutex_unlock(&l->lock);
    return e;
}

void fl_loop_easy_done(fl_loop *l, CURL *e)
{
    if (!e)
        return;
    curl_easy_reset(e);
    pthread_mutex_lock(&l->lock);
    if (l->n_spare < FL_LOOP_SPARE_EASY) {
        l->spare[l->n_spare++] = e;
        e = NULL;
    }
    pthread_mutex_unlock(&l->lock);
    if (e)
        curl_easy_cleanup(e);
}

void fl_loop_sleep(fl_loop *l, fl_timer *t, double at)
{
    t->at = at;
    pthread_mutex_lock(&l->lock);
    int ok = !l->cancelled && heap_push(l, t) == 0;
    int wake = ok && l->poll_until >= 0 && (l->poll_until == 0 || at < l->poll_until);
    pthread_mutex_unlock(&l->lock);
    if (!ok) {
        fl_wait_end(t->waiter);
        return;
    }
    if (wake)
        fl_loop_wake(l);
}

void fl_loop_cancel_all(fl_loop *l)
{
    pthread_mutex_lock(&l->lock);
    l->cancelled = 1;
    pthread_mutex_unlock(&l->lock);
    fl_loop_wake(l);
}

int fl_loop_busy(fl_loop *l)
{
    pthread_mutex_lock(&l->lock);
    int n = l->n_xfers + (int)l->n_heap;
    pthread_mutex_unlock(&l->lock);
    return n;
}

/* ---------------------------------------------------------------- polling */

int fl_loop_poll(fl_loop *l, double max_s)
{
    struct epoll_event evs[64];
    pthread_mutex_lock(&l->lock);
    double next = 0;
    if (l->curl_at)
        next = l->curl_at;
    if (l->n_heap && (!next || l->heap[0]->at < next))
        next = l->heap[0]->at;
    int timeout_ms;
    double now = fl_now();
    if (l->cancelled) {
        timeout_ms = 0;
    } else {
        double wait = max_s; /* < 0: no limit */
        if (next && (wait < 0 || next - now < wait))
            wait = next > now ? next - now : 0;
        timeout_ms = wait < 0 ? -1 : (int)ceil(wait * 1000.0);
        if (wait >= 0 && timeout_ms > 1000000)
            timeout_ms = 1000000;
    }
    /* what another thread compares its new timer with, to wake this one */
    l->poll_until = timeout_ms < 0 ? 0 : now + timeout_ms / 1000.0;
    l->kick = 0;
    pthread_mutex_unlock(&l->lock);

    int n = epoll_wait(l->epfd, evs, 64, timeout_ms);

    fl_fetch *done = NULL;
    fl_timer *woke[64];
    int n_woke = 0;
    pthread_mutex_lock(&l->lock);
    l->poll_until = -1; /* awake: it reads the timers again before it sleeps */
    int running;
    for (int i = 0; i < n; i++) {
        if (evs[i].data.fd == l->wakefd) {
            uint64_t v;
            ssize_t rc = read(l->wakefd, &v, sizeof v);
            (void)rc;
            continue;
        }
        int mask = (evs[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) | (evs[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                   (evs[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        curl_multi_socket_action(l->multi, evs[i].data.fd, mask, &running);
    }
    now = fl_now();
    if (l->curl_at && now >= l->curl_at) {
        l->curl_at = 0;
        curl_multi_socket_action(l->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
    done = collect_done_locked(l);
    if (l->cancelled) {
        while (l->xfers) {
            fl_fetch *f = l->xfers;
            unlink_xfer(l, f);
            fl_fetch_finished(f, CURLE_ABORTED_BY_CALLBACK);
            f->result = FL_FETCH_CANCELLED;
            snprintf(f->error, sizeof f->error, "cancelled: the call to %s was stopped: the instance is stopping",
                     f->host);
            f->next = done;
            done = f;
        }
    }
    while (l->n_heap && n_woke < 64 && (l->cancelled || l->heap[0]->at <= now))
        woke[n_woke++] = heap_pop(l);
    pthread_mutex_unlock(&l->lock);

    /* wake the waiters with no lock held: ready() takes the runtime's */
    int ended = end_waits(done);
    for (int i = 0; i < n_woke; i++)
        fl_wait_end(woke[i]->waiter);
    return ended + n_woke;
}
