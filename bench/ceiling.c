/* ceiling.c - the benchmark's ceiling: a libmicrohttpd responder that answers
 * POST /invoke and POST /init with a fixed FunctionGraph envelope, with no Lua
 * and no JSON work, so fnlua's own overhead above plain libmicrohttpd shows.
 *
 *   ceiling PORT [MODE [THREADS]]     (PORT 0 picks a free port)
 *
 * MODE: pool   - epoll, a pool of THREADS internal polling threads (default:
 *                THREADS=2; the fastest on 2 cores in bench/run's trials)
 *       single - one internal epoll thread
 *       perconn - a thread per connection
 * The request body is read and discarded (the server must consume it).
 * Logs "listening on 127.0.0.1:PORT" on stderr; SIGTERM stops it.
 *
 * Build: gcc -O2 -o ceiling ceiling.c $(pkg-config --cflags --libs libmicrohttpd)
 */
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

static const char ENVELOPE[] =
    "{\"isBase64Encoded\":false,\"statusCode\":200,"
    "\"headers\":{\"Content-Type\":\"application/json\"},"
    "\"body\":\"{\\\"name\\\":\\\"Ada Lovelace\\\","
    "\\\"requestId\\\":\\\"5b0c3a5e-bench-0000-0000-000000000000\\\"}\"}";
static const char INIT_OK[] = "{}";

static struct MHD_Response *r_envelope, *r_init, *r_404, *r_405;
static int marker;

static MHD_Result_t on_request(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size,
                               void **req_cls)
{
    (void)cls; (void)version; (void)upload_data;
    if (*req_cls == NULL) {            /* headers only: wait for the body */
        *req_cls = &marker;
        return MHD_YES;
    }
    if (*upload_data_size) {           /* discard body chunks */
        *upload_data_size = 0;
        return MHD_YES;
    }
    int invoke = strcmp(url, "/invoke") == 0, init = strcmp(url, "/init") == 0;
    if (!invoke && !init)
        return MHD_queue_response(c, MHD_HTTP_NOT_FOUND, r_404);
    if (strcmp(method, "POST") != 0)
        return MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r_405);
    return MHD_queue_response(c, MHD_HTTP_OK, invoke ? r_envelope : r_init);
}

static struct MHD_Response *fixed(const char *s, size_t n)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, (void *)s, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ceiling PORT [pool|single|perconn [THREADS]]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *mode = argc > 2 ? argv[2] : "pool";
    unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 2;

    r_envelope = fixed(ENVELOPE, sizeof ENVELOPE - 1);
    r_init = fixed(INIT_OK, sizeof INIT_OK - 1);
    r_404 = fixed("{\"error\":\"not found\"}", 21);
    r_405 = fixed("{\"error\":\"method not allowed\"}", 30);
    MHD_add_response_header(r_405, "Allow", "POST");

    /* block SIGTERM/SIGINT in every thread (MHD's inherit the mask); main waits */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    struct MHD_Daemon *d;
    if (strcmp(mode, "perconn") == 0) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
        d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                             MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_END);
    } else if (strcmp(mode, "single") == 0) {
        flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
        d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                             MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_END);
    } else {
        flags |= MHD_USE_EPOLL | MHD_USE_TURBO;
        d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
                             MHD_OPTION_THREAD_POOL_SIZE, threads,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                             MHD_OPTION_CONNECTION_LIMIT, 4096u, MHD_OPTION_END);
    }
    if (!d) {
        fprintf(stderr, "ceiling: cannot start libmicrohttpd on port %d\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "listening on 127.0.0.1:%u (mode %s, %u threads)\n",
            info ? (unsigned)info->port : (unsigned)port, mode, threads);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
