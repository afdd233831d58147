/* crypto.c - the fnlua.crypto module: SHA-256, HMAC-SHA256, hex, secure random bytes (see crypto.h). */
#define _GNU_SOURCE
#include "crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <lauxlib.h>
#include <mbedtls/md.h>

#define SHA256_LEN 32
#define RANDOM_MAX (1024 * 1024) /* one call's bytes; more is a mistake, not a need */

static const mbedtls_md_info_t *sha256_info(lua_State *L)
{
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    if (info == NULL)
        luaL_error(L, "fnlua.crypto: SHA-256 is not available in this build of mbed TLS");
    return info;
}

/* sha256(s) -> 32 raw bytes.  Stack: [s] -> [s, digest]. */
static int crypto_sha256(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    unsigned char out[SHA256_LEN];
    if (mbedtls_md(sha256_info(L), (const unsigned char *)s, n, out) != 0)
        return luaL_error(L, "fnlua.crypto.sha256: mbed TLS failed to hash");
    lua_pushlstring(L, (const char *)out, sizeof out);
    return 1;
}

/* hmac_sha256(key, s) -> 32 raw bytes.  Stack: [key, s] -> [key, s, mac]. */
static int crypto_hmac_sha256(lua_State *L)
{
    size_t klen, n;
    const char *key = luaL_checklstring(L, 1, &klen);
    const char *s = luaL_checklstring(L, 2, &n);
    unsigned char out[SHA256_LEN];
    if (mbedtls_md_hmac(sha256_info(L), (const unsigned char *)key, klen, (const unsigned char *)s, n, out) != 0)
        return luaL_error(L, "fnlua.crypto.hmac_sha256: mbed TLS failed to compute the HMAC");
    lua_pushlstring(L, (const char *)out, sizeof out);
    return 1;
}

/* hex(s) -> lower-case hex of the bytes of s.  Stack: [s] -> [s, hex]. */
static int crypto_hex(lua_State *L)
{
    static const char digits[] = "0123456789abcdef";
    size_t n;
    const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &n);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, 2 * n);
    for (size_t i = 0; i < n; i++) {
        p[2 * i] = digits[s[i] >> 4];
        p[2 * i + 1] = digits[s[i] & 0x0F];
    }
    luaL_pushresultsize(&b, 2 * n);
    return 1;
}

/* random(n) -> n bytes from the kernel's CSPRNG.  getrandom returns at most
 * 32 MiB - 1 per call and may stop early when a signal arrives, so it loops.
 * Stack: [n] -> [n, bytes]. */
static int crypto_random(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    luaL_argcheck(L, n >= 0 && n <= RANDOM_MAX, 1, "byte count must be between 0 and 1048576");
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)n);
    size_t got = 0;
    while (got < (size_t)n) {
        ssize_t r = getrandom(p + got, (size_t)n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return luaL_error(L, "fnlua.crypto.random: getrandom failed: %s", strerror(errno));
        }
        got += (size_t)r;
    }
    luaL_pushresultsize(&b, (size_t)n);
    return 1;
}

int fl_crypto_open(lua_State *L)
{
    static const luaL_Reg f[] = {
        {"sha256", crypto_sha256},
        {"hmac_sha256", crypto_hmac_sha256},
        {"hex", crypto_hex},
        {"random", crypto_random},
        {NULL, NULL},
    };
    luaL_newlib(L, f);
    return 1;
}
