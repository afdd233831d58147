/*
 * crypto.h - `require "fnlua.crypto"`: hashes, HMAC and secure random bytes.
 *
 * Owns the Lua functions sha256, hmac_sha256, hex and random, which a
 * function needs to sign its calls to other services (fnlua.hwcloud builds
 * Huawei Cloud's AK/SK signature on them).  Hashing and HMAC are mbed TLS's
 * (libmbedcrypto's md module), never hand-rolled; random bytes come from the
 * kernel (getrandom(2)).  Knows nothing of HTTP or of the runtime: every
 * function is a pure function of its arguments, callable from any thread.
 */
#ifndef FL_CRYPTO_H
#define FL_CRYPTO_H

#include <lua.h>

/* lua_CFunction for package.preload["fnlua.crypto"].  Stack: [] -> [module]. */
int fl_crypto_open(lua_State *L);

#endif
