/*
 * test_errors.c - the table of error kinds (errors.h) against
 * docs/errors.md: every kind has its row, exactly, in the summary table,
 * that table has no row the code does not know, and every kind appears
 * with its status in one of the detailed tables.  The path of
 * docs/errors.md is the only argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "answer.h"
#include "errors.h"

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s && fread(s, 1, (size_t)n, f) == (size_t)n)
        s[n] = '\0';
    else {
        free(s);
        s = NULL;
    }
    fclose(f);
    return s;
}

static const char *level_name(fl_log_level lv)
{
    static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR", "OFF"};
    return names[lv];
}

/* The summary table: from its header line to the next blank line. */
static const char *summary_table(const char *doc, size_t *len)
{
    const char *start = strstr(doc, "| errorType | status | logged at | invoke exits | meaning |");
    if (!start)
        return NULL;
    const char *end = strstr(start, "\n\n");
    *len = end ? (size_t)(end - start) : strlen(start);
    return start;
}

static void test_every_kind_documented(const char *doc)
{
    size_t len = 0;
    const char *table = summary_table(doc, &len);
    CHECK("docs/errors.md has the summary table of error kinds", table != NULL);
    if (!table)
        return;
    char *summary = strndup(table, len);
    char row[512], name[256];
    for (int k = FL_ERR_NONE + 1; k < FL_ERR_COUNT; k++) {
        const fl_errkind_row *r = fl_errkind_get((fl_errkind)k);
        char exit_code[8];
        snprintf(exit_code, sizeof exit_code, "%d", r->exit_code);
        snprintf(row, sizeof row, "| `%s` | %d | %s | %s | %s |", r->name, r->status, level_name(r->level),
                 r->exit_code < 0 ? "—" : exit_code, r->meaning);
        snprintf(name, sizeof name, "kind %s -> its row in the summary table of docs/errors.md", r->name);
        CHECK_CONTAINS(name, summary, row);
        /* and the detailed tables say when it happens */
        snprintf(row, sizeof row, "| `%s` | %d |", r->name, r->status);
        snprintf(name, sizeof name, "kind %s -> a row in a detailed table of docs/errors.md", r->name);
        CHECK_CONTAINS(name, table + len, row);
    }
    int rows = 0;
    for (const char *p = summary; (p = strstr(p, "\n| `")); p++)
        rows++;
    CHECK_INT("rows in the summary table of docs/errors.md -> one per kind", rows, FL_ERR_COUNT - 1);
    free(summary);
}

static void test_answer(void)
{
    fl_log_setup(FL_LOG_OFF, 0, 1);
    fl_response resp;
    fl_response_init(&resp);
    fl_response_error(&resp, FL_ERR_NOT_FOUND, NULL, "test", "no such path");
    CHECK_INT("NotFound -> status 404", resp.status, 404);
    CHECK_INT("NotFound -> the response carries its kind", resp.error_kind, FL_ERR_NOT_FOUND);
    CHECK_STR("NotFound -> error object", fl_buf_cstr(&resp.body),
              "{\"errorType\":\"NotFound\",\"errorMessage\":\"no such path\",\"stackTrace\":[]}");
    fl_response_free(&resp);
    CHECK_STR("an unknown kind -> the row of no error", fl_errkind_get(FL_ERR_COUNT)->name, "None");
}

int main(int argc, char **argv)
{
    char *doc = argc > 1 ? read_file(argv[1]) : NULL;
    CHECK("docs/errors.md (argument 1) can be read", doc != NULL);
    if (doc)
        test_every_kind_documented(doc);
    test_answer();
    free(doc);
    return check_finish("test_errors");
}
