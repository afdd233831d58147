/* pool.c - worker threads and the job queue (see pool.h). */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct pool_thread {
    fl_pool *pool;
    int index;
    pthread_t thread;
    int started;
} pool_thread;

struct fl_pool {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    fl_job *head, *tail;
    int stopping;
    int n;
    fl_pool_run_fn run;
    void *ctx;
    pool_thread *threads;
};

static void *thread_main(void *arg)
{
    pool_thread *t = arg;
    fl_pool *p = t->pool;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        fl_job *j = p->head;
        if (!j) {
            if (p->stopping)
                break;
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        j->next = NULL;
        pthread_mutex_unlock(&p->lock);
        p->run(p->ctx, t->index, j);
        pthread_mutex_lock(&p->lock);
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
            fl_pool_stop(p);
            fl_pool_free(p);
            return NULL;
        }
    }
    return p;
}

void fl_pool_submit(fl_pool *p, fl_job *job)
{
    pthread_mutex_lock(&p->lock);
    job->next = NULL;
    if (p->tail)
        p->tail->next = job;
    else
        p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

void fl_pool_stop(fl_pool *p)
{
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
    pthread_cond_broadcast(&p->wake);
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
    free(p->threads);
    free(p);
}
