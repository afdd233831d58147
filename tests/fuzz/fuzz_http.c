/*
 * fuzz_http.c - libFuzzer target: raw bytes on a real connection to fnlua's
 * HTTP glue (libmicrohttpd, the framing guard, routes, body limits) with a
 * real runtime behind it.
 *
 * Each input is written to a fresh loopback connection, which is then
 * half-closed; the answer (if any) is read until the server closes or 1 s
 * passes.  Whatever the bytes — smuggling attempts, folded headers, broken
 * chunking, pipelined requests — the server must neither crash nor leak,
 * and every 64 inputs a plain GET /healthz on a new connection must still
 * be answered 200.  Event and HTTP mode alternate by the first byte.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "log.h"
#include "runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int ports[2];

static void ignore_shutdown(void)
{
    /* GET /shutdown in event mode: the fuzzer keeps the server running */
}

static int server_for(fl_mode mode)
{
    static fl_config cfg[2];
    if (ports[mode])
        return ports[mode];
    char *argv[] = {"fnlua", "serve",     "--dir", FUZZ_HANDLER_DIR, "--host", "127.0.0.1", "--port",
                    "0",     "--workers", "1",     "--log-level",    "off",    NULL};
    char err[512];
    if (fl_config_load(&cfg[mode], 12, argv, err, sizeof err) != FL_CONFIG_OK) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    cfg[mode].mode = mode;
    fl_log_setup(FL_LOG_OFF, 0, 2);
    fl_runtime *rt = fl_runtime_create(&cfg[mode], 1);
    fl_http *h = rt ? fl_http_start(&cfg[mode], rt, ignore_shutdown, err, sizeof err) : NULL;
    if (!h) {
        fprintf(stderr, "fuzz_http: cannot start the server: %s\n", err);
        abort();
    }
    ports[mode] = fl_http_port(h);
    return ports[mode];
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        perror("fuzz_http: connect");
        abort();
    }
    return fd;
}

/* Sends what fits, half-closes, reads until EOF or the 1 s timeout; the
 * first bytes read are copied into head. */
static void exchange(int port, const void *data, size_t size, char *head, size_t headlen)
{
    int fd = connect_to(port);
    size_t off = 0;
    while (off < size) {
        ssize_t n = send(fd, (const char *)data + off, size - off, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    char buf[4096];
    size_t got = 0;
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        if (head && got < headlen - 1) {
            size_t k = (size_t)n < headlen - 1 - got ? (size_t)n : headlen - 1 - got;
            memcpy(head + got, buf, k);
            got += k;
        }
    }
    if (head)
        head[got] = '\0';
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    if (size < 1)
        return 0;
    fl_mode mode = (data[0] & 1) ? FL_MODE_HTTP : FL_MODE_EVENT;
    int port = server_for(mode);
    exchange(port, data + 1, size - 1, NULL, 0);
    if (++runs % 64 == 0) {
        static const char probe[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        char head[64];
        exchange(port, probe, sizeof probe - 1, head, sizeof head);
        if (strncmp(head, "HTTP/1.1 200", 12) != 0) {
            fprintf(stderr, "fuzz_http: the server stopped answering /healthz after an input: '%s'\n", head);
            abort();
        }
    }
    return 0;
}
