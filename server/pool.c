/* pool.c - worker threads and the job queue (see pool.h). */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

typedef struct queue {
    fl_job *head, *tail;
} queue;

typedef struct pool_thread {
    fl_pool *pool;
    int index;
    pthread_t thread;
    queue mine; /* jobs for this worker only */
    int started;
} pool_thread;

struct fl_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_cond_t idle; /* signalled when a job finishes */
    int busy;            /* jobs running now */
    queue shared;
    int stopping;
    int n;
    fl_pool_run_fn run;
    void *ctx;
    pool_thread *threads;
};

static void q_push(queue *q, fl_job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static fl_job *q_pop(queue *q)
{
    fl_job *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        j->next = NULL;
    }
    return j;
}

static void *thread_main(void *arg)
{
    pool_thread *t = arg;
    fl_pool *p = t->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        fl_job *j = q_pop(&t->mine);
        if (!j)
            j = q_pop(&p->shared);
        if (!j) {
            if (p->stopping)
                break;
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        p->busy++;
        pthread_mutex_unlock(&p->lock);
        p->run(p->ctx, t->index, j);
        pthread_mutex_lock(&p->lock);
        p->busy--;
        pthread_cond_broadcast(&p->idle);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

fl_pool *fl_pool_create(int n, fl_pool_run_fn run, void *ctx)
{
    fl_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = calloc((size_t)n, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->idle, NULL);
    p->n = n;
    p->run = run;
    p->ctx = ctx;
    for (int i = 0; i < n; i++) {
        p->threads[i].pool = p;
        p->threads[i].index = i;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 8u << 20); /* Lua C calls recurse: give them room */
        if (pthread_create(&p->threads[i].thread, &attr, thread_main, &p->threads[i]) == 0)
            p->threads[i].started = 1;
        pthread_attr_destroy(&attr);
        if (!p->threads[i].started) {
            fl_pool_stop(p, -1, NULL);
            fl_pool_free(p);
            return NULL;
        }
    }
    return p;
}

int fl_pool_submit(fl_pool *p, fl_job *job)
{
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        return -1;
    }
    q_push(&p->shared, job);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

void fl_pool_submit_to(fl_pool *p, int worker, fl_job *job)
{
    pthread_mutex_lock(&p->lock);
    q_push(&p->threads[worker].mine, job);
    /* every waiting thread wakes; the one it is for takes it */
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

static int pending(fl_pool *p)
{
    if (p->busy || p->shared.head)
        return 1;
    for (int i = 0; i < p->n; i++)
        if (p->threads[i].mine.head)
            return 1;
    return 0;
}

void fl_pool_stop(fl_pool *p, double grace_s, void (*expire)(void *ctx))
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->wake);
    if (grace_s >= 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)grace_s;
        until.tv_nsec += (long)((grace_s - (double)(time_t)grace_s) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (pending(p)) {
            if (pthread_cond_timedwait(&p->idle, &p->lock, &until) != 0 && pending(p)) {
                pthread_mutex_unlock(&p->lock);
                if (expire)
                    expire(p->ctx);
                pthread_mutex_lock(&p->lock);
                break;
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n; i++)
        if (p->threads[i].started) {
            pthread_join(p->threads[i].thread, NULL);
            p->threads[i].started = 0;
        }
}

void fl_pool_free(fl_pool *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->idle);
    free(p->threads);
    free(p);
}
