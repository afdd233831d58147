/* coldstart.c - cold start of a server: exec -> first successful POST /invoke.
 *
 *   coldstart PORT EVENT_FILE REQUEST_ID -- COMMAND [ARGS...]
 *
 * Spawns COMMAND (stdout/stderr to /dev/null), then connects to
 * 127.0.0.1:PORT in a tight loop (100 us between refused attempts, as the
 * platform polls a new instance), sends POST /invoke with the event, the
 * X-CFF-* headers and Connection: close, and stops the clock at the first
 * answer that is HTTP 200 and contains REQUEST_ID.  Prints the milliseconds
 * on stdout, sends SIGTERM to the child and reaps it (SIGKILL after 5 s).
 * Exit 0 on success, 1 on failure (child died, no answer within 20 s).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void stop_child(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    for (int i = 0; i < 5000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return;
        usleep(1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
}

/* one attempt: 1 = success, 0 = not ready / not a success */
static int attempt(int port, const char *req, size_t reqlen, const char *rid)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return 0;
    }
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    size_t off = 0;
    while (off < reqlen) {
        ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
        if (n <= 0) {
            close(fd);
            return 0;
        }
        off += (size_t)n;
    }
    static char buf[65536];
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got >= sizeof buf - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    return got > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0 && strstr(buf, rid) != NULL;
}

int main(int argc, char **argv)
{
    if (argc < 6 || strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "usage: coldstart PORT EVENT_FILE REQUEST_ID -- COMMAND [ARGS...]\n");
        return 2;
    }
    int port = atoi(argv[1]);
    const char *rid = argv[3];
    FILE *f = fopen(argv[2], "rb");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    static char body[1 << 16];
    size_t blen = fread(body, 1, sizeof body, f);
    fclose(f);
    static char req[1 << 17];
    int hl = snprintf(req, sizeof req,
                      "POST /invoke HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                      "Content-Type: application/json\r\nX-CFF-Request-Id: %s\r\n"
                      "X-CFF-Memory: 256\r\nX-CFF-Timeout: 30\r\nX-CFF-Func-Name: bench-echo\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      port, rid, blen);
    memcpy(req + hl, body, blen);
    size_t reqlen = (size_t)hl + blen;

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = now_ms();
    int rc = posix_spawn(&pid, argv[5], &fa, NULL, argv + 5, environ);
    if (rc != 0) {
        fprintf(stderr, "coldstart: cannot run %s: %s\n", argv[5], strerror(rc));
        return 1;
    }
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000};
    for (;;) {
        if (attempt(port, req, reqlen, rid)) {
            double t1 = now_ms();
            printf("%.3f\n", t1 - t0);
            fflush(stdout);
            stop_child(pid);
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            fprintf(stderr, "coldstart: %s exited before answering\n", argv[5]);
            return 1;
        }
        if (now_ms() - t0 > 20000) {
            fprintf(stderr, "coldstart: no successful /invoke within 20 s\n");
            stop_child(pid);
            return 1;
        }
        nanosleep(&pause, NULL);
    }
}
