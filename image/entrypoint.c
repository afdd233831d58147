/*
 * entrypoint.c - the image's /usr/local/bin/fnlua: choose the code
 * directory, then exec the real fnlua (/usr/local/libexec/fnlua).
 *
 * FunctionGraph may start the container with its Working Dir set to "/"
 * (some of its docs say that is the only allowed value), so the image cannot
 * rely on WorkingDir /app alone; yet setting FNLUA_DIR=/app in the image
 * would make fnlua ignore a Working Dir override that points at another code
 * directory.  Hence the precedence, first match wins:
 *   1. --dir in CMD/Args            (fnlua: flags win)
 *   2. FNLUA_DIR in the environment (fnlua: set on the platform)
 *   3. the working directory, unless it is "/"
 *   4. FNLUA_DEFAULT_DIR (the image sets /app): we chdir there, so relative
 *      paths in handlers behave as with WorkingDir /app.
 * Everything else (argv, environment, PID) passes through unchanged: exec,
 * not fork, so fnlua stays PID 1 and receives SIGTERM itself.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FNLUA_REAL
#define FNLUA_REAL "/usr/local/libexec/fnlua"
#endif

int main(int argc, char **argv)
{
    (void)argc;
    const char *def = getenv("FNLUA_DEFAULT_DIR");
    char cwd[4096];
    if (!getenv("FNLUA_DIR") && def && *def && getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0 &&
        chdir(def) != 0)
        fprintf(stderr, "fnlua: entrypoint: FNLUA_DEFAULT_DIR '%s': %s (staying in /)\n", def, strerror(errno));
    execv(FNLUA_REAL, argv);
    fprintf(stderr, "fnlua: entrypoint: cannot run %s: %s\n", FNLUA_REAL, strerror(errno));
    return 127;
}
