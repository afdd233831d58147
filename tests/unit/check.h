/*
 * check.h - the few assertion macros the C unit tests use.
 *
 * Each CHECK_* names what it checks (in the direction of data, "JSON
 * integer 2^53 -> Lua integer"), and on failure prints file:line, the name
 * and both values, then carries on so one run shows every failure.
 * check_finish() prints "test_x: N checks passed" (or the failure count)
 * and returns the process exit status.  No external framework; header only,
 * each test is a single .c file.
 */
#ifndef FL_CHECK_H
#define FL_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed;
static int check_failed;

/* Prints s (n bytes) as a C-like literal so invisible bytes show up. */
static inline void check_print_bytes(const char *s, size_t n)
{
    if (!s) {
        fputs("NULL", stderr);
        return;
    }
    fputc('"', stderr);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(stderr, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            fputc(c, stderr);
        else
            fprintf(stderr, "\\x%02x", c);
    }
    fputc('"', stderr);
}

static inline int check_record(int ok, const char *file, int line, const char *name)
{
    if (ok) {
        check_passed++;
        return 1;
    }
    check_failed++;
    fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, name);
    return 0;
}

static inline void check_true(int ok, const char *expr, const char *file, int line, const char *name)
{
    if (!check_record(ok, file, line, name))
        fprintf(stderr, "    expected true: %s\n", expr);
}

static inline void check_int(long long got, long long want, const char *file, int line, const char *name)
{
    if (!check_record(got == want, file, line, name))
        fprintf(stderr, "    got  %lld\n    want %lld\n", got, want);
}

static inline void check_mem(const char *got, size_t gotlen, const char *want, size_t wantlen, const char *file,
                             int line, const char *name)
{
    int ok = got && want && gotlen == wantlen && memcmp(got, want, gotlen) == 0;
    if (!check_record(ok, file, line, name)) {
        fputs("    got  ", stderr);
        check_print_bytes(got, gotlen);
        fputs("\n    want ", stderr);
        check_print_bytes(want, wantlen);
        fputc('\n', stderr);
    }
}

static inline void check_contains(const char *hay, const char *needle, int want_present, const char *file, int line,
                                  const char *name)
{
    int present = hay && strstr(hay, needle) != NULL;
    if (!check_record(present == want_present, file, line, name)) {
        fputs("    got  ", stderr);
        check_print_bytes(hay, hay ? strlen(hay) : 0);
        fprintf(stderr, "\n    want %s ", want_present ? "it to contain" : "it not to contain");
        check_print_bytes(needle, strlen(needle));
        fputc('\n', stderr);
    }
}

#define CHECK(name, cond)          check_true((cond) ? 1 : 0, #cond, __FILE__, __LINE__, (name))
#define CHECK_INT(name, got, want) check_int((long long)(got), (long long)(want), __FILE__, __LINE__, (name))
/* NUL-terminated strings; NULL never equals anything */
#define CHECK_STR(name, got, want)                                                                                     \
    do {                                                                                                               \
        const char *check_g_ = (got), *check_w_ = (want);                                                              \
        check_mem(check_g_, check_g_ ? strlen(check_g_) : 0, check_w_, check_w_ ? strlen(check_w_) : 0, __FILE__,      \
                  __LINE__, (name));                                                                                   \
    } while (0)
/* byte strings with explicit lengths (may hold NULs) */
#define CHECK_MEM(name, got, gotlen, want, wantlen)                                                                    \
    check_mem((got), (gotlen), (want), (wantlen), __FILE__, __LINE__, (name))
#define CHECK_CONTAINS(name, hay, needle)     check_contains((hay), (needle), 1, __FILE__, __LINE__, (name))
#define CHECK_NOT_CONTAINS(name, hay, needle) check_contains((hay), (needle), 0, __FILE__, __LINE__, (name))

/* Prints the summary line; returns the exit status for main. */
static inline int check_finish(const char *test)
{
    if (check_failed) {
        printf("%s: %d of %d checks FAILED\n", test, check_failed, check_failed + check_passed);
        return 1;
    }
    printf("%s: %d checks passed\n", test, check_passed);
    return 0;
}

#endif
